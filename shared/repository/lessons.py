"""Lessons and their links into courses and modules.

A lesson lives in its own partition with a pointer to each of its links; a link lives in its
course's item collection and carries a copy of the lesson's summary. Adding a link bumps the
lesson's version in the same transaction, so a lesson update that read the pointers before the
new link existed fails its version check and re-reads: no copy is ever left stale."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.repository.base import (
    TRANSACTION_LIMIT,
    Cancelled,
    LmsItem,
    Transaction,
    concurrent_change,
    delete_with_children,
    first_of,
    save_once,
    tenant_and_id,
    transaction,
)
from shared.repository.items import (
    COURSE_SK,
    FILE_PREFIX,
    LESSON_SK,
    LINK_PREFIX,
    CourseItem,
    FileAssociation,
    Keys,
    LessonItem,
    LessonLinkItem,
    LinkPointer,
    ModuleItem,
    link_of,
    link_pointer,
)
from shared.repository.media import MAIN_MEDIA_USE, mark_media_used
from shared.repository.trees import mark_changed

SUMMARY_DESCRIPTION_LENGTH = 500
REFRESH_RETRIES = 5
# Room a lesson update's own transaction keeps for the lesson and a change of its main media.
LESSON_WRITES = 2


class AlreadyLinked(Exception):
    """The lesson is already in that course or module."""


class LinkTargetGone(Exception):
    """The course or module disappeared while the link was written."""


class LinkNotFound(Exception):
    """No such lesson in that course or module."""


class MainMediaMissing(Exception):
    """The lesson's `mediaId` names no media record of the tenant."""


@dataclass
class LessonPartition:
    """A lesson's own partition: the lesson, a pointer to each of its links, its attachments."""

    lesson: LessonItem | None
    pointers: list[LinkPointer]
    files: list[FileAssociation]


def lesson_summary(lesson: LessonItem) -> dict[str, Any]:
    """What lists and trees show of a lesson, copied onto each of its links."""
    return {
        "lesson_id": lesson.lesson_id,
        "title": lesson.title,
        "description": (lesson.description or "")[:SUMMARY_DESCRIPTION_LENGTH] or None,
        "image": lesson.image,
        "format": lesson.format,
        "status": lesson.status,
        "total_marks": lesson.total_marks,
        "passing_marks": lesson.passing_marks,
        "media_content": lesson.media_content,
    }


