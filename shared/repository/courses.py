"""Courses and their alias claims.

A course is the head of its own item collection (PK = the course), which later holds its modules
and lesson links, so the course tree is one Query. An alias is unique within a tenant through a
claim item written in the same transaction as the course, with a does-not-exist condition.
"""

from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition

from shared.repository.base import (
    CONDITION_FAILED,
    TRANSACTION_CONFLICT,
    LmsItem,
    cancellation_codes,
    tenant_key,
    transaction,
)

COURSE_SK = "#COURSE"
ALIAS_SK = "#ALIAS"
TRANSACTION_LIMIT = 100


class AliasTaken(Exception):
    """Another course of the tenant holds the alias."""


class ConcurrentModification(Exception):
    """The item changed between our read and our write, or another transaction held it: retry."""


def _raise_for_cancellation(error: TransactWriteError, course: "CourseItem", alias_write: int | None) -> None:
    """Map a cancelled transaction to AliasTaken or ConcurrentModification; anything else re-raises."""
    codes = cancellation_codes(error)
    if alias_write is not None and codes[alias_write : alias_write + 1] == [CONDITION_FAILED]:
        raise AliasTaken(course.alias) from error
    if TRANSACTION_CONFLICT in codes or codes[0:1] == [CONDITION_FAILED]:
        raise ConcurrentModification(course.course_id) from error
    raise error


class CourseItem(LmsItem, discriminator="course"):
    course_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    title = UnicodeAttribute()
    alias = UnicodeAttribute()
    short_description = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    featured = BooleanAttribute(default=False)
    free = BooleanAttribute(default=False)
    certificate_term = JSONAttribute(null=True)
    certificate_id = UnicodeAttribute(null=True)
    start_datetime = UnicodeAttribute(null=True)
    end_datetime = UnicodeAttribute(null=True)
    admin_approval = BooleanAttribute(default=False)
    auto_enroll = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    params = JSONAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class AliasClaim(LmsItem, discriminator="course_alias"):
    course_id = UnicodeAttribute()


class CourseRepository:
    """Course storage for one tenant: it cannot form a key outside that tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def course_key(self, course_id: str) -> str:
        return tenant_key(self.tenant_id, "COURSE", course_id)

    def alias_key(self, alias: str) -> str:
        return tenant_key(self.tenant_id, "ALIAS", alias)

    def list_key(self) -> str:
        return tenant_key(self.tenant_id, "COURSES")

    def new_course(self, course_id: str, created_sort_key: str, **fields: Any) -> CourseItem:
        """An unsaved course with its keys; `created_sort_key` orders the tenant's list."""
        return CourseItem(
            self.course_key(course_id),
            COURSE_SK,
            course_id=course_id,
            tenant_id=self.tenant_id,
            gsi1pk=self.list_key(),
            gsi1sk=f"{created_sort_key}#{course_id}",
            **fields,
        )

    def _claim(self, alias: str, course_id: str) -> AliasClaim:
        return AliasClaim(self.alias_key(alias), ALIAS_SK, course_id=course_id)

    def get(self, course_id: str) -> CourseItem | None:
        """The course, by a strongly consistent GetItem (one request)."""
        try:
            return CourseItem.get(self.course_key(course_id), COURSE_SK, consistent_read=True)
        except CourseItem.DoesNotExist:
            return None

    def create(self, course: CourseItem) -> None:
        """Write the course and claim its alias in one transaction; AliasTaken if it is held,
        ConcurrentModification if another transaction held the claim at that moment."""
        try:
            with transaction() as writes:
                writes.save(course, condition=CourseItem.pk.does_not_exist())
                writes.save(self._claim(course.alias, course.course_id), condition=AliasClaim.pk.does_not_exist())
        except TransactWriteError as error:
            _raise_for_cancellation(error, course, alias_write=1)

    def save(self, course: CourseItem, previous_alias: str) -> None:
        """Write a changed course, guarded by its version; a new alias moves its claim atomically."""
        try:
            if course.alias == previous_alias:
                course.save()
                return
            with transaction() as writes:
                writes.save(course)
                writes.delete(self._claim(previous_alias, course.course_id))
                writes.save(self._claim(course.alias, course.course_id), condition=AliasClaim.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrentModification(course.course_id) from error
            raise
        except TransactWriteError as error:
            _raise_for_cancellation(error, course, alias_write=2)

    def find(self, condition: Condition | None) -> list[CourseItem]:
        """The tenant's courses matching `condition`, newest first: one Query, more only past 1 MB."""
        found = LmsItem.list_index.query(self.list_key(), filter_condition=condition, scan_index_forward=False)
        return [course for course in found if isinstance(course, CourseItem)]

    def get_collection(self, course_id: str) -> list[LmsItem]:
        """The course and everything stored under it, in key order: one Query (more past 1 MB)."""
        return list(LmsItem.query(self.course_key(course_id), consistent_read=True))

    def delete(self, course: CourseItem, children: Sequence[LmsItem]) -> None:
        """Remove the course, its alias claim and its children.

        One transaction covers up to 100 items; children past that are removed first in
        batches, so a failure part-way leaves the course in place to be deleted again."""
        in_transaction = TRANSACTION_LIMIT - 2
        overflow, rest = children[in_transaction:], children[:in_transaction]
        if overflow:
            with LmsItem.batch_write() as batch:
                for child in overflow:
                    batch.delete(child)
        try:
            with transaction() as writes:
                writes.delete(course, condition=CourseItem.pk.exists())
                writes.delete(self._claim(course.alias, course.course_id))
                for child in rest:
                    writes.delete(child)
        except TransactWriteError as error:
            _raise_for_cancellation(error, course, alias_write=None)
