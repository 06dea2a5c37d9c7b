"""The instructor's progress report (`api.course.report`, staff only): one row per learner of the
course, with their enrollment as it stands and their course track, by the page (RULES.md: Course
tracking).

Rows come from a list, so a page costs the same whatever the course's size: the course's
enrollments (all but cancelled, or of one `status`), or, with `trackStatus`, the course's tracks
of that status. Then one BatchGetItem reads the course and what each row needs beside its list's
item: its track, or its enrollment."""

from functools import cache

from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Invalid
from shared.repository.base import LmsItem, first_of
from shared.repository.items import (
    COURSE_SK,
    TRACK_SK,
    CourseItem,
    CourseTrackItem,
    EnrollmentItem,
    Keys,
    TrackListEntry,
)
from shared.repository.listing import read_page
from shared.repository.marks import COURSE_PROGRESS, backfilled
from shared.schemas.enrollments import CourseReport, EnrollmentStatus, ReportRow
from shared.schemas.tracking import CourseTrackStatus
from shared.services.access import effective_status
from shared.services.enrollments import enrollments_page
from shared.services.grading import course_progress
from shared.services.visibility import course_not_found


@cache
def columns() -> list[str]:
    """The CSV's columns: a row's keys, in order."""
    return list(ReportRow.model_json_schema(by_alias=True)["properties"])


def course_report(
    caller: Principal,
    course_id: str,
    status: EnrollmentStatus | None,
    track_status: CourseTrackStatus | None,
    page: int,
    limit: int,
) -> CourseReport:
    """The page's rows, newest first, and how many rows match (exact)."""
    if status and track_status:
        raise Invalid("Filter the report by status or by trackStatus, not both at once.")
    now = utc_now()
    keys = Keys(caller.tenant_id)
    if track_status is not None and backfilled(COURSE_PROGRESS):
        offset = (page - 1) * limit
        count, found = read_page(keys.track_list(course_id, track_status), offset + limit, skipped=offset)
        users = [entry.user_id for entry in found[offset:] if isinstance(entry, TrackListEntry)]
        listed: dict[str, EnrollmentItem] | None = None  # the rows' enrollments are read with their tracks
    else:  # the course's enrollments (until the tracks are listed, filtered here by their tracks)
        count, enrollments = enrollments_page(caller.tenant_id, None, course_id, status, page, limit, now)
        users = [enrollment.user_id for enrollment in enrollments]
        listed = {enrollment.user_id: enrollment for enrollment in enrollments}
    read_enrollments, tracks_of = _read_for(keys, course_id, users, with_enrollments=listed is None)
    enrollments_of = listed if listed is not None else read_enrollments
    rows = [_row(user, enrollments_of.get(user), tracks_of.get(user), now) for user in users]
    if track_status is not None and not backfilled(COURSE_PROGRESS):
        rows = [row for row in rows if row.track_status == track_status]
        count = len(rows)
    return CourseReport(count=count, learners=rows)


def _read_for(
    keys: Keys, course_id: str, users: list[str], with_enrollments: bool
) -> tuple[dict[str, EnrollmentItem], dict[str, CourseTrackItem]]:
    """The course, and each user's track of it (and, `with_enrollments`, their enrollment in it),
    by user: one strongly consistent BatchGetItem (one per 100 keys). 404 when the course is not
    there."""
    wanted = [(keys.course(course_id), COURSE_SK)]
    for user in users:
        wanted.append((keys.course_track(user, course_id), TRACK_SK))
        if with_enrollments:
            wanted.append(keys.enrollment_of(course_id, user))
    found = list(LmsItem.batch_get(wanted, consistent_read=True))
    if first_of(found, CourseItem) is None:
        raise course_not_found(course_id)
    enrollments = {item.user_id: item for item in found if isinstance(item, EnrollmentItem)}
    return enrollments, {item.user_id: item for item in found if isinstance(item, CourseTrackItem)}


def _row(user: str, enrollment: EnrollmentItem | None, track: CourseTrackItem | None, now: str) -> ReportRow:
    return ReportRow(
        user_id=user,
        enrollment_id=enrollment.enrollment_id if enrollment else None,
        enrollment_status=effective_status(enrollment, now) if enrollment else None,
        end_time=enrollment.end_time if enrollment else None,
        track_status=track.status if track else None,
        completed_lessons=int(track.completed_lessons) if track else 0,
        no_of_lessons=int(track.no_of_lessons) if track else 0,
        progress=course_progress(track.completed_lessons, track.no_of_lessons) if track else 0,
        last_accessed_date=track.last_accessed_date if track else None,
        cert_gen_date=track.cert_gen_date if track else None,
    )
