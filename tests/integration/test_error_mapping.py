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
