"""Whatever goes wrong inside, a client gets the envelope: never a stack trace, never Powertools' bodies."""

import uuid

import pytest

from shared.services import courses
from tests.support.api import Api


def test_an_unexpected_error_is_a_500_envelope_without_internals(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("secret table detail")

    monkeypatch.setattr(courses, "get_course", explode)

    response = api.call("GET", f"/api/courses/{uuid.uuid4()}")

    assert response.status == 500
    assert response.err == "INTERNAL_SERVER_ERROR"
    assert response.body["id"] == "api.course.get"
    assert response.result is None
    assert "secret" not in str(response.body)


def test_a_value_error_of_our_own_after_parsing_is_500_not_400(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*_: object) -> None:
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr(courses, "list_courses", bug)

    response = api.call("GET", "/api/courses")

    assert response.status == 500
    assert "bug" not in str(response.body)


def test_a_url_encoded_form_is_415_naming_the_accepted_types(api: Api) -> None:
    response = api.call("POST", "/api/courses", body=b"title=Course", content_type="application/x-www-form-urlencoded")

    assert response.status == 415
    assert "multipart/form-data" in response.errmsg
    assert api.call("GET", "/api/courses").result["count"] == 0


def test_a_file_where_text_is_expected_is_400(api: Api) -> None:
    response = api.call("POST", "/api/courses", form={"title": ("title.txt", b"A title", "text/plain")})

    assert response.status == 400
    assert response.errmsg == "The field 'title' must be text."


def test_a_field_sent_twice_in_a_form_is_400(api: Api) -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nOne\r\n'
        b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nTwo\r\n--B--\r\n'
    )

    response = api.call("POST", "/api/courses", body=body, content_type="multipart/form-data; boundary=B")

    assert response.status == 400
    assert "title" in response.errmsg


def test_refusals_say_what_to_send_instead(api: Api) -> None:
    """The wording of refusals whose first draft named Python's internals or the wrong bound."""
    course_id = api.create_course()["courseId"]
    twice = api.event("GET", f"/api/courses/{course_id}/tracking/details", query={"userId": "bob"})
    twice[1].update(rawQueryString="userId=bob&userId=carol", queryStringParameters={"userId": "bob,carol"})
    refusals = {
        "page below 1": api.call("GET", "/api/courses", query={"page": "-1"}),
        "a parameter sent twice": api.send(*twice),
        "a body not in UTF-8": api.call(
            "POST", f"/api/courses/{course_id}/clone", body=b"\x1f\x8b\x08\x00", content_type="application/json"
        ),
        "a culprit deep in an array": api.call(
            "PUT",
            f"/api/courses/{course_id}/structure",
            json_body={"modules": [{"moduleId": str(uuid.uuid4())}, {"moduleId": str(uuid.uuid4()), "lessons": ["x"]}]},
        ),
        "too many modules in all": api.call(
            "PUT",
            f"/api/courses/{course_id}/structure",
            json_body={
                "modules": [
                    {"moduleId": str(uuid.uuid4()), "subModules": [{"moduleId": str(uuid.uuid4())} for _ in range(10)]}
                    for _ in range(50)
                ]
            },
        ),
    }
    messages = {case: (response.status, response.errmsg) for case, response in refusals.items()}
    assert messages == {
        "page below 1": (
            400,
            "The query parameter 'page' must be a whole number from 1, in plain digits (at most 18), like 2.",
        ),
        "a parameter sent twice": (400, "The query parameter 'userId' must be sent once."),
        "a body not in UTF-8": (400, "The request body is not UTF-8 text: send it encoded as UTF-8."),
        "a culprit deep in an array": (
            400,
            "The field 'modules[1].lessons[0]' must be a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.",
        ),
        "too many modules in all": (
            400,
            "The request body must name at most 500 modules in all, top-level and submodules.",
        ),
    }


def test_a_number_too_long_to_read_is_refused_without_the_interpreters_words(api: Api) -> None:
    long_number = "9" * 5000
    response = api.call(
        "POST", "/api/courses", body=f'{{"title": "t", "params": {{"n": {long_number}}}}}'.encode(),
        content_type="application/json",
    )  # fmt: skip
    assert (response.status, response.err) == (400, "INVALID_REQUEST")
    assert "a number of 5000 digits is too long" in response.errmsg
    assert "sys." not in response.errmsg
