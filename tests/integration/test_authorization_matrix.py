"""Every route × every kind of caller, with the status docs/RULES.md's table (Who may do what) gives.

Each route is the request of its file in events/, sent over the world those files name
(tests/support/world.py), by: an admin and an instructor of the tenant, the learner whose data it
is, the same learner once their enrollment was cancelled or has passed its end, another learner,
an admin of another tenant (who must not learn that the ids exist: 404, never 403), and callers
whose token is missing, expired, forged, for another audience or issuer.

Then, as the dishonest learner would try it: every field of every body a learner may send, and
the catalogue reads once the course, module or link is no longer published."""

import json
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local import issuer, template
from local.stack import FunctionHost
from local.template import ROOT
from shared.clock import utc_now
from shared.repository.base import snapshot
from shared.repository.courses import CourseRepository
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.metering import RequestCounter
from tests.support.api import Api, route_for
from tests.support.world import COURSE_ID, ENROLLMENT_ID, LEARNER, LESSON_ID, MEDIA_ID, MODULE_ID, seed

OK = "ok"  # the file's own success (200 or 201)
STAFF, SELF, OTHER, OUTSIDER = "instructor", "learner_self", "learner_other", "outsider"
# file: status for (instructor, the learner whose data it is, another learner, another tenant's admin)
EXPECTED: dict[str, tuple[str | int, str | int, str | int, str | int]] = {
    "courses/create-json": (OK, 403, 403, OK),
    "courses/list": (OK, OK, OK, OK),
    "courses/get": (OK, OK, OK, 404),
    "courses/details": (OK, OK, OK, 404),
    "courses/update": (OK, 403, 403, 404),
    "courses/structure": (OK, 403, 403, 404),
    "courses/clone": (OK, 403, 403, 404),
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
    "enrollments/report": (OK, 403, 403, 404),
    "course_tracking/start": (OK, 403, 403, 404),  # for another user (new-learner)
    "course_tracking/update": (OK, OK, 403, 404),
    "course_tracking/complete": (OK, 409, 403, 404),  # the learner has a lesson left
    "course_tracking/get": (OK, OK, 403, 404),
    "course_tracking/details": (OK, OK, 403, 404),
    "course_tracking/next": (OK, OK, 403, 404),
    "lesson_tracking/start": (OK, OK, 403, 404),
    "lesson_tracking/update": (OK, OK, 403, 404),
    "lesson_tracking/complete": (OK, OK, 403, 404),
    "lesson_tracking/get": (OK, OK, 403, 404),
    "lesson_tracking/history": (OK, OK, 403, OK),  # an empty history tells nothing
}
# The learner whose data it is, after their access lapsed between one request and the next: they
# still read the catalogue and what they did, and make no progress.
CANCELLED, ENDED = "learner_cancelled", "learner_ended"
LAPSED = {
    "course_tracking/details": 403,  # the seeded course has no free lesson to show the tracking of
    "course_tracking/next": 403,
    "course_tracking/update": 403,
    "course_tracking/complete": 403,
    "lesson_tracking/start": 403,
    "lesson_tracking/update": 403,
    "lesson_tracking/complete": 403,
}
UNAUTHENTICATED = ("no_token", "expired", "forged", "wrong_audience", "wrong_issuer")
CALLERS = ("admin", STAFF, SELF, CANCELLED, ENDED, OTHER, OUTSIDER, *UNAUTHENTICATED)
FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def expected_status(route_file: str, caller: str, success: int) -> int:
    if caller in UNAUTHENTICATED:
        return 401
    if caller == "admin":
        return success
    if caller in (CANCELLED, ENDED):
        expected = LAPSED.get(route_file, EXPECTED[route_file][1])
    else:
        expected = EXPECTED[route_file][(STAFF, SELF, OTHER, OUTSIDER).index(caller)]
    return success if expected == OK else int(expected)


