"""The course builder's copy (`api.course.clone`, staff only): a new course with the same content
(RULES.md: Courses).

The copy gets a new id, a free alias and `unpublished` unless told otherwise. Its modules and
submodules are copied with new ids, its links point to the same reusable lessons with the same
settings, and its images are copied, so deleting one course never breaks the other. Enrollments
and tracking stay with the original.

Everything under the copy is written first and the course item last, by the create path, so no
one sees the copy until it is whole. A failure before that removes what was written. Sent with
an `Idempotency-Key`, the copy's ids come from the key, so a retry after a crash writes the same
items again rather than new ones, and finds the copy done if it was."""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from shared import storage
from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Conflict
from shared.media_rules import image_key
from shared.observability import count
from shared.repository import clones
from shared.repository.base import ConcurrentModification, LmsItem, first_of
from shared.repository.courses import CourseRepository
from shared.repository.items import CourseItem, LessonItem, LessonLinkItem, ModuleFields, ModuleItem, link_pointer
from shared.repository.lessons import lesson_summary, placed_again
from shared.repository.modules import ModuleRepository
from shared.repository.trees import TreeRepository
from shared.schemas.courses import CourseClone, CourseOut
from shared.services.courses import DEFAULT_STATUS, create_with_alias
from shared.services.images import with_image_url
from shared.services.visibility import course_not_found

# What a copy keeps of the course; the rest (id, alias, status, dates of the record) is its own.
COPIED_FIELDS = (
    "short_description", "description", "featured", "free", "certificate_term", "certificate_id",
    "start_datetime", "end_datetime", "admin_approval", "auto_enroll", "params",
)  # fmt: skip
COPY_MARK, TITLE_LENGTH = " (copy)", 255
MODULE_FIELDS = ("title", "description", "start_datetime", "end_datetime", "ordering", "status")


def clone_course(caller: Principal, course_id: str, data: CourseClone, idempotency_key: str | None) -> CourseOut:
    """The copy of the course, whole (201), as `GET /api/courses/{id}` gives it."""
    copy_id = _copy_id(caller, course_id, idempotency_key)
    courses = CourseRepository(caller.tenant_id)
    if (done := courses.get(copy_id)) is not None:  # a retry of a copy that was completed
        return with_image_url(CourseOut.model_validate(done))
    items = TreeRepository(caller.tenant_id).read_structure(course_id)
    course = first_of(items, CourseItem)
    if course is None:
        raise course_not_found(course_id)
    status = data.status or DEFAULT_STATUS
    title = data.title or f"{course.title[: TITLE_LENGTH - len(COPY_MARK)]}{COPY_MARK}"
    now = utc_now()
    made = {"created_by": caller.user_id, "created_at": now}
    with _copied_images(caller.tenant_id, copy_id, course, items) as image_of:
        modules = _modules(caller.tenant_id, copy_id, items, status, image_of, made)
        lessons = clones.read_lessons(
            courses.keys, {item.lesson_id for item in items if isinstance(item, LessonLinkItem)}
        )
        links = _links(copy_id, items, lessons, made)
        written: list[LmsItem] = [*modules, *links, *(link_pointer(courses.keys, link) for link in links)]
        try:
            clones.write_modules(modules)
            clones.write_links(courses.keys, links, lessons)
            fields = {name: getattr(course, name) for name in COPIED_FIELDS}
            copy = create_with_alias(
                courses,
                caller,
                copy_id,
                title,
                data.alias,
                {**fields, "status": status, "image": image_of(course.image)},
            )
        except BaseException as failure:  # nothing of the copy stays (a crash aside: see the module)
            clones.remove(written)
            if isinstance(failure, ConcurrentModification):
                raise Conflict(f"Course {course_id}'s lessons changed while it was copied; send it again.") from None
            raise
    count("CourseCloned")
    return with_image_url(CourseOut.model_validate(copy))


def _copy_id(caller: Principal, course_id: str, idempotency_key: str | None) -> str:
    """A new id; with an Idempotency-Key, the same one for every retry of the same copy."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    name = "\n".join((caller.tenant_id, caller.user_id, idempotency_key, course_id))
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lms:clone:{name}"))


def _new_id(copy_id: str, old_id: str) -> str:
    """A module's (or image's) id in the copy: new, and the same for every retry of the copy."""
    return str(uuid.uuid5(uuid.UUID(copy_id), old_id))


@contextmanager
def _copied_images(tenant_id: str, copy_id: str, course: CourseItem, items: Sequence[LmsItem]) -> Iterator[Any]:
    """Each image of the course and its modules copied to a key of the copy's own; yields the
    copy's key for an original's. Removed again if the copy then fails."""
    originals = [course.image, *(item.image for item in items if isinstance(item, ModuleItem))]
    copies = {key: image_key(tenant_id, _new_id(copy_id, key)) for key in originals if key}
    done: list[str] = []
    try:
        for original, key in copies.items():
            storage.copy_object(original, key)
            done.append(key)
        yield lambda key: copies.get(key) if key else None
    except BaseException:
        for key in done:
            storage.delete_object(key)
        raise


def _modules(
    tenant_id: str, copy_id: str, items: Sequence[LmsItem], status: str, image_of: Any, made: dict[str, str]
) -> list[ModuleFields]:
    """The course's modules under new ids in the copy, with the copies of submodules under their
    new parents."""
    repository = ModuleRepository(tenant_id)
    written: list[ModuleFields] = []
    for module in (item for item in items if isinstance(item, ModuleItem)):
        copy = repository.new_module(
            copy_id,
            _new_id(copy_id, module.module_id),
            **{name: getattr(module, name) for name in MODULE_FIELDS},
            parent_id=_new_id(copy_id, module.parent_id) if module.parent_id else None,
            image=image_of(module.image),
            course_status=status,
            **made,
        )
        written.append(copy)
        if copy.parent_id:
            written.append(repository.entry_under(copy, copy.parent_id))
    return written


def _links(
    copy_id: str, items: Sequence[LmsItem], lessons: dict[str, LessonItem], made: dict[str, str]
) -> list[LessonLinkItem]:
    """The course's links, placed the same in the copy (in their modules' copies), settings kept,
    with the lesson's summary as read now."""
    links = []
    for link in (item for item in items if isinstance(item, LessonLinkItem)):
        module_id = _new_id(copy_id, link.module_id) if link.module_id else None
        copy = placed_again(link, module_id, link.position, course_id=copy_id)
        if (lesson := lessons.get(link.lesson_id)) is None:  # deleted since the structure was read
            raise Conflict(f"Lesson {link.lesson_id} was deleted while its course was copied; send the request again.")
        copy.lesson = lesson_summary(lesson)
        copy.created_by, copy.created_at = made["created_by"], made["created_at"]
        links.append(copy)
    return links
