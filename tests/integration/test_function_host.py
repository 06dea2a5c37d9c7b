"""`make run`'s function host keeps simultaneous requests apart under real parallelism: each
function in execution environments of its own (local.environments), worker processes serving side
by side. Powertools keeps the current event on a class attribute shared by every resolver in a
process, so two functions answering at once in one process would read each other's requests (a
caller answered as someone else)."""

import threading
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.environments import ExecutionEnvironments
from tests.support.api import Api

ROUNDS = 40
# Writes that echo their caller, in four different functions.
REQUESTS = [
    ("POST", "/api/courses", {"title": "Mine"}),
    ("POST", "/api/lessons", {"title": "Mine", "format": "video"}),
    ("POST", "/api/media", {"format": "video", "source": "https://example.com/v"}),
    ("POST", "/api/modules", None),
]


@pytest.fixture(scope="module")
def environments() -> Iterator[ExecutionEnvironments]:
    """Every function of the template in environments of its own, which inherit the test
    session's variables (its DynamoDB Local, S3 and JWKS)."""
    host = ExecutionEnvironments(log=lambda line: None)
    yield host
    host.stop()


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_requests_to_several_functions_keep_their_callers(
    table: str, environments: ExecutionEnvironments, signing_key: rsa.RSAPrivateKey
) -> None:
    api = Api(host=environments, key=signing_key)
    course_id = api.create_course()["courseId"]
    mixed: list[str] = []

    def create(caller: Api, method: str, path: str, body: dict | None) -> None:
        for _ in range(ROUNDS):
            created = caller.call(method, path, json_body=body or {"courseId": course_id, "title": "Mine"})
            if created.status != 201 or created.result["createdBy"] != caller.user:
                mixed.append(f"{caller.user}: {created.status} {created.body['params']['errmsg']}")

    callers = [api.as_("admin", user=f"admin-{index}") for index in range(8)]
    threads = [
        threading.Thread(target=create, args=(caller, *REQUESTS[index % len(REQUESTS)]))
        for index, caller in enumerate(callers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert mixed == []
    # Side by side: the writes to each function were served by more than one environment.
    assert all(environments.started(function) > 1 for function in ("CoursesFunction", "LessonsFunction"))
