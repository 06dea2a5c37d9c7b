"""Enrollments: one per user and course, found by id, by user, by course or tenant-wide."""

from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition

from shared.repository.base import ConcurrentModification, LmsItem, condition_failed, first_of, write_in_transactions
from shared.repository.items import EnrollmentItem, Keys

ENROLLMENT_SK = "#ENROLLMENT"
ACTIVE = ("active", "extended")
EXPIRY_PARTITION = "ENROLLMENT_EXPIRY"


def schedule_expiry(enrollment: EnrollmentItem) -> None:
    """List the enrollment in ExpiryIndex while it is active with an end: by its status and end
    alone (the mail flags say which messages the job sends, never whether it expires)."""
    due = enrollment.status in ACTIVE and enrollment.end_time is not None
    enrollment.gsi4pk = EXPIRY_PARTITION if due else None
    enrollment.gsi4sk = f"{enrollment.end_time}#{enrollment.pk}#{enrollment.sk}" if due else None


def not_ended(now: str) -> Condition:
    """An enrollment without an end, or whose end is still ahead of `now`."""
    running: Condition = EnrollmentItem.end_time.does_not_exist() | (EnrollmentItem.end_time > now)
    return running


def due_for_expiry(until: str) -> list[EnrollmentItem]:
    """Every tenant's listed enrollments ending by `until` (one Query, paged past 1 MB)."""
    found = LmsItem.expiry_index.query(EXPIRY_PARTITION, LmsItem.gsi4sk <= f"{until}#\uffff")
    return [item for item in found if isinstance(item, EnrollmentItem)]


class AlreadyEnrolled(Exception):
    """The user holds an enrollment in the course that is not cancelled."""


class EnrollmentRepository:
    """Enrollment storage for one tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_enrollment(
        self, course_id: str, user_id: str, enrollment_id: str, sort_key: str, **fields: Any
    ) -> EnrollmentItem:
        return EnrollmentItem(
            *self.keys.enrollment_of(course_id, user_id),
            enrollment_id=enrollment_id,
            course_id=course_id,
            user_id=user_id,
            tenant_id=self.keys.tenant_id,
            gsi1pk=self.keys.all_enrollments(),
            gsi1sk=f"{sort_key}#{enrollment_id}",
            gsi2pk=self.keys.enrollment(enrollment_id),
            gsi2sk=ENROLLMENT_SK,
            gsi3pk=self.keys.user(user_id),
            gsi3sk=f"ENROLLMENT#{sort_key}#{enrollment_id}",
            **fields,
        )

    def create(self, enrollment: EnrollmentItem, over_cancelled: bool) -> None:
        """Write it unless the user holds one in the course (AlreadyEnrolled), or, `over_cancelled`,
        one that is not cancelled: the key and this condition keep one per user and course under
        any concurrency."""
        schedule_expiry(enrollment)
        condition = EnrollmentItem.pk.does_not_exist()
        if over_cancelled:
            condition |= EnrollmentItem.status == "cancelled"
        try:
            enrollment.save(condition=condition)
        except PutError as error:
            if condition_failed(error):
                raise AlreadyEnrolled(enrollment.user_id) from error
            raise

    def of_user(self, course_id: str, user_id: str) -> EnrollmentItem | None:
        """The user's enrollment in the course, by its key: one GetItem."""
        try:
            return EnrollmentItem.get(*self.keys.enrollment_of(course_id, user_id), consistent_read=True)
        except EnrollmentItem.DoesNotExist:
            return None

    def get(self, enrollment_id: str) -> EnrollmentItem | None:
        found = LmsItem.lookup_index.query(self.keys.enrollment(enrollment_id), LmsItem.gsi2sk == ENROLLMENT_SK)
        return first_of(found, EnrollmentItem)

    def find(self, user_id: str | None, course_id: str | None, condition: Condition | None) -> list[EnrollmentItem]:
        """Enrollments of a user (UserIndex), of a course (its partition) or of the tenant
        (ListIndex), matching `condition`: one Query, more only past 1 MB."""
        if user_id:
            found = LmsItem.user_index.query(self.keys.user(user_id), filter_condition=condition)
        elif course_id:
            found = LmsItem.query(
                self.keys.course_enrollments(course_id), filter_condition=condition, consistent_read=True
            )
        else:
            found = LmsItem.list_index.query(self.keys.all_enrollments(), filter_condition=condition)
        return [item for item in found if isinstance(item, EnrollmentItem)]

    def save(self, enrollment: EnrollmentItem) -> None:
        """Write a changed enrollment if nobody changed it since it was read."""
        read = enrollment.revision
        enrollment.revision = read + 1
        schedule_expiry(enrollment)
        try:
            enrollment.save(condition=EnrollmentItem.revision == read)
        except PutError as error:
            if condition_failed(error):
                raise ConcurrentModification(enrollment.enrollment_id) from error
            raise

    def active_in_course(self, course_id: str, now: str) -> list[EnrollmentItem]:
        """The course's enrollments active at `now` (active or extended, and not ended): one
        strongly consistent Query."""
        return self.find(None, course_id, EnrollmentItem.status.is_in(*ACTIVE) & not_ended(now))

    def refresh_course(self, course_id: str, summary: dict[str, Any]) -> int:
        """Copy the course's new summary onto each of its enrollments (one Query, then a transaction
        per 100); each copy bumps the revision, so an update that read the old copy re-reads."""
        enrollments = self.find(None, course_id, None)

        def refresh_one(writes: Any, enrollment: EnrollmentItem) -> None:
            actions = [EnrollmentItem.course.set(summary), EnrollmentItem.revision.add(1)]
            writes.update(enrollment, actions, condition=EnrollmentItem.pk.exists())

        write_in_transactions(refresh_one, enrollments)
        return len(enrollments)

    def cancel(self, enrollments: list[EnrollmentItem], by: str, at: str) -> None:
        """Cancel each (kept as records), a transaction of up to 100 at a time."""

        def cancel_one(writes: Any, enrollment: EnrollmentItem) -> None:
            actions = [
                EnrollmentItem.status.set("cancelled"),
                EnrollmentItem.updated_by.set(by),
                EnrollmentItem.updated_at.set(at),
                EnrollmentItem.revision.add(1),
                EnrollmentItem.gsi4pk.remove(),  # nothing left for the expiry job
                EnrollmentItem.gsi4sk.remove(),
            ]
            writes.update(enrollment, actions, condition=EnrollmentItem.pk.exists())

        write_in_transactions(cancel_one, enrollments)
