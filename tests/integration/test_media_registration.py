"""What lands in the bucket is registered by the real MediaRegistration handler from a real S3
event: accepted, rejected and removed, or left alone on a repeated delivery."""

import json
from urllib.parse import quote, quote_plus

import boto3
import pytest

from local.stack import LOCAL_REGION
from local.template import ROOT
from shared.media_rules import object_key
from shared.settings import get_settings
from tests.support import samples
from tests.support.api import Api

EVENT = ROOT / "events" / "media" / "s3-object-created.json"


def bucket():
    return boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION)


def s3_event(key: str) -> dict:
    """The fixture with this object's key, URL-encoded as S3 sends it."""
    event = json.loads(EVENT.read_text().replace("<bucket>", get_settings().media_bucket))
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    return event


def pending(
    api: Api, content_type: str = "image/png", size: int = len(samples.PNG), media_format: str = "image"
) -> dict:
    body = {"format": media_format, "orgFilename": "upload.bin", "contentType": content_type, "size": size}
    response = api.call("POST", "/api/media", json_body=body)
    assert response.status == 201, response.body
    return response.result


def land(api: Api, key: str, data: bytes) -> dict:
    """The object arrives (as a presigned POST would put it) and S3 tells the function."""
    bucket().put_object(Bucket=get_settings().media_bucket, Key=key, Body=data)
    result: dict = api.host.invoke("MediaRegistrationFunction", s3_event(key))
    return result


def object_exists(key: str) -> bool:
    return bucket().list_objects_v2(Bucket=get_settings().media_bucket, Prefix=key).get("KeyCount", 0) == 1


def test_an_upload_that_matches_its_record_is_registered_once(api):
    media = pending(api)

    first = land(api, media["path"], samples.PNG)
    registered = api.call("GET", f"/api/media/{media['mediaId']}").result
    second = api.host.invoke("MediaRegistrationFunction", s3_event(media["path"]))

    assert first["registered"][0]["outcome"] == "uploaded"
    assert (registered["status"], registered["size"], registered["checksum"]) == (
        "uploaded",
        len(samples.PNG),
        registered["checksum"],
    )
    assert registered["checksum"]
    assert registered["updatedBy"] == "media-registration"
    assert registered["downloadUrl"]
    assert second["registered"][0]["outcome"] == "unchanged"
    assert api.call("GET", f"/api/media/{media['mediaId']}").result["updatedAt"] == registered["updatedAt"]


@pytest.mark.parametrize(
    ("declared_size", "data", "reason"),
    [
        (len(samples.EXE), samples.EXE, "content is not image/png"),
        (len(samples.JPEG), samples.JPEG, "content is not image/png"),
        (
            len(samples.PNG),
            samples.PNG + b"extra",
            f"is {len(samples.PNG) + 5} bytes, not the {len(samples.PNG)} declared",
        ),
    ],
    ids=["executable-renamed", "other-type", "other-size"],
)
def test_an_upload_that_breaks_the_rules_is_removed_and_its_record_rejected(api, declared_size, data, reason):
    media = pending(api, "image/png", size=declared_size)

    result = land(api, media["path"], data)

    assert result["registered"][0]["outcome"] == "rejected"
    assert reason in result["registered"][0]["reason"]
    assert not object_exists(media["path"])
    stored = api.call("GET", f"/api/media/{media['mediaId']}").result
    assert (stored["status"], stored["downloadUrl"]) == ("rejected", None)
    assert reason in stored["reason"]


@pytest.mark.parametrize(
    "key", ["media/{tenant}/8f14e45f-ceea-467a-a866-051c4a5d6bb1", "media/elsewhere.exe", "media/{tenant}/not-an-id"]
)
def test_an_object_no_record_expects_is_removed(api, key):
    key = key.format(tenant=quote(api.tenant, safe=""))

    result = land(api, key, samples.PNG)

    assert result["registered"][0]["outcome"] == "removed"
    assert not object_exists(key)


def test_keys_arrive_url_encoded_and_are_decoded(api):
    spaced = api.as_("admin", tenant="tenant with spaces+plus")
    media = pending(spaced)
    assert media["path"] == object_key("tenant with spaces+plus", media["mediaId"])

    result = land(spaced, media["path"], samples.PNG)

    assert result["registered"][0]["outcome"] == "uploaded"


def test_an_object_under_another_tenants_prefix_never_registers_this_tenants_record(api):
    media = pending(api)
    other_tenant_key = object_key("someone-else", media["mediaId"])

    result = land(api, other_tenant_key, samples.PNG)

    assert result["registered"][0]["outcome"] == "removed"
    assert not object_exists(other_tenant_key)
    assert api.call("GET", f"/api/media/{media['mediaId']}").result["status"] == "pending"


def test_a_registered_object_replaced_through_its_upload_url_is_checked_again(api):
    media = pending(api)
    land(api, media["path"], samples.PNG)

    replaced = land(api, media["path"], samples.EXE[: len(samples.PNG)].ljust(len(samples.PNG), b"\x00"))

    assert replaced["registered"][0]["outcome"] == "rejected"
    assert not object_exists(media["path"])
    assert api.call("GET", f"/api/media/{media['mediaId']}").result["status"] == "rejected"


def test_an_object_for_a_rejected_record_is_removed(api):
    media = pending(api)
    land(api, media["path"], samples.JPEG.ljust(len(samples.PNG), b"\x00")[: len(samples.PNG)])

    again = land(api, media["path"], samples.PNG)

    assert again["registered"][0]["outcome"] == "removed"
    assert not object_exists(media["path"])


def test_an_upload_whose_record_was_deleted_before_its_event_arrived_is_removed(api):
    """S3's events come at least once and in no set order: here the media is deleted (record and
    object) after its upload and before the upload's event reaches the function."""
    media = pending(api)
    bucket().put_object(Bucket=get_settings().media_bucket, Key=media["path"], Body=samples.PNG)
    assert api.call("DELETE", f"/api/media/{media['mediaId']}").status == 200

    late = api.host.invoke("MediaRegistrationFunction", s3_event(media["path"]))
    again = api.host.invoke("MediaRegistrationFunction", s3_event(media["path"]))  # and delivered twice

    assert [late["registered"][0]["outcome"], again["registered"][0]["outcome"]] == ["removed", "removed"]
    assert api.call("GET", f"/api/media/{media['mediaId']}").status == 404  # not brought back
    assert not object_exists(media["path"])
