"""Courses, their alias claims, their item collections and their lists.

A course is the head of its own item collection (PK = the course), which holds its modules,
submodule copies, lesson links and tree documents. An alias is unique within a tenant through a
claim item written in the same transaction as the course. Each course has an entry in every list
of the tenant's courses it belongs to (docs/DATA-MODEL.md: Lists), changed with it."""

from collections.abc import Sequence
from itertools import combinations
from typing import Any

from shared.repository.base import (
    TRANSACTION_LIMIT,
    Cancelled,
    ConcurrentModification,
    LmsItem,
    Transaction,
    concurrent_change,
    delete_with_children,
    transaction,
    write_in_transactions,
)
from shared.repository.items import (
    ALIAS_SK,
    CHILD_PREFIX,
    COURSE_SK,
    TREE_PREFIX,
    AliasClaim,
    CourseItem,
    CourseListEntry,
    Keys,
    LessonLinkItem,
    ModuleFields,
    link_pointer,
)
from shared.repository.listing import read_page, relist
from shared.repository.trees import mark_changed

# The filters of the tenant's course list, in the order list keys name them.
COURSE_FILTERS = ("status", "featured", "free")
# What a course's list entries show (the fields of `api.course.list`'s CourseSummary).
SUMMARY_FIELDS = (
    "course_id",
    "title",
    "short_description",
    "image",
    "featured",
    "free",
    "status",
    "start_datetime",
    "end_datetime",
)
ENTRIES = 2 ** len(COURSE_FILTERS)  # a course is in one list per combination of the filters
# Writes a course's own update takes at most (course, tree, alias claim and its release, its
# entries moved, their counters) before its status is copied to its modules.
COURSE_UPDATE_WRITES = 4 + 3 * ENTRIES


class AliasTaken(Exception):
    """Another course of the tenant holds the alias."""


def copy_course_status(writes: Transaction, module: ModuleFields, status: str) -> None:
    writes.update(module, [type(module).course_status.set(status)])


def _list_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def course_entries(keys: Keys, course: CourseItem) -> list[CourseListEntry]:
    """The course's entries, one in each list of the tenant's courses it belongs to: every
    combination of its status, featured and free (8 lists, the unfiltered one among them), each
    at its place newest first and with the summary the list shows. None for a course stored
    before lists were kept (not `listed`): it is in no list yet."""
    if not course.listed:
        return []
    summary = {name: getattr(course, name) for name in SUMMARY_FIELDS}
    values = {name: _list_value(getattr(course, name)) for name in COURSE_FILTERS}
    chosen = [names for size in range(len(COURSE_FILTERS) + 1) for names in combinations(COURSE_FILTERS, size)]
    return [
        CourseListEntry(keys.course_list({name: values[name] for name in names}), course.gsi1sk, summary=summary)
        for names in chosen
    ]


