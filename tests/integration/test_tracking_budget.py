"""The DynamoDB requests of each tracking endpoint (docs/DATA-MODEL.md), counted on both engines:
reads are one request; writes read what their rules need, then write once (one transaction for
a completion and its roll-up). A learner's lesson writes also read the lesson's placements (its
link pointers, then its links, course and module with their enrollment) to check access."""

from shared.repository.metering import RequestCounter
from tests.support.api import Api


def requests_made(
    caller: Api, method: str, path: str, query: dict[str, str] | None = None, **body: object
) -> list[str]:
    with RequestCounter() as counter:
        response = caller.call(method, path, json_body=body if method != "GET" else None, query=query)
    assert response.status < 300, response.body
    return counter.operations


def test_tracking_requests(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    lessons = [api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"] for _ in range(2)]
    for lesson_id in lessons:
        api.add_lesson(course_id, None, lesson_id)
    learner = api.as_("learner")
    api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": learner.user})
    course = f"/api/courses/{course_id}/tracking"
    lesson = f"/api/lessons/{lessons[0]}/tracking"

    # A track is written with its entry in its course's list of tracks of its status.
    assert requests_made(learner, "POST", course) == ["BatchGetItem", "Query", "Query", "TransactWriteItems"]
    # The track, the course and the enrollment (access) in one batch.
    assert requests_made(learner, "PUT", course, status="in_progress") == [
        "BatchGetItem",
        "Query",
        "TransactWriteItems",
    ]
    assert requests_made(learner, "GET", course) == ["BatchGetItem"]
    # An attempt in a course is written with its copy in the user's progress for the course.
    written = "TransactWriteItems"
    assert requests_made(learner, "POST", lesson, totalContent=10) == ["Query", "BatchGetItem", "Query", written]
    placements = ["Query", "BatchGetItem"]
    assert requests_made(learner, "PUT", lesson, currentPosition=5) == ["Query", *placements, written]
    assert requests_made(learner, "PUT", lesson, attempt=1, timeSpent=5) == ["GetItem", *placements, written]
    # Passing: the attempts, the placements with the course track, the course's links, one transaction.
    assert requests_made(learner, "PUT", f"{lesson}/complete", score=8) == [
        "Query",
        *placements,
        "Query",
        "TransactWriteItems",
    ]
    assert requests_made(learner, "GET", lesson) == ["Query"]
    assert requests_made(learner, "GET", lesson, query={"attempt": "1"}) == ["GetItem"]
    assert requests_made(learner, "GET", f"/api/users/{learner.user}/lessons/{lessons[0]}/tracking") == ["Query"]
    learner.call("POST", f"/api/lessons/{lessons[1]}/tracking", json_body={})
    # Failing: nothing to roll up.
    assert requests_made(learner, "PUT", f"/api/lessons/{lessons[1]}/tracking/complete", score=1) == [
        "Query",
        *placements,
        "TransactWriteItems",
    ]
    assert requests_made(api, "PUT", f"{course}/complete", userId=learner.user) == [
        "BatchGetItem",
        "Query",
        "TransactWriteItems",
    ]
    # Staff need no access: their lesson writes read no placements.
    second = f"/api/lessons/{lessons[1]}/tracking"
    api.call("POST", second, json_body={"userId": learner.user})
    assert requests_made(api, "PUT", second, userId=learner.user, timeSpent=9) == ["Query", written]
