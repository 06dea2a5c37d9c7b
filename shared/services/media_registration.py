"""Registering what lands in the media bucket (S3 `ObjectCreated`, delivered at least once).

The object itself is checked (size, first bytes, and a key naming a pending record of its
tenant): the presigned policy is never trusted alone. An accepted object marks its record
`uploaded`; a refused one is removed and its record marked `rejected`; an object no pending
record expects is removed. A repeated event finds the object registered and changes nothing."""

from dataclasses import dataclass
from typing import Literal

from shared import storage
from shared.clock import utc_now
from shared.media_rules import SNIFF_BYTES, RejectedFile, check_file, parse_object_key
from shared.observability import count, logger
from shared.repository.items import MediaItem
from shared.repository.media import MediaRepository, NotPending

Outcome = Literal["uploaded", "rejected", "removed", "unchanged"]
REGISTRAR = "media-registration"


@dataclass(frozen=True)
class Registration:
    key: str
    outcome: Outcome
    reason: str | None = None


def register_object(key: str) -> Registration:
    """Decide the fate of the object at `key` (already URL-decoded)."""
    parsed = parse_object_key(key)
    if parsed is None:
        storage.delete_object(key)
        return Registration(key, "removed", "the key was not made by the service")
    tenant_id, media_id = parsed
    repository = MediaRepository(tenant_id)
    media = repository.get(media_id)
    if media is None or media.path != key:
        storage.delete_object(key)
        return Registration(key, "removed", "no media record expects this object")
    if media.status not in ("pending", "uploaded"):
        storage.delete_object(key)
        return Registration(key, "removed", f"the record is {media.status}")
    found = storage.inspect_object(key, SNIFF_BYTES)
    if found is None:
        return Registration(key, "unchanged", "the object is gone")
    if media.status == "uploaded" and found.etag == media.checksum:
        return Registration(key, "unchanged", "the object is registered already")
    # A pending upload, or a registered object replaced through a still-valid upload URL:
    # either way these bytes are checked before they are kept.
    try:
        if found.size != media.size:
            raise RejectedFile(f"The upload is {found.size} bytes, not the {int(media.size or 0)} declared.")
        check_file(media.format, media.content_type or "", found.size, found.head)
    except RejectedFile as error:
        outcome = _settle(media, "rejected", reason=str(error))
        if outcome == "rejected":
            storage.delete_object(key)
        return Registration(key, outcome, str(error))
    return Registration(key, _settle(media, "uploaded", size=found.size, checksum=found.etag))


def _settle(media: MediaItem, status: Outcome, **fields: object) -> Outcome:
    try:
        MediaRepository.settle(media, status, updated_by=REGISTRAR, updated_at=utc_now(), **fields)
    except NotPending:
        return "unchanged"  # another delivery of the same event got there first
    count(f"Media{status.capitalize()}")
    logger.info("Media registered", extra={"media_id": media.media_id, "status": status})
    return status
