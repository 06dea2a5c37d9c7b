"""Cold start per function: a fresh interpreter imports the handler module and serves a first
request (an event from events/ over the world those files name), against DynamoDB Local. Each
is run several times, with the floor (bench/floor.py) in the same run; results go to
bench/results/cold_start.json.

Every module is imported from bytecode, as the layers ship it (layers/dependencies/Makefile); the
time compiling the loaded modules would take at each cold start without it is measured too."""

import compileall
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stack import BenchStack
from local import apigw, issuer, template
from local.template import ROOT
from tests.support.world import event_from_file

RUNS = 11
TARGET = 1.25  # × the floor (issue 7)
FLOOR = "Floor"
# The first request each function serves: a read that reaches DynamoDB (or its trigger's event).
FIRST_EVENTS = {
    "CoursesFunction": "courses/get.json",
    "ModulesFunction": "modules/get.json",
    "LessonsFunction": "lessons/get.json",
    "MediaFunction": "media/get.json",
    "EnrollmentsFunction": "enrollments/get.json",
    "CourseTrackingFunction": "course_tracking/get.json",
    "LessonTrackingFunction": "lesson_tracking/get.json",
    "StreamProjectorFunction": "stream_projector/course-completed.json",
    "EnrollmentExpiryFunction": "enrollment_expiry/scheduled.json",
}
# Lists the source files of the modules a function loads, for the compile-time figure.
LOADED_SOURCES = """
import json, sys
__import__(sys.argv[1], fromlist=["lambda_handler"])
print(json.dumps([path for module in list(sys.modules.values())
                  if (path := getattr(module, "__file__", None)) and path.endswith(".py")]))
"""
# The standard library's bytecode comes with the Lambda runtime; only the layers' own counts.
STANDARD_LIBRARY = str(Path(os.__file__).parent)
# Runs in a fresh interpreter: its clock starts before the handler's import, after Python's own start.
PROBE = """
import json, sys, time
started = time.perf_counter()
module = __import__(sys.argv[1], fromlist=["lambda_handler"])
imported = time.perf_counter()

class Context:
    function_name, aws_request_id, memory_limit_in_mb = "bench", "cold-start", 512
    invoked_function_arn = function_version = log_group_name = log_stream_name = ""
    def get_remaining_time_in_millis(self):
        return 10_000

response = module.lambda_handler(json.loads(sys.argv[2]), Context())
answered = time.perf_counter()
status = response.get("statusCode", 200) if isinstance(response, dict) else 200
print(json.dumps({"import_ms": (imported - started) * 1000, "first_ms": (answered - imported) * 1000,
                  "status": status}))
"""


def event_for(function: str, tenant: str) -> dict[str, Any]:
    if function == FLOOR:
        route = template.Route(FLOOR, "GET", "/floor/{pk}", template._path_pattern("/floor/{pk}"))
        return apigw.http_api_event(route, {"pk": f"T#{tenant}#COURSE#x"}, f"/floor/T%23{tenant}", "", {}, b"")
    token = issuer.mint("admin", tenant, "bench-admin")
    return event_from_file(ROOT / "events" / FIRST_EVENTS[function], token=token, tenant=tenant)


def module_of(function: str) -> str:
    return "bench.floor" if function == FLOOR else template.functions()[function].module


def in_fresh_interpreter(script: str, function: str, environment: dict[str, str], *arguments: str) -> Any:
    """What `script` prints last (JSON), run with the function's handler module as its first argument."""
    completed = subprocess.run(  # noqa: S603 - our own probe on our own modules
        [sys.executable, "-c", script, module_of(function), *arguments],
        capture_output=True, text=True, check=True, cwd=ROOT, env=environment, timeout=120,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def compile_ms(function: str, environment: dict[str, str]) -> float:
    """How long compiling the function's loaded modules (the layers', not the standard library's) takes."""
    loaded: list[str] = in_fresh_interpreter(LOADED_SOURCES, function, environment)
    sources = [Path(path) for path in loaded if not path.startswith(STANDARD_LIBRARY + os.sep)]
    started = time.perf_counter()
    for source in sources:
        compile(source.read_bytes(), str(source), "exec")
    return (time.perf_counter() - started) * 1000


def summary(function: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    totals = [run["import_ms"] + run["first_ms"] for run in runs]
    return {
        "function": function,
        "statuses": sorted({run["status"] for run in runs}),
        "import_ms": statistics.median(run["import_ms"] for run in runs),
        "first_request_ms": statistics.median(run["first_ms"] for run in runs),
        "total_ms": statistics.median(totals),
        "total_min_ms": min(totals),
        "total_max_ms": max(totals),
    }


def run(bench: BenchStack, tenant: str) -> list[dict[str, Any]]:
    environment = {**os.environ, **bench.environment}
    functions = (FLOOR, *FIRST_EVENTS)
    # Our own modules' bytecode, as the shared layer ships it (this machine may forbid writing it).
    for package in ("shared", "functions", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1)
    events = {function: json.dumps(event_for(function, tenant)) for function in functions}
    runs: dict[str, list[dict[str, Any]]] = {function: [] for function in functions}
    # Round after round of every function, so that the machine's drift falls on all alike.
    for _ in range(RUNS):
        for function in functions:
            runs[function].append(in_fresh_interpreter(PROBE, function, environment, events[function]))
    results = [
        {**summary(function, runs[function]), "compile_ms": compile_ms(function, environment)} for function in functions
    ]
    floor = results[0]["total_ms"]
    for result in results:
        result["ratio_to_floor"] = round(result["total_ms"] / floor, 2)
    return results


def write(results: list[dict[str, Any]], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n")
