"""Course, module and lesson images: a form file or base64 text (as the contract's update bodies
show), checked as an image by its bytes, stored in the media bucket under `images/`. The entity
keeps the key; single reads add a short-lived `imageUrl`."""

import base64
import binascii
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.event_handler.openapi.params import UploadFile
from pydantic import BaseModel

from shared import storage
from shared.errors import Invalid
from shared.media_rules import FILE_RULES, SNIFF_BYTES, RejectedFile, check_file, image_key, recognised_types

_DATA_URL = re.compile(r"^data:[\w/+.-]+;base64,", re.IGNORECASE)
IMAGE_TYPES = FILE_RULES["image"].content_types


def _decoded(value: UploadFile | str) -> tuple[bytes, str]:
    if isinstance(value, UploadFile):
        return value.content, (value.content_type or "").split(";")[0].strip().lower()
    try:
        content = base64.b64decode(_DATA_URL.sub("", value.strip()), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("The field 'image' must be an image file or its base64 text.") from None
    # Base64 text declares no type: the bytes say which image it is.
    return content, next(iter(sorted(recognised_types(content[:SNIFF_BYTES]) & IMAGE_TYPES)), "")


def store_image(tenant_id: str, value: UploadFile | str) -> str:
    """Check and store the image; returns its object key."""
    content, content_type = _decoded(value)
    try:
        check_file("image", content_type, len(content), content[:SNIFF_BYTES])
    except RejectedFile as error:
        raise Invalid(f"The field 'image' is not accepted: {error}") from None
    key = image_key(tenant_id)
    storage.put_object(key, content, content_type)
    return key


@contextmanager
def new_image(tenant_id: str, value: UploadFile | str | None) -> Iterator[str | None]:
    """Store the image sent for an entity about to be written and yield its key (None when no
    image was sent); if the write then fails, the stored image is removed again."""
    key = store_image(tenant_id, value) if value is not None else None
    try:
        yield key
    except BaseException:
        if key:
            storage.delete_object(key)
        raise


@contextmanager
def sent_image(tenant_id: str, sent: dict[str, Any]) -> Iterator[None]:
    """For a partial update: when `image` was sent, store it first and put its key in `sent`
    (`null` clears the image); removed again if the update fails."""
    if "image" not in sent:
        yield
        return
    with new_image(tenant_id, sent["image"]) as key:
        sent["image"] = key
        yield


def discard_image(key: str | None) -> None:
    """Remove an image an entity no longer uses (after the entity's write succeeded)."""
    if key:
        storage.delete_object(key)


def with_image_url[M: BaseModel](out: M) -> M:
    """A single-entity read also gets a short-lived `imageUrl` for its `image` key."""
    key = getattr(out, "image", None)
    return out.model_copy(update={"image_url": storage.download_url(key, None) if key else None})
