"""Lists against the size of the tenant: page 1 and page 10 (10 a page) of the tenant's courses at
100, 1,000 and 10,000 courses, of its enrollments at 1,000, 10,000 and 100,000, and of a course's
report at 100, 1,000 and 10,000 learners, each case in
this process (the real handler, timed around it) and over `make run`'s HTTP, with the DynamoDB
requests it makes and the capacity it consumes as DynamoDB Local reports it. The tenant grows
between sizes (seeded as the create paths write, list entries and counters included), so every
size is measured in the same run against the same engine. Results go to bench/results/lists.json."""

import statistics
import uuid
from collections.abc import Callable
from typing import Any

from bench.http import Client, local_server
from bench.latency import Caller, percentiles
from bench.seeding import Seeder
from local.stack import FunctionHost
from shared.clock import sortable_now, utc_now
from shared.repository.courses import CourseRepository
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.metering import CapacityMeter
from shared.repository.tracking import TrackingRepository

COURSE_SIZES = (100, 1_000, 10_000)
ENROLLMENT_SIZES = (1_000, 10_000, 100_000)
COURSES_ENROLLED_IN = 100  # the enrollments' courses: 1,000 a course at the largest size
LEARNER_SIZES = (100, 1_000, 10_000)  # of one course, for its report
TRACK_STATUSES = ("incomplete", "in_progress", "completed")
SAMPLES, HTTP_SAMPLES, WARM_UP = 40, 30, 20
# Target: page 1 at the largest size costs at most this much more than at the smallest.
TARGET = 1.5


def _grow_courses(tenant: str, count: int) -> None:
    courses = CourseRepository(tenant)
    now = utc_now()
    with Seeder(tenant) as seeder:
        for index in range(count):
            course_id = str(uuid.uuid4())
            seeder.save(
                courses.new_course(
                    course_id, sortable_now(), title=f"Course {index}", alias=f"c-{course_id}",
                    short_description="A course of the catalogue. " * 8, status=("published", "draft")[index % 2],
                    featured=index % 5 == 0, free=index % 3 == 0, created_by="bench", created_at=now,
                )
            )  # fmt: skip


def _grow_enrollments(tenant: str, course_ids: list[str], count: int, first: int) -> None:
    enrollments = EnrollmentRepository(tenant)
    now = utc_now()
    summary = {"title": "Course", "short_description": "A course.", "description": None, "image": None,
               "start_datetime": None, "end_datetime": None}  # fmt: skip
    with Seeder(tenant) as seeder:
        for index in range(first, first + count):
            seeder.save(
                enrollments.new_enrollment(
                    course_ids[index % len(course_ids)], f"learner-{index}", str(uuid.uuid4()), sortable_now(),
                    enrolled_on_time=now, status=("active", "completed", "pending")[index % 3], course=summary,
                    enrolled_by="bench", enrolled_at=now,
                )
            )  # fmt: skip


def _grow_learners(tenant: str, course_id: str, count: int, first: int) -> None:
    """Learners of one course: each enrolled (a third each active, completed, pending), and two in
    three with a course track (listed, as every track write lists it), of each status in turn."""
    enrollments, tracking = EnrollmentRepository(tenant), TrackingRepository(tenant)
    now = utc_now()
    summary = {"title": "Course", "short_description": "A course.", "description": None, "image": None,
               "start_datetime": None, "end_datetime": None}  # fmt: skip
    with Seeder(tenant) as seeder:
        if first == 0:
            seeder.save(CourseRepository(tenant).new_course(
                course_id, sortable_now(), title="Reported", alias=f"c-{course_id}", short_description="A course.",
                status="published", featured=False, free=False, created_by="bench", created_at=now,
            ))  # fmt: skip
        for index in range(first, first + count):
            user = f"learner-{index}"
            seeder.save(
                enrollments.new_enrollment(
                    course_id, user, str(uuid.uuid4()), sortable_now(), enrolled_on_time=now,
                    status=("active", "completed", "pending")[index % 3], course=summary,
                    enrolled_by="bench", enrolled_at=now,
                )
            )  # fmt: skip
            if index % 3:
                seeder.save(
                    tracking.new_track(
                        course_id, user, str(uuid.uuid4()), start_datetime=now, no_of_lessons=20,
                        completed_lessons=index % 21, status=TRACK_STATUSES[index % 3], listed=True,
                        last_accessed_date=now, created_by="bench", created_at=now,
                    )
                )  # fmt: skip


