"""Lists by the page: for every filter and combination of filters the contract lists, `count` is
exact and agrees with the pages; each list's entries and counter are what its items make them,
after creates, updates and deletes; and a page costs what the page costs, whatever the tenant holds."""

import itertools
import uuid
from typing import Any

import pytest

from shared.clock import sortable_now, utc_now
from shared.repository.courses import CourseRepository, course_entries
from shared.repository.metering import CapacityMeter, RequestCounter
from tests.support.api import Api
from tests.support.lists import assert_lists_match_items

STATUSES = ("published", "unpublished", "draft", "archived")
PAST, FUTURE = "2024-05-31T00:00:00Z", "2031-06-30T00:00:00Z"


def every_page(caller: Api, path: str, query: dict[str, str], key: str, limit: int = 3) -> tuple[int, list[str]]:
    """Every page of a list, `limit` at a time, until one comes back empty: the count each page
    gave (the same on all) and the ids in page order."""
    counts, ids, page = set(), [], 1
    id_key = {"courses": "courseId", "enrollments": "enrollmentId"}[key]
    while True:
        response = caller.call("GET", path, query={**query, "page": str(page), "limit": str(limit)})
        assert response.status == 200, response.body
        counts.add(response.result["count"])
        if not response.result[key]:
            break
        ids += [each[id_key] for each in response.result[key]]
        page += 1
    assert len(counts) == 1, counts
    return counts.pop(), ids


def as_query(filters: dict[str, Any]) -> dict[str, str]:
    return {name: str(value).lower() for name, value in filters.items() if value is not None}


@pytest.fixture
def catalogue(api: Api) -> list[dict[str, Any]]:
    """Twelve courses, every mix of three statuses, featured and free, newest last."""
    made = []
    for status, featured, free in itertools.product(("published", "draft", "archived"), (True, False), (True, False)):
        course = api.create_course(status=status, featured=featured, free=free)
        made.append({"id": course["courseId"], "status": status, "featured": featured, "free": free})
    return made


def matching(courses: list[dict[str, Any]], filters: dict[str, Any]) -> list[str]:
    """The courses a list with `filters` shows, newest first."""
    return [c["id"] for c in reversed(courses) if all(v is None or c[name] == v for name, v in filters.items())]


def test_every_combination_of_course_filters_pages_and_counts_agree(api: Api, catalogue) -> None:
    learner = api.as_("learner")
    for status, featured, free in itertools.product((None, *STATUSES), (None, True, False), (None, True, False)):
        filters = {"status": status, "featured": featured, "free": free}
        assert every_page(api, "/api/courses", as_query(filters), "courses") == (
            len(expected := matching(catalogue, filters)),
            expected,
        ), filters
        # Learners see published courses only: another status is an empty list.
        shown = matching(catalogue, {**filters, "status": "published"}) if status in (None, "published") else []
        assert every_page(learner, "/api/courses", as_query(filters), "courses") == (len(shown), shown), filters
    assert assert_lists_match_items(api.tenant)[CourseRepository(api.tenant).keys.course_list({})] == 12


def test_course_changes_move_it_between_lists(api: Api, catalogue) -> None:
    moved, renamed, deleted = catalogue[4], catalogue[5], catalogue[7]  # drafts: one to be published
    api.call("PUT", f"/api/courses/{moved['id']}", json_body={"status": "published", "featured": False, "free": False})
    api.call("PUT", f"/api/courses/{renamed['id']}", json_body={"title": "Renamed", "shortDescription": "Short"})
    assert api.call("DELETE", f"/api/courses/{deleted['id']}").status == 200
    moved.update(status="published", featured=False, free=False)
    remaining = [course for course in catalogue if course is not deleted]

    for filters in ({}, {"status": "published"}, {"status": "published", "featured": False, "free": False}):
        assert every_page(api, "/api/courses", as_query(filters), "courses") == (
            len(expected := matching(remaining, filters)),
            expected,
        )
    listed = api.call("GET", "/api/courses", query={"limit": "100"}).result["courses"]
    entry = next(c for c in listed if c["courseId"] == renamed["id"])
    assert (entry["title"], entry["shortDescription"]) == ("Renamed", "Short")
    counts = assert_lists_match_items(api.tenant)
    assert counts[CourseRepository(api.tenant).keys.course_list({"status": "published"})] == 5


