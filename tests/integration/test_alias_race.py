"""Simultaneous creates with the same alias: one 201, the rest 409, on the real engine.

Each create runs the service and its transaction in its own thread, as two Lambda environments
would (one handler module cannot serve two requests at once); a barrier lines their writes up."""

import threading
import uuid

import pytest

from shared.auth import Principal, Role
from shared.errors import Conflict
from shared.repository.courses import CourseRepository
from shared.repository.items import AliasClaim
from shared.schemas.courses import CourseCreate
from shared.services import courses
from tests.support.api import Api

RACERS = 8


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_creates_with_one_alias_give_one_201_and_409s(api: Api) -> None:
    caller = Principal(api.user, api.tenant, frozenset({Role.ADMIN}))
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def create() -> None:
        body = CourseCreate.model_validate({"title": "Race", "alias": "race-alias"})
        barrier.wait(timeout=10)
        try:
            courses.create_course(caller, body)
            outcomes.append("201")
        except Conflict:
            outcomes.append("409")

    threads = [threading.Thread(target=create) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["201"] + ["409"] * (RACERS - 1)
    listed = api.call("GET", "/api/courses").result
    assert listed["count"] == 1
    claim = AliasClaim.get(CourseRepository(api.tenant).keys.alias("race-alias"), "#ALIAS", consistent_read=True)
    assert claim.course_id == listed["courses"][0]["courseId"]
    assert uuid.UUID(claim.course_id)
