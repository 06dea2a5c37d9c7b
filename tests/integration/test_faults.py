"""Faults of DynamoDB answered as faults (issue 17), on DynamoDB Local behind a fault-injecting
proxy (tests/support/faults.py): a dependency that cannot be reached, times out or keeps
throttling is a 503 in the envelope with `Retry-After`, never a 500; and under a mixed workload
with a share of every fault, every write answered 2xx is stored and nothing derived (list
counters, course-track totals, tree documents) is left half-written."""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff
from pynamodb.connection.base import Connection
from pynamodb.exceptions import CancellationReason, VerboseClientError

from shared import faults
from shared.repository.base import LmsItem
from shared.repository.items import CourseTrackItem, Keys, LessonLinkItem, ModuleItem, PassedLesson
from shared.repository.trees import TreeRepository
from shared.services.changes import CONTENDED_ATTEMPTS
from tests.conftest import reset_aws_clients
from tests.support.api import Api, ApiResponse
from tests.support.faults import FAULTS, FaultProxy
from tests.support.lists import assert_lists_match_items, tenant_items
from tests.support.samples import PNG

pytestmark = pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)

# The clients' read timeout is cut so a held request costs little time; the proxy holds one
# longer than that.
READ_TIMEOUT, HELD = 0.5, 0.8


@pytest.fixture
def proxy(backend: str, api: Api) -> Iterator[FaultProxy]:
    """The functions' DynamoDB endpoint (the table's and the idempotency records') behind the
    proxy, letting everything through until a test sets `share`."""
    with FaultProxy.running(backend, share=0.0, delay_seconds=HELD) as proxy, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DYNAMODB_ENDPOINT", proxy.url)
        patch.setattr(LmsItem.Meta, "read_timeout_seconds", READ_TIMEOUT)
        patch.setattr(faults, "READ_TIMEOUT_SECONDS", READ_TIMEOUT)
        # botocore waits up to 1 s, then 2 s, before trying again: a twentieth of that here.
        backoff = ExponentialBackoff.delay_amount
        patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: backoff(self, context) / 20)
        reset_aws_clients()
        try:
            yield proxy
        finally:
            reset_aws_clients()
    reset_aws_clients()


def assert_unavailable(response: ApiResponse, operation_id: str) -> None:
    assert (response.status, response.err) == (503, "SERVICE_UNAVAILABLE"), response.body
    assert response.body["id"] == operation_id
    assert response.body["result"] is None
    assert response.headers["Retry-After"] == str(faults.RETRY_AFTER_SECONDS)
    assert "try again" in response.errmsg


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_database_nothing_listens_on_is_503_with_retry_after(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    course_id = api.create_course()["courseId"]
    monkeypatch.setenv("DYNAMODB_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    reset_aws_clients()
    try:
        assert_unavailable(api.call("GET", "/api/courses"), "api.course.list")
        assert_unavailable(api.call("GET", f"/api/courses/{course_id}/details"), "api.course.details")
        assert_unavailable(api.call("POST", "/api/courses", json_body={"title": "Lost"}), "api.course.create")
        # With an Idempotency-Key, the idempotency record's store is the first to fail.
        keyed = api.call("POST", "/api/courses", json_body={"title": "Lost"}, headers={"Idempotency-Key": "k-1"})
        assert_unavailable(keyed, "api.course.create")
    finally:
        monkeypatch.undo()
        reset_aws_clients()
    assert api.call("GET", "/api/courses").result["count"] == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_every_fault_that_outlasts_the_retries_is_503(api: Api, proxy: FaultProxy, fault: str) -> None:
    course_id = api.create_course(status="published")["courseId"]
    proxy.kinds, proxy.share = (fault,), 1.0

    assert_unavailable(api.call("GET", f"/api/courses/{course_id}"), "api.course.get")
    assert_unavailable(api.call("PUT", f"/api/courses/{course_id}", json_body={"title": "x"}), "api.course.update")
    assert proxy.injected[fault] >= faults.ATTEMPTS  # botocore tried each call again before giving up


def test_a_fault_now_and_then_is_retried_unseen(api: Api, proxy: FaultProxy) -> None:
    course_id = api.create_course(status="published")["courseId"]
    proxy.share = 0.2
    answers = [api.call("GET", f"/api/courses/{course_id}").status for _ in range(30)]
    assert sum(proxy.injected.values()) > 0
    assert set(answers) <= {200, 503}
    assert answers.count(200) >= 25  # a fault a call is retried away; only three in a row show


@dataclass
class Ledger:
    """What the service acknowledged (2xx) during the workload, and every answer it gave."""

    courses: list[str] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)  # module -> course
    lessons: list[str] = field(default_factory=list)
    links: set[tuple[str, str, str]] = field(default_factory=set)  # course, module, lesson
    enrollments: dict[tuple[str, str], str] = field(default_factory=dict)  # (course, user) -> id
    tracks: set[tuple[str, str]] = field(default_factory=set)
    passed: set[tuple[str, str, str]] = field(default_factory=set)  # course, user, lesson
    answers: list[ApiResponse] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, api: Api, method: str, path: str, body: dict[str, Any] | None = None) -> ApiResponse | None:
        """The answer if it was 2xx, else None (it must be a refusal the fault explains)."""
        answer = api.call(method, path, json_body=body if body is not None else ({} if method != "GET" else None))
        with self.lock:
            self.answers.append(answer)
        return answer if answer.status < 300 else None


