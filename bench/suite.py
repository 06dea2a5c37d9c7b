"""How long the test suite takes, per part: `make test-durations` (MODE=serial for one process,
MODE=quick for `make quick`'s part).

Runs pytest with the arguments the Makefile gives it for that mode (as `make test` runs it,
serially as it ran before issue 13, or as `make quick` does) and a JUnit report, and records
in bench/results/suite.json: pytest's wall time, and per part of the suite (unit, integration
on moto, integration on DynamoDB Local, end-to-end, the build and template checks) the number
of tests and the sum of their times (setup, call and teardown), with the slowest tests.
docs/PERFORMANCE.md shows them (`python -m bench.report`)."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from local.template import ROOT

RESULTS = ROOT / "bench" / "results" / "suite.json"
SLOWEST = 15


def part_of(classname: str, name: str) -> str:
    """`tests.integration.test_x` + `test_y[moto]` -> "integration, moto"."""
    folder = classname.split(".")[1] if classname.count(".") >= 2 else "build and template"
    if folder != "integration":
        return folder
    for engine in ("dynamodb-local", "moto"):
        if f"{engine}]" in name or f"-{engine}" in name or f"[{engine}" in name:
            return f"integration, {engine}"
    return "integration, no engine"


def summarize(junit: Path, wall_seconds: float, command: list[str]) -> dict[str, Any]:
    parts: dict[str, dict[str, float]] = {}
    tests: list[tuple[float, str]] = []
    for case in ElementTree.parse(junit).iter("testcase"):  # noqa: S314 - the report our own pytest just wrote
        classname, name, seconds = case.get("classname", ""), case.get("name", ""), float(case.get("time", 0))
        part = parts.setdefault(part_of(classname, name), {"tests": 0, "seconds": 0.0})
        part["tests"] += 1
        part["seconds"] += seconds
        tests.append((seconds, f"{classname.replace('.', '/')}.py::{name}"))
    return {
        "command": " ".join(command),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": round(os.getloadavg()[0], 2),  # the machine's 1-minute load when it ended
        "wall_seconds": round(wall_seconds, 1),
        "tests": sum(int(part["tests"]) for part in parts.values()),
        "parts": {name: {"tests": int(p["tests"]), "seconds": round(p["seconds"], 1)} for name, p in parts.items()},
        "slowest": [
            {"test": test, "seconds": round(seconds, 2)} for seconds, test in sorted(tests, reverse=True)[:SLOWEST]
        ],
    }


def run(pytest_arguments: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-q", *pytest_arguments]
        started = time.perf_counter()
        subprocess.run([*command, f"--junitxml={junit}"], cwd=ROOT, check=True)  # noqa: S603 - our own suite
        return summarize(junit, time.perf_counter() - started, ["pytest", *command[3:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["parallel", "serial", "quick"], help="the name the run is recorded under")
    parser.add_argument("pytest_arguments", nargs=argparse.REMAINDER, help="as the Makefile gives them")
    arguments = parser.parse_args()
    recorded = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    recorded[arguments.mode] = run(arguments.pytest_arguments)
    RESULTS.write_text(json.dumps(recorded, indent=2) + "\n")
    report.main()


if __name__ == "__main__":
    main()
