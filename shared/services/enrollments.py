"""Enrollment rules (RULES.md: Enrollments): one per user and course, staff enroll anyone,
a learner only themselves in a published self-enrollment course, and only sees their own."""

import uuid
from typing import Any

from pynamodb.expressions.condition import Condition

from shared.auth import Principal
from shared.clock import sortable_now, utc_now
from shared.errors import Conflict, Forbidden, NotFound
from shared.observability import count
from shared.pagination import paginate
from shared.repository.base import ConcurrentModification, snapshot
from shared.repository.enrollments import ACTIVE, CANCELLED, AlreadyEnrolled, EnrollmentRepository, not_ended
from shared.repository.items import CourseItem, EnrollmentItem
from shared.repository.listing import listings_ready
from shared.schemas.common import MessageResult
from shared.schemas.enrollments import (
    EnrollmentCreate,
    EnrollmentList,
    EnrollmentOut,
    EnrollmentStatus,
    EnrollmentSummary,
    EnrollmentUpdate,
)
from shared.services.access import EXPIRED, effective_status, no_access
from shared.services.changes import CONTENDED_ATTEMPTS, apply_changes, with_retries
from shared.services.visibility import PUBLISHED, course_not_found


def enrollment_not_found(enrollment_id: str) -> NotFound:
    return NotFound(f"Enrollment {enrollment_id} not found.")


def course_summary(course: CourseItem) -> dict[str, Any]:
    """What an enrollment shows of its course, copied onto it."""
    return {
        "title": course.title,
        "short_description": course.short_description,
        "description": course.description,
        "image": course.image,
        "start_datetime": course.start_datetime,
        "end_datetime": course.end_datetime,
    }


def enroll(caller: Principal, data: EnrollmentCreate) -> EnrollmentOut:
    """Staff enroll anyone of the tenant; a learner only themselves, in a published course that
    takes self-enrollment (pending while it needs an admin's approval)."""
    course_id = str(data.course_id)
    if not caller.is_staff and data.user_id != caller.user_id:
        raise Forbidden("Learners may enroll only themselves.")
    repository = EnrollmentRepository(caller.tenant_id)

    def attempt() -> EnrollmentItem:
        course, existing = repository.course_and_enrollment(course_id, data.user_id)
        if course is None or (not caller.is_staff and course.status != PUBLISHED):
            raise course_not_found(course_id)
        status = "active"
        if not caller.is_staff:
            if not course.auto_enroll:
                raise Forbidden(f"Course {course_id} does not take self-enrollment; ask an instructor to enroll you.")
            status = "pending" if course.admin_approval else "active"
        now = utc_now()
        if existing is not None and existing.status == CANCELLED and not caller.is_staff:
            # Staff may enroll again over a cancelled enrollment; a learner may not undo a cancellation.
            raise no_access(data.user_id, course_id, existing, now)
        if existing is not None and existing.status != CANCELLED:
            raise Conflict(f"User {data.user_id} is already enrolled in course {course_id}.")
        enrollment = repository.new_enrollment(
            course_id,
            data.user_id,
            str(uuid.uuid4()),
            sortable_now(),
            enrolled_on_time=now,
            end_time=None if data.unlimited_plan else course.end_datetime,
            status=status,
            course=course_summary(course),
            enrolled_by=caller.user_id,
            enrolled_at=now,
            **data.model_dump(exclude_none=True, exclude={"course_id", "user_id"}),
        )
        try:
            repository.create(enrollment, over=existing)
        except AlreadyEnrolled:  # made meanwhile: read again, to say which refusal it is
            raise ConcurrentModification(enrollment.enrollment_id) from None
        return enrollment

    enrollment = with_retries(attempt, "course's enrollments", attempts=CONTENDED_ATTEMPTS)
    count("Enrolled")
    return enrollment_out(enrollment)


def as_it_stands[M: (EnrollmentOut, EnrollmentSummary)](shape: type[M], enrollment: EnrollmentItem, now: str) -> M:
    """The enrollment in a response's shape, as it stands now: `expired` once its end has come,
    whether or not the hourly job has marked it yet."""
    return shape.model_validate(enrollment).model_copy(update={"status": effective_status(enrollment, now)})


def enrollment_out(enrollment: EnrollmentItem) -> EnrollmentOut:
    return as_it_stands(EnrollmentOut, enrollment, utc_now())


def _status_condition(status: EnrollmentStatus | None, now: str) -> Condition:
    """Enrollments in `status` as they stand now (an active one past its end is expired), or all
    but cancelled ones."""
    if status is None:
        return EnrollmentItem.status != CANCELLED
    matching: Condition = EnrollmentItem.status == status
    if status in ACTIVE:
        matching &= not_ended(now)
    elif status == EXPIRED:
        matching |= EnrollmentItem.status.is_in(*ACTIVE) & (EnrollmentItem.end_time <= now)
    return matching


