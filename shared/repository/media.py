"""Media records and their attachments to lessons."""

from typing import Any

from pynamodb.exceptions import UpdateError

from shared.repository.base import (
    Cancelled,
    LmsItem,
    Transaction,
    concurrent_change,
    condition_failed,
    delete_with_children,
    first_of,
    save_once,
    transaction,
)
from shared.repository.items import (
    LESSON_SK,
    MEDIA_SK,
    FileAssociation,
    Keys,
    LessonItem,
    MediaItem,
)

MAIN_MEDIA_USE = "LESSON#"  # LookupIndex sort key prefix of a lesson having the media as main media


def mark_media_used(writes: Transaction, keys: Keys, media_id: str) -> None:
    """In a transaction that adds a use of the media: it must exist, and its revision moves on."""
    media = MediaItem(keys.media(media_id), MEDIA_SK)
    writes.update(media, [MediaItem.revision.add(1)], condition=MediaItem.pk.exists(), name="media")


class AlreadyAttached(Exception):
    """The media is attached to that lesson already."""


class NotPending(Exception):
    """The media record changed since it was read (registered by another delivery, or gone)."""


class AttachTargetGone(Exception):
    """The lesson or the media disappeared while the attachment was written."""


class MediaRepository:
    """Media storage for one tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_media(self, media_id: str, **fields: Any) -> MediaItem:
        media_key = self.keys.media(media_id)
        return MediaItem(
            media_key,
            MEDIA_SK,
            media_id=media_id,
            tenant_id=self.keys.tenant_id,
            gsi2pk=media_key,
            gsi2sk=MEDIA_SK,
            **fields,
        )

    def create(self, media: MediaItem) -> None:
        save_once(media, condition=MediaItem.pk.does_not_exist())

    def get(self, media_id: str) -> MediaItem | None:
        """The record, by a strongly consistent GetItem."""
        try:
            return MediaItem.get(self.keys.media(media_id), MEDIA_SK, consistent_read=True)
        except MediaItem.DoesNotExist:
            return None

    @staticmethod
    def settle(media: MediaItem, status: str, **fields: object) -> None:
        """Move the record, as it was read (its status and checksum), to `status` with `fields`
        and out of the TTL; NotPending when another writer changed it first."""
        actions = [getattr(MediaItem, name).set(value) for name, value in fields.items() if value is not None]
        unchanged = MediaItem.status == media.status
        unchanged &= MediaItem.checksum == media.checksum if media.checksum else MediaItem.checksum.does_not_exist()
        try:
            media.update(
                actions=[MediaItem.status.set(status), MediaItem.expires_at.remove(), *actions],
                condition=unchanged,
                add_version_condition=False,
            )
        except UpdateError as error:
            if condition_failed(error):
                raise NotPending(media.media_id) from error
            raise

    def get_with_uses(self, media_id: str) -> tuple[MediaItem | None, list[FileAssociation], list[LessonItem]]:
        """The record, its lesson attachments and the lessons having it as main media: one Query
        of its LookupIndex partition."""
        found = list(LmsItem.lookup_index.query(self.keys.media(media_id)))
        media = first_of(found, MediaItem)
        files = [item for item in found if isinstance(item, FileAssociation)]
        return media, files, [item for item in found if isinstance(item, LessonItem)]

    def get_attach_targets(self, lesson_id: str, media_id: str) -> tuple[LessonItem | None, MediaItem | None]:
        """The lesson and the media record in one BatchGetItem."""
        keys = [(self.keys.lesson(lesson_id), LESSON_SK), (self.keys.media(media_id), MEDIA_SK)]
        found = list(LmsItem.batch_get(keys, consistent_read=True))
        return (
            first_of(found, LessonItem),
            first_of(found, MediaItem),
        )

    def new_attachment(self, lesson_id: str, media_id: str, files_id: str, **fields: Any) -> FileAssociation:
        return FileAssociation(
            self.keys.lesson(lesson_id),
            self.keys.file_sk(media_id),
            files_id=files_id,
            lesson_id=lesson_id,
            media_id=media_id,
            gsi2pk=self.keys.media(media_id),
            gsi2sk=self.keys.file_sk(lesson_id),
            **fields,
        )

    def attach(self, attachment: FileAssociation) -> None:
        """Write the attachment while lesson and media exist; AlreadyAttached for a repeat."""
        lesson_key = (self.keys.lesson(attachment.lesson_id), LESSON_SK)
        try:
            with transaction() as writes:
                writes.save(attachment, condition=FileAssociation.pk.does_not_exist(), name="attachment")
                writes.check(LessonItem, lesson_key, LessonItem.pk.exists(), name="lesson")
                mark_media_used(writes, self.keys, attachment.media_id)
        except Cancelled as cancelled:
            if cancelled.failed("attachment"):
                raise AlreadyAttached(attachment.media_id) from cancelled
            if cancelled.failed("lesson") or cancelled.failed("media"):
                raise AttachTargetGone(attachment.media_id) from cancelled
            raise

    def delete(self, media: MediaItem, attachments: list[FileAssociation]) -> None:
        """Remove the record and its attachments (the caller removes the object), provided no use
        was added since they were read (ConcurrentModification otherwise)."""
        try:
            delete_with_children(media, MediaItem.revision == media.revision, attachments)
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, media.media_id, "head")  # noqa: B904 - chained implicitly
