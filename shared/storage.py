"""The media bucket: presigned uploads and downloads, and the few object calls the service makes.

The S3 client is built on first use, so functions that never touch media never import or
build it (cold start)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from shared.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

UPLOAD_WINDOW = timedelta(minutes=15)
DOWNLOAD_WINDOW = timedelta(minutes=5)


@cache
def s3() -> "S3Client":
    import boto3
    from botocore.config import Config

    settings = get_settings()
    # Path-style addressing when an endpoint (moto, a local S3) stands in for AWS.
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.s3_endpoint else "auto"},
        retries={"mode": "standard"},
    )
    return boto3.client("s3", endpoint_url=settings.s3_endpoint, region_name=settings.aws_region, config=config)


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    expires_at: str


def presigned_upload(key: str, content_type: str, size: int) -> PresignedUpload:
    """A POST form that lets a browser put exactly this kind and size of file at `key`, briefly.
    (The registration function checks the object again: the policy is not trusted alone.)"""
    expires = datetime.now(UTC) + UPLOAD_WINDOW
    post: dict[str, Any] = s3().generate_presigned_post(
        Bucket=get_settings().media_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=int(UPLOAD_WINDOW.total_seconds()),
    )
    return PresignedUpload(post["url"], post["fields"], expires.strftime("%Y-%m-%dT%H:%M:%SZ"))


def download_url(key: str, filename: str | None) -> str:
    """A short-lived GET URL for the object, saved under its original name."""
    params: dict[str, Any] = {"Bucket": get_settings().media_bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename.replace(chr(34), "")}"'
    url: str = s3().generate_presigned_url("get_object", Params=params, ExpiresIn=int(DOWNLOAD_WINDOW.total_seconds()))
    return url


def put_object(key: str, body: bytes, content_type: str) -> None:
    s3().put_object(Bucket=get_settings().media_bucket, Key=key, Body=body, ContentType=content_type)


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