class LessonRepository:
    """Lesson storage for one tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_lesson(self, lesson_id: str, **fields: Any) -> LessonItem:
        return LessonItem(
            self.keys.lesson(lesson_id), LESSON_SK, lesson_id=lesson_id, tenant_id=self.keys.tenant_id, **fields
        )

    def new_link(
        self, lesson: LessonItem, course_id: str, module_id: str | None, sort_key: str, **fields: Any
    ) -> LessonLinkItem:
        """An unsaved link; a module's links are also in the module's lookup partition, in `sort_key` order."""
        return LessonLinkItem(
            self.keys.course(course_id),
            self.keys.link_sk(module_id, lesson.lesson_id),
            course_id=course_id,
            module_id=module_id,
            lesson_id=lesson.lesson_id,
            lesson=lesson_summary(lesson),
            position=sort_key,
            **_module_partition(self.keys, module_id, sort_key, lesson.lesson_id),
            **fields,
        )

    def _main_media(self, writes: Transaction, lesson: LessonItem) -> None:
        """List the lesson among its main media's uses (LookupIndex) and mark the media used."""
        lesson.gsi2pk = self.keys.media(lesson.media_id) if lesson.media_id else None
        lesson.gsi2sk = f"{MAIN_MEDIA_USE}{lesson.lesson_id}" if lesson.media_id else None
        if lesson.media_id:
            mark_media_used(writes, self.keys, lesson.media_id)

    def create(self, lesson: LessonItem) -> None:
        """Write a new lesson; MainMediaMissing if its `mediaId` names no media."""
        if not lesson.media_id:
            save_once(lesson, condition=LessonItem.pk.does_not_exist())
            return
        try:
            with transaction() as writes:
                self._main_media(writes, lesson)  # first: it sets the lesson's keys in LookupIndex
                writes.save(lesson, condition=LessonItem.pk.does_not_exist(), name="lesson")
        except Cancelled as cancelled:
            if cancelled.failed("media"):
                raise MainMediaMissing(lesson.media_id) from cancelled
            raise

    def get_with_files(self, lesson_id: str) -> tuple[LessonItem | None, list[FileAssociation]]:
        """The lesson and its attachments, not its link pointers: one strongly consistent Query."""
        sort_keys = LmsItem.sk.between(LESSON_SK, f"{FILE_PREFIX}\uffff")
        found = list(LmsItem.query(self.keys.lesson(lesson_id), sort_keys, consistent_read=True))
        lesson = first_of(found, LessonItem)
        return lesson, [item for item in found if isinstance(item, FileAssociation)]

    def get_partition(self, lesson_id: str) -> LessonPartition:
        """The lesson, its link pointers and its attachments: one strongly consistent Query."""
        found = list(LmsItem.query(self.keys.lesson(lesson_id), consistent_read=True))
        return LessonPartition(
            first_of(found, LessonItem),
            [item for item in found if isinstance(item, LinkPointer)],
            [item for item in found if isinstance(item, FileAssociation)],
        )

    def get_link_targets(
        self, lesson_id: str, course_id: str, module_id: str | None
    ) -> tuple[LessonItem | None, CourseItem | None, ModuleItem | None]:
        """The lesson, the course and the module (looked up under that course) in one BatchGetItem."""
        keys = [(self.keys.lesson(lesson_id), LESSON_SK), (self.keys.course(course_id), COURSE_SK)]
        if module_id:
            keys.append((self.keys.course(course_id), self.keys.module_sk(module_id)))
        found = list(LmsItem.batch_get(keys, consistent_read=True))
        return (
            first_of(found, LessonItem),
            first_of(found, CourseItem),
            first_of(found, ModuleItem),
        )

    def save(self, lesson: LessonItem, pointers: Sequence[LinkPointer], media_changed: bool) -> None:
        """Write a changed lesson (guarded by its version) and refresh the summary on each of its
        links, marking each course's tree changed in the transaction that changes its copies: the
        first links in the lesson's own transaction, the rest in further ones (`copy_chunks`).
        MainMediaMissing if a new `mediaId` names no media."""
        summary = lesson_summary(lesson)
        first, *rest = copy_chunks([link_of(self.keys, pointer) for pointer in pointers])
        try:
            with transaction() as writes:
                if media_changed:
                    self._main_media(writes, lesson)  # first: it sets the lesson's keys in LookupIndex
                writes.save(lesson, name="lesson")
                self._write_copies(writes, first, summary)
        except Cancelled as cancelled:
            if cancelled.failed("media"):
                raise MainMediaMissing(lesson.media_id) from cancelled
            raise concurrent_change(cancelled, lesson.lesson_id, "lesson")  # noqa: B904 - chained implicitly
        for chunk in rest:
            self._refresh(chunk, summary)

    def refresh_overflow(self, lesson_id: str, summary: dict[str, Any]) -> int:
        """Write `summary` again on the copies past the update's own transaction (the update wrote
        them in further transactions; this completes them if it stopped part-way): one Query, then
        a transaction per chunk. How many copies were past it."""
        found = LmsItem.query(self.keys.lesson(lesson_id), LmsItem.sk.startswith(LINK_PREFIX), consistent_read=True)
        links = [link_of(self.keys, pointer) for pointer in found if isinstance(pointer, LinkPointer)]
        _, *rest = copy_chunks(links)
        for chunk in rest:
            self._refresh(chunk, summary)
        return sum(len(chunk) for chunk in rest)

    def _write_copies(self, writes: Transaction, links: Sequence[LessonLinkItem], summary: dict[str, Any]) -> None:
        """The summary onto each link (named by its position: one gone is told apart), and each
        of their courses' trees marked changed."""
        for index, link in enumerate(links):
            action = [LessonLinkItem.lesson.set(summary)]
            writes.update(link, action, condition=LessonLinkItem.pk.exists(), name=str(index))
        self._mark(writes, links, structure=False)

    def _refresh(self, links: Sequence[LessonLinkItem], summary: dict[str, Any]) -> None:
        """Refresh the copies of one chunk in a transaction; a link removed meanwhile is skipped."""
        pending, retries = list(links), REFRESH_RETRIES
        while pending:
            try:
                with transaction() as writes:
                    self._write_copies(writes, pending, summary)
                return
            except Cancelled as cancelled:
                gone = {int(name) for name in cancelled.reasons if cancelled.failed(name)}
                retries -= 1
                if retries < 0 or (not gone and not cancelled.conflict):
                    raise
                pending = [link for index, link in enumerate(pending) if index not in gone]

    def link(self, link: LessonLinkItem, lesson: LessonItem, course: CourseItem, module: ModuleItem | None) -> None:
        """Place the lesson: AlreadyLinked if it is there already, LinkTargetGone if the course or
        module went meanwhile, ConcurrentModification if the lesson changed since it was read."""
        try:
            with transaction() as writes:
                writes.save(link, condition=LessonLinkItem.pk.does_not_exist(), name="link")
                writes.save(link_pointer(self.keys, link))
                writes.update(lesson, [], name="lesson")  # bumps the version: see the module docstring
                writes.check(CourseItem, (course.pk, course.sk), CourseItem.pk.exists(), name="course")
                if module is not None:
                    writes.check(ModuleItem, (module.pk, module.sk), ModuleItem.pk.exists(), name="module")
                mark_changed(writes, self.keys, link.course_id, structure=True)
        except Cancelled as cancelled:
            if cancelled.failed("link"):
                raise AlreadyLinked(link.lesson_id) from cancelled
            if cancelled.failed("course") or cancelled.failed("module"):
                raise LinkTargetGone(link.lesson_id) from cancelled
            raise concurrent_change(cancelled, link.lesson_id, "lesson")  # noqa: B904

    def unlink(self, course_id: str, module_id: str | None, lesson_id: str) -> None:
        """Remove the lesson from the course or module; LinkNotFound if it is not there."""
        link = LessonLinkItem(self.keys.course(course_id), self.keys.link_sk(module_id, lesson_id))
        pointer = LinkPointer(self.keys.lesson(lesson_id), self.keys.pointer_sk(course_id, module_id))
        try:
            with transaction() as writes:
                writes.delete(link, condition=LessonLinkItem.pk.exists(), name="link")
                writes.delete(pointer)
                mark_changed(writes, self.keys, course_id, structure=True)
        except Cancelled as cancelled:
            if cancelled.failed("link"):
                raise LinkNotFound(lesson_id) from cancelled
            raise

    def delete(self, lesson: LessonItem, partition: LessonPartition) -> None:
        """Remove the lesson, its attachments, its links in every course and their pointers, and
        mark those courses' trees changed. Past one transaction, the links go first, a chunk at a
        time with their courses' marks, so a failure part-way leaves the lesson to delete again."""
        links = [link_of(self.keys, pointer) for pointer in partition.pointers]
        courses = list(dict.fromkeys(link.course_id for link in links))
        rest: list[LmsItem] = [*partition.files, *partition.pointers]
        try:
            if 1 + len(rest) + len(links) + len(courses) > TRANSACTION_LIMIT:
                for chunk in copy_chunks(links, first_room=TRANSACTION_LIMIT):
                    with transaction() as writes:
                        for link in chunk:
                            writes.delete(link)
                        self._mark(writes, chunk, structure=True)
                links = []
            delete_with_children(
                lesson,
                LessonItem.pk.exists(),
                [*rest, *links],
                also=lambda writes: self._mark(writes, links, structure=True),
                room_for_also=len({link.course_id for link in links}),
            )
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, lesson.lesson_id, "head")  # noqa: B904

    def _mark(self, writes: Transaction, links: Sequence[LessonLinkItem], structure: bool) -> None:
        """Mark changed the tree of each course the links are in (once each); with `structure`,
        their order too (the links go)."""
        for course_id in dict.fromkeys(link.course_id for link in links):
            mark_changed(writes, self.keys, course_id, structure=structure)


