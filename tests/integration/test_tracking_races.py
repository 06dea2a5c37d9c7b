"""Simultaneous tracking writes on the real engine (DynamoDB Local): one attempt per number, and
every lesson completed at once still counted exactly once, with one `course.completed`.

Each request runs the service in its own thread, as separate Lambda environments would; a
barrier lines them up."""

import threading
from collections.abc import Callable

import pytest

from shared.auth import Principal, Role
from shared.errors import ApiError
from shared.schemas.tracking import LessonTrackComplete, LessonTrackStart
from shared.services import lesson_tracking
from tests.support.api import Api
from tests.support.stream import Stream

LESSONS = 8


def race(work: Callable[[int], object], racers: int) -> list[int]:
    """Run `work(i)` in `racers` threads at once; the HTTP status each would answer."""
    barrier, outcomes = threading.Barrier(racers), []

    def run(index: int) -> None:
        barrier.wait(timeout=10)
        try:
            work(index)
            outcomes.append(200)
        except ApiError as error:
            outcomes.append(int(error.status))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def learner_of(api: Api, course_id: str) -> tuple[Api, Principal]:
    learner = api.as_("learner")
    assert api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": learner.user}).status == 201
    return learner, Principal(learner.user, api.tenant, frozenset({Role.LEARNER}))


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_starts_of_one_attempt_number_give_one_attempt(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    lesson_id = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, None, lesson_id)
    learner, caller = learner_of(api, course_id)
    body = LessonTrackStart.model_validate({"attempt": 1})

    outcomes = race(lambda _: lesson_tracking.start_lesson_tracking(caller, lesson_id, body), racers=8)

    assert outcomes == [200] + [409] * 7
    history = learner.call("GET", f"/api/users/{learner.user}/lessons/{lesson_id}/tracking").result
    assert [attempt["attempt"] for attempt in history["attempts"]] == [1]


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_completions_of_every_lesson_count_each_once(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published")["courseId"]
    lessons = [api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"] for _ in range(LESSONS)]
    for lesson_id in lessons:
        api.add_lesson(course_id, None, lesson_id)
    learner, caller = learner_of(api, course_id)
    assert learner.call("POST", f"/api/courses/{course_id}/tracking", json_body={}).status == 201
    for lesson_id in lessons:
        assert learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={}).status == 201
    body = LessonTrackComplete.model_validate({"score": 8})

    outcomes = race(lambda index: lesson_tracking.complete_lesson_tracking(caller, lessons[index], body), LESSONS)

    assert outcomes == [200] * LESSONS
    track = learner.call("GET", f"/api/courses/{course_id}/tracking").result
    assert (track["completedLessons"], track["noOfLessons"], track["progress"], track["status"]) == (
        LESSONS,
        LESSONS,
        100,
        "completed",
    )
    stream.project()
    assert len(stream.published("course.completed")) == 1