def _case(name: str, size: int, caller: Caller, path: str, query: dict[str, str]) -> dict[str, Any]:
    """The case in this process: timings, requests and capacity (of one more call)."""
    for _ in range(WARM_UP):  # the first size's cases also warm DynamoDB Local's JIT up
        caller.time("GET", path, query)
    timings = [caller.time("GET", path, query) for _ in range(SAMPLES)]
    with CapacityMeter() as meter:
        caller.time("GET", path, query)
    return {
        "case": name,
        "size": size,
        "query": query,
        **percentiles([timing.wall_ms for timing in timings]),
        **percentiles([timing.cpu_ms for timing in timings], prefix="cpu_"),
        "requests": [operation for operation, _ in meter.calls],
        "capacity_units": meter.units,
    }


def _over_http(rows: list[dict[str, Any]], clients: dict[str, Client], paths: dict[str, str]) -> None:
    """Each case again over HTTP, on a kept-alive connection."""
    for row in rows:
        client = clients[row["case"].split(",")[0]]
        path = paths[row["case"].split(",")[0]] + "?" + "&".join(f"{k}={v}" for k, v in row["query"].items())
        for _ in range(WARM_UP):
            client.get(path)
        samples = [client.get(path).milliseconds for _ in range(HTTP_SAMPLES)]
        row["http_median_ms"] = round(statistics.median(samples), 2)


def run() -> dict[str, Any]:
    host = FunctionHost()
    courses_tenant, enrollments_tenant = f"bench-lists-{uuid.uuid4()}", f"bench-enrollments-{uuid.uuid4()}"
    admin = Caller(host, courses_tenant, "admin", "bench-admin")
    staff = Caller(host, enrollments_tenant, "admin", "bench-admin")
    rows: list[dict[str, Any]] = []
    seeded = 0
    for size in COURSE_SIZES:
        _grow_courses(courses_tenant, size - seeded)
        seeded = size
        for page in ("1", "10"):
            rows.append(_case(f"courses, page {page}", size, admin, "/api/courses", {"page": page, "limit": "10"}))
        rows.append(_case("courses, published and featured, page 1", size, admin, "/api/courses",
                          {"status": "published", "featured": "true", "limit": "10"}))  # fmt: skip
    course_ids = [str(uuid.uuid4()) for _ in range(COURSES_ENROLLED_IN)]
    seeded = 0
    for size in ENROLLMENT_SIZES:
        _grow_enrollments(enrollments_tenant, course_ids, size - seeded, seeded)
        seeded = size
        cases: list[tuple[str, dict[str, str]]] = [
            ("enrollments, page 1", {"limit": "10"}),
            ("enrollments, page 10", {"page": "10", "limit": "10"}),
            ("enrollments, active, page 1", {"status": "active", "limit": "10"}),
            ("enrollments, of a course, page 1", {"courseId": course_ids[0], "limit": "10"}),
            ("enrollments, of a user", {"userId": "learner-7"}),
        ]
        rows += [_case(name, size, staff, "/api/enrollments", query) for name, query in cases]
    reported_tenant, reported_course = f"bench-report-{uuid.uuid4()}", str(uuid.uuid4())
    instructor = Caller(host, reported_tenant, "instructor", "bench-instructor")
    report = f"/api/courses/{reported_course}/report"
    seeded = 0
    for size in LEARNER_SIZES:
        _grow_learners(reported_tenant, reported_course, size - seeded, seeded)
        seeded = size
        cases = [
            ("report, page 1", {"limit": "10"}),
            ("report, page 10", {"page": "10", "limit": "10"}),
            ("report, active, page 1", {"status": "active", "limit": "10"}),
            ("report, trackStatus in_progress, page 1", {"trackStatus": "in_progress", "limit": "10"}),
        ]
        rows += [_case(name, size, instructor, report, query) for name, query in cases]
    with local_server() as (address, port):
        clients = {
            "courses": Client(address, port, admin.token),
            "enrollments": Client(address, port, staff.token),
            "report": Client(address, port, instructor.token),
        }
        _over_http(rows, clients, {"courses": "/api/courses", "enrollments": "/api/enrollments", "report": report})
    return {"rows": rows, "ratios": _ratios(rows), "target": TARGET}


def _ratios(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Page 1 at the largest size over the same at the smallest, for each case measured at both."""

    def ratio(case: str, key: Callable[[dict[str, Any]], float]) -> float:
        sizes = sorted((row for row in rows if row["case"] == case), key=lambda row: row["size"])
        return round(key(sizes[-1]) / key(sizes[0]), 2)

    cases = sorted({row["case"] for row in rows if "page 1" in row["case"] or "of a user" in row["case"]})
    return {
        case: {
            "median": ratio(case, lambda row: row["median_ms"]),
            "http_median": ratio(case, lambda row: row["http_median_ms"]),
            "capacity": ratio(case, lambda row: row["capacity_units"]),
        }
        for case in cases
    }
