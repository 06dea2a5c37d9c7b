"""Hostile input, generated (hypothesis): arbitrary bytes under every content type, JSON with the
body models' own field names but hostile values (giant, deeply nested, unicode edge cases,
NoSQL-looking strings), sent to every route that takes a body. The answer is always the
envelope, a success or a 4xx, never a 5xx; and a refused request stores nothing (DynamoDB carried
out no write for it: an update is caught as well as a new item)."""

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local import openapi
from shared.repository.metering import RequestCounter
from tests.support.api import Api, route_for
from tests.support.world import EVENT_FILES, seed

DOCUMENT = json.loads(openapi.DOCUMENT.read_text())
# One event file per route with a body: its path names the world's ids, so requests get past the
# route to the rules.
BODY_EVENTS = {
    event["routeKey"]: event
    for event in (json.loads(path.read_text()) for path in EVENT_FILES)
    if event["requestContext"]["http"]["method"] in ("POST", "PUT") and "body" in event
}
HOSTILE_TEXT = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        [
            "\ud800",  # a lone surrogate: not encodable as UTF-8
            "\x00\x01\x1b[31m",
            "\u202egnp.exe",
            "🎓" * 300,
            "a" * 300_000,
            '{"$gt": ""}',
            "' OR '1'='1",
            "T#another-tenant#COURSE#3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "#COURSE",
            "../../etc/passwd",
            "null",
            "true",
            "-1",
            "1e309",
            "2024-13-45T99:99:99Z",
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(HOSTILE_TEXT, children, max_size=3),
    max_leaves=12,
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "multipart/form-data; boundary=lms-form-boundary",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "",
    ]
)
HYPOTHESIS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)


def fields_of(route_key: str) -> list[str]:
    method, path = route_key.split(" ", 1)
    body = DOCUMENT["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    return list(DOCUMENT["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"])


def send(api: Api, route_key: str, body: bytes, content_type: str) -> tuple[int, dict]:
    event = BODY_EVENTS[route_key]
    headers = {"authorization": f"Bearer {api.token()}", "user-agent": "hypothesis"}
    if content_type:
        headers["content-type"] = content_type
    route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])
    # API Gateway hands over a body that is not valid UTF-8 text base64-encoded, as here.
    sent = {**event, "headers": headers, "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    response = api.send(route.function, sent)
    return response.status, response.body


def check(api: Api, route_key: str, body: bytes, content_type: str) -> None:
    with RequestCounter() as counter:
        status, envelope = send(api, route_key, body, content_type)
    assert status < 500, (route_key, body[:200], envelope)
    assert envelope["responseCode"] == status
    if status >= 400:
        assert envelope["params"]["err"]
        assert envelope["params"]["errmsg"]
        assert counter.writes_carried_out == [], "a refused request stored something"


@pytest.fixture
def world(api: Api) -> Api:
    seed(api)
    return api


ROUTES = sorted(BODY_EVENTS)


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize("route_key", ROUTES)
@HYPOTHESIS
@given(body=st.binary(max_size=2_000), content_type=CONTENT_TYPES)
def test_arbitrary_bytes_are_refused_in_the_envelope(world: Api, route_key: str, body: bytes, content_type: str):
    check(world, route_key, body, content_type)


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize("route_key", ROUTES)
@HYPOTHESIS
@given(data=st.data())
def test_hostile_values_in_the_models_own_fields(world: Api, route_key: str, data: st.DataObject):
    names = fields_of(route_key)
    body = data.draw(st.dictionaries(st.sampled_from(names), JSON_VALUES, max_size=len(names)))
    check(world, route_key, json.dumps(body).encode(), "application/json")


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's recursion
        b'{"title": ' * 50_000 + b"1" + b"}" * 50_000,
        json.dumps({"title": "x" * 5_000_000}).encode(),  # a giant field, under API Gateway's 10 MB
        b'{"title": "a", "title": "b", "status": "published"}',  # a duplicate key
        b'\xef\xbb\xbf{"title": "BOM"}',
        b'{"title": "\\ud800"}',
    ],
    ids=["deep-array", "deep-object", "giant-field", "duplicate-key", "bom", "lone-surrogate"],
)
def test_pathological_json(world: Api, body: bytes):
    check(world, "POST /api/courses", body, "application/json")
