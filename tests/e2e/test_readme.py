"""The README as a newcomer follows it: every `sh` block, in order, in one bash, against a
`make run` of its own (started by `make run` itself, on a free port), each request answering the
status its `# → NNN` comment gives, and every other command succeeding. Then what the README
promises a moment later: the upload registered, the impostor refused with its reason, and the
course's `course.completed` at /local/events. `shell` blocks (the two commands themselves, the
inner loop, deploys) are shown, not run."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.running import running
from local.template import ROOT
from tests.e2e.conftest import ISOLATED_VARIABLES, START_TIMEOUT_SECONDS
from tests.support.local_server import Server, eventually

README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXPECTED_STATUS = re.compile(r"#\s*→\s*(\d{3})\b")
# curl reports each answer's status on stderr, beside what the README's command prints.
CURL_REPORTING = "curl() { command curl \"$@\" -w '%{stderr}::status %{http_code}\\n'; }"
SETTLE_SECONDS = 15

pytestmark = pytest.mark.xdist_group("readme")


@dataclass(frozen=True)
class Step:
    line: int  # in README.md, where the command starts
    command: str
    expected: int | None  # the status its request answers (a step with curl in it names one)


def readme_steps(text: str) -> list[Step]:
    """The commands of the `sh` blocks, continuation lines joined, comment lines left out."""
    steps = []
    for block in BLOCK.finditer(text):
        if block[1] != "sh":
            continue
        first_line = text.count("\n", 0, block.start(2)) + 1
        pending: list[str] = []
        for offset, line in enumerate(block[2].splitlines()):
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending.append(line)
            if not line.endswith("\\"):
                command = "\n".join(pending)
                found = EXPECTED_STATUS.search(pending[-1])
                steps.append(Step(first_line + offset - len(pending) + 1, command, int(found[1]) if found else None))
                pending = []
        assert not pending, f"README.md:{first_line}: a block ends inside a command"
    return steps


def test_every_request_in_the_readme_says_what_it_answers() -> None:
    steps = readme_steps(README.read_text())
    assert len(steps) > 30  # the walk-through is all there
    unstated = [step.line for step in steps if "curl " in step.command and step.expected is None]
    assert unstated == [], "these README lines send a request without its `# → status`"


def jq_on_path(tmp_path: Path) -> dict[str, str]:
    """PATH with a jq: the machine's, or jaq (a jq work-alike from the dev tools) under its name."""
    if shutil.which("jq"):
        return {}
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "jq").symlink_to(ROOT / ".venv" / "bin" / "jaq")
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    """`make run` on a free port, recording itself in a file of its own, and the environment the
    README's shell runs in (which finds it through that file, as `make url` does)."""
    stack_file = tmp_path / "stack.json"
    environment = {name: value for name, value in os.environ.items() if name not in ISOLATED_VARIABLES}
    environment.update(LMS_STACK_FILE=str(stack_file), PORT="0", **jq_on_path(tmp_path))
    process = subprocess.Popen(  # noqa: S603 - the README's own command
        [shutil.which("make") or "make", "-s", "run"], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while (stack := running(stack_file)) is None:
        assert process.poll() is None, "make run stopped"
        assert time.monotonic() < deadline, f"make run did not come up within {START_TIMEOUT_SECONDS} s"
        time.sleep(0.1)
    yield Server(stack.url, process, stack_file), environment
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert running(stack_file) is None


@dataclass
class Outcome:
    statuses: list[int]
    exit_code: int | None  # None: the step never finished


@dataclass
class Run:
    outcomes: list[Outcome]
    variables: dict[str, str]  # the shell's variables the README set, at the end
    output: str


def run_in_one_shell(steps: list[Step], environment: dict[str, str], tmp_path: Path) -> Run:
    """Every step in one bash, as a reader pastes them: what each answered, and what they set."""
    script = [CURL_REPORTING]
    for number, step in enumerate(steps):
        script += [f"echo '::step {number}' >&2", step.command, f'echo "::done {number} $?" >&2']
    names = sorted({found[1] for step in steps if (found := re.match(r"([A-Z][A-Z0-9_]*)=", step.command))})
    script += [f"printf '::var %s %s\\n' {name} \"${{{name}//$'\\n'/ }}\" >&2" for name in names]
    (tmp_path / "readme.sh").write_text("\n".join(script) + "\n")
    finished = subprocess.run(  # noqa: S603 - the README's own commands
        [shutil.which("bash") or "bash", str(tmp_path / "readme.sh")],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    run = Run([Outcome([], None) for _ in steps], {}, finished.stdout + finished.stderr)
    current = None
    for line in finished.stderr.splitlines():
        marker, _, rest = line.partition(" ")
        if marker == "::step":
            current = run.outcomes[int(rest)]
        elif marker == "::status" and current is not None:
            current.statuses.append(int(rest))
        elif marker == "::done" and current is not None:
            current.exit_code = int(rest.split()[1])
        elif marker == "::var":
            name, _, value = rest.partition(" ")
            run.variables[name] = value
    return run


def test_the_readme_runs_as_written(make_run: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, environment = make_run
    steps = readme_steps(README.read_text())

    run = run_in_one_shell(steps, environment, tmp_path)

    failures = [
        f"README.md:{step.line}: answered {outcome.statuses}, exit {outcome.exit_code}; expected {step.expected}"
        for step, outcome in zip(steps, run.outcomes, strict=True)
        if outcome.exit_code != 0 or outcome.statuses != ([step.expected] if step.expected else [])
    ]
    assert failures == [], "\n".join(failures) + "\n\n" + run.output[-4000:]

    # What the README says comes a moment later (S3's events and the stream are asynchronous).
    token = server.token(tenant="acme", user="alice")
    not_pending: Callable[[dict[str, Any]], bool] = lambda found: found["status"] != "pending"  # noqa: E731
    uploaded = eventually(lambda: media(server, token, run.variables["MEDIA"]), not_pending, SETTLE_SECONDS, "upload")
    assert uploaded["status"] == "uploaded"
    refused_id = json.loads(run.variables["REFUSED"])["result"]["mediaId"]
    refused = eventually(lambda: media(server, token, refused_id), not_pending, SETTLE_SECONDS, "refusal")
    assert refused["status"] == "rejected"
    assert "not application/pdf" in refused["reason"]
    completed = eventually(lambda: server.events("course.completed"), bool, SETTLE_SECONDS, "course.completed")
    assert [(event["detail"]["userId"], event["detail"]["courseId"]) for event in completed] == [
        ("bob", run.variables["COURSE"])
    ]
    expired = server.events("enrollment.expired")
    # bob's alone: the seeded learner's enrollment has no end, so they stay partway.
    assert [event["detail"]["userId"] for event in expired] == ["bob"]


def media(server: Server, token: str, media_id: str) -> dict[str, Any]:
    status, body, _ = server.request("GET", f"/api/media/{media_id}", token)
    assert status == 200, body
    result: dict[str, Any] = body["result"]
    return result
