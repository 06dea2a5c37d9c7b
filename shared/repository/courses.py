"""Courses, their alias claims and their item collections.

A course is the head of its own item collection (PK = the course), which holds its modules,
submodule copies and lesson links, so the course tree is one Query. An alias is unique within a
tenant through a claim item written in the same transaction as the course."""

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from shared.repository.base import (
    TRANSACTION_LIMIT,
    Cancelled,
    ConcurrentModification,
    LmsItem,
    Transaction,
    concurrent_change,
    condition_failed,
    delete_with_children,
    transaction,
    write_in_transactions,
)
from shared.repository.items import (
    ALIAS_SK,
    CHILD_PREFIX,
    COURSE_SK,
    AliasClaim,
    CourseItem,
    Keys,
    LessonLinkItem,
    ModuleFields,
    link_pointer,
)

# Writes a course update puts in its own transaction before copying its status to modules.
COURSE_UPDATE_WRITES = 3


class AliasTaken(Exception):
    """Another course of the tenant holds the alias."""


def copy_course_status(writes: Transaction, module: ModuleFields, status: str) -> None:
    writes.update(module, [type(module).course_status.set(status)])


class CourseRepository:
    """Course storage for one tenant: it cannot form a key outside that tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_course(self, course_id: str, created_sort_key: str, **fields: Any) -> CourseItem:
        """An unsaved course with its keys; `created_sort_key` orders the tenant's list."""
        return CourseItem(
            self.keys.course(course_id),
            COURSE_SK,
            course_id=course_id,
            tenant_id=self.keys.tenant_id,
            gsi1pk=self.keys.courses(),
            gsi1sk=f"{created_sort_key}#{course_id}",
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
        """Write the course and claim its alias in one transaction; AliasTaken if it is held,
        ConcurrentModification if another transaction held the claim at that moment."""
        try:
            with transaction() as writes:
                writes.save(course, condition=CourseItem.pk.does_not_exist(), name="course")
                writes.save(
                    self._claim(course.alias, course.course_id), condition=AliasClaim.pk.does_not_exist(), name="alias"
                )
        except Cancelled as cancelled:
            if cancelled.failed("alias"):
                raise AliasTaken(course.alias) from cancelled
            raise concurrent_change(cancelled, course.course_id)  # noqa: B904 - chained implicitly

    def save(self, course: CourseItem, previous_alias: str, modules: Sequence[ModuleFields]) -> None:
        """Write a changed course, guarded by its version. A new alias moves its claim, and the
        course's status is copied to every module whose copy differs, in the same transaction
        while it fits (then in further ones: docs/DATA-MODEL.md). The copies are versioned
        writes, so a module edited meanwhile makes the whole update read again."""
        copies = [module for module in modules if module.course_status != course.status]
        room = TRANSACTION_LIMIT - COURSE_UPDATE_WRITES
        try:
            if course.alias == previous_alias and not copies:
                course.save()
                return
            with transaction() as writes:
                writes.save(course, name="course")
                if course.alias != previous_alias:
                    claim = self._claim(course.alias, course.course_id)
                    writes.save(claim, condition=AliasClaim.pk.does_not_exist(), name="alias")
                    writes.delete(self._claim(previous_alias, course.course_id))
                for module in copies[:room]:
                    copy_course_status(writes, module, course.status)
            write_in_transactions(
                lambda writes, module: copy_course_status(writes, module, course.status), copies[room:]
            )
        except PutError as error:
            if condition_failed(error):
                raise ConcurrentModification(course.course_id) from error
            raise
        except Cancelled as cancelled:
            if cancelled.failed("alias"):
                raise AliasTaken(course.alias) from cancelled
            # The course or a module changed meanwhile (a version check failed): reading again
            # and saving again copies whatever is still stale.
            raise ConcurrentModification(course.course_id) from cancelled

    def find(self, condition: Condition | None) -> list[CourseItem]:
        """The tenant's courses matching `condition`, newest first: one Query, more only past 1 MB."""
        found = LmsItem.list_index.query(self.keys.courses(), filter_condition=condition, scan_index_forward=False)
        return [course for course in found if isinstance(course, CourseItem)]

    def get_collection(self, course_id: str) -> list[LmsItem]:
        """The course and everything stored under it, in key order: one Query (more past 1 MB)."""
        return list(LmsItem.query(self.keys.course(course_id), consistent_read=True))

    def get_with_modules(self, course_id: str) -> list[LmsItem]:
        """The course, its modules and submodule copies, not its lesson links: one Query."""
        sort_keys = LmsItem.sk.between(COURSE_SK, f"{CHILD_PREFIX}\uffff")
        return list(LmsItem.query(self.keys.course(course_id), sort_keys, consistent_read=True))

    def delete(self, course: CourseItem, children: Sequence[LmsItem]) -> None:
        """Remove the course, its alias claim, everything under it and its links' pointers."""
        pointers = [link_pointer(self.keys, item) for item in children if isinstance(item, LessonLinkItem)]
        try:
            delete_with_children(
                course, CourseItem.pk.exists(), [self._claim(course.alias, course.course_id), *children, *pointers]
            )
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, course.course_id, "head")  # noqa: B904
