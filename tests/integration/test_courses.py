"""Every Courses endpoint through its real handler: success, and every failure code it can give.

Runs on moto and on DynamoDB Local (the `api` fixture). Each test owns a fresh tenant."""

import re
import uuid

import pytest

from tests.support.api import Api

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
COURSE_KEYS = {
    "courseId",
    "tenentId",
    "title",
    "alias",
    "shortDescription",
    "description",
    "image",
    "featured",
    "free",
    "certificateTerm",
    "certificateId",
    "startDatetime",
    "endDatetime",
    "adminApproval",
    "autoEnroll",
    "status",
    "params",
    "createdBy",
    "createdAt",
    "updatedBy",
    "updatedAt",
}
SUMMARY_KEYS = {
    "courseId",
    "title",
    "shortDescription",
    "image",
    "featured",
    "free",
    "status",
    "startDatetime",
    "endDatetime",
}


def course_count(api: Api) -> int:
    count: int = api.call("GET", "/api/courses").result["count"]
    return count


# --- create ---------------------------------------------------------------------------------


def test_create_from_json_stores_the_course_with_defaults(api):
    response = api.call("POST", "/api/courses", json_body={"title": "Intro to ML!", "params": {"level": 1}})

    assert response.status == 201
    assert response.body["id"] == "api.course.create"
    assert response.body["responseCode"] == 201
    course = response.result
    assert set(course) >= COURSE_KEYS
    assert uuid.UUID(course["courseId"]).version == 4
    assert course["tenentId"] == api.tenant
    assert course["alias"] == "intro-to-ml"
    assert (course["status"], course["featured"], course["free"], course["adminApproval"], course["autoEnroll"]) == (
        "unpublished",
        False,
        False,
        False,
        False,
    )
    assert course["params"] == {"level": 1}
    assert course["createdBy"] == api.user
    assert UTC_Z.match(course["createdAt"])
    assert course["updatedBy"] is None
    assert course["updatedAt"] is None
    assert api.call("GET", f"/api/courses/{course['courseId']}").result == course


def test_create_from_a_multipart_form_types_every_value(api):
    form = {
        "title": "Form course",
        "alias": "form-course",
        "shortDescription": "short",
        "featured": "false",
        "free": "1",
        "adminApproval": "TRUE",
        "autoEnroll": "0",
        "status": "published",
        "params": '{"difficulty": "beginner", "estimatedHours": 20}',
        "certificateTerm": "PASS_ALL",
        "certificateId": "cert-1",
        "startDatetime": "2024-06-01T00:00:00Z",
        "endDatetime": "2024-12-31T23:59:59Z",
    }

    response = api.call("POST", "/api/courses", form=form)

    assert response.status == 201, response.body
    course = response.result
    assert (course["featured"], course["free"], course["adminApproval"], course["autoEnroll"]) == (
        False,
        True,
        True,
        False,
    )
    assert course["params"] == {"difficulty": "beginner", "estimatedHours": 20}
    assert course["certificateTerm"] == "PASS_ALL"
    assert (course["alias"], course["status"], course["endDatetime"]) == (
        "form-course",
        "published",
        "2024-12-31T23:59:59Z",
    )


def test_a_sent_alias_that_is_taken_is_409_and_stores_nothing(api):
    api.create_course(alias="data-science")

    response = api.call("POST", "/api/courses", json_body={"title": "Other", "alias": "data-science"})

    assert response.status == 409
    assert response.err == "CONFLICT"
    assert "data-science" in response.errmsg
    assert course_count(api) == 1


def test_a_derived_alias_that_is_taken_gets_a_suffix(api):
    first = api.create_course(title="Python Basics")
    second = api.create_course(title="Python basics")

    assert first["alias"] == "python-basics"
    assert re.fullmatch(r"python-basics-[0-9a-f]{6}", second["alias"])


def test_aliases_are_unique_per_tenant_only(api):
    other_tenant = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")

    assert api.create_course(alias="shared-name")["alias"] == other_tenant.create_course(alias="shared-name")["alias"]


