"""Lesson rules (RULES.md: Lessons): reusable lessons, links with their own settings, and
the lesson entries lists and trees show."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from shared.auth import Principal
from shared.clock import sortable_now, utc_now
from shared.errors import Conflict, Invalid, NotFound
from shared.observability import count
from shared.pagination import page_or_all
from shared.repository.items import LessonItem
from shared.repository.lessons import AlreadyLinked, LessonRepository, LinkNotFound, LinkTargetGone, MainMediaMissing
from shared.repository.modules import ModuleRepository
from shared.repository.placements import read_placements
from shared.schemas.common import MessageResult
from shared.schemas.lessons import (
    LessonCreate,
    LessonEntry,
    LessonLinkCreate,
    LessonLinkOut,
    LessonList,
    LessonOut,
    LessonUpdate,
    check_marks,
    check_media_format,
)
from shared.schemas.media import AttachmentOut
from shared.services import course_tree
from shared.services.access import lesson_shown
from shared.services.changes import apply_changes, dates_in_order, with_retries
from shared.services.images import discard_image, new_image, sent_image, with_image_url
from shared.services.modules import in_tree, module_not_found
from shared.services.visibility import PUBLISHED, course_not_found, lesson_not_found


@contextmanager
def main_media_must_exist(media_id: str | None) -> Iterator[None]:
    try:
        yield
    except MainMediaMissing:
        raise Invalid(f"mediaId {media_id} is not a media of this tenant; upload it first.") from None


def create_lesson(caller: Principal, data: LessonCreate) -> LessonOut:
    repository = LessonRepository(caller.tenant_id)
    fields = data.stored_fields(sent_only=False)
    with new_image(caller.tenant_id, fields.pop("image", None)) as image:
        lesson = repository.new_lesson(
            str(uuid.uuid4()), created_by=caller.user_id, created_at=utc_now(), image=image, **fields
        )
        with main_media_must_exist(lesson.media_id):
            repository.create(lesson)
    count("LessonCreated")
    return with_image_url(LessonOut.model_validate(lesson))


def get_lesson(caller: Principal, lesson_id: str) -> LessonOut:
    """The lesson with its attachments; a learner reads it only through a placement shown to
    them (a published link of a published course), which a second read checks."""
    repository = LessonRepository(caller.tenant_id)
    if caller.is_staff:
        lesson, files = repository.get_with_files(lesson_id)
    else:
        partition = repository.get_partition(lesson_id)
        lesson, files = partition.lesson, partition.files
        if lesson is None or lesson.status != PUBLISHED:
            raise lesson_not_found(lesson_id)
        lesson_shown(lesson_id, read_placements(repository.keys, partition.pointers, None)[0])
    if lesson is None:
        raise lesson_not_found(lesson_id)
    attachments = [AttachmentOut.model_validate(attachment) for attachment in files]
    return with_image_url(LessonOut.model_validate(lesson).model_copy(update={"files": attachments}))


def check_lesson(lesson: LessonItem) -> None:
    dates_in_order(lesson)
    check_marks(lesson.total_marks, lesson.passing_marks)
    check_media_format(lesson.format, lesson.media_content)


def update_lesson(caller: Principal, lesson_id: str, changes: LessonUpdate) -> LessonOut:
    """Apply the fields sent and refresh the lesson's summary on every link, in one write."""
    repository = LessonRepository(caller.tenant_id)
    sent = changes.stored_fields(sent_only=True)

    def attempt() -> LessonOut:
        partition = repository.get_partition(lesson_id)
        lesson = partition.lesson
        if lesson is None:
            raise lesson_not_found(lesson_id)
        previous_media, previous_image = lesson.media_id, lesson.image
        apply_changes(lesson, sent, caller, check_lesson)
        with main_media_must_exist(lesson.media_id):
            repository.save(lesson, partition.pointers, media_changed=lesson.media_id != previous_media)
        if lesson.image != previous_image:
            discard_image(previous_image)
        return LessonOut.model_validate(lesson)

    with sent_image(caller.tenant_id, sent):
        return with_image_url(with_retries(attempt, "lesson"))


