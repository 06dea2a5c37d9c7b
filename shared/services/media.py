"""Media rules (RULES.md: Media): uploads checked by their bytes before anything is kept,
presigned uploads for large files, external sources, downloads and lesson attachments."""

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.event_handler.openapi.params import UploadFile

from shared import storage
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Conflict, Invalid, NotFound, PayloadTooLarge
from shared.media_rules import (
    INLINE_UPLOAD_LIMIT,
    SNIFF_BYTES,
    RejectedFile,
    check_declared,
    check_file,
    clean_filename,
    object_key,
)
from shared.observability import count
from shared.repository.items import MediaItem
from shared.repository.media import AlreadyAttached, AttachTargetGone, MediaRepository
from shared.repository.placements import link_pointers, read_placements
from shared.schemas.common import MessageResult
from shared.schemas.media import AttachmentOut, MediaCreate, MediaOut, UploadOut
from shared.services.access import is_open, shown
from shared.services.changes import with_retries
from shared.services.visibility import lesson_not_found

# A record still pending a day after its upload URL expired is removed by DynamoDB's TTL.
PENDING_LIFETIME_SECONDS = int(storage.UPLOAD_WINDOW.total_seconds()) + 24 * 3600


# What a learner's read of a media record leaves out: its object key, its free-form params and
# who made and changed it.
STAFF_ONLY_MEDIA_FIELDS = ("path", "params", "created_by", "updated_by")


def media_not_found(media_id: str) -> NotFound:
    return NotFound(f"Media {media_id} not found.")


@contextmanager
def refused_as_invalid() -> Iterator[None]:
    """A file the rules refuse is the client's mistake: 400 with the rule's sentence."""
    try:
        yield
    except RejectedFile as error:
        raise Invalid(str(error)) from None


def create_media(caller: Principal, data: MediaCreate) -> MediaOut:
    """A file stored now (form, up to 4 MB), an external source, or a pending record with a
    presigned upload (JSON metadata): the bucket registers the upload when it lands."""
    repository = MediaRepository(caller.tenant_id)
    media_id = str(uuid.uuid4())
    fields = {
        **data.model_dump(exclude_none=True, exclude={"file", "storage"}),
        "created_by": caller.user_id,
        "created_at": utc_now(),
    }
    if data.source:
        media = repository.new_media(media_id, storage="external", status="linked", **fields)
        repository.create(media)
        return MediaOut.model_validate(media)
    if data.file is not None:
        stored = _stored(repository, caller, media_id, data.file, fields)
        return _with_download_url(MediaOut.model_validate(stored), stored)
    media = _pending(repository, caller, media_id, fields)
    repository.create(media)
    upload = storage.presigned_upload(media.path or "", media.content_type or "", int(media.size or 0))
    return MediaOut.model_validate(media).model_copy(update={"upload": UploadOut.model_validate(upload)})


def _pending(repository: MediaRepository, caller: Principal, media_id: str, fields: dict[str, Any]) -> MediaItem:
    """A record awaiting its upload through a presigned POST (expiring with the URL's window)."""
    with refused_as_invalid():
        check_declared(fields["format"], fields["content_type"], fields["size"])
    key = object_key(caller.tenant_id, media_id)
    expires_at = int(time.time()) + PENDING_LIFETIME_SECONDS
    return repository.new_media(media_id, storage="s3", path=key, status="pending", expires_at=expires_at, **fields)


