"""The instructor's report (`GET /api/courses/{id}/report`), on both engines: a row per learner with
their enrollment and track, by the page with an exact count, filtered by enrollment or track
status, as JSON or CSV; its requests the same for a course of 5 learners and of 60."""

import csv
import io
from typing import Any

import pytest

from shared.repository.metering import RequestCounter
from tests.support.api import Api


@pytest.fixture
def course(api: Api) -> dict[str, Any]:
    """A published course of two lessons and five learners: `fresh` (not started), `halfway` (one
    lesson passed), `done` (both), `lapsed` (ended), `gone` (cancelled)."""
    course_id = api.create_course(status="published")["courseId"]
    lessons = [api.create_lesson(title=f"L{index}")["lessonId"] for index in range(2)]
    for lesson_id in lessons:
        api.add_lesson(course_id, None, lesson_id)
    enrollments = {}
    for user in ("fresh", "halfway", "done", "lapsed", "gone"):
        enrollments[user] = api.enroll(course_id, user).result["enrollmentId"]
    for user, passed in (("halfway", 1), ("done", 2), ("lapsed", 0)):
        learner = api.as_("learner", user=user)
        assert learner.call("POST", f"/api/courses/{course_id}/tracking", json_body={}).status == 201
        for lesson_id in lessons[:passed]:
            learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={"courseId": course_id})
            learner.call("PUT", f"/api/lessons/{lesson_id}/tracking/complete", json_body={"score": 0})
    api.call("PUT", f"/api/enrollments/{enrollments['lapsed']}", json_body={"endTime": "2024-01-01T00:00:00Z"})
    api.call("DELETE", f"/api/enrollments/{enrollments['gone']}")
    return {"id": course_id, "enrollments": enrollments}


def report(api: Api, course_id: str, **query: str) -> Any:
    return api.call("GET", f"/api/courses/{course_id}/report", query=query)


def test_every_learner_has_a_row_with_their_enrollment_and_track(api: Api, course: dict[str, Any]) -> None:
    answer = report(api, course["id"], limit="100")

    assert answer.status == 200, answer.body
    assert answer.body["id"] == "api.course.report"
    assert answer.result["count"] == 4  # all but the cancelled one
    rows = {row["userId"]: row for row in answer.result["learners"]}
    assert set(rows) == {"fresh", "halfway", "done", "lapsed"}
    assert rows["fresh"] == {
        "userId": "fresh",
        "enrollmentId": course["enrollments"]["fresh"],
        "enrollmentStatus": "active",
        "endTime": None,
        "trackStatus": None,
        "completedLessons": 0,
        "noOfLessons": 0,
        "progress": 0,
        "lastAccessedDate": None,
        "certGenDate": None,
    }
    assert (rows["halfway"]["trackStatus"], rows["halfway"]["completedLessons"], rows["halfway"]["progress"]) == (
        "in_progress",
        1,
        50,
    )
    assert rows["done"]["trackStatus"] == "completed"
    assert rows["done"]["certGenDate"] is not None
    assert (rows["lapsed"]["enrollmentStatus"], rows["lapsed"]["endTime"]) == ("expired", "2024-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("query", "users"),
    [
        ({"status": "active"}, {"fresh", "halfway", "done"}),
        ({"status": "expired"}, {"lapsed"}),
        ({"status": "cancelled"}, {"gone"}),
        ({"trackStatus": "in_progress"}, {"halfway"}),
        ({"trackStatus": "completed"}, {"done"}),
        ({"trackStatus": "incomplete"}, {"lapsed"}),
    ],
)
def test_the_report_is_filtered_by_enrollment_or_track_status(
    api: Api, course: dict[str, Any], query: dict[str, str], users: set[str]
) -> None:
    result = report(api, course["id"], **query).result
    assert result["count"] == len(users)
    assert {row["userId"] for row in result["learners"]} == users


