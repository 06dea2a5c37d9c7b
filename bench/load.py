"""A bounded load test: `make run`'s server (real HTTP, every function's real handler in its
execution environments) on DynamoDB Local, 50 learners at once for 60 seconds, each browsing,
enrolling itself, starting the course and attempting and completing its lessons over and over,
beside a baseline in the same run: one learner alone for 15 seconds, on warm environments.
Afterwards every learner's figures are read back and compared with what it sent: no update may be
lost. Per-request latency as the client sees it, and each invocation's time in its function (the
environments' REPORT lines). Results go to bench/results/load.json."""

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.latency import percentiles
from local import issuer, server

USERS = 50
SECONDS = 60
LESSONS = 5
TENANT = "load-tenant"


@dataclass
class Client:
    url: str
    user: str
    token: str
    timings: dict[str, list[float]]
    errors: list[str]
    lock: threading.Lock

    def call(self, kind: str, method: str, path: str, body: Any = None, expected: tuple[int, ...] = (200, 201)) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310 - loopback
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.timings[kind].append(elapsed)
            if status not in expected:
                message = json.loads(raw)["params"]["errmsg"] if raw.startswith(b"{") else raw[:200]
                self.errors.append(f"{self.user}: {method} {path}: {status} {message}")
        return json.loads(raw)["result"] if raw else None


@dataclass
class Learner:
    """What one learner sent, to compare with what is stored afterwards."""

    user: str
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    passed: set[str] = field(default_factory=set)
    journeys: int = 0


def journey(client: Client, learner: Learner, course_id: str, lessons: list[str], stop: float) -> None:
    client.call("browse", "GET", "/api/courses?limit=10")
    client.call("browse", "GET", f"/api/courses/{course_id}/details")
    client.call("write", "POST", "/api/enrollments", {"courseId": course_id, "userId": learner.user})
    client.call("write", "POST", f"/api/courses/{course_id}/tracking", {})
    while True:
        for lesson_id in lessons:
            path = f"/api/lessons/{lesson_id}/tracking"
            client.call("attempt", "POST", path, {"totalContent": 10})
            learner.attempts[lesson_id] += 1
            client.call("attempt", "PUT", path, {"currentPosition": 5, "timeSpent": 30})
            score = 80 if learner.attempts[lesson_id] % 2 == 0 else 40  # fail, then pass, alternately
            client.call("attempt", "PUT", f"{path}/complete", {"score": score, "currentPosition": 10})
            if score >= 60:
                learner.passed.add(lesson_id)
        client.call("browse", "GET", f"/api/courses/{course_id}/tracking")
        learner.journeys += 1
        if time.monotonic() >= stop:
            return


def run() -> dict[str, Any]:
    reports: list[str] = []  # the environments' REPORT lines: each invocation's time in its function
    api, stop_stack = server.start(0, log=reports.append)
    lock = threading.Lock()
    try:
        admin = Client(api.url, "load-admin", issuer.mint("admin", TENANT, "load-admin"), defaultdict(list), [], lock)
        course = admin.call(
            "setup", "POST", "/api/courses", {"title": "Load", "status": "published", "autoEnroll": True}
        )
        lessons = []
        for number in range(LESSONS):
            marked = {"title": f"L{number}", "format": "test", "totalMarks": 100, "passingMarks": 60}
            lesson_id = admin.call("setup", "POST", "/api/lessons", marked)["lessonId"]
            placement = f"/api/courses/{course['courseId']}/modules/null/lessons"
            admin.call("setup", "POST", placement, {"lessonId": lesson_id})
            lessons.append(lesson_id)
        # The baseline, in the same run: one learner alone, on environments already warm.
        warm_up = run_phase(api.url, course["courseId"], lessons, [Learner("learner-warm-up")], 0, lock)
        alone = run_phase(api.url, course["courseId"], lessons, [Learner("learner-alone")], ALONE_SECONDS, lock)
        reports.clear()
        learners = [Learner(f"learner-{index}") for index in range(USERS)]
        loaded = run_phase(api.url, course["courseId"], lessons, learners, SECONDS, lock)
        durations = [float(found[1]) for line in reports if (found := REPORTED.search(line))]
        lost = check(admin, course["courseId"], lessons, [*warm_up.learners, *alone.learners, *learners])
        host = api.host
        environments = {name: count for name in host.functions if (count := host.started(name))}
    finally:
        stop_stack()
    everything = [sample for samples in loaded.timings.values() for sample in samples]
    by_one = [sample for samples in alone.timings.values() for sample in samples]
    return {
        "users": USERS,
        "seconds": round(loaded.elapsed, 1),
        "requests": len(everything),
        "requests_per_second": round(len(everything) / loaded.elapsed, 1),
        "errors": (alone.errors + loaded.errors)[:20],
        "error_count": len(alone.errors) + len(loaded.errors),
        "lost_updates": lost,
        "overall": {"requests": len(everything), **percentiles(everything)},
        "by_kind": {
            kind: {"requests": len(samples), **percentiles(samples)} for kind, samples in sorted(loaded.timings.items())
        },
        "alone": {"requests": len(by_one), **percentiles(by_one)},
        "in_function": {"requests": len(durations), **percentiles(durations)},
        "cold_starts": sum("Init Duration" in line for line in reports),
        "environments": environments,
        "concurrency_limit": host.concurrency,
        "journeys": sum(learner.journeys for learner in learners),
    }


ALONE_SECONDS = 15
REPORTED = re.compile(r" REPORT .*\tDuration: ([0-9.]+) ms")


@dataclass
class Phase:
    learners: list[Learner]
    timings: dict[str, list[float]]
    errors: list[str]
    elapsed: float


def run_phase(
    url: str, course_id: str, lessons: list[str], learners: list[Learner], seconds: float, lock: threading.Lock
) -> Phase:
    """The learners' journeys at once, for `seconds` (at least one pass each)."""
    phase = Phase(learners, defaultdict(list), [], 0.0)
    clients = [
        Client(url, each.user, issuer.mint("learner", TENANT, each.user), phase.timings, phase.errors, lock)
        for each in learners
    ]
    started = time.monotonic()
    threads = [
        threading.Thread(target=journey, args=(client, learner, course_id, lessons, started + seconds))
        for client, learner in zip(clients, learners, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.elapsed = time.monotonic() - started
    return phase


def check(admin: Client, course_id: str, lessons: list[str], learners: list[Learner]) -> list[str]:
    """Every learner's stored figures against what it sent."""
    lost = []
    for learner in learners:
        track = admin.call("check", "GET", f"/api/courses/{course_id}/tracking?userId={learner.user}")
        if track["completedLessons"] != len(learner.passed):
            lost.append(f"{learner.user}: completedLessons {track['completedLessons']}, passed {len(learner.passed)}")
        for lesson_id in lessons:
            history = admin.call("check", "GET", f"/api/users/{learner.user}/lessons/{lesson_id}/tracking")
            if history["totalAttempts"] != learner.attempts[lesson_id]:
                lost.append(
                    f"{learner.user}: {history['totalAttempts']} attempts stored, {learner.attempts[lesson_id]} sent"
                )
    return lost
