"""Every file in events/ replays through its function's handler, so the fixtures never rot.

A file's `<token>` becomes a fresh admin token (`<tenant>` and `<bucket>` in the S3 event, the
caller's tenant and the test bucket); the ids the files use are seeded first in the caller's
tenant (tests/support/world.py)."""

import json
from pathlib import Path

import pytest

from local import template
from local.template import ROOT
from shared.repository.media import MediaRepository
from tests.support.api import Api, route_for
from tests.support.world import EVENT_FILES, MEDIA_ID, event_from_file, pending_upload, s3_event_from_file, seed

S3_EVENT_FILES = sorted(path for path in (ROOT / "events").rglob("*.json") if '"aws:s3"' in path.read_text())


def test_there_is_an_event_for_every_route():
    covered = {json.loads(path.read_text())["routeKey"] for path in EVENT_FILES}
    routes = {f"{route.method} {route.path}" for route in template.routes()}

    assert routes <= covered


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_event_file_replays_through_its_handler(api: Api, path: Path) -> None:
    event = event_from_file(path, token=api.token())
    seed(api)
    route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])

    response = api.send(route.function, event)

    assert response.status in (200, 201), response.body
    assert response.body["responseCode"] == response.status
    assert response.body["params"]["status"] == "successful"


@pytest.mark.parametrize("path", S3_EVENT_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_s3_event_file_registers_the_upload_it_names(api: Api, path: Path) -> None:
    pending_upload(api)

    result = api.host.invoke("MediaRegistrationFunction", s3_event_from_file(path, api.tenant))

    assert [registration["outcome"] for registration in result["registered"]] == ["uploaded"]
    stored = MediaRepository(api.tenant).get(MEDIA_ID)
    assert stored is not None
    assert stored.status == "uploaded"
