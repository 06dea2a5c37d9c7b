"""Where a lesson is placed, read as a learner's access to it is judged: each of its links with
the course, the module (and that module's parent) it sits in, and the user's enrollment there.

A lesson's partition points at each of its links (LinkPointer), so the placements of a lesson
are one Query of its pointers and one BatchGetItem; a second BatchGetItem reads the parents of
submodules, only when a link sits in one."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.repository.base import LmsItem
from shared.repository.items import (
    COURSE_SK,
    LINK_PREFIX,
    CourseItem,
    EnrollmentItem,
    Keys,
    LessonLinkItem,
    LinkPointer,
    ModuleItem,
    link_of,
)

Key = tuple[str, str]


@dataclass(frozen=True)
class Placement:
    """One link of a lesson and what decides whether a learner sees it and may use it (None
    where the item is not there: a course-level link has no module, a user may have no enrollment)."""

    link: LessonLinkItem
    course: CourseItem | None
    module: ModuleItem | None
    parent: ModuleItem | None
    enrollment: EnrollmentItem | None


def link_pointers(keys: Keys, lesson_id: str, course_id: str | None = None) -> list[LinkPointer]:
    """The lesson's link pointers (those into `course_id` only, when given), in key order: one
    strongly consistent Query."""
    prefix = f"{LINK_PREFIX}{course_id}#" if course_id else LINK_PREFIX
    found = LmsItem.query(keys.lesson(lesson_id), LmsItem.sk.startswith(prefix), consistent_read=True)
    return [item for item in found if isinstance(item, LinkPointer)]


def read_placements(
    keys: Keys, pointers: Sequence[LinkPointer], user_id: str | None, also: Iterable[Key] = ()
) -> tuple[list[Placement], list[LmsItem]]:
    """The placement behind each pointer, in the pointers' order (a link gone meanwhile is left
    out), with `user_id`'s enrollments when given; and the items of `also` read in the same batch
    (a course track, say). One BatchGetItem, a second for the parents of submodules."""
    links = [link_of(keys, pointer) for pointer in pointers]
    courses = {pointer.course_id for pointer in pointers}
    extra_keys = set(also)
    wanted: set[Key] = {(link.pk, link.sk) for link in links} | extra_keys
    wanted |= {(keys.course(course_id), COURSE_SK) for course_id in courses}
    wanted |= {_module_key(keys, pointer.course_id, pointer.module_id) for pointer in pointers if pointer.module_id}
    if user_id:
        wanted |= {keys.enrollment_of(course_id, user_id) for course_id in courses}
    found = _batch_get(wanted)
    parents = {
        _module_key(keys, item.course_id, item.parent_id)
        for item in found.values()
        if isinstance(item, ModuleItem) and item.parent_id
    }
    found |= _batch_get(parents - found.keys())

    placements = []
    for key in links:
        link = found.get((key.pk, key.sk))
        if not isinstance(link, LessonLinkItem):
            continue
        module = _module(found, keys, link.course_id, link.module_id)
        parent = _module(found, keys, link.course_id, module.parent_id) if module else None
        enrollment = found.get(keys.enrollment_of(link.course_id, user_id)) if user_id else None
        placements.append(
            Placement(
                link=link,
                course=_typed(found.get((keys.course(link.course_id), COURSE_SK)), CourseItem),
                module=module,
                parent=parent,
                enrollment=_typed(enrollment, EnrollmentItem),
            )
        )
    return placements, [item for key, item in found.items() if key in extra_keys]


def _module_key(keys: Keys, course_id: str, module_id: str) -> Key:
    return keys.course(course_id), keys.module_sk(module_id)


def _module(found: dict[Key, LmsItem], keys: Keys, course_id: str, module_id: str | None) -> ModuleItem | None:
    return _typed(found.get(_module_key(keys, course_id, module_id)), ModuleItem) if module_id else None


def _batch_get(keys: set[Key]) -> dict[Key, LmsItem]:
    if not keys:
        return {}
    return {(item.pk, item.sk): item for item in LmsItem.batch_get(list(keys), consistent_read=True)}


def _typed[T](item: LmsItem | None, kind: type[T]) -> T | None:
    return item if isinstance(item, kind) else None
