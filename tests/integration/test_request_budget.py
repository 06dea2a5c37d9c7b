"""Each Courses endpoint holds to its DynamoDB budget (DESIGN.md): a read is one request, a write
at most one read round plus one write. Counted per API call on both engines."""

import uuid

import pytest

from shared.repository.metering import RequestCounter
from tests.support.api import Api


def requests_made(api: Api, method: str, path: str, **kwargs: object) -> tuple[int, list[str]]:
    with RequestCounter() as counter:
        response = api.call(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status < 300, response.body
    return response.status, counter.operations


def test_create_is_one_transaction(api):
    assert requests_made(api, "POST", "/api/courses", json_body={"title": "Budget"}) == (201, ["TransactWriteItems"])


def test_create_from_a_form_is_one_transaction(api):
    assert requests_made(api, "POST", "/api/courses", form={"title": "Budget"}) == (201, ["TransactWriteItems"])


def test_list_is_one_query_whatever_the_page_and_filters(api):
    for _ in range(3):
        api.create_course(status="published")

    assert requests_made(api, "GET", "/api/courses", query={"status": "published", "page": "2", "limit": "1"}) == (
        200,
        ["Query"],
    )


@pytest.mark.parametrize(("suffix", "operation"), [("", "GetItem"), ("/details", "Query")])
def test_reads_of_one_course_are_one_request(api, suffix, operation):
    course_id = api.create_course()["courseId"]

    assert requests_made(api, "GET", f"/api/courses/{course_id}{suffix}") == (200, [operation])


def test_update_is_one_query_and_one_write(api):
    course_id = api.create_course()["courseId"]

    assert requests_made(api, "PUT", f"/api/courses/{course_id}", json_body={"title": "t2"}) == (
        200,
        ["Query", "PutItem"],
    )


def test_an_alias_change_is_one_read_and_one_transaction(api):
    course_id = api.create_course()["courseId"]

    assert requests_made(api, "PUT", f"/api/courses/{course_id}", json_body={"alias": f"a-{uuid.uuid4().hex[:8]}"}) == (
        200,
        ["Query", "TransactWriteItems"],
    )


def test_delete_is_one_query_and_one_transaction(api):
    course_id = api.create_course()["courseId"]

    assert requests_made(api, "DELETE", f"/api/courses/{course_id}") == (200, ["Query", "TransactWriteItems"])


def test_refused_requests_touch_no_table(api):
    with RequestCounter() as counter:
        assert api.as_("learner").call("POST", "/api/courses", json_body={"title": "t"}).status == 403
        assert api.call("POST", "/api/courses", json_body={}).status == 400
        assert api.call("GET", "/api/courses", token=None).status == 401

    assert counter.operations == []
