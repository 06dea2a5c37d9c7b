"""A course's copy written under a new course id (`POST /api/courses/{courseId}/clone`): its modules,
their copies under their parents, and its links with their pointers, all before the course item
itself. Until the course is written (last, by the create path) nothing reads them: every read of a
course starts from the course, and no list names it.

Links are written a lesson at a time with the lesson's version moved, as adding a link does: a
lesson update that read the lesson's pointers before the new ones existed fails its version check
and reads them again, so no copy of a lesson's summary is missed."""

from collections import defaultdict
from collections.abc import Sequence

from shared.repository.base import (
    TRANSACTION_LIMIT,
    Cancelled,
    ConcurrentModification,
    LmsItem,
    transaction,
)
from shared.repository.items import LESSON_SK, Keys, LessonItem, LessonLinkItem, ModuleFields, link_pointer


def read_lessons(keys: Keys, lesson_ids: set[str]) -> dict[str, LessonItem]:
    """The lessons a copy links, by id: strongly consistent BatchGetItems of up to 100."""
    found = LmsItem.batch_get([(keys.lesson(lesson_id), LESSON_SK) for lesson_id in lesson_ids], consistent_read=True)
    return {item.lesson_id: item for item in found if isinstance(item, LessonItem)}


def write_modules(modules: Sequence[ModuleFields]) -> None:
    """The copy's modules and submodule copies, in batches of 25 (nothing reads them yet)."""
    with LmsItem.batch_write() as batch:
        for module in modules:
            batch.save(module)


def write_links(keys: Keys, links: Sequence[LessonLinkItem], lessons: dict[str, LessonItem]) -> None:
    """The copy's links and their pointers, each lesson's with its version moved (unchanged since
    `lessons` were read: ConcurrentModification otherwise), as many lessons to a transaction as
    fit."""
    by_lesson: dict[str, list[LessonLinkItem]] = defaultdict(list)
    for link in links:
        by_lesson[link.lesson_id].append(link)
    chunks: list[list[str]] = []
    size = 0
    for lesson_id, placed in by_lesson.items():
        needed = 2 * len(placed) + 1
        if not chunks or size + needed > TRANSACTION_LIMIT:
            chunks.append([])
            size = 0
        chunks[-1].append(lesson_id)
        size += needed
    for chunk in chunks:
        try:
            with transaction() as writes:
                for lesson_id in chunk:
                    for link in by_lesson[lesson_id]:
                        writes.save(link)
                        writes.save(link_pointer(keys, link))
                    writes.update(lessons[lesson_id], [])  # the version moved, as a new link does
        except Cancelled as cancelled:
            raise ConcurrentModification(chunk[0]) from cancelled


def remove(items: Sequence[LmsItem]) -> None:
    """What a copy cut off part-way wrote, removed (in batches of 25)."""
    with LmsItem.batch_write() as batch:
        for item in items:
            batch.delete(item)