def lapse(api: Api, caller: str) -> None:
    """The learner's enrollment cancelled, or past its end (the hourly job has not run yet)."""
    repository = EnrollmentRepository(api.tenant)
    enrollment = repository.get(ENROLLMENT_ID)
    assert enrollment is not None
    read = snapshot(enrollment)
    if caller == CANCELLED:
        enrollment.status = "cancelled"
    else:
        enrollment.end_time = "2024-05-31T00:00:00Z"
    repository.save(enrollment, read)


def token_of(api: Api, caller: str) -> str | None:
    tenant, user, key = api.tenant, api.user, api.key
    tokens: dict[str, Callable[[], str | None]] = {
        "admin": lambda: api.token(),
        STAFF: lambda: issuer.mint("instructor", tenant, "an-instructor", key=key),
        SELF: lambda: issuer.mint("learner", tenant, LEARNER, key=key),
        CANCELLED: lambda: issuer.mint("learner", tenant, LEARNER, key=key),
        ENDED: lambda: issuer.mint("learner", tenant, LEARNER, key=key),
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
    routes = {f"{route.method} {route.path}" for route in template.routes()}
    assert files == routes
    assert len(files) == len(EXPECTED)


@pytest.fixture(scope="module")
def untouched_world(backend: str | None, module_table: str, host: FunctionHost, signing_key: rsa.RSAPrivateKey) -> Api:
    """One seeded world for the cases that leave it as it was: every refusal and every read.
    Each of them checks that DynamoDB carried out no write for it, so the sharing is tested, not
    assumed. It needs
    the module's table (DynamoDB Local's); on moto each test makes the table afresh."""
    assert backend is not None, "the untouched world lives in a table that outlasts one test: DynamoDB Local's"
    api = Api(host=host, key=signing_key)
    seed(api)
    return api


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize(("route_file", "caller"), CASES, ids=[f"{file}-{caller}" for file, caller in CASES])
def test_route_by_caller(backend: str | None, request: pytest.FixtureRequest, route_file: str, caller: str) -> None:
    event = json.loads((ROOT / "events" / f"{route_file}.json").read_text())
    expected = expected_status(route_file, caller, successful_status(event))
    changes_nothing = caller not in (CANCELLED, ENDED) and (expected >= 400 or event["routeKey"].startswith("GET "))
    api: Api = request.getfixturevalue("untouched_world" if changes_nothing else "api")
    if not changes_nothing:
        seed(api)
    if caller in (CANCELLED, ENDED):
        lapse(api, caller)
    token = token_of(api, caller)
    headers = dict(event["headers"])
    if token is None:
        headers.pop("authorization")
    else:
        headers["authorization"] = f"Bearer {token}"
    route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])

    with RequestCounter() as counter:
        response = api.send(route.function, {**event, "headers": headers})

    assert response.status == expected, response.body
    assert response.body["responseCode"] == response.status
    if changes_nothing:  # a write tried and refused by its condition stores nothing
        assert counter.writes_carried_out == []
    assert response.body["id"].startswith("api.")
    if caller in (CANCELLED, ENDED) and route_file in LAPSED:  # refused for the lapse, and told so
        assert ("was cancelled" if caller == CANCELLED else "expired on 2024-05-31T00:00:00Z") in response.errmsg


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize("caller", [SELF, CANCELLED, ENDED])
def test_a_learner_downloads_only_while_enrolled(api: Api, caller: str) -> None:
    seed(api)
    if caller != SELF:
        lapse(api, caller)

    media = api.as_("learner", user=LEARNER).call("GET", f"/api/media/{MEDIA_ID}")

    assert media.status == 200
    assert (media.result["downloadUrl"] is not None) == (caller == SELF)


