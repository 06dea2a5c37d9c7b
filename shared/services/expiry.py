"""Enrollment expiry (RULES.md: Enrollments), run on a schedule: `enrollment.expiring` a few
days before an enrollment's end, then status `expired` once it has passed, with
`enrollment.expired`. Each message is published once: its flag (`beforeExpiryMail`,
`afterExpiryMail`) records that it went out, and a flag already set means it is not sent again;
the flags never decide whether an enrollment expires."""

from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.clock import TIMESTAMP_FORMAT
from shared.events import publish_once
from shared.observability import logger, metrics
from shared.repository.base import ConcurrentModification, snapshot
from shared.repository.enrollments import EnrollmentRepository, due_for_expiry
from shared.repository.items import EnrollmentItem

EXPIRING, EXPIRED = "enrollment.expiring", "enrollment.expired"
JOB = "expiry-job"  # `updatedBy` of the changes the job makes
# A run stops this long before its function's timeout (an enrollment takes a few requests) and
# the next run carries on: what it marked has left the due list, what it announced is flagged.
STOP_BEFORE_TIMEOUT_MS = 30_000


def expire_enrollments(now: datetime, notice: timedelta, context: LambdaContext | None) -> dict[str, int]:
    """Announce what ends within `notice` and expire what has ended; how many of each, and
    whether the run stopped short of the end (`stopped`: its time ran out, the next run goes on).
    The event is published before the enrollment is marked, so a run that stops between them
    publishes nothing twice (the event's key) and loses nothing (the next run marks it)."""
    moment = now.strftime(TIMESTAMP_FORMAT)
    done = {EXPIRING: 0, EXPIRED: 0, "stopped": 0}
    for enrollment in due_for_expiry((now + notice).strftime(TIMESTAMP_FORMAT)):
        if context is not None and context.get_remaining_time_in_millis() < STOP_BEFORE_TIMEOUT_MS:
            done["stopped"] = 1
            logger.info("Expiry run stopped before its timeout; the next run carries on", extra=done)
            break
        read = snapshot(enrollment)
        end = enrollment.end_time or ""
        if end <= moment:
            what, announce = EXPIRED, not enrollment.after_expiry_mail
            enrollment.status, enrollment.after_expiry_mail = "expired", True
        elif not enrollment.before_expiry_mail:
            what, announce = EXPIRING, True
            enrollment.before_expiry_mail = True
        else:
            continue
        if announce:
            # Keyed by the enrollment itself: its PK is its course's partition of enrollments, shared.
            publish_once(f"{what}#{enrollment.enrollment_id}#{end}", what, _detail(enrollment), context)
        enrollment.updated_by, enrollment.updated_at = JOB, moment
        try:
            EnrollmentRepository(enrollment.tenant_id).save(enrollment, read)
        except ConcurrentModification:  # changed meanwhile: the next run looks at it again
            logger.info("Enrollment changed during expiry; left for the next run", extra={"id": enrollment.pk})
            continue
        done[what] += 1
    metrics.add_metric(name="EnrollmentsExpiring", unit=MetricUnit.Count, value=done[EXPIRING])
    metrics.add_metric(name="EnrollmentsExpired", unit=MetricUnit.Count, value=done[EXPIRED])
    return done


def _detail(enrollment: EnrollmentItem) -> dict[str, str | None]:
    return {
        "tenantId": enrollment.tenant_id,
        "enrollmentId": enrollment.enrollment_id,
        "courseId": enrollment.course_id,
        "userId": enrollment.user_id,
        "endTime": enrollment.end_time,
        "courseTitle": enrollment.course.get("title"),
    }
