"""Download URLs and upload forms are signed without an S3 client (cold start): each must be,
character for character, what an S3 client presigns for the same object, time and credentials,
both for AWS's virtual-hosted addressing and for a local endpoint's path style."""

import datetime
from collections.abc import Iterator

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from shared import storage
from shared.media_rules import content_disposition
from shared.repository.base import reset_connections

BUCKET = "lms-media-123456789012"
MOMENT = datetime.datetime(2026, 11, 28, 3, 30, 0)  # naive UTC, as botocore's signer clock gives it


@pytest.fixture
def signing_at_a_fixed_moment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for clock in ("botocore.auth", "botocore.signers", "shared.storage"):
        monkeypatch.setattr(f"{clock}.get_current_datetime", lambda: MOMENT)
    # The dev tools bring awscrt, whose signer botocore's clients then prefer (another clock, the
    # same signature scheme); Lambda's layer has no awscrt, so its clients sign as we do.
    monkeypatch.setitem(botocore.auth.AUTH_TYPE_MAPS, "s3v4-query", botocore.auth.S3SigV4QueryAuth)
    monkeypatch.setenv("MEDIA_BUCKET", BUCKET)
    yield
    monkeypatch.undo()
    reset_connections()  # forget the settings and session made from this test's environment


ADDRESSING = pytest.mark.parametrize(
    ("region", "our_endpoint", "client_endpoint", "style"),
    [
        ("eu-west-1", None, None, "virtual"),
        ("us-east-1", None, "https://s3.us-east-1.amazonaws.com", "virtual"),  # the regional name, as ours
        ("us-east-1", "http://127.0.0.1:5000", "http://127.0.0.1:5000", "path"),
    ],
)


def s3_client(monkeypatch, region, our_endpoint, client_endpoint, style):
    """Sets our environment for `our_endpoint` and returns an S3 client addressing the same way."""
    monkeypatch.setenv("AWS_REGION", region)
    if our_endpoint:
        monkeypatch.setenv("S3_ENDPOINT", our_endpoint)
    else:
        monkeypatch.delenv("S3_ENDPOINT", raising=False)
    reset_connections()
    config = Config(signature_version="s3v4", s3={"addressing_style": style})
    return boto3.client("s3", region_name=region, endpoint_url=client_endpoint, config=config)


@pytest.mark.usefixtures("signing_at_a_fixed_moment")
@ADDRESSING
@pytest.mark.parametrize(
    ("key", "filename"),
    [("T/tenant-a/media/ab cd/Résumé (1)~v2.pdf", 'Résumé "final" ü+&=.pdf'), ("T/t/media/x/photo.png", None)],
)
def test_a_download_url_is_the_one_an_s3_client_presigns(
    monkeypatch, region, our_endpoint, client_endpoint, style, key, filename
):
    client = s3_client(monkeypatch, region, our_endpoint, client_endpoint, style)
    params = {"Bucket": BUCKET, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = content_disposition(filename)

    expected = client.generate_presigned_url("get_object", Params=params, ExpiresIn=300)

    assert storage.download_url(key, filename) == expected


@pytest.mark.usefixtures("signing_at_a_fixed_moment")
@ADDRESSING
def test_an_upload_form_is_the_one_an_s3_client_presigns(monkeypatch, region, our_endpoint, client_endpoint, style):
    client = s3_client(monkeypatch, region, our_endpoint, client_endpoint, style)
    key, content_type, size = "media/tenant-a/4f1c/holiday photo.png", "image/png", 48_213

    expected = client.generate_presigned_post(
        BUCKET, key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]], ExpiresIn=900,
    )  # fmt: skip

    upload = storage.presigned_upload(key, content_type, size)
    assert upload.fields == expected["fields"]  # the policy, its signature and every field
    assert upload.url.rstrip("/") == expected["url"].rstrip("/")  # the client ends a bucket's host with "/"
    assert upload.expires_at == "2026-11-28T03:45:00Z"
