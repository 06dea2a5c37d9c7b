"""What follows from a change in the table (its stream, at least once): `course.completed` when a
course track becomes completed, a course's new summary copied onto its enrollments, a lesson's
new summary completed on links past its update's own transaction, a course's tree documents
built again when a write changed its tree, and the file of an upload never registered removed
when its pending record expires (DynamoDB's TTL).

Each step is safe to repeat: the event is published once per completion (its key is the track
and the version that completed it), and copying a summary twice writes the same thing."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import storage
from shared.events import publish_once
from shared.observability import count, logger
from shared.repository.base import LmsItem, tenant_and_id
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.items import CourseItem, CourseTrackItem, LessonItem, MediaItem, TreeHead
from shared.repository.lessons import LessonRepository, lesson_summary
from shared.repository.trees import current
from shared.services import course_tree
from shared.services.enrollments import course_summary
from shared.services.grading import COMPLETED

COURSE_COMPLETED = "course.completed"
PENDING = "pending"


def item_of(image: dict[str, Any] | None) -> LmsItem | None:
    """The typed item of a stream image (DynamoDB JSON), or None."""
    return LmsItem.from_raw_data(image) if image else None


def project(old: LmsItem | None, new: LmsItem | None, context: LambdaContext | None) -> None:
    if isinstance(new, TreeHead):
        _tree_changed(new)
    elif isinstance(new, CourseTrackItem):
        _track_changed(old if isinstance(old, CourseTrackItem) else None, new, context)
    elif isinstance(new, CourseItem) and isinstance(old, CourseItem):
        _course_changed(old, new)
    elif isinstance(new, LessonItem) and isinstance(old, LessonItem):
        _lesson_changed(old, new)
    elif new is None and isinstance(old, MediaItem) and old.status == PENDING:
        _upload_abandoned(old)


def _upload_abandoned(media: MediaItem) -> None:
    """A record removed while still pending: its TTL ran out a day after the upload URL did, so no
    registration will come (the file never arrived, or its registration failed every retry, or it
    came too late). Whatever the URL put there goes; a deleted object's version lingers for the
    bucket's MediaNoncurrentVersionDays. A record deleted through the API was not pending, or its
    object went with it: deleting again changes nothing."""
    if media.path:
        storage.delete_object(media.path)
    count("UploadAbandoned")
    logger.info("An upload never registered was removed", extra={"media_id": media.media_id, "key": media.path})


def _track_changed(old: CourseTrackItem | None, new: CourseTrackItem, context: LambdaContext | None) -> None:
    if new.status != COMPLETED or (old is not None and old.status == COMPLETED):
        return
    detail = {
        "tenantId": new.tenant_id,
        "courseId": new.course_id,
        "userId": new.user_id,
        "courseTrackId": new.course_track_id,
        "completedAt": new.end_datetime,
        "certGenDate": new.cert_gen_date,
        "noOfLessons": new.no_of_lessons,
        "completedLessons": new.completed_lessons,
    }
    publish_once(f"{COURSE_COMPLETED}#{new.pk}#{new.version}", COURSE_COMPLETED, detail, context)
    count("CourseCompleted")
    logger.info("Course completed", extra=detail)


def _course_changed(old: CourseItem, new: CourseItem) -> None:
    summary = course_summary(new)
    if summary == course_summary(old):
        return
    refreshed = EnrollmentRepository(new.tenant_id).refresh_course(new.course_id, summary)
    logger.info("Enrollment copies of a course refreshed", extra={"course_id": new.course_id, "count": refreshed})


def _tree_changed(head: TreeHead) -> None:
    """A write changed the course's tree: build its documents now, so readers find them built
    (a read finding them stale builds them itself; this spares the first reader)."""
    if current(head):
        return  # the record of a store (or of a reorder's start): nothing changed since
    tenant_id, course_id = tenant_and_id(head.pk)
    if course_tree.refresh(tenant_id, course_id):
        logger.info("Course tree built", extra={"course_id": course_id, "revision": int(head.revision)})


def _lesson_changed(old: LessonItem, new: LessonItem) -> None:
    summary = lesson_summary(new)
    if summary == lesson_summary(old):
        return
    completed = LessonRepository(new.tenant_id).refresh_overflow(new.lesson_id, summary)
    if completed:
        logger.info("Lesson copies completed", extra={"lesson_id": new.lesson_id, "count": completed})