def delete_lesson(caller: Principal, lesson_id: str) -> MessageResult:
    """Remove the lesson and its links in every course; learners' tracking stays."""
    repository = LessonRepository(caller.tenant_id)

    def attempt() -> None:
        partition = repository.get_partition(lesson_id)
        if partition.lesson is None:
            raise lesson_not_found(lesson_id)
        repository.delete(partition.lesson, partition)

    with_retries(attempt, "lesson")
    count("LessonDeleted")
    return MessageResult(message="Lesson deleted successfully")


def add_lesson(caller: Principal, course_id: str, module_id: str | None, data: LessonLinkCreate) -> LessonLinkOut:
    """Place a lesson in a course (module_id None) or one of its modules, with the link's settings."""
    repository = LessonRepository(caller.tenant_id)
    lesson_id = str(data.lesson_id)

    def attempt() -> LessonLinkOut:
        lesson, course, module = repository.get_link_targets(lesson_id, course_id, module_id)
        if lesson is None:
            raise lesson_not_found(lesson_id)
        if course is None:
            raise course_not_found(course_id)
        if module_id and module is None:
            if ModuleRepository(caller.tenant_id).get(module_id) is None:
                raise module_not_found(module_id)
            raise Invalid(f"Module {module_id} belongs to another course, not to course {course_id}.")
        total = data.total_marks if data.total_marks is not None else lesson.total_marks
        passing = data.passing_marks if data.passing_marks is not None else lesson.passing_marks
        try:
            check_marks(total, passing)
        except ValueError as error:
            raise Invalid(f"{error}.") from None
        link = repository.new_link(
            lesson,
            course_id,
            module_id,
            sortable_now(),
            created_by=caller.user_id,
            created_at=utc_now(),
            **data.model_dump(exclude_none=True, exclude={"lesson_id"}),
        )
        try:
            repository.link(link, lesson, course, module)  # LinkTargetGone: the next read says which
        except AlreadyLinked:
            place = f"module {module_id}" if module_id else f"course {course_id}"
            raise Conflict(f"Lesson {lesson_id} is already in {place}.") from None
        return LessonLinkOut.model_validate(link)

    linked = with_retries(attempt, f"lesson {lesson_id}", retry_on=(LinkTargetGone,))
    count("LessonLinked")  # once linked: not for a refusal, nor for a try that was not the last
    return linked


def remove_lesson(caller: Principal, course_id: str, module_id: str | None, lesson_id: str) -> MessageResult:
    try:
        LessonRepository(caller.tenant_id).unlink(course_id, module_id, lesson_id)
    except LinkNotFound:
        place = f"module {module_id} of course {course_id}" if module_id else f"course {course_id}"
        raise NotFound(f"Lesson {lesson_id} is not in {place}.") from None
    count("LessonUnlinked")
    return MessageResult(message="Lesson removed from course/module successfully")


def list_course_lessons(
    caller: Principal, course_id: str, status: str | None, format_: str | None, page: int | None, limit: int | None
) -> LessonList:
    """Every lesson of the course, course-level first, then by module in tree order (a module,
    then its submodules), from the caller's view of the course's tree (one request while it is
    current); a page of them when one is asked for."""
    tree = course_tree.tree_of(caller, course_id)
    matching = [
        entry
        for entry in course_tree.lessons_in_order(tree)
        if (status is None or entry["status"] == status) and (format_ is None or entry["format"] == format_)
    ]
    return LessonList(
        count=len(matching), lessons=[LessonEntry.model_validate(entry) for entry in page_or_all(matching, page, limit)]
    )


def list_module_lessons(
    caller: Principal, module_id: str, status: str | None, page: int | None, limit: int | None
) -> LessonList:
    """The lessons placed in the module itself (not in its submodules), in the order of the
    course's tree (the order added, or a reorder's), from the caller's view of the tree; a page of
    them when one is asked for."""
    _, module = in_tree(caller, module_id)
    entries = [LessonEntry.model_validate(entry) for entry in module["lessons"] if status in (None, entry["status"])]
    return LessonList(count=len(entries), lessons=page_or_all(entries, page, limit))