# Which fields each role may send, as the learner whose data it is tries them. Staff send them all.
SERVER = "server-set"  # accepted, but the server's value is stored and returned
SENT_DATE = "2001-01-01T00:00:00Z"
# route file: (the learner sending it, the body's status without the field, {field: (value, outcome)});
# each field is sent alone, or with what the body cannot do without (BASE_BODY).
LEARNER_FIELDS: dict[str, tuple[str, int, dict[str, tuple[object, str | int]]]] = {
    "enrollments/enroll": (
        "fresh-learner",  # enrolling themselves in a course that takes self-enrollment
        201,
        {
            "courseId": (COURSE_ID, OK), "userId": ("fresh-learner", OK), "unlimitedPlan": (True, 403),
            "beforeExpiryMail": (False, 403), "afterExpiryMail": (True, 403), "params": ({"paid": True}, 403),
        },
    ),
    "course_tracking/start": ("new-learner", 201, {"userId": ("new-learner", OK), "startDatetime": (SENT_DATE, SERVER)}),
    "course_tracking/update": (
        LEARNER,
        200,
        {
            "userId": (LEARNER, OK), "status": ("in_progress", OK), "lastAccessedDate": (SENT_DATE, SERVER),
            "completedLessons": (1, 403),
        },
    ),
    "course_tracking/complete": (  # a lesson is left: 409 whatever is sent, never a refused field
        LEARNER,
        409,
        {
            "userId": (LEARNER, OK), "endDatetime": (SENT_DATE, SERVER), "certGenDate": (SENT_DATE, SERVER),
            "completedLessons": (2, SERVER),
        },
    ),
    "lesson_tracking/start": (
        "new-learner",
        201,
        {
            "userId": ("new-learner", OK), "attempt": (1, OK), "courseId": (COURSE_ID, OK), "totalContent": (100, OK),
            "currentPosition": (10, OK), "startDatetime": (SENT_DATE, SERVER),
        },
    ),
    "lesson_tracking/update": (
        LEARNER,
        200,
        {
            "userId": (LEARNER, OK), "attempt": (1, OK), "currentPosition": (5, OK), "totalContent": (100, OK),
            "timeSpent": (60, OK), "status": ("in_progress", OK),
        },
    ),
    "lesson_tracking/complete": (
        LEARNER,
        200,
        {
            "userId": (LEARNER, OK), "attempt": (1, OK), "score": (50, OK), "currentPosition": (100, OK),
            "totalContent": (100, OK), "timeSpent": (60, OK), "endDatetime": (SENT_DATE, SERVER),
        },
    ),
}  # fmt: skip
BASE_BODY: dict[str, dict[str, object]] = {
    "enrollments/enroll": {"courseId": COURSE_ID, "userId": "fresh-learner"},
    "lesson_tracking/start": {"totalContent": 100},
}
FIELD_CASES = [(route_file, field) for route_file, (_, _, fields) in LEARNER_FIELDS.items() for field in fields]


def test_the_field_table_covers_every_body_a_learner_may_send_and_matches_the_openapi():
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    for route_file, (_, _, fields) in LEARNER_FIELDS.items():
        event = json.loads((ROOT / "events" / f"{route_file}.json").read_text())
        method, path = event["routeKey"].split(" ")
        operation = document["paths"][path][method.lower()]
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        properties = document["components"]["schemas"][reference.rsplit("/", 1)[1]]["properties"]
        assert set(fields) == set(properties), route_file
        refused = {name for name, (_, outcome) in fields.items() if outcome == 403}
        assert set(operation["x-fields-by-role"]["learner"]) == set(fields) - refused, route_file
        assert operation["x-fields-by-role"]["admin"] == sorted(fields), route_file
        for name, schema in properties.items():
            expected = {403: "refused", SERVER: SERVER}.get(fields[name][1])
            assert schema.get("x-learner") == expected, (route_file, name)
    learner_bodies = {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation and operation["x-fields-by-role"]["learner"]
    }
    covered = {json.loads((ROOT / "events" / f"{name}.json").read_text())["routeKey"] for name in LEARNER_FIELDS}
    assert learner_bodies == covered


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize(("route_file", "field"), FIELD_CASES, ids=[f"{file}-{field}" for file, field in FIELD_CASES])
def test_a_learner_sends_each_field(api: Api, route_file: str, field: str) -> None:
    seed(api)
    courses = CourseRepository(api.tenant)
    course = courses.get(COURSE_ID)
    assert course is not None
    read = snapshot(course)
    course.auto_enroll = True
    courses.save(course, read, [])
    user, base_status, fields = LEARNER_FIELDS[route_file]
    value, outcome = fields[field]
    event = json.loads((ROOT / "events" / f"{route_file}.json").read_text())
    method, path = event["requestContext"]["http"]["method"], event["rawPath"]
    before = utc_now()

    body = {**BASE_BODY.get(route_file, {}), field: value}
    response = api.as_("learner", user=user).call(method, path, json_body=body)

    if outcome == 403:
        assert (response.status, response.err) == (403, "FORBIDDEN"), response.body
        assert f"Learners may not send {field};" in response.errmsg
        return
    assert response.status == base_status, response.body
    if outcome == SERVER and response.status < 300:
        assert response.result[field] != value
        assert response.result[field] >= before  # the server's clock


