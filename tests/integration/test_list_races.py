"""Twenty simultaneous creates, deletes and status changes on the real engine leave every list's
count exact: each counter equals its entries, and the entries are what the items make them.

Each request runs the service in its own thread, as separate Lambda environments would (one
handler module cannot serve two requests at once); a barrier lines their writes up, so they
meet on the counters of the tenant's lists."""

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from pynamodb.connection.base import Connection
from pynamodb.exceptions import CancellationReason, VerboseClientError

from shared.auth import Principal, Role
from shared.schemas.courses import CourseCreate, CourseUpdate
from shared.schemas.enrollments import EnrollmentCreate, EnrollmentUpdate
from shared.services import courses, enrollments
from tests.support.api import Api
from tests.support.lists import assert_lists_match_items

RACERS = 20


@pytest.fixture(params=["as the engine serves them", "every other transaction conflicting"])
def conflicts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB Local runs transactions one at a time and never cancels one for a conflict, as
    DynamoDB does when another transaction holds an item (a list's counter, here). The second
    case answers every other TransactWriteItems with DynamoDB's TransactionConflict first."""
    if request.param.startswith("as the engine"):
        return
    dispatch, calls = Connection.dispatch, itertools.count()

    def conflicting(connection: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems" and next(calls) % 2 == 0:
            reasons = [CancellationReason(code="TransactionConflict")] * len(kwargs["TransactItems"])
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}}
            raise VerboseClientError(error, operation, cancellation_reasons=reasons)
        return dispatch(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", conflicting)


def race(work: list[Callable[[], object]]) -> list[BaseException]:
    """Run each at once, in threads; the errors they raised."""
    barrier, errors = threading.Barrier(len(work)), []

    def run(task: Callable[[], object]) -> None:
        barrier.wait(timeout=30)
        try:
            task()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(task,)) for task in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_course_writes_leave_every_count_exact(api: Api, conflicts: None) -> None:
    caller = Principal(api.user, api.tenant, frozenset({Role.ADMIN}))
    existing = [api.create_course(status="draft", featured=bool(index % 2))["courseId"] for index in range(14)]

    def create(index: int) -> Callable[[], object]:
        body = CourseCreate.model_validate({"title": f"New {index}", "status": "published", "free": True})
        return lambda: courses.create_course(caller, body)

    def publish(course_id: str) -> Callable[[], object]:
        return lambda: courses.update_course(caller, course_id, CourseUpdate.model_validate({"status": "published"}))

    def delete(course_id: str) -> Callable[[], object]:
        return lambda: courses.delete_course(caller, course_id)

    work = (
        [create(index) for index in range(7)] + [publish(c) for c in existing[:7]] + [delete(c) for c in existing[7:13]]
    )
    assert len(work) == RACERS

    assert race(work) == []
    counts = assert_lists_match_items(api.tenant)
    assert api.call("GET", "/api/courses").result["count"] == 14 + 7 - 6
    for query, expected in (({"status": "published"}, 14), ({"status": "draft"}, 1), ({"free": "true"}, 7)):
        assert api.call("GET", "/api/courses", query=query).result["count"] == expected
    assert sum(counts.values()) == 8 * 15  # every course is in 8 lists


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_enrollment_writes_leave_every_count_exact(api: Api, conflicts: None) -> None:
    caller = Principal(api.user, api.tenant, frozenset({Role.ADMIN}))
    course_ids = [api.create_course(status="published")["courseId"] for _ in range(2)]
    existing = [api.enroll(course_ids[index % 2], f"old-{index}").result["enrollmentId"] for index in range(12)]

    def enroll(index: int) -> Callable[[], object]:
        body = EnrollmentCreate.model_validate({"courseId": course_ids[index % 2], "userId": f"new-{index}"})
        return lambda: enrollments.enroll(caller, body)

    def change(enrollment_id: str, status: str) -> Callable[[], object]:
        body = EnrollmentUpdate.model_validate({"status": status})
        return lambda: enrollments.update_enrollment(caller, enrollment_id, body)

    def cancel(enrollment_id: str) -> Callable[[], object]:
        return lambda: enrollments.cancel_enrollment(caller, enrollment_id)

    work = (
        [enroll(index) for index in range(8)]
        + [change(e, "completed") for e in existing[:4]]
        + [change(e, "extended") for e in existing[4:8]]
        + [cancel(e) for e in existing[8:12]]
    )
    assert len(work) == RACERS

    assert race(work) == []
    assert_lists_match_items(api.tenant)
    expected = {None: 16, "active": 8, "completed": 4, "extended": 4, "cancelled": 4}
    for status, count in expected.items():
        query = {"status": status} if status else {}
        assert api.call("GET", "/api/enrollments", query=query).result["count"] == count, status
        for course_id in course_ids:
            assert api.call("GET", "/api/enrollments", query={**query, "courseId": course_id}).result["count"] == (
                count // 2
            )