def list_enrollments(
    caller: Principal,
    user_id: str | None,
    course_id: str | None,
    status: EnrollmentStatus | None,
    page: int,
    limit: int,
) -> EnrollmentList:
    """Newest first; cancelled ones only when asked for; learners see their own only. Read from
    the list the filters name, by the page; a user's enrollment in one course by its key."""
    if not caller.is_staff:
        if user_id not in (None, caller.user_id):
            raise Forbidden("Learners may list only their own enrollments.")
        user_id = caller.user_id
    now = utc_now()
    count, shown = enrollments_page(caller.tenant_id, user_id, course_id, status, page, limit, now)
    summaries = [as_it_stands(EnrollmentSummary, enrollment, now) for enrollment in shown]
    return EnrollmentList(count=count, enrollments=summaries)


def enrollments_page(
    tenant_id: str,
    user_id: str | None,
    course_id: str | None,
    status: EnrollmentStatus | None,
    page: int,
    limit: int,
    now: str,
) -> tuple[int, list[EnrollmentItem]]:
    """How many enrollments match (of the user, the course, or both) and the page's, newest
    first, from the list the filters name (docs/DATA-MODEL.md: Lists)."""
    repository = EnrollmentRepository(tenant_id)
    if not listings_ready():  # the table's enrollments are not all listed yet (the `listings` backfill)
        count, found = _read_unlisted(repository, user_id, course_id, status, now)
        return count, paginate(found, page, limit)
    if user_id and course_id:  # one enrollment at most
        enrollment = repository.of_user(course_id, user_id)
        found = [enrollment] if enrollment is not None and _listed_as(enrollment, status, now) else []
        return len(found), paginate(found, page, limit)
    return repository.page(user_id, course_id, status, (page - 1) * limit, limit, now)


def _listed_as(enrollment: EnrollmentItem, status: EnrollmentStatus | None, now: str) -> bool:
    """Whether a list asking for `status` shows the enrollment (None: all but cancelled ones)."""
    if status is None:
        return enrollment.status != CANCELLED
    return effective_status(enrollment, now) == status


def _read_unlisted(
    repository: EnrollmentRepository,
    user_id: str | None,
    course_id: str | None,
    status: EnrollmentStatus | None,
    now: str,
) -> tuple[int, list[EnrollmentItem]]:
    """The list read whole, as before issue 14 (until the `listings` backfill has run)."""
    condition = _status_condition(status, now)
    if course_id and user_id:  # the user's enrollments are read; the course narrows them
        condition &= EnrollmentItem.course_id == course_id
    found = repository.find_unlisted(user_id, course_id, condition)
    found.sort(key=lambda enrollment: enrollment.gsi1sk or "", reverse=True)  # enrolled, to the microsecond
    return len(found), found


def _readable(caller: Principal, enrollment_id: str) -> EnrollmentItem:
    enrollment = EnrollmentRepository(caller.tenant_id).get(enrollment_id)
    if enrollment is None:
        raise enrollment_not_found(enrollment_id)
    if not caller.is_staff and enrollment.user_id != caller.user_id:
        raise Forbidden("Learners may read only their own enrollments.")
    return enrollment


def get_enrollment(caller: Principal, enrollment_id: str) -> EnrollmentOut:
    return enrollment_out(_readable(caller, enrollment_id))


def update_enrollment(caller: Principal, enrollment_id: str, changes: EnrollmentUpdate) -> EnrollmentOut:
    """Apply the fields sent (an unlimited plan has no end); a concurrent change is re-read."""
    repository = EnrollmentRepository(caller.tenant_id)
    sent = changes.model_dump(exclude_unset=True)
    if sent.get("unlimited_plan"):
        sent["end_time"] = None

    def attempt() -> EnrollmentOut:
        enrollment = _readable(caller, enrollment_id)
        read = snapshot(enrollment)
        apply_changes(enrollment, sent, caller, lambda _: None)
        repository.save(enrollment, read)
        return enrollment_out(enrollment)

    return with_retries(attempt, "enrollment", attempts=CONTENDED_ATTEMPTS)


def cancel_enrollment(caller: Principal, enrollment_id: str) -> MessageResult:
    """Set `cancelled`, keeping the record (cancelling twice is fine)."""
    update_enrollment(caller, enrollment_id, EnrollmentUpdate.model_validate({"status": CANCELLED}))
    count("EnrollmentCancelled")
    return MessageResult(message="Enrollment cancelled successfully")