BAD_BODIES = [
    pytest.param({"json_body": {}}, "The field 'title' is required.", id="missing-title"),
    pytest.param({"body": b"", "content_type": "application/json"}, "The request body is required.", id="empty-body"),
    pytest.param({"body": b'{"title": ', "content_type": "application/json"}, "not valid JSON", id="malformed-json"),
    pytest.param({"json_body": ["title"]}, "must be a JSON object", id="json-array"),
    pytest.param({"json_body": {"title": "t", "featured": "yes"}}, "'featured' must be true or false", id="bad-bool"),
    pytest.param({"json_body": {"title": "t", "status": "live"}}, "'status' must be one of", id="unknown-status"),
    pytest.param({"json_body": {"title": "x" * 256}}, "at most 255 characters", id="long-title"),
    pytest.param({"json_body": {"title": "t", "params": {"b": "x" * 17_000}}}, "16 KB", id="big-params"),
    pytest.param(
        {"json_body": {"title": "t", "startDatetime": "2025-02-01", "endDatetime": "2025-01-01"}},
        "startDatetime must not be after endDatetime",
        id="dates-reversed",
    ),
    pytest.param({"json_body": {"title": "t", "owner": "me"}}, "'owner' is not a field", id="unknown-field"),
    pytest.param({"form": {"title": "t", "free": "no"}}, "'free' must be true or false", id="form-bad-bool"),
    pytest.param({"form": {"title": "t", "params": "{oops"}}, "'params' must be a JSON object", id="form-bad-json"),
    pytest.param({"body": b"--X\r\nbroken", "content_type": "multipart/form-data"}, "multipart", id="no-boundary"),
    pytest.param(
        {
            "body": b'--X\r\nContent-Disposition: form-data; name="title"\r\n\r\n\xff\xfe\r\n--X--\r\n',
            "content_type": "multipart/form-data; boundary=X",
        },
        "multipart/form-data body is not UTF-8 text",
        id="undecodable-part",
    ),
]


@pytest.mark.parametrize(("request_args", "message"), BAD_BODIES)
def test_bad_input_is_400_naming_the_problem_and_stores_nothing(api, request_args, message):
    response = api.call("POST", "/api/courses", **request_args)

    assert response.status == 400, response.body
    assert response.err == "INVALID_REQUEST"
    assert response.body["id"] == "api.course.create"
    assert response.result is None
    assert message in response.errmsg
    assert course_count(api) == 0


def test_an_unsupported_content_type_is_415(api):
    response = api.call("POST", "/api/courses", body=b"title=t", content_type="text/plain")

    assert response.status == 415
    assert response.err == "UNSUPPORTED_MEDIA_TYPE"
    assert "text/plain" in response.errmsg
    assert course_count(api) == 0


@pytest.mark.parametrize("role", ["learner"])
def test_learners_may_not_create_courses_even_with_a_bad_body(api, role):
    learner = api.as_(role)

    assert learner.call("POST", "/api/courses", json_body={"title": "t"}).status == 403
    assert learner.call("POST", "/api/courses", body=b"{", content_type="application/json").status == 403
    assert course_count(api) == 0


def test_instructors_may_create_courses(api):
    assert api.as_("instructor").call("POST", "/api/courses", json_body={"title": "t"}).status == 201


@pytest.mark.parametrize(
    "token_overrides",
    [{"lifetime": -5}, {"issuer": "elsewhere"}, {"audience": "other"}],
    ids=["expired", "wrong-issuer", "wrong-audience"],
)
def test_invalid_tokens_are_401_before_any_validation(api, token_overrides):
    response = api.call(
        "POST", "/api/courses", body=b"{", content_type="application/json", token=api.token(**token_overrides)
    )

    assert response.status == 401
    assert response.err == "UNAUTHORIZED"
    assert response.body["id"] == "api.course.create"


def test_no_token_is_401(api):
    response = api.call("GET", "/api/courses", token=None)

    assert response.status == 401
    assert response.body["params"]["status"] == "failed"


def test_a_tenant_header_naming_another_tenant_is_403(api):
    response = api.call("GET", "/api/courses", headers={"tenantid": "someone-else"})

    assert response.status == 403
    assert "tenantid" in response.errmsg


# --- list -----------------------------------------------------------------------------------