def learner_work(api: Api, ledger: Ledger, course_id: str, user: str) -> None:
    learner = api.as_("learner", user=user)
    if ledger.call(learner, "POST", f"/api/courses/{course_id}/tracking") is not None:
        with ledger.lock:
            ledger.tracks.add((course_id, user))
    for course, _, lesson_id in sorted(ledger.links):
        if course != course_id:
            continue
        body = {"courseId": course_id, "totalContent": 10}
        if ledger.call(learner, "POST", f"/api/lessons/{lesson_id}/tracking", body) is None:
            continue
        done = ledger.call(learner, "PUT", f"/api/lessons/{lesson_id}/tracking/complete", {"score": 8})
        if done is not None:
            with ledger.lock:
                ledger.passed.add((course_id, user, lesson_id))
    ledger.call(learner, "GET", f"/api/courses/{course_id}/tracking/details")


def workload(api: Api, ledger: Ledger) -> None:
    """Courses with modules and linked lessons, learners enrolled in each, then every learner at
    once: a course track, an attempt at each lesson, passed; a reorder of each course meanwhile."""
    for index in range(3):
        if created := ledger.call(api, "POST", "/api/courses", {"title": f"Course {index}", "status": "published"}):
            ledger.courses.append(created.result["courseId"])
    for course_id in ledger.courses:
        for title in ("First", "Second"):
            module = {"courseId": course_id, "title": title, "status": "published"}
            if created := ledger.call(api, "POST", "/api/modules", module):
                ledger.modules[created.result["moduleId"]] = course_id
        for index in range(3):
            lesson = {"title": f"Lesson {index}", "format": "test", "totalMarks": 10, "passingMarks": 5}
            if created := ledger.call(api, "POST", "/api/lessons", lesson):
                ledger.lessons.append(created.result["lessonId"])
                modules = [module for module, course in ledger.modules.items() if course == course_id]
                if not modules:
                    continue
                module_id, lesson_id = modules[index % len(modules)], created.result["lessonId"]
                path = f"/api/courses/{course_id}/modules/{module_id}/lessons"
                if ledger.call(api, "POST", path, {"lessonId": lesson_id}):
                    ledger.links.add((course_id, module_id, lesson_id))
        for user in ("ann", "ben", "cas"):
            if enrolled := ledger.call(api, "POST", "/api/enrollments", {"courseId": course_id, "userId": user}):
                ledger.enrollments[(course_id, user)] = enrolled.result["enrollmentId"]
    learners = [
        threading.Thread(target=learner_work, args=(api, ledger, course_id, user))
        for course_id, user in ledger.enrollments
    ]
    for thread in learners:
        thread.start()
    for course_id in ledger.courses:
        if tree := ledger.call(api, "GET", f"/api/courses/{course_id}/details"):
            order = {
                "structureVersion": tree.result["structureVersion"],
                "modules": [
                    {"moduleId": module["moduleId"], "lessons": [entry["lessonId"] for entry in module["lessons"]]}
                    for module in reversed(tree.result["modules"])
                ],
            }
            ledger.call(api, "PUT", f"/api/courses/{course_id}/structure", order)
    for thread in learners:
        thread.join()
    ledger.call(api, "GET", "/api/courses")


