"""POSTs with an `Idempotency-Key`: a retry gets the first answer and creates nothing; the same key
with another request is 409; without the header nothing changes."""

import uuid

import pytest

from shared.idempotency import IN_PROGRESS_RETRY_SECONDS
from shared.services import courses
from tests.support import samples
from tests.support.api import Api


def create(api: Api, key: str | None, title: str = "Once"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.call("POST", "/api/courses", json_body={"title": title}, headers=headers)


def test_a_retry_gets_the_first_answer_and_creates_nothing(api: Api) -> None:
    key = str(uuid.uuid4())
    first = create(api, key)

    retried = create(api, key)

    assert first.status == retried.status == 201
    assert retried.body == first.body  # the same envelope: same courseId, resmsgid and ts
    assert retried.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.call("GET", "/api/courses").result["count"] == 1


def test_the_same_key_with_another_request_is_a_conflict(api: Api) -> None:
    key = str(uuid.uuid4())
    create(api, key)

    other = create(api, key, title="Something else")

    assert (other.status, other.err) == (409, "CONFLICT")
    assert "different request" in other.errmsg
    assert api.call("GET", "/api/courses").result["count"] == 1


def test_keys_belong_to_their_caller_and_requests_without_one_are_unchanged(api: Api) -> None:
    key = str(uuid.uuid4())
    create(api, key)
    assert create(api.as_("admin"), key).status == 201  # another user's key space
    assert create(api, None).status == create(api, None).status == 201
    assert api.call("GET", "/api/courses").result["count"] == 4


def test_a_failed_request_is_not_remembered(api: Api) -> None:
    key = str(uuid.uuid4())
    refused = api.call("POST", "/api/courses", json_body={"title": ""}, headers={"Idempotency-Key": key})
    assert refused.status == 400
    assert create(api, key).status == 201


def test_a_malformed_key_is_refused(api: Api) -> None:
    for key in ("has space", "x" * 256, "", "clé"):
        refused = api.call("POST", "/api/courses", json_body={"title": "t"}, headers={"Idempotency-Key": key})
        assert (refused.status, refused.err) == (400, "INVALID_REQUEST"), key
        assert "Idempotency-Key header must be 1-255 printable ASCII characters" in refused.errmsg
    assert api.call("GET", "/api/courses").result["count"] == 0


def test_keys_of_different_callers_never_meet(api: Api) -> None:
    # Joined with "#", user zed's key b#c and user zed#b's key c were one record.
    first = create(api.as_("admin", user="zed"), "b#c", title="Zed's")
    second = create(api.as_("admin", user="zed#b"), "c", title="Zed#b's")

    assert first.status == second.status == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.result["courseId"] != first.result["courseId"]
    assert api.call("GET", "/api/courses").result["count"] == 2


def test_ids_with_spaces_or_accents_may_use_keys(api: Api) -> None:
    caller = api.as_("admin", user="Zoë Smith", tenant=f"école {uuid.uuid4()}")
    key = str(uuid.uuid4())

    first, retried = create(caller, key), create(caller, key)

    assert first.status == retried.status == 201
    assert retried.headers.get("Idempotent-Replayed") == "true"
    assert retried.result == first.result


def test_a_retried_attempt_start_is_the_same_attempt(api: Api) -> None:
    lesson_id = api.create_lesson(resume=False)["lessonId"]
    api.add_lesson(api.create_course(status="published", free=True)["courseId"], None, lesson_id)
    learner = api.as_("learner")
    key = str(uuid.uuid4())
    path = f"/api/lessons/{lesson_id}/tracking"

    first = learner.call("POST", path, json_body={}, headers={"Idempotency-Key": key}).result
    again = learner.call("POST", path, json_body={}, headers={"Idempotency-Key": key}).result

    assert again == first
    history = learner.call("GET", f"/api/users/{learner.user}/lessons/{lesson_id}/tracking").result
    assert history["totalAttempts"] == 1


def test_a_form_sent_again_is_a_retry_whatever_boundary_the_client_picks(api: Api) -> None:
    """Clients (curl, browsers) pick a new multipart boundary on each send: it is not the request."""
    key = str(uuid.uuid4())

    def send(image: bytes):
        form: dict[str, str | tuple[str, bytes, str]] = {"format": "image", "file": ("cover.png", image, "image/png")}
        return api.call("POST", "/api/media", form=form, headers={"Idempotency-Key": key})

    first, retried, other = send(samples.PNG), send(samples.PNG), send(samples.PNG + b"!")

    assert (first.status, retried.status, retried.headers.get("Idempotent-Replayed")) == (201, 201, "true")
    assert retried.result["mediaId"] == first.result["mediaId"]
    assert (other.status, other.err) == (409, "CONFLICT")


def test_a_form_whose_values_hold_the_boundary_is_still_told_from_another(api: Api) -> None:
    """Only the delimiter lines lose the boundary: with boundary `a`, `banana` and `bnn` differ."""
    key = str(uuid.uuid4())

    def send(title: str):
        body = f'--a\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n--a--\r\n'.encode()
        return api.call(
            "POST", "/api/courses", body=body, content_type="multipart/form-data; boundary=a",
            headers={"Idempotency-Key": key},
        )  # fmt: skip

    first, other = send("banana"), send("bnn")

    assert first.status == 201, first.body
    assert (other.status, other.err) == (409, "CONFLICT")
    assert api.call("GET", "/api/courses").result["count"] == 1


def test_a_key_whose_first_request_was_cut_off_says_when_to_retry(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request's function was stopped mid-way (a timeout, as Lambda kills it: nothing
    after that runs, so its record stays in progress until the function's timeout passes)."""
    key, create_course = str(uuid.uuid4()), courses.create_course

    def cut_off(*_: object) -> None:
        raise SystemExit("the function's timeout")

    monkeypatch.setattr(courses, "create_course", cut_off)
    with pytest.raises(SystemExit):
        create(api, key)
    monkeypatch.setattr(courses, "create_course", create_course)

    retried = create(api, key)
    assert (retried.status, retried.err) == (409, "CONFLICT")
    assert retried.headers["Retry-After"] == str(IN_PROGRESS_RETRY_SECONDS)
    assert f"retry in {IN_PROGRESS_RETRY_SECONDS} seconds" in retried.errmsg
    assert api.call("GET", "/api/courses").result["count"] == 0
