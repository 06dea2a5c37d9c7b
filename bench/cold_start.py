"""Cold start per function: a fresh interpreter imports the handler module and serves a first
request (an event from events/ over the world those files name), against DynamoDB Local. Each
is run several times, with the floor (bench/floor.py) in the same run; results go to
bench/results/cold_start.json."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.stack import BenchStack
from local import apigw, issuer, template
from local.template import ROOT

RUNS = 7
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
    text = (ROOT / "events" / FIRST_EVENTS[function]).read_text()
    token = issuer.mint("admin", tenant, "bench-admin")
    event: dict[str, Any] = json.loads(text.replace("<token>", token).replace("<tenant>", tenant))
    return event


def module_of(function: str) -> str:
    return "bench.floor" if function == FLOOR else template.functions()[function].module


def measure(function: str, tenant: str, environment: dict[str, str]) -> dict[str, Any]:
    event = json.dumps(event_for(function, tenant))
    runs = []
    for _ in range(RUNS):
        completed = subprocess.run(  # noqa: S603 - our own probe on our own modules
            [sys.executable, "-c", PROBE, module_of(function), event],
            capture_output=True, text=True, check=True, cwd=ROOT, env=environment, timeout=120,
        )  # fmt: skip
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
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
    results = [measure(name, tenant, environment) for name in (FLOOR, *FIRST_EVENTS)]
    floor = results[0]["total_ms"]
    for result in results:
        result["ratio_to_floor"] = round(result["total_ms"] / floor, 2)
    return results


def write(results: list[dict[str, Any]], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n")
