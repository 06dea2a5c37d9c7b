"""`make run`'s server for the end-to-end tests: the process a developer starts, on a free port,
with its own defaults (none of the test session's AWS settings), and a real HTTP client."""

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from schemathesis.pytest.plugin import SchemathesisFunction

from local.template import ROOT
from tests.support.local_server import Server

START_TIMEOUT_SECONDS = 60
# The server must come up on its own defaults, not the test session's.
ISOLATED_VARIABLES = ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "EVENTS_ENDPOINT", "JWKS_URL", "TABLE_NAME", "MEDIA_BUCKET")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """schemathesis (4.32) names each test it generates after its operation, but under pytest 9
    the test's id keeps only the function's name: 38 tests under one id, which pytest-xdist's
    group scheduling folded into one, and a report that would not say which operation failed.
    The id is made from the name again."""
    generated = [item for item in items if isinstance(item, SchemathesisFunction)]
    for item in generated:
        if item.parent is not None and item.nodeid != f"{item.parent.nodeid}::{item.name}":
            item._id = item.parent.id.child(item.name)
    if len({item.nodeid for item in generated}) != len(generated):
        raise pytest.UsageError("two schemathesis tests share an id; pytest-xdist would run only one of them")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    environment = {name: value for name, value in os.environ.items() if name not in ISOLATED_VARIABLES}
    # Its record of itself goes to a file of its own, not the developer's `make run`'s.
    stack_file = tmp_path_factory.mktemp("stack") / "stack.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "local.server"],
        cwd=ROOT, env={**environment, "PORT": "0", "LMS_STACK_FILE": str(stack_file)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []  # its stderr: the requests and the environments' INIT and REPORT lines

    def read_output() -> None:
        for line in process.stdout or []:
            lines.put(line)

    def read_log() -> None:
        for line in process.stderr or []:
            log.append(line.rstrip("\n"))

    threading.Thread(target=read_output, daemon=True).start()
    threading.Thread(target=read_log, daemon=True).start()
    banner = lines.get(timeout=START_TIMEOUT_SECONDS)
    url = banner.split(" on ", 1)[1].split()[0]
    yield Server(url, process, stack_file, log)
    if process.poll() is None:
        process.kill()
        process.wait()
