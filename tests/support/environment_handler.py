"""A stand-in function for the tests of the execution environments (local.environments): what
each event asks of it, it does, and it answers with what its environment looked like."""

import os
import time
import uuid
from pathlib import Path
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    if "sleep" in event:
        time.sleep(event["sleep"])
    if "exit" in event:
        os._exit(event["exit"])
    if "raise" in event:
        raise RuntimeError(event["raise"])
    if "unserializable" in event:
        return {"when": object()}
    met = _meet(Path(event["meet"]), event["count"]) if "meet" in event else None
    return {
        "pid": os.getpid(),
        "met": met,
        "functionName": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "memorySize": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        "contextName": context.function_name,
        "requestId": context.aws_request_id,
        "remainingMillis": context.get_remaining_time_in_millis(),
    }


def _meet(folder: Path, count: int, seconds: float = 20) -> bool:
    """Whether `count` invocations were in here at once (each leaves a mark and waits for the rest):
    only environments running side by side can all meet."""
    (folder / str(uuid.uuid4())).touch()
    deadline = time.monotonic() + seconds
    while len(list(folder.iterdir())) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
