"""The deployable build answers an event of every function under Lambda's own emulator
(local/emulator.py): `sam build` for this machine's processor, then each function from the build
under the Runtime Interface Emulator that SAM CLI ships and awslambdaric, the layers where Lambda
puts them and nothing else on the path, on DynamoDB Local and a moto server. An HTTP function's
answer must be its source's answer to the same event."""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import template
from local.emulator import EmulatedFunction, machine_architecture, sam_build
from local.stack import function_environment
from local.template import ROOT
from shared.repository.media import MediaRepository
from tests.support.api import Api
from tests.support.world import MEDIA_ID, event_from_file, pending_upload, s3_event_from_file, seed

# The build is made once, for this module's tests, which run on one worker.
pytestmark = pytest.mark.xdist_group("emulator")
ON_DYNAMODB_LOCAL = pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)  # reached over HTTP

# One event of events/ for each function of the template.
EVENTS = {
    "CoursesFunction": "courses/details.json",
    "ModulesFunction": "modules/get.json",
    "LessonsFunction": "lessons/get.json",
    "MediaFunction": "media/get.json",
    "EnrollmentsFunction": "enrollments/list.json",
    "CourseTrackingFunction": "course_tracking/details.json",
    "LessonTrackingFunction": "lesson_tracking/history.json",
    "MediaRegistrationFunction": "media/s3-object-created.json",
    "StreamProjectorFunction": "stream_projector/course-completed.json",
    "EnrollmentExpiryFunction": "enrollment_expiry/scheduled.json",
    "BackfillFunction": "backfill/listings.json",
}


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("emulator-build")
    sam_build(folder, machine_architecture())
    return folder


@pytest.fixture(scope="module")
def emulated(build: Path, backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every function of the build under the emulator, with the test session's stand-ins, and
    what the emulators wrote (Lambda's START, END and REPORT lines among it)."""
    variables = function_environment(os.environ["JWKS_URL"], backend, os.environ["S3_ENDPOINT"])
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "MEDIA_BUCKET", "EVENT_BUS_NAME"):
        variables[name] = os.environ[name]  # the test session's resources
    log = tmp_path_factory.mktemp("emulator-log") / "emulators.log"
    with log.open("w") as output:
        functions = {
            name: EmulatedFunction(build, function, variables, output)
            for name, function in template.functions().items()
        }
        yield {"functions": functions, "log": log}
        for function in functions.values():
            function.stop()


def test_there_is_an_event_for_every_function() -> None:
    assert set(EVENTS) == set(template.functions())


@ON_DYNAMODB_LOCAL
@pytest.mark.parametrize("function", sorted(EVENTS))
def test_every_function_of_the_build_answers_its_event_under_the_emulator(
    function: str, emulated: dict[str, Any], api: Api
) -> None:
    path = ROOT / "events" / EVENTS[function]
    if function == "MediaRegistrationFunction":
        pending_upload(api)
        answer = emulated["functions"][function].invoke(s3_event_from_file(path, api.tenant))
        assert [registration["outcome"] for registration in answer["registered"]] == ["uploaded"]
        stored = MediaRepository(api.tenant).get(MEDIA_ID)
        assert stored is not None
        assert stored.status == "uploaded"
        return
    seed(api)
    event = event_from_file(path, token=api.token(), tenant=api.tenant)
    answer = emulated["functions"][function].invoke(event)
    if "routeKey" in event:  # an HTTP function: its source answers the same
        assert answer["statusCode"] == 200, answer
        body = json.loads(answer["body"])
        assert (body["responseCode"], body["params"]["status"]) == (200, "successful")
        assert unsigned(body["result"]) == unsigned(api.send(function, event).result)
    elif function == "StreamProjectorFunction":
        assert answer == {"batchItemFailures": []}
    elif function == "EnrollmentExpiryFunction":
        assert set(answer) == {"enrollment.expiring", "enrollment.expired", "stopped"}, answer
    else:
        assert answer == {"name": "listings", "changed": 0, "done": True, "resumeFrom": None}
    assert "errorType" not in answer


@ON_DYNAMODB_LOCAL
def test_the_emulator_logs_each_invocation_as_lambda_does(emulated: dict[str, Any]) -> None:
    emulated["functions"]["CoursesFunction"].invoke({"version": "0"})  # not an API Gateway event: refused
    written = emulated["log"].read_text()
    assert "START RequestId:" in written
    assert "REPORT RequestId:" in written
    assert "Init Duration" in written


def unsigned(value: Any) -> Any:
    """`value` with each presigned URL's query left off: its signature covers the second it was made."""
    if isinstance(value, dict):
        return {key: unsigned(part) for key, part in value.items()}
    if isinstance(value, list):
        return [unsigned(part) for part in value]
    if isinstance(value, str) and "X-Amz-Signature=" in value:
        return value.split("?", 1)[0]
    return value
