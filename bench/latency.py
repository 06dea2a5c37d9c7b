"""Warm latency per endpoint: the real handler in this process (after a first call), timed around
the handler alone, as wall-clock time and as this thread's CPU time (the handler's own work,
without the wait for DynamoDB Local, which runs in a process of its own), over a realistic
tenant: 100 courses of 10 modules with 20 lessons each (20,000 lesson links), 1,000 learners each
enrolled in a course with a course track and attempts (the course tree at other sizes:
bench/trees.py). Results go to bench/results/latency.json."""

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.seeding import Seeder
from local import issuer
from local.stack import FunctionHost
from shared.clock import sortable_now, utc_now
from shared.repository.courses import CourseRepository
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.items import link_pointer
from shared.repository.lessons import LessonRepository
from shared.repository.modules import ModuleRepository
from shared.repository.tracking import TrackingRepository
from shared.services.enrollments import course_summary
from tests.support.api import Api

COURSES, MODULES, LESSONS_PER_MODULE, LEARNERS, ATTEMPTS = 100, 10, 20, 1_000, 3
SAMPLES = 60


@dataclass
class Tenant:
    """What was seeded, by id."""

    name: str
    courses: list[str] = field(default_factory=list)
    modules: dict[str, list[str]] = field(default_factory=dict)  # course → its modules
    lessons: dict[str, list[str]] = field(default_factory=dict)  # module → its lessons
    learners: dict[str, str] = field(default_factory=dict)  # learner → course
    enrollments: dict[str, str] = field(default_factory=dict)  # learner → enrollment id
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)  # course → its summary


def seed_course(tenant: Tenant, modules: int, lessons: int, batch: Seeder) -> str:
    made = {"created_by": "bench", "created_at": utc_now()}
    course_id = str(uuid.uuid4())
    courses = CourseRepository(tenant.name)
    course = courses.new_course(
        course_id, sortable_now(), title=f"Course {course_id[:8]}", alias=f"c-{course_id}", status="published", **made
    )
    batch.save(course)
    tenant.courses.append(course_id)
    tenant.summaries[course_id] = course_summary(course)
    lesson_repository, module_repository = LessonRepository(tenant.name), ModuleRepository(tenant.name)
    for ordering in range(modules):
        module_id = str(uuid.uuid4())
        module = module_repository.new_module(
            course_id, module_id, title=f"Module {ordering}", ordering=ordering, status="published",
            course_status="published", **made,
        )  # fmt: skip
        batch.save(module)
        tenant.modules.setdefault(course_id, []).append(module_id)
        for number in range(lessons):
            lesson = lesson_repository.new_lesson(
                str(uuid.uuid4()), title=f"Lesson {number}", description="A lesson. " * 50, format="video",
                status="published", attempts_grade="last_attempt", total_marks=100, passing_marks=60, **made,
            )  # fmt: skip
            link = lesson_repository.new_link(lesson, course_id, module_id, sortable_now(), **made)
            for item in (lesson, link, link_pointer(lesson_repository.keys, link)):
                batch.save(item)
            tenant.lessons.setdefault(module_id, []).append(lesson.lesson_id)
    return course_id


def seed_realistic_tenant() -> Tenant:
    tenant = Tenant(f"bench-{uuid.uuid4()}")
    with Seeder(tenant.name) as batch:
        for _ in range(COURSES):
            seed_course(tenant, MODULES, LESSONS_PER_MODULE, batch)
        enrollments, tracking = EnrollmentRepository(tenant.name), TrackingRepository(tenant.name)
        now = utc_now()
        for index in range(LEARNERS):
            learner, course_id = f"learner-{index}", tenant.courses[index % COURSES]
            enrollment_id = str(uuid.uuid4())
            batch.save(
                enrollments.new_enrollment(
                    course_id, learner, enrollment_id, sortable_now(), enrolled_on_time=now, status="active",
                    course=tenant.summaries[course_id], enrolled_by="bench", enrolled_at=now,
                )
            )  # fmt: skip
            batch.save(
                tracking.new_track(
                    course_id, learner, str(uuid.uuid4()), start_datetime=now, status="in_progress",
                    no_of_lessons=MODULES * LESSONS_PER_MODULE, created_by=learner, created_at=now, version=1,
                )
            )  # fmt: skip
            first_lesson = tenant.lessons[tenant.modules[course_id][0]][0]
            for number in range(1, ATTEMPTS + 1):
                batch.save(
                    tracking.new_attempt(
                        first_lesson, learner, number, lesson_track_id=str(uuid.uuid4()), course_id=course_id,
                        start_datetime=now, end_datetime=now, status="completed", score=40 + 10 * number,
                        total_content=10, current_position=10, attempts_grade="last_attempt",
                        lesson={"title": "Lesson 0", "description": None, "format": "video",
                                "total_marks": 100, "passing_marks": 60},
                        created_by=learner, created_at=now, version=1,
                    )
                )  # fmt: skip
            tenant.learners[learner], tenant.enrollments[learner] = course_id, enrollment_id
    return tenant


@dataclass(frozen=True)
class Timing:
    wall_ms: float
    cpu_ms: float  # this thread's CPU time: the handler's own work, not DynamoDB Local's


