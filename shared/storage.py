"""The media bucket: presigned uploads and downloads, and the few object calls the service makes.

Upload forms and download URLs are signed without an S3 client, whose service model costs a cold
start 0.1–0.3 s; the client, for the object calls, is built on first use."""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.auth import ISO8601, S3SigV4PostAuth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.compat import get_current_datetime
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import NoCredentialsError

from shared.aws import new_client
from shared.media_rules import content_disposition
from shared.repository.base import botocore_session
from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

UPLOAD_WINDOW = timedelta(minutes=15)
DOWNLOAD_WINDOW = timedelta(minutes=5)


@cache
def s3() -> "S3Client":
    settings = get_settings()
    # Path-style addressing when an endpoint (moto, a local S3) stands in for AWS.
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.s3_endpoint else "auto"},
    )
    client: S3Client = new_client("s3", settings.s3_endpoint, config)
    return client


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    expires_at: str


def presigned_upload(key: str, content_type: str, size: int) -> PresignedUpload:
    """A POST form that lets a browser put exactly this kind and size of file at `key`, briefly.
    (The registration function checks the object again: the policy is not trusted alone.)

    Signed by botocore's SigV4 POST signer with the policy an S3 client's `generate_presigned_post`
    would write, without the client (see `download_url`); a test checks the two forms are equal."""
    settings = get_settings()
    expires = get_current_datetime() + UPLOAD_WINDOW  # botocore's clock (naive UTC), as its signer's
    fields = {"Content-Type": content_type, "key": key}
    conditions: list[Any] = [
        {"Content-Type": content_type},
        ["content-length-range", size, size],
        {"bucket": settings.media_bucket},
        {"key": key},
    ]
    request = AWSRequest(method="POST", url=_bucket_url(settings))
    request.context["s3-presign-post-fields"] = fields
    request.context["s3-presign-post-policy"] = {"expiration": expires.strftime(ISO8601), "conditions": conditions}
    S3SigV4PostAuth(_credentials(), "s3", settings.aws_region).add_auth(request)
    return PresignedUpload(str(request.url), fields, expires.strftime("%Y-%m-%dT%H:%M:%SZ"))


def download_url(key: str, filename: str | None) -> str:
    """A short-lived GET URL for the object, saved under its original name.

    Signed by botocore's SigV4 query signer itself, the one an S3 client's presigning uses, with
    no client: a client loads S3's service model and endpoint rules (about 2 MB of JSON, 0.1–0.3 s
    of a cold start) that a signature does not need. A test checks the URL equals the client's."""
    settings = get_settings()
    url = f"{_bucket_url(settings)}/{quote(key, safe='/~')}"
    if filename:
        url += "?response-content-disposition=" + quote(content_disposition(filename), safe="-_.~")
    request = AWSRequest(method="GET", url=url)
    signer = S3SigV4QueryAuth(_credentials(), "s3", settings.aws_region, expires=int(DOWNLOAD_WINDOW.total_seconds()))
    signer.add_auth(request)
    return str(request.url)


def _credentials() -> Credentials:
    credentials = botocore_session().get_credentials()
    if credentials is None:
        raise NoCredentialsError()
    return credentials


def _bucket_url(settings: Settings) -> str:
    if settings.s3_endpoint:  # a local stand-in (moto): path-style
        return f"{settings.s3_endpoint.rstrip('/')}/{settings.media_bucket}"
    return f"https://{settings.media_bucket}.s3.{settings.aws_region}.amazonaws.com"


def put_object(key: str, body: bytes, content_type: str) -> None:
    s3().put_object(Bucket=get_settings().media_bucket, Key=key, Body=body, ContentType=content_type)


def copy_object(source: str, key: str) -> None:
    """A copy of a stored object under another key, within the bucket."""
    bucket = get_settings().media_bucket
    s3().copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": source})


def delete_object(key: str) -> None:
    s3().delete_object(Bucket=get_settings().media_bucket, Key=key)


@dataclass(frozen=True)
class StoredObject:
    size: int
    etag: str
    head: bytes  # the first bytes, enough to recognise the type


def inspect_object(key: str, head_bytes: int) -> StoredObject | None:
    """Size, ETag and first bytes of an object (None when it is not there): two requests,
    whatever the object's size."""
    client, bucket = s3(), get_settings().media_bucket
    try:
        described = client.head_object(Bucket=bucket, Key=key)
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    size = int(described["ContentLength"])
    head = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{head_bytes - 1}")["Body"].read() if size else b""
    return StoredObject(size, described["ETag"].strip('"'), head)
