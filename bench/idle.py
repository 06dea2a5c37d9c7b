"""The local stack at rest: the CPU that `make run` (the server, its workers and its in-process
stand-ins, and its functions' execution environments, warm from a first request) and, when it is
the engine, DynamoDB Local use over 30 seconds without a request, read from /proc as the
processes' user and system time. Run as `make run` runs it, in a process of its own, once on the
embedded stand-ins and once on DynamoDB Local. Target: under 2 % of a core. Results go to
bench/results/idle.json."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from local import issuer
from local.processes import free_port
from local.template import ROOT
from tests.support.dynamodb_local import DynamoDBLocal

IDLE_SECONDS, SETTLE_SECONDS = 30, 5
TARGET_PERCENT = 2.0


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name (the state first, then the parent)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    """The process's user and system time so far (its own and its waited-for children's)."""
    return sum(int(value) for value in _stat(pid)[11:15]) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs (the execution environments)."""
    parents: dict[int, int] = {}
    for process in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(process.name)] = int(_stat(int(process.name))[1])
        except (FileNotFoundError, ProcessLookupError):  # it ended meanwhile
            continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _at_rest(engine: DynamoDBLocal | None) -> dict[str, Any]:
    port = free_port()
    environment = {**os.environ, "PORT": str(port), "LMS_STACK_FILE": str(ROOT / ".local" / f"bench-{port}.json")}
    if engine is not None:
        environment["DYNAMODB_ENDPOINT"] = engine.endpoint
    server = subprocess.Popen(
        [sys.executable, "-m", "local.server"], cwd=ROOT, env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        token = issuer.mint("admin", "bench-idle", "bench-admin")
        warm_up = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/courses", headers={"Authorization": f"Bearer {token}"}
        )
        urllib.request.urlopen(warm_up, timeout=60).close()  # noqa: S310 - an environment started and warm
        time.sleep(SETTLE_SECONDS)
        environments = _descendants(server.pid)
        pids = [server.pid, *environments] + ([engine.process.pid] if engine is not None else [])
        before = [_cpu_seconds(pid) for pid in pids]
        time.sleep(IDLE_SECONDS)
        used = [_cpu_seconds(pid) - start for pid, start in zip(pids, before, strict=True)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    percent = [100 * seconds / IDLE_SECONDS for seconds in used]
    children = percent[1 : 1 + len(environments)]
    return {
        "engine": "DynamoDB Local" if engine is not None else "embedded (moto)",
        "server_percent": round(percent[0], 2),
        "worker_processes": len(environments),
        "worker_processes_percent": round(sum(children), 2),
        "engine_percent": round(percent[-1], 2) if engine is not None else None,
        "total_percent": round(sum(percent), 2),
        "seconds": IDLE_SECONDS,
    }


def run() -> dict[str, Any]:
    rows = [_at_rest(None)]
    engine = DynamoDBLocal()
    try:
        rows.append(_at_rest(engine))
    finally:
        engine.stop()
    return {"rows": rows, "target_percent": TARGET_PERCENT}