def test_under_a_mixed_workload_nothing_acknowledged_is_lost_and_nothing_is_half_written(
    api: Api, proxy: FaultProxy
) -> None:
    ledger = Ledger()
    proxy.share = 0.25
    workload(api, ledger)
    proxy.share = 0.0

    assert set(proxy.injected) == set(FAULTS), proxy.injected  # every kind of fault was met
    refusals = [answer for answer in ledger.answers if answer.status >= 300]
    assert {(answer.status, answer.err) for answer in refusals} <= {(409, "CONFLICT"), (503, "SERVICE_UNAVAILABLE")}, [
        (answer.body["id"], answer.errmsg) for answer in refusals if answer.status not in (409, 503)
    ]
    assert all(answer.body["result"] is None and answer.body["id"].startswith("api.") for answer in refusals)
    # The workload got somewhere.
    assert len(ledger.courses) >= 2
    assert ledger.links
    assert ledger.passed

    # Every write answered 2xx is stored.
    for course_id in ledger.courses:
        assert api.call("GET", f"/api/courses/{course_id}").status == 200
    for module_id in ledger.modules:
        assert api.call("GET", f"/api/modules/{module_id}").status == 200
    for lesson_id in ledger.lessons:
        assert api.call("GET", f"/api/lessons/{lesson_id}").status == 200
    for enrollment_id in ledger.enrollments.values():
        assert api.call("GET", f"/api/enrollments/{enrollment_id}").status == 200
    for course_id, user in ledger.tracks:
        assert api.call("GET", f"/api/courses/{course_id}/tracking", query={"userId": user}).status == 200
    for _, user, lesson_id in ledger.passed:
        tracking = api.call("GET", f"/api/lessons/{lesson_id}/tracking", query={"userId": user}).result
        assert tracking["status"] == "completed"

    # Nothing derived is half-written: lists and their counters, course tracks, trees.
    assert_lists_match_items(api.tenant)
    keys, items = Keys(api.tenant), tenant_items(api.tenant)
    links = [item for item in items if isinstance(item, LessonLinkItem)]
    for track in (item for item in items if isinstance(item, CourseTrackItem)):
        counted = {link.lesson_id for link in links if link.course_id == track.course_id}
        passes = {
            item.lesson_id
            for item in items
            if isinstance(item, PassedLesson)
            and item.pk == keys.passed_lessons(track.user_id)
            and item.course_id == track.course_id
        }
        assert passes & counted <= set(track.completed_lesson_ids or set()), track.user_id  # a pass always rolls up
        assert int(track.completed_lessons) == len(set(track.completed_lesson_ids or set()) & counted)
        assert (track.status == "completed") == (int(track.completed_lessons) == int(track.no_of_lessons) > 0)
    for course_id in ledger.courses:
        tree = api.call("GET", f"/api/courses/{course_id}/details").result
        structure = TreeRepository(api.tenant).read_structure(course_id)
        shown_links = {
            (module["moduleId"], entry["lessonId"]) for module in tree["modules"] for entry in module["lessons"]
        }
        assert {module["moduleId"] for module in tree["modules"]} == {
            item.module_id for item in structure if isinstance(item, ModuleItem)
        }
        assert shown_links == {
            (item.module_id, item.lesson_id) for item in structure if isinstance(item, LessonLinkItem)
        }
    assert {(c, m, lesson) for c, m, lesson in ledger.links} <= {
        (link.course_id, link.module_id, link.lesson_id) for link in links
    }


def test_an_issuer_or_storage_nothing_listens_on_is_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    token = api.token()  # minted here: only the service's fetch of the issuer's keys is cut off
    unreachable = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("JWKS_URL", f"{unreachable}/.well-known/jwks.json")
    reset_aws_clients()
    assert_unavailable(api.call("GET", "/api/courses", token=token), "api.course.list")

    monkeypatch.undo()
    monkeypatch.setenv("S3_ENDPOINT", unreachable)
    reset_aws_clients()
    try:
        inline = api.call("POST", "/api/media", form={"format": "image", "file": ("cover.png", PNG, "image/png")})
        assert_unavailable(inline, "api.media.upload")
    finally:
        monkeypatch.undo()
        reset_aws_clients()


def test_a_conflict_that_outlasts_the_retries_is_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB cancels a transaction that meets another on an item (a list's counter); one that
    keeps meeting others is tried a bounded number of times, then refused as 409, never 500."""
    dispatch, tried = Connection.dispatch, []

    def always_conflicting(connection: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            tried.append(operation)
            reasons = [CancellationReason(code="TransactionConflict")] * len(kwargs["TransactItems"])
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}}
            raise VerboseClientError(error, operation, cancellation_reasons=reasons)
        return dispatch(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", always_conflicting)
    refused = api.call("POST", "/api/courses", json_body={"title": "Contended"})

    assert (refused.status, refused.err) == (409, "CONFLICT"), refused.body
    assert "send the request again" in refused.errmsg
    assert 1 < len(tried) <= CONTENDED_ATTEMPTS
    monkeypatch.undo()
    assert api.call("GET", "/api/courses").result["count"] == 0