class CourseRepository:
    """Course storage for one tenant: it cannot form a key outside that tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_course(self, course_id: str, created_sort_key: str, **fields: Any) -> CourseItem:
        """An unsaved course with its keys; `created_sort_key` is its place in the tenant's lists."""
        return CourseItem(
            self.keys.course(course_id),
            COURSE_SK,
            course_id=course_id,
            tenant_id=self.keys.tenant_id,
            gsi1pk=self.keys.courses(),
            gsi1sk=f"{created_sort_key}#{course_id}",
            listed=True,
            **fields,
        )

    def _claim(self, alias: str, course_id: str) -> AliasClaim:
        return AliasClaim(self.keys.alias(alias), ALIAS_SK, course_id=course_id)

    def get(self, course_id: str) -> CourseItem | None:
        """The course, by a strongly consistent GetItem (one request)."""
        try:
            return CourseItem.get(self.keys.course(course_id), COURSE_SK, consistent_read=True)
        except CourseItem.DoesNotExist:
            return None

    def create(self, course: CourseItem) -> None:
        """Write the course, claim its alias, list it and start its tree, in one transaction;
        AliasTaken if the alias is held, ConcurrentModification if another transaction held the
        claim or one of the lists' counters at that moment."""
        try:
            with transaction() as writes:
                writes.save(course, condition=CourseItem.pk.does_not_exist(), name="course")
                writes.save(
                    self._claim(course.alias, course.course_id), condition=AliasClaim.pk.does_not_exist(), name="alias"
                )
                relist([], course_entries(self.keys, course)).apply(writes)
                mark_changed(writes, self.keys, course.course_id)
        except Cancelled as cancelled:
            if cancelled.failed("alias"):
                raise AliasTaken(course.alias) from cancelled
            raise concurrent_change(cancelled, course.course_id)  # noqa: B904 - chained implicitly

    def save(self, course: CourseItem, read: CourseItem, modules: Sequence[ModuleFields]) -> None:
        """Write a changed course (`read` is the course as it was read), guarded by its version,
        with its alias claim moved if the alias changed, its list entries moved to its new status
        or summary, and its tree marked changed; its status is copied to every module whose copy
        differs, in the same transaction while it fits (then in further ones: docs/DATA-MODEL.md).
        The copies are versioned writes, so a module edited meanwhile makes the update read again."""
        course.listed = True
        copies = [module for module in modules if module.course_status != course.status]
        room = TRANSACTION_LIMIT - COURSE_UPDATE_WRITES
        try:
            with transaction() as writes:
                writes.save(course, name="course")
                if course.alias != read.alias:
                    claim = self._claim(course.alias, course.course_id)
                    writes.save(claim, condition=AliasClaim.pk.does_not_exist(), name="alias")
                    writes.delete(self._claim(read.alias, course.course_id))
                relist(course_entries(self.keys, read), course_entries(self.keys, course)).apply(writes)
                mark_changed(writes, self.keys, course.course_id)
                for module in copies[:room]:
                    copy_course_status(writes, module, course.status)
            write_in_transactions(
                lambda writes, module: copy_course_status(writes, module, course.status), copies[room:]
            )
        except Cancelled as cancelled:
            if cancelled.failed("alias"):
                raise AliasTaken(course.alias) from cancelled
            # The course or a module changed meanwhile (a version check failed), or another
            # transaction held a counter: reading again and saving again copies what is still stale.
            raise ConcurrentModification(course.course_id) from cancelled

    def page(self, filters: dict[str, Any], offset: int, limit: int) -> tuple[int, list[CourseListEntry]]:
        """How many of the tenant's courses match `filters` (status, featured, free: those given),
        and the entries of the `limit` after the first `offset`, newest first: one Query of that list."""
        values = {name: _list_value(filters[name]) for name in COURSE_FILTERS if filters.get(name) is not None}
        count, entries = read_page(self.keys.course_list(values), offset + limit, skipped=offset)
        entries = entries[offset:]
        return count, [entry for entry in entries if isinstance(entry, CourseListEntry)]

    def find_unlisted(self) -> list[CourseItem]:
        """Every course of the tenant, newest first, the way lists were read before issue 14 (a
        Query of ListIndex, read whole): until the `listings` backfill has run."""
        found = LmsItem.list_index.query(self.keys.courses(), scan_index_forward=False)
        return [course for course in found if isinstance(course, CourseItem)]

    def get_collection(self, course_id: str) -> list[LmsItem]:
        """The course and everything stored under it, in key order: one Query (more past 1 MB)."""
        return list(LmsItem.query(self.keys.course(course_id), consistent_read=True))

    def get_structure(self, course_id: str) -> list[LmsItem]:
        """The course, its modules, their copies and its links, not its tree documents: one Query."""
        sort_keys = LmsItem.sk < TREE_PREFIX
        return list(LmsItem.query(self.keys.course(course_id), sort_keys, consistent_read=True))

    def get_with_modules(self, course_id: str) -> list[LmsItem]:
        """The course, its modules and submodule copies, not its lesson links: one Query."""
        sort_keys = LmsItem.sk.between(COURSE_SK, f"{CHILD_PREFIX}\uffff")
        return list(LmsItem.query(self.keys.course(course_id), sort_keys, consistent_read=True))

    def delete(self, course: CourseItem, children: Sequence[LmsItem]) -> None:
        """Remove the course, its alias claim, everything under it, its links' pointers and its
        list entries (its lists count one fewer). Its tree documents go in the last transaction,
        with the course, so nothing reads a tree without its course."""
        pointers = [link_pointer(self.keys, item) for item in children if isinstance(item, LessonLinkItem)]
        unlisted = relist(course_entries(self.keys, course), [])
        tree = [item for item in children if item.sk.startswith(TREE_PREFIX)]
        rest = [item for item in children if not item.sk.startswith(TREE_PREFIX)]
        try:
            delete_with_children(
                course,
                CourseItem.pk.exists(),
                [*tree, self._claim(course.alias, course.course_id), *rest, *pointers],
                also=unlisted.apply,
                room_for_also=len(unlisted),
            )
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, course.course_id, "head")  # noqa: B904