def _stored(
    repository: MediaRepository, caller: Principal, media_id: str, file: UploadFile, fields: dict[str, Any]
) -> MediaItem:
    """A file sent in the form: checked by its bytes, recorded, then written to the bucket."""
    content = file.content
    if len(content) > INLINE_UPLOAD_LIMIT:
        raise PayloadTooLarge(
            "Files over 4 MB cannot be sent inline: send format, orgFilename, contentType and size as JSON "
            "to get a presigned upload URL."
        )
    content_type = (file.content_type or "application/octet-stream").split(";")[0].strip().lower()
    with refused_as_invalid():
        check_file(fields["format"], content_type, len(content), content[:SNIFF_BYTES])
    key = object_key(caller.tenant_id, media_id)
    media = repository.new_media(
        media_id,
        storage="s3",
        path=key,
        status="uploaded",
        # S3's ETag of a single-part upload: the same checksum the presigned flow records
        checksum=hashlib.md5(content, usedforsecurity=False).hexdigest(),
        # What the file is wins over what the form says of it (a `size` sent beside it, say).
        **{
            "org_filename": clean_filename(file.filename or "file"),
            **fields,
            "content_type": content_type,
            "size": len(content),
        },
    )
    # The record first: the object's S3 event then finds it registered and leaves it alone.
    repository.create(media)
    try:
        storage.put_object(key, content, content_type)
    except Exception:
        media.delete()
        raise
    count("MediaUploaded")
    return media


def get_media(caller: Principal, media_id: str) -> MediaOut:
    """The record, with a short-lived download URL for a stored file. Staff read any record. A
    learner reads one only through a lesson shown to them, without what only staff see, and gets
    a URL only when such a lesson is open to them (free, or in a course they may use)."""
    repository = MediaRepository(caller.tenant_id)
    if caller.is_staff:
        media = repository.get(media_id)
        if media is None:
            raise media_not_found(media_id)
        return _with_download_url(MediaOut.model_validate(media), media)
    media, files, lessons = repository.get_with_uses(media_id)
    lesson_ids = {file.lesson_id for file in files} | {lesson.lesson_id for lesson in lessons}
    pointers = [pointer for lesson_id in sorted(lesson_ids) for pointer in link_pointers(repository.keys, lesson_id)]
    placements = [
        placement for placement in read_placements(repository.keys, pointers, caller.user_id)[0] if shown(placement)
    ]
    if media is None or not placements:
        raise media_not_found(media_id)
    out = MediaOut.model_validate(media).model_copy(update=dict.fromkeys(STAFF_ONLY_MEDIA_FIELDS))
    now = utc_now()
    return _with_download_url(out, media) if any(is_open(placement, now) for placement in placements) else out


def _with_download_url(out: MediaOut, media: MediaItem) -> MediaOut:
    if media.status != "uploaded" or not media.path:
        return out
    return out.model_copy(update={"download_url": storage.download_url(media.path, media.org_filename)})


def delete_media(caller: Principal, media_id: str) -> MessageResult:
    """Remove the record, its lesson attachments, then the stored object."""
    repository = MediaRepository(caller.tenant_id)

    def attempt() -> str | None:
        media, attachments, lessons = repository.get_with_uses(media_id)
        if media is None:
            raise media_not_found(media_id)
        if lessons:
            names = ", ".join(lesson.lesson_id for lesson in lessons)
            raise Conflict(f"Media {media_id} is the main media of lesson {names}; change that lesson's mediaId first.")
        repository.delete(media, attachments)
        path: str | None = media.path
        return path

    path = with_retries(attempt, "media")
    if path:
        storage.delete_object(path)
    count("MediaDeleted")
    return MessageResult(message="Media deleted successfully")


def attach_media(caller: Principal, lesson_id: str, media_id: str) -> AttachmentOut:
    """Attach a media file to a lesson (`filesId`); never the lesson's main media."""
    repository = MediaRepository(caller.tenant_id)

    def attempt() -> AttachmentOut:
        lesson, media = repository.get_attach_targets(lesson_id, media_id)
        if lesson is None:
            raise lesson_not_found(lesson_id)
        if media is None:
            raise media_not_found(media_id)
        attachment = repository.new_attachment(
            lesson_id, media_id, str(uuid.uuid4()), created_by=caller.user_id, created_at=utc_now()
        )
        try:
            repository.attach(attachment)
        except AlreadyAttached:
            raise Conflict(f"Media {media_id} is already attached to lesson {lesson_id}.") from None
        return AttachmentOut.model_validate(attachment)

    count("MediaAttached")
    return with_retries(attempt, f"lesson {lesson_id}", retry_on=(AttachTargetGone,))