def test_the_report_comes_by_the_page_with_an_exact_count(api: Api, course: dict[str, Any]) -> None:
    pages = [report(api, course["id"], page=str(page), limit="3").result for page in (1, 2, 3)]
    assert [page["count"] for page in pages] == [4, 4, 4]
    assert [len(page["learners"]) for page in pages] == [3, 1, 0]
    assert len({row["userId"] for page in pages for row in page["learners"]}) == 4
    both = report(api, course["id"], status="active", trackStatus="completed")
    assert (both.status, both.err) == (400, "INVALID_REQUEST")
    assert report(api, course["id"], trackStatus="started").status == 400  # not a track status


def test_the_same_rows_come_as_csv(api: Api, course: dict[str, Any]) -> None:
    answer = api.call(
        "GET", f"/api/courses/{course['id']}/report", query={"limit": "100"}, headers={"Accept": "text/csv"}
    )
    json_rows = report(api, course["id"], limit="100").result["learners"]

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["X-Total-Count"] == "4"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["userId"] for row in rows] == [row["userId"] for row in json_rows]
    assert list(rows[0]) == list(json_rows[0])
    assert rows[0]["certGenDate"] in ("", json_rows[0]["certGenDate"])
    # Errors stay in the envelope.
    missing = api.call(
        "GET", "/api/courses/3fa85f64-5717-4562-b3fc-2c963f66afa6/report", headers={"Accept": "text/csv"}
    )
    assert (missing.status, missing.err) == (404, "RESOURCE_NOT_FOUND")


def test_only_staff_read_the_report_and_only_their_tenants(api: Api, course: dict[str, Any]) -> None:
    assert report(api.as_("learner", user="done"), course["id"]).status == 403
    assert report(api.as_("instructor"), course["id"]).status == 200
    assert report(api.as_("admin", tenant="another-tenant"), course["id"]).status == 404


def test_a_pages_requests_do_not_grow_with_the_course(api: Api) -> None:
    operations = []
    for learners in (5, 60):
        course_id = api.create_course(status="published")["courseId"]
        for index in range(learners):
            api.enroll(course_id, f"learner-{index}")
            if index % 2:
                api.call("POST", f"/api/courses/{course_id}/tracking", json_body={"userId": f"learner-{index}"})
        for query in ({}, {"status": "active"}, {"trackStatus": "incomplete"}):
            with RequestCounter() as counter:
                answer = report(api, course_id, **query)
            assert answer.status == 200
            assert answer.result["count"] == (learners if "trackStatus" not in query else learners // 2)
            operations.append(counter.operations)
    small, large = operations[:3], operations[3:]
    assert small == large
    # The list's page, its enrollments, then the course and the rows' tracks (or enrollments).
    assert small[0] == ["Query", "BatchGetItem", "BatchGetItem"]
    assert small[1] == ["Query", "Query", "BatchGetItem", "BatchGetItem"]  # active: the due list too
    assert small[2] == ["Query", "BatchGetItem"]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_comes_as_text(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    for user in ("=HYPERLINK(evil)", "x;=cmd|' /C calc'!A0", "plain"):
        assert api.enroll(course_id, user).status == 201
    answer = api.call("GET", f"/api/courses/{course_id}/report", headers={"Accept": "text/csv"})

    assert answer.status == 200
    rows = list(csv.reader(io.StringIO(answer.text)))
    users = {row[0] for row in rows[1:]}
    assert users == {"'=HYPERLINK(evil)", "x;=cmd|' /C calc'!A0", "plain"}
    # Every cell quoted, so a spreadsheet that splits on `;` keeps `x;=cmd…` whole.
    assert all(line.startswith('"') for line in answer.text.splitlines())
    assert "\"x;=cmd|' /C calc'!A0\"" in answer.text


@pytest.mark.parametrize(
    ("accept", "csv_answer"),
    [
        ("text/csv", True),
        ("text/csv, application/json", True),
        ("application/json, text/csv", False),
        ("application/json;q=0.1, text/csv", True),
        ("text/csv;q=0", False),
        ("text/csv;q=nonsense", False),
        ("*/*", False),
        (";;,=q", False),
    ],
)
def test_csv_is_sent_when_accept_prefers_it(api: Api, course: dict[str, Any], accept: str, csv_answer: bool) -> None:
    answer = api.call("GET", f"/api/courses/{course['id']}/report", headers={"Accept": accept})
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/csv" if csv_answer else "application/json")
