"""Where the running `make run` is: its record in .local/stack.json, written once it serves and
removed when it stops, so `make seed`, `make invoke`, `make url` and the README's examples find
it on whatever port it took. LMS_STACK_FILE names another file (the tests' servers, each their own).

`python -m local.running url` prints the API's URL, or says how to start it."""

import contextlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from local.template import ROOT

DEFAULT_STACK_FILE = ROOT / ".local" / "stack.json"


def stack_file() -> Path:
    return Path(os.environ.get("LMS_STACK_FILE") or DEFAULT_STACK_FILE)


@dataclass(frozen=True)
class RunningStack:
    """What another command needs to work with the running stack."""

    url: str  # the API, e.g. http://127.0.0.1:3000
    jwks_url: str
    dynamodb_endpoint: str
    s3_endpoint: str  # moto's, which serves EventBridge and SQS beside S3
    pid: int

    def record(self) -> None:
        """Write the record, keeping the one it replaces (a stack still running on another port)
        to put back when this one stops."""
        _replaced[self] = running()
        self._write()

    def _write(self) -> None:
        path = stack_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_suffix(f".{self.pid}.tmp")
        aside.write_text(json.dumps(asdict(self), indent=2) + "\n")
        aside.replace(path)  # a reader never sees half a record

    def forget(self) -> None:
        """Remove the record, if it is still this stack's (another may have started since), or
        put back the one it replaced if that stack still runs."""
        if running() != self:
            return
        earlier = _replaced.pop(self, None)
        if earlier is not None and _alive(earlier.pid):
            earlier._write()
            return
        with contextlib.suppress(FileNotFoundError):
            stack_file().unlink()


# The record each stack of this process replaced when it started.
_replaced: dict[RunningStack, RunningStack | None] = {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        pass
    return True


def running(path: Path | None = None) -> RunningStack | None:
    """The stack the record (in `path`, or the usual file) names, if its process is alive (a
    killed one leaves its record)."""
    try:
        found = RunningStack(**json.loads((path or stack_file()).read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return found if _alive(found.pid) else None


def running_or_exit() -> RunningStack:
    """The running stack, or the command ends saying how to start one."""
    stack = running()
    if stack is None:
        sys.exit(f"No `make run` is running (nothing live in {stack_file()}); start one with `make run`.")
    return stack


def main() -> None:
    stack = running_or_exit()
    if sys.argv[1:] == ["url"]:
        print(stack.url)
    else:
        print(json.dumps(asdict(stack), indent=2))


if __name__ == "__main__":
    main()