def percentiles(samples: list[float], prefix: str = "") -> dict[str, float]:
    """Median, p95 and p99 of `samples` (ms), keyed `<prefix>median_ms` and so on."""
    cut = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        f"{prefix}median_ms": round(statistics.median(samples), 2),
        f"{prefix}p95_ms": round(cut[94], 2),
        f"{prefix}p99_ms": round(cut[98], 2),
    }


class Caller:
    """One caller, with one token minted ahead (minting is not the handler's time): times the handler alone."""

    def __init__(self, host: FunctionHost, tenant: str, role: str, user: str) -> None:
        self.api = Api(host=host, key=issuer.signing_key(), tenant=tenant, user=user, role=role)
        self.token = self.api.token()

    def time(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> Timing:
        function, event = self.api.event(method, path, json_body=body, query=query, token=self.token)
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = self.api.host.invoke(function, event)  # in this thread
        timing = Timing((time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000)
        if response["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {response['statusCode']} {response['body'][:300]}")
        return timing


type Body = Callable[[int], dict[str, Any]]


def reader(caller: Caller, path: str, query: dict[str, str] | None) -> Callable[[int], Timing]:
    return lambda _: caller.time("GET", path, query)


def writer(caller: Caller, method: str, path: str, body: Body) -> Callable[[int], Timing]:
    return lambda index: caller.time(method, path, body=body(index))


def measure(name: str, request: Callable[[int], Timing]) -> dict[str, Any]:
    for warm in range(3):
        request(-1 - warm)
    timings = [request(index) for index in range(SAMPLES)]
    return {
        "endpoint": name,
        **percentiles([timing.wall_ms for timing in timings]),
        **percentiles([timing.cpu_ms for timing in timings], prefix="cpu_"),
        "samples": len(timings),
    }


def run() -> list[dict[str, Any]]:
    host = FunctionHost()
    tenant = seed_realistic_tenant()
    admin = Caller(host, tenant.name, "admin", "bench-admin")
    learner_id = "learner-7"
    learner = Caller(host, tenant.name, "learner", learner_id)
    course_id = tenant.learners[learner_id]
    module_id = tenant.modules[course_id][0]
    lesson_id = tenant.lessons[module_id][0]
    other_lesson = tenant.lessons[module_id][1]

    def complete_an_attempt(_: int) -> Timing:
        learner.time("POST", f"/api/lessons/{other_lesson}/tracking", body={"totalContent": 10})  # untimed
        return learner.time("PUT", f"/api/lessons/{other_lesson}/tracking/complete", body={"score": 80})

    enrollment_id = tenant.enrollments[learner_id]
    reads: list[tuple[str, Caller, str, dict[str, str] | None]] = [
        ("GET /api/courses (100 courses)", admin, "/api/courses", {"limit": "10"}),
        ("GET /api/courses/{id}", learner, f"/api/courses/{course_id}", None),
        ("GET /api/courses/{id}/details (10×20)", learner, f"/api/courses/{course_id}/details", None),
        ("GET /api/courses/{id}/modules", learner, f"/api/courses/{course_id}/modules", None),
        ("GET /api/courses/{id}/lessons", learner, f"/api/courses/{course_id}/lessons", None),
        ("GET /api/modules/{id}", learner, f"/api/modules/{module_id}", None),
        ("GET /api/modules/{id}/lessons", learner, f"/api/modules/{module_id}/lessons", None),
        ("GET /api/lessons/{id}", learner, f"/api/lessons/{lesson_id}", None),
        ("GET /api/enrollments (own)", learner, "/api/enrollments", None),
        ("GET /api/enrollments/{id}", learner, f"/api/enrollments/{enrollment_id}", None),
        ("GET /api/courses/{id}/tracking", learner, f"/api/courses/{course_id}/tracking", None),
        ("GET /api/lessons/{id}/tracking", learner, f"/api/lessons/{lesson_id}/tracking", None),
        (
            "GET /api/users/{u}/lessons/{l}/tracking",
            learner,
            f"/api/users/{learner_id}/lessons/{lesson_id}/tracking",
            None,
        ),
    ]
    new_course: Body = lambda i: {"title": f"New {i} {uuid.uuid4()}"}  # noqa: E731
    renamed: Body = lambda i: {"shortDescription": f"v{i}"}  # noqa: E731
    new_learner: Body = lambda _: {"courseId": course_id, "userId": str(uuid.uuid4())}  # noqa: E731
    nothing: Body = lambda _: {}  # noqa: E731
    writes: list[tuple[str, Callable[[int], Timing]]] = [
        ("POST /api/courses", writer(admin, "POST", "/api/courses", new_course)),
        ("PUT /api/courses/{id}", writer(admin, "PUT", f"/api/courses/{course_id}", renamed)),
        ("POST /api/enrollments", writer(admin, "POST", "/api/enrollments", new_learner)),
        ("POST /api/lessons/{id}/tracking", writer(learner, "POST", f"/api/lessons/{other_lesson}/tracking", nothing)),
        ("PUT /api/lessons/{id}/tracking/complete (passing)", complete_an_attempt),
    ]
    rows = [measure(name, reader(caller, path, query)) for name, caller, path, query in reads]
    rows += [measure(name, request) for name, request in writes]
    return rows