def test_list_is_newest_first_with_the_count_of_all_matches(api):
    created = [api.create_course(title=f"C{index}")["courseId"] for index in range(5)]

    response = api.call("GET", "/api/courses", query={"page": "1", "limit": "2"})

    assert response.status == 200
    assert response.body["id"] == "api.course.list"
    assert response.result["count"] == 5
    assert [course["courseId"] for course in response.result["courses"]] == created[::-1][:2]
    assert all(set(course) == SUMMARY_KEYS for course in response.result["courses"])
    page_3 = api.call("GET", "/api/courses", query={"page": "3", "limit": "2"}).result
    assert [course["courseId"] for course in page_3["courses"]] == [created[0]]
    past_the_end = api.call("GET", "/api/courses", query={"page": "9", "limit": "2"}).result
    assert past_the_end == {"count": 5, "courses": []}


def test_filters_combine_with_and(api):
    wanted = api.create_course(status="published", featured=True, free=True)["courseId"]
    api.create_course(status="published", featured=True, free=False)
    api.create_course(status="draft", featured=True, free=True)

    result = api.call("GET", "/api/courses", query={"status": "published", "featured": "true", "free": "1"}).result

    assert result["count"] == 1
    assert [course["courseId"] for course in result["courses"]] == [wanted]
    assert api.call("GET", "/api/courses", query={"featured": "false"}).result["count"] == 0


def test_learners_list_published_courses_only(api):
    published = api.create_course(status="published")["courseId"]
    api.create_course(status="draft")
    learner = api.as_("learner")

    assert [course["courseId"] for course in learner.call("GET", "/api/courses").result["courses"]] == [published]
    assert learner.call("GET", "/api/courses", query={"status": "draft"}).result == {"count": 0, "courses": []}


def test_another_tenants_courses_never_appear(api):
    api.create_course()

    assert api.as_("admin", tenant=f"tenant-{uuid.uuid4()}").call("GET", "/api/courses").result["count"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "101"}, "query parameter 'limit'"),
        ({"limit": "0"}, "query parameter 'limit'"),
        ({"page": "0"}, "query parameter 'page'"),
        ({"page": "two"}, "query parameter 'page' must be a whole number"),
        ({"featured": "yes"}, "query parameter 'featured' must be true or false"),
        ({"status": "live"}, "query parameter 'status' must be one of"),
    ],
)
def test_bad_list_parameters_are_400(api, query, message):
    response = api.call("GET", "/api/courses", query=query)

    assert response.status == 400
    assert message in response.errmsg


# --- get and details ------------------------------------------------------------------------


def test_get_returns_the_whole_course(api):
    course = api.create_course(description="Long text", certificateTerm={"minScore": 80})

    response = api.call("GET", f"/api/courses/{course['courseId']}")

    assert response.status == 200
    assert response.body["id"] == "api.course.get"
    assert response.result == course
    assert response.result["certificateTerm"] == {"minScore": 80}


@pytest.mark.parametrize("suffix", ["", "/details"])
def test_unknown_foreign_and_hidden_courses_are_404(api, suffix):
    draft = api.create_course(status="draft")["courseId"]
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")

    for caller, course_id in ((api, str(uuid.uuid4())), (stranger, draft), (api.as_("learner"), draft)):
        response = caller.call("GET", f"/api/courses/{course_id}{suffix}")
        assert response.status == 404
        assert response.err == "RESOURCE_NOT_FOUND"
        assert response.errmsg == f"Course {course_id} not found."


@pytest.mark.parametrize("suffix", ["", "/details"])
def test_a_course_id_that_is_not_a_uuid_is_400(api, suffix):
    response = api.call("GET", f"/api/courses/not-a-uuid{suffix}")

    assert response.status == 400
    assert "path parameter 'courseId' must be a UUID" in response.errmsg


def test_details_show_the_course_with_its_empty_tree(api):
    course = api.create_course(status="published", shortDescription="s")

    response = api.as_("learner").call("GET", f"/api/courses/{course['courseId']}/details")

    assert response.status == 200
    assert response.body["id"] == "api.course.details"
    assert response.result["courseId"] == course["courseId"]
    assert response.result["shortDescription"] == "s"
    assert response.result["modules"] == []