def test_a_course_list_is_one_query_whatever_the_page_and_filters(api: Api, catalogue) -> None:
    for query in ({}, {"status": "draft", "page": "2", "limit": "1"}, {"featured": "true", "free": "0", "page": "9"}):
        with RequestCounter() as counter:
            assert api.call("GET", "/api/courses", query=query).status == 200
        assert counter.operations == ["Query"]


@pytest.mark.parametrize("value", ["1_0", " 1", "1.0", "+2", "٣", "1" + "0" * 18, "1" + "0" * 5000])
@pytest.mark.parametrize(
    "path", ["/api/courses", "/api/enrollments", "/api/courses/00000000-0000-4000-8000-000000000000/modules"]
)
def test_page_and_limit_are_plain_digits(api: Api, path: str, value: str) -> None:
    for name in ("page", "limit"):
        response = api.call("GET", path, query={name: value})
        assert (response.status, response.err) == (400, "INVALID_REQUEST"), (name, value)
        assert (
            f"query parameter '{name}' must be a whole number from 1, in plain digits (at most 18)" in response.errmsg
        )


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_the_first_page_costs_the_same_whatever_the_tenant_holds(api: Api) -> None:
    """As DynamoDB Local reports capacity: page 1 of 10 among 15 courses, and among 215."""
    repository = CourseRepository(api.tenant)

    def add(count: int) -> None:  # written as the create path writes them, without a request each
        for _ in range(count):
            course = repository.new_course(
                str(uuid.uuid4()), sortable_now(), title="Course", alias=f"c-{uuid.uuid4().hex}",
                status="published", created_by=api.user, created_at=utc_now(),
            )  # fmt: skip
            repository.create(course)

    def first_page() -> float:
        with CapacityMeter() as meter:
            assert len(api.call("GET", "/api/courses", query={"limit": "10"}).result["courses"]) == 10
        assert [name for name, _ in meter.calls] == ["Query"]
        return meter.units

    add(15)
    small = first_page()
    add(200)
    assert first_page() == small
    assert api.call("GET", "/api/courses").result["count"] == 215


@pytest.fixture
def enrollments(api: Api) -> dict[str, Any]:
    """Two courses and four users with an enrollment in every status, one past its end that the
    hourly job has not marked yet, newest last."""
    courses = [api.create_course(status="published", endDatetime=FUTURE)["courseId"] for _ in range(2)]
    made: list[dict[str, Any]] = []
    plan = [
        ("u1", 0, "active"), ("u1", 1, "pending"), ("u2", 0, "completed"), ("u2", 1, "cancelled"),
        ("u3", 0, "extended"), ("u3", 1, "expired"), ("u4", 0, "lapsed"), ("u4", 1, "active"),
    ]  # fmt: skip
    for user, course, status in plan:
        enrollment = api.enroll(courses[course], user).result
        change = {"endTime": PAST} if status == "lapsed" else {"status": status} if status != "active" else {}
        if change:
            response = api.call("PUT", f"/api/enrollments/{enrollment['enrollmentId']}", json_body=change)
            assert response.status == 200, response.body
        shown = "expired" if status == "lapsed" else status
        made.append({"id": enrollment["enrollmentId"], "user": user, "course": courses[course], "status": shown})
    return {"courses": courses, "made": made}


def enrolled(made: list[dict[str, Any]], user: str | None, course: str | None, status: str | None) -> list[str]:
    """The enrollments a list shows, newest first: every status but cancelled unless asked."""
    return [
        each["id"]
        for each in reversed(made)
        if (user is None or each["user"] == user)
        and (course is None or each["course"] == course)
        and (each["status"] == status if status else each["status"] != "cancelled")
    ]