def _module_partition(keys: Keys, module_id: str | None, position: str, lesson_id: str) -> dict[str, Any]:
    """Where a module's link sits in the module's lookup partition, by its position (none for a
    course-level link)."""
    if module_id is None:
        return {"gsi2pk": None, "gsi2sk": None}
    return {"gsi2pk": keys.module_lookup(module_id), "gsi2sk": f"{LINK_PREFIX}{position}#{lesson_id}"}


def placed_again(
    link: LessonLinkItem, module_id: str | None, position: str, course_id: str | None = None
) -> LessonLinkItem:
    """The link with its settings and lesson summary, placed in `module_id` (None: the course
    itself) at `position`: in its own course (a reorder's move or new order), or in `course_id`
    (a copy of the course)."""
    keys = Keys(tenant_and_id(link.pk)[0])
    course_id = course_id or link.course_id
    kept = {
        name: getattr(link, name)
        for name in LessonLinkItem.get_attributes()
        if name not in ("pk", "sk", "kind", "gsi2pk", "gsi2sk", "course_id", "module_id", "position")
    }
    return LessonLinkItem(
        keys.course(course_id),
        keys.link_sk(module_id, link.lesson_id),
        **kept,
        course_id=course_id,
        module_id=module_id,
        position=position,
        **_module_partition(keys, module_id, position, link.lesson_id),
    )


def copy_chunks(
    links: Sequence[LessonLinkItem], first_room: int = TRANSACTION_LIMIT - LESSON_WRITES
) -> list[list[LessonLinkItem]]:
    """The links in the transactions that change them: in order, as many to a transaction as fit
    with a mark of each of their courses' trees (the first transaction has `first_room`, beside
    the lesson itself). Always one chunk at least (the lesson's own transaction)."""
    chunks: list[list[LessonLinkItem]] = [[]]
    room, courses = first_room, set[str]()
    for link in links:
        needed = 1 + (link.course_id not in courses)
        if needed > room:
            chunks.append([])
            room, courses = TRANSACTION_LIMIT, set()
            needed = 2
        chunks[-1].append(link)
        courses.add(link.course_id)
        room -= needed
    return chunks
