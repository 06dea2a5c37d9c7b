"""Download URLs are signed without an S3 client (cold start): each must be, character for
character, the URL an S3 client presigns for the same object, time and credentials, both for
AWS's virtual-hosted addressing and for a local endpoint's path style."""

import datetime
from collections.abc import Iterator

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from shared import storage
from shared.repository.base import reset_connections

BUCKET = "lms-media-123456789012"
MOMENT = datetime.datetime(2026, 11, 28, 3, 30, 0)  # naive UTC, as botocore's signer clock gives it


@pytest.fixture
def signing_at_a_fixed_moment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: MOMENT)
    # The dev tools bring awscrt, whose signer botocore's clients then prefer (another clock, the
    # same signature scheme); Lambda's layer has no awscrt, so its clients sign as we do.
    monkeypatch.setitem(botocore.auth.AUTH_TYPE_MAPS, "s3v4-query", botocore.auth.S3SigV4QueryAuth)
    monkeypatch.setenv("MEDIA_BUCKET", BUCKET)
    yield
    monkeypatch.undo()
    reset_connections()  # forget the settings and session made from this test's environment


@pytest.mark.usefixtures("signing_at_a_fixed_moment")
@pytest.mark.parametrize(
    ("region", "our_endpoint", "client_endpoint", "style"),
    [
        ("eu-west-1", None, None, "virtual"),
        ("us-east-1", None, "https://s3.us-east-1.amazonaws.com", "virtual"),  # the regional name, as ours
        ("us-east-1", "http://127.0.0.1:5000", "http://127.0.0.1:5000", "path"),
    ],
)
@pytest.mark.parametrize(
    ("key", "filename"),
    [("T/tenant-a/media/ab cd/Résumé (1)~v2.pdf", 'Résumé "final" ü+&=.pdf'), ("T/t/media/x/photo.png", None)],
)
def test_a_download_url_is_the_one_an_s3_client_presigns(
    monkeypatch, region, our_endpoint, client_endpoint, style, key, filename
):
    monkeypatch.setenv("AWS_REGION", region)
    if our_endpoint:
        monkeypatch.setenv("S3_ENDPOINT", our_endpoint)
    else:
        monkeypatch.delenv("S3_ENDPOINT", raising=False)
    reset_connections()
    client = boto3.client(
        "s3", region_name=region, endpoint_url=client_endpoint,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )  # fmt: skip
    params = {"Bucket": BUCKET, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename.replace(chr(34), "")}"'

    expected = client.generate_presigned_url("get_object", Params=params, ExpiresIn=300)

    assert storage.download_url(key, filename) == expected