# What a learner may read once it is no longer published; staff read it still. The seeded lesson
# sits in the module; the media record is attached to a course-level lesson.
HIDDEN: dict[tuple[str, str], tuple[int | str, int | str, int | str]] = {
    # (what is hidden, route file): (instructor, the learner whose data it is, another learner)
    ("course", "lessons/get"): (OK, 404, 404),
    ("course", "media/get"): (OK, 404, 404),
    ("course", "lesson_tracking/start"): (OK, 404, 403),
    ("course", "modules/get"): (OK, 404, 404),
    ("course", "course_tracking/details"): (OK, 404, 403),
    ("course", "course_tracking/next"): (OK, 404, 403),
    ("module", "lessons/get"): (OK, 404, 404),
    ("module", "media/get"): (OK, OK, OK),
    ("module", "lesson_tracking/start"): (OK, 404, 403),
    ("link", "lessons/get"): (OK, 404, 404),
    ("link", "media/get"): (OK, OK, OK),
    ("link", "lesson_tracking/start"): (OK, 404, 403),
}
HIDDEN_CASES = [(hidden, route_file, caller) for hidden, route_file in HIDDEN for caller in (STAFF, SELF, OTHER)]


def hide(api: Api, what: str) -> None:
    """Unpublish the course or the module, or place the lesson again by an unpublished free link."""
    if what == "course":
        response = api.call("PUT", f"/api/courses/{COURSE_ID}", json_body={"status": "draft"})
    elif what == "module":
        response = api.call("PUT", f"/api/modules/{MODULE_ID}", json_body={"status": "unpublished"})
    else:
        api.call("DELETE", f"/api/courses/{COURSE_ID}/modules/{MODULE_ID}/lessons/{LESSON_ID}")
        body = {"lessonId": LESSON_ID, "status": "unpublished", "freeLesson": True}
        response = api.call("POST", f"/api/courses/{COURSE_ID}/modules/{MODULE_ID}/lessons", json_body=body)
    assert response.status < 300, response.body


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize(
    ("hidden", "route_file", "caller"), HIDDEN_CASES, ids=[f"{h}-{r}-{c}" for h, r, c in HIDDEN_CASES]
)
def test_learners_read_only_what_is_published_to_them(api: Api, hidden: str, route_file: str, caller: str) -> None:
    seed(api)
    hide(api, hidden)
    event = json.loads((ROOT / "events" / f"{route_file}.json").read_text())
    headers = {**event["headers"], "authorization": f"Bearer {token_of(api, caller)}"}
    route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])

    response = api.send(route.function, {**event, "headers": headers})

    expected = HIDDEN[hidden, route_file][(STAFF, SELF, OTHER).index(caller)]
    assert response.status == (successful_status(event) if expected == OK else expected), response.body