# --- update ---------------------------------------------------------------------------------


def test_update_changes_only_what_is_sent(api):
    course = api.create_course(description="keep me", featured=True)
    editor = api.as_("instructor")

    response = editor.call("PUT", f"/api/courses/{course['courseId']}", json_body={"title": "New title", "free": True})

    assert response.status == 200
    assert response.body["id"] == "api.course.update"
    updated = response.result
    assert (updated["title"], updated["free"], updated["description"], updated["featured"]) == (
        "New title",
        True,
        "keep me",
        True,
    )
    assert updated["updatedBy"] == editor.user
    assert UTC_Z.match(updated["updatedAt"])
    assert api.call("GET", f"/api/courses/{course['courseId']}").result == updated


def test_update_checks_dates_against_the_stored_ones(api):
    course = api.create_course(startDatetime="2025-01-01T00:00:00Z", endDatetime="2025-06-01T00:00:00Z")

    response = api.call(
        "PUT", f"/api/courses/{course['courseId']}", json_body={"startDatetime": "2025-07-01T00:00:00Z"}
    )

    assert response.status == 400
    assert "startDatetime must not be after endDatetime" in response.errmsg
    assert api.call("GET", f"/api/courses/{course['courseId']}").result["startDatetime"] == "2025-01-01T00:00:00Z"


def test_changing_the_alias_frees_the_old_one_and_refuses_a_taken_one(api):
    first = api.create_course(alias="first")
    api.create_course(alias="taken")

    assert api.call("PUT", f"/api/courses/{first['courseId']}", json_body={"alias": "taken"}).status == 409
    assert (
        api.call("PUT", f"/api/courses/{first['courseId']}", json_body={"alias": "renamed"}).result["alias"]
        == "renamed"
    )
    assert api.create_course(alias="first")["alias"] == "first"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": None}, "title cannot be null"),
        ({"status": "gone"}, "'status' must be one of"),
        ({"x": 1}, "'x' is not a field"),
    ],
)
def test_bad_updates_are_400_and_change_nothing(api, body, message):
    course = api.create_course()

    response = api.call("PUT", f"/api/courses/{course['courseId']}", json_body=body)

    assert response.status == 400
    assert message in response.errmsg
    assert api.call("GET", f"/api/courses/{course['courseId']}").result == course


def test_update_refusals(api):
    course_id = api.create_course()["courseId"]
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")

    assert api.call("PUT", f"/api/courses/{uuid.uuid4()}", json_body={"title": "t"}).status == 404
    assert stranger.call("PUT", f"/api/courses/{course_id}", json_body={"title": "t"}).status == 404
    assert api.as_("learner").call("PUT", f"/api/courses/{course_id}", json_body={"title": "t"}).status == 403
    assert api.call("PUT", f"/api/courses/{course_id}", json_body={"title": "t"}, token=None).status == 401
    assert api.call("PUT", "/api/courses/123", json_body={"title": "t"}).status == 400


# --- delete ---------------------------------------------------------------------------------


def test_an_admin_deletes_a_course_and_its_alias_is_free_again(api):
    course = api.create_course(alias="goes-away")

    response = api.call("DELETE", f"/api/courses/{course['courseId']}")

    assert response.status == 200
    assert response.body["id"] == "api.course.delete"
    assert response.result == {"message": "Course deleted successfully"}
    assert api.call("GET", f"/api/courses/{course['courseId']}").status == 404
    assert api.create_course(alias="goes-away")["alias"] == "goes-away"


def test_delete_refusals(api):
    course_id = api.create_course()["courseId"]
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")

    assert api.as_("instructor").call("DELETE", f"/api/courses/{course_id}").status == 403
    assert api.as_("learner").call("DELETE", f"/api/courses/{course_id}").status == 403
    assert stranger.call("DELETE", f"/api/courses/{course_id}").status == 404
    assert api.call("DELETE", f"/api/courses/{course_id}", token=None).status == 401
    assert api.call("DELETE", f"/api/courses/{uuid.uuid4()}").status == 404
    assert api.call("GET", f"/api/courses/{course_id}").status == 200
