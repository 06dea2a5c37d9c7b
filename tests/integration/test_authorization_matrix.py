"""Every route × every kind of caller, with the status BEHAVIOUR.md's authorization summary gives.

Each route is the request of its file in events/, sent over the world those files name
(tests/support/world.py), by: an admin and an instructor of the tenant, the learner whose data it
is, another learner, an admin of another tenant (who must not learn that the ids exist: 404, never
403), and callers whose token is missing, expired, forged, for another audience or issuer."""

import json
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local import issuer
from local.template import ROOT
from tests.support.api import Api, route_for
from tests.support.world import LEARNER, seed

OK = "ok"  # the file's own success (200 or 201)
STAFF, SELF, OTHER, OUTSIDER = "instructor", "learner_self", "learner_other", "outsider"
# file: status for (instructor, the learner whose data it is, another learner, another tenant's admin)
EXPECTED: dict[str, tuple[str | int, str | int, str | int, str | int]] = {
    "courses/create-json": (OK, 403, 403, OK),
    "courses/list": (OK, OK, OK, OK),
    "courses/get": (OK, OK, OK, 404),
    "courses/details": (OK, OK, OK, 404),
    "courses/update": (OK, 403, 403, 404),
    "courses/delete": (403, 403, 403, 404),
    "modules/create-json": (OK, 403, 403, 404),
    "modules/get": (OK, OK, OK, 404),
    "modules/course-modules": (OK, OK, OK, 404),
    "modules/submodules": (OK, OK, OK, 404),
    "modules/update": (OK, 403, 403, 404),
    "modules/delete": (OK, 403, 403, 404),
    "lessons/create-json": (OK, 403, 403, OK),
    "lessons/add-to-course": (OK, 403, 403, 404),
    "lessons/get": (OK, OK, OK, 404),
    "lessons/course-lessons": (OK, OK, OK, 404),
    "lessons/module-lessons": (OK, OK, OK, 404),
    "lessons/update": (OK, 403, 403, 404),
    "lessons/delete": (OK, 403, 403, 404),
    "lessons/remove-from-module": (OK, 403, 403, 404),
    "media/upload-json": (OK, 403, 403, OK),
    "media/get": (OK, OK, OK, 404),
    "media/attach-to-lesson": (OK, 403, 403, 404),
    "media/delete": (OK, 403, 403, 404),
    "enrollments/enroll": (OK, 403, 403, 404),  # enrolls another user: staff only
    "enrollments/list": (OK, OK, OK, OK),  # a learner's list is their own; another tenant's is empty
    "enrollments/get": (OK, OK, 403, 404),
    "enrollments/update": (OK, 403, 403, 404),
    "enrollments/cancel": (OK, 403, 403, 404),
    "course_tracking/start": (OK, 403, 403, 404),  # for another user (new-learner)
    "course_tracking/update": (OK, OK, 403, 404),
    "course_tracking/complete": (OK, 409, 403, 404),  # the learner has a lesson left
    "course_tracking/get": (OK, OK, 403, 404),
    "lesson_tracking/start": (OK, OK, 403, 404),
    "lesson_tracking/update": (OK, OK, 403, 404),
    "lesson_tracking/complete": (OK, OK, 403, 404),
    "lesson_tracking/get": (OK, OK, 403, 404),
    "lesson_tracking/history": (OK, OK, 403, OK),  # an empty history tells nothing
}
UNAUTHENTICATED = ("no_token", "expired", "forged", "wrong_audience", "wrong_issuer")
CALLERS = ("admin", STAFF, SELF, OTHER, OUTSIDER, *UNAUTHENTICATED)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def expected_status(route_file: str, caller: str, success: int) -> int:
    if caller in UNAUTHENTICATED:
        return 401
    if caller == "admin":
        return success
    expected = EXPECTED[route_file][(STAFF, SELF, OTHER, OUTSIDER).index(caller)]
    return success if expected == OK else int(expected)


def token_of(api: Api, caller: str) -> str | None:
    tenant, user, key = api.tenant, api.user, api.key
    tokens: dict[str, Callable[[], str | None]] = {
        "admin": lambda: api.token(),
        STAFF: lambda: issuer.mint("instructor", tenant, "an-instructor", key=key),
        SELF: lambda: issuer.mint("learner", tenant, LEARNER, key=key),
        OTHER: lambda: issuer.mint("learner", tenant, "another-learner", key=key),
        OUTSIDER: lambda: issuer.mint("admin", f"tenant-{uuid.uuid4()}", "outsider", key=key),
        "no_token": lambda: None,
        "expired": lambda: issuer.mint("admin", tenant, user, key=key, lifetime=-60),
        "forged": lambda: issuer.mint("admin", tenant, user, key=FORGER),
        "wrong_audience": lambda: issuer.mint("admin", tenant, user, key=key, audience="another-api"),
        "wrong_issuer": lambda: issuer.mint("admin", tenant, user, key=key, issuer="someone-else"),
    }
    return tokens[caller]()


def successful_status(event: dict) -> int:
    return 201 if event["requestContext"]["http"]["method"] == "POST" else 200


CASES = [(route_file, caller) for route_file in EXPECTED for caller in CALLERS]


def test_the_table_covers_every_route():
    files = {json.loads((ROOT / "events" / f"{name}.json").read_text())["routeKey"] for name in EXPECTED}
    assert len(files) == len(EXPECTED) == 38


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize(("route_file", "caller"), CASES, ids=[f"{file}-{caller}" for file, caller in CASES])
def test_route_by_caller(api: Api, route_file: str, caller: str) -> None:
    seed(api)
    event = json.loads((ROOT / "events" / f"{route_file}.json").read_text())
    token = token_of(api, caller)
    headers = dict(event["headers"])
    if token is None:
        headers.pop("authorization")
    else:
        headers["authorization"] = f"Bearer {token}"
    route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])

    response = api.send(route.function, {**event, "headers": headers})

    assert response.status == expected_status(route_file, caller, successful_status(event)), response.body
    assert response.body["responseCode"] == response.status
    assert response.body["id"].startswith("api.")
