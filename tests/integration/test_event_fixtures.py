"""Every file in events/ replays through its function's handler, so the fixtures never rot.

A file's `<token>` becomes a fresh admin token (`<tenant>` and `<bucket>` in the S3 event, the
caller's tenant and the test bucket); the ids the files use are seeded first in the caller's
tenant (tests/support/world.py)."""

import json
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest

from local import template
from local.stack import LOCAL_REGION
from local.template import ROOT
from shared.clock import utc_now
from shared.media_rules import object_key
from shared.repository.media import MediaRepository
from shared.settings import get_settings
from tests.support import samples
from tests.support.api import Api, route_for
from tests.support.world import EVENT_FILES, MEDIA_ID, event_from_file, seed

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
    media = MediaRepository(api.tenant)
    key = object_key(api.tenant, MEDIA_ID)
    made = {"created_by": api.user, "created_at": utc_now()}
    pending = media.new_media(
        MEDIA_ID,
        format="image",
        storage="s3",
        path=key,
        status="pending",
        content_type="image/png",
        size=len(samples.PNG),
        **made,
    )
    media.create(pending)
    boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION).put_object(
        Bucket=get_settings().media_bucket, Key=key, Body=samples.PNG
    )
    text = (
        path.read_text()
        .replace("<bucket>", get_settings().media_bucket)
        .replace("<tenant>", quote(quote(api.tenant, safe="")))
    )

    result = api.host.invoke("MediaRegistrationFunction", json.loads(text))

    assert [registration["outcome"] for registration in result["registered"]] == ["uploaded"]
    stored = media.get(MEDIA_ID)
    assert stored is not None
    assert stored.status == "uploaded"