def test_every_combination_of_enrollment_filters_pages_and_counts_agree(api: Api, enrollments) -> None:
    made, courses = enrollments["made"], enrollments["courses"]
    statuses = (None, "pending", "active", "extended", "completed", "expired", "cancelled")
    for user, course, status in itertools.product((None, "u1", "u4"), (None, *courses), statuses):
        query = {name: value for name, value in (("userId", user), ("courseId", course), ("status", status)) if value}
        expected = enrolled(made, user, course, status)
        assert every_page(api, "/api/enrollments", query, "enrollments") == (len(expected), expected), query
    # A learner's own list, with each filter.
    learner = api.as_("learner", user="u4")
    for status in statuses:
        query = {"status": status} if status else {}
        expected = enrolled(made, "u4", None, status)
        assert every_page(learner, "/api/enrollments", query, "enrollments") == (len(expected), expected)
    shown = api.call("GET", "/api/enrollments", query={"userId": "u4", "status": "expired"}).result["enrollments"]
    assert [(each["status"], each["endTime"]) for each in shown] == [("expired", PAST)]
    assert_lists_match_items(api.tenant)


def test_an_enrollment_moves_between_lists_as_it_changes(api: Api, enrollments) -> None:
    made = enrollments["made"]
    first, lapsed = made[0], made[6]
    api.call("DELETE", f"/api/enrollments/{first['id']}")
    api.call("PUT", f"/api/enrollments/{lapsed['id']}", json_body={"endTime": FUTURE})  # extended again
    first["status"], lapsed["status"] = "cancelled", "active"

    for status in (None, "active", "expired", "cancelled"):
        query = {"status": status} if status else {}
        expected = enrolled(made, None, None, status)
        assert every_page(api, "/api/enrollments", query, "enrollments") == (len(expected), expected)
    assert_lists_match_items(api.tenant)


def test_enrollment_lists_read_one_list_and_one_batch_of_the_page(api: Api, enrollments) -> None:
    user, course = "u1", enrollments["courses"][0]
    cases = [
        ({}, ["Query", "BatchGetItem"]),
        ({"courseId": course, "status": "pending"}, ["Query"]),  # an empty page reads no enrollment
        ({"userId": user, "status": "cancelled", "page": "2"}, ["Query"]),
        ({"status": "active"}, ["Query", "Query", "BatchGetItem"]),  # and the due list, for those past their end
        ({"userId": user, "status": "expired"}, ["Query", "Query"]),
        ({"userId": user, "courseId": course}, ["GetItem"]),  # one enrollment at most, by its key
    ]
    for query, expected in cases:
        with RequestCounter() as counter:
            assert api.call("GET", "/api/enrollments", query=query).status == 200
        assert counter.operations == expected, query


def test_course_entries_show_what_the_list_shows(api: Api) -> None:
    """The summary an entry keeps has exactly the fields of `api.course.list`'s courses."""
    course_id = api.create_course(title="Kept", status="published")["courseId"]
    course = CourseRepository(api.tenant).get(course_id)
    assert course is not None
    entry = course_entries(CourseRepository(api.tenant).keys, course)[0]
    listed = api.call("GET", "/api/courses").result["courses"][0]

    assert {name.replace("_", "") for name in entry.summary} == {name.lower() for name in listed}


def test_a_page_far_past_the_end_is_empty_with_the_count_and_reads_the_counter_only(api: Api, enrollments) -> None:
    far = {"page": str(10**12), "limit": "100"}
    for path, key in (("/api/courses", "courses"), ("/api/enrollments", "enrollments")):
        with CapacityMeter() as meter:
            response = api.call("GET", path, query=far)
        assert (response.status, response.result[key]) == (200, [])
        assert response.result["count"] == (2 if key == "courses" else 7)
        assert [name for name, _ in meter.calls] == ["Query"]
