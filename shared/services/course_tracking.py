"""Course tracking (RULES.md: Course tracking): one track per user and course, advanced by
passed lessons, completed by the learner only when every counted lesson is done (staff may always
complete or correct it). Every learner's write needs access to the course (services/access.py):
an active enrollment, or a free course; staff act for learners without it."""

import uuid
from collections.abc import Callable

from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.observability import count
from shared.repository.base import snapshot
from shared.repository.items import CourseTrackItem
from shared.repository.tracking import AlreadyExists, TrackingRepository
from shared.schemas.tracking import (
    CourseTrackComplete,
    CourseTrackDetails,
    CourseTrackOut,
    CourseTrackStart,
    CourseTrackUpdate,
    TrackedCourse,
)
from shared.services.access import require_course_open
from shared.services.changes import with_retries
from shared.services.grading import COMPLETED, course_progress
from shared.services.visibility import course_not_found

INCOMPLETE, IN_PROGRESS = "incomplete", "in_progress"


def tracked_user(caller: Principal, user_id: str | None) -> str:
    """Whose progress a request is about: the caller's own unless staff name another user of the
    tenant; a learner naming anyone else is refused."""
    if user_id is None or user_id == caller.user_id:
        return caller.user_id
    if not caller.is_staff:
        raise Forbidden("Learners may track only their own progress; leave userId out or send your own.")
    return user_id


def track_not_found(user_id: str, course_id: str) -> NotFound:
    return NotFound(f"User {user_id} has not started course {course_id}; start its tracking first.")


def start_time(sent: str | None, now: str) -> str:
    """When a track or attempt starts: now, or the time staff sent (a learner's is never kept:
    the server's clock). Not in the future, so its end, now at the latest, never precedes it."""
    if sent and sent > now:
        raise Invalid(f"startDatetime must not be in the future (it is {now} now).")
    return sent or now


def recount(track: CourseTrackItem, counted: set[str]) -> None:
    """`noOfLessons` and `completedLessons` from the lessons that count for the course now:
    the passed ones among them, plus any staff correction, within 0–noOfLessons."""
    track.no_of_lessons = len(counted)
    passed = len((track.completed_lesson_ids or set()) & counted)
    track.completed_lessons = max(0, min(track.no_of_lessons, passed + track.credited_lessons))


def correct_completed(track: CourseTrackItem, counted: set[str], completed_lessons: float) -> None:
    """A staff correction: remembered as the difference from the lessons actually passed."""
    recount(track, counted)
    if completed_lessons > track.no_of_lessons:
        raise Invalid(
            f"completedLessons must be within 0-{track.no_of_lessons}, the lessons that count for this course."
        )
    track.credited_lessons = completed_lessons - len((track.completed_lesson_ids or set()) & counted)
    recount(track, counted)


def complete(track: CourseTrackItem, end: str, certificate_date: str | None = None) -> None:
    """Mark the track completed; the certificate date is set once."""
    track.status, track.end_datetime, track.last_accessed_date = COMPLETED, end, end
    track.cert_gen_date = track.cert_gen_date or certificate_date or end


def complete_when_done(track: CourseTrackItem, at: str) -> None:
    if track.status != COMPLETED and 0 < track.no_of_lessons <= track.completed_lessons:
        complete(track, at)


def roll_up(track: CourseTrackItem, lesson_id: str, counted: Callable[[], set[str]], at: str, by: str) -> bool:
    """Count a lesson the user has just passed: once, and only if it counts for the course
    (`counted` is read only then). Reaching every counted lesson completes the track. Whether the
    track changed."""
    done = track.completed_lesson_ids or set()
    if lesson_id in done:
        return False
    lessons = counted()
    if lesson_id not in lessons:
        return False
    track.completed_lesson_ids = done | {lesson_id}
    recount(track, lessons)
    track.last_accessed_date, track.updated_by, track.updated_at = at, by, at
    if track.status == INCOMPLETE:
        track.status = IN_PROGRESS
    complete_when_done(track, at)
    return True


def start_course_tracking(caller: Principal, course_id: str, data: CourseTrackStart) -> CourseTrackOut:
    """One track per user and course; lessons already passed count."""
    user_id = tracked_user(caller, data.user_id)
    repository = TrackingRepository(caller.tenant_id)
    course, enrollment = repository.course_and_enrollment(course_id, user_id)
    now = utc_now()
    if not caller.is_staff:
        require_course_open(user_id, course_id, course, enrollment, now)
    elif course is None:
        raise course_not_found(course_id)
    counted = repository.counted_lessons(course_id)
    start = start_time(data.start_datetime, now)
    track = repository.new_track(
        course_id,
        user_id,
        str(uuid.uuid4()),
        start_datetime=start,
        status=INCOMPLETE,
        last_accessed_date=start,
        completed_lesson_ids=repository.passed_lessons(user_id, course_id) & counted,
        created_by=caller.user_id,
        created_at=now,
    )
    recount(track, counted)
    complete_when_done(track, now)
    try:
        repository.create_track(track)
    except AlreadyExists:
        raise Conflict(f"User {user_id} has already started course {course_id}; update that tracking.") from None
    count("CourseStarted")
    return CourseTrackOut.model_validate(track)


def update_course_tracking(caller: Principal, course_id: str, data: CourseTrackUpdate) -> CourseTrackOut:
    """A learner may touch `lastAccessedDate` (to now) and move the track to `in_progress`; staff
    may set it, and correct `completedLessons` and `status`."""
    user_id = tracked_user(caller, data.user_id)
    if not caller.is_staff and data.status not in (None, IN_PROGRESS):
        raise Forbidden("Learners may only move a course to in_progress; complete it with PUT .../tracking/complete.")
    repository = TrackingRepository(caller.tenant_id)

    def attempt() -> CourseTrackOut:
        track = _track_to_change(caller, repository, user_id, course_id)
        read = snapshot(track)
        if not caller.is_staff and data.status and track.status == COMPLETED:
            raise Conflict(f"Course {course_id} is already completed for user {user_id}.")
        counted = repository.counted_lessons(course_id)
        recount(track, counted)
        if data.completed_lessons is not None:
            correct_completed(track, counted, data.completed_lessons)
        now = utc_now()
        if data.status and data.status != track.status:
            if data.status == COMPLETED:
                complete(track, now)
            else:
                track.status, track.end_datetime = data.status, None
        if data.last_accessed_date or not caller.is_staff:  # a learner's update is an access, now
            track.last_accessed_date = data.last_accessed_date or now
        track.updated_by, track.updated_at = caller.user_id, now
        repository.save_track(track, read)
        return CourseTrackOut.model_validate(track)

    return with_retries(attempt, "course tracking")


def complete_course_tracking(caller: Principal, course_id: str, data: CourseTrackComplete) -> CourseTrackOut:
    """A learner completes a course only once every counted lesson is done (409 with how many
    remain, or when none counts); staff always, crediting the rest unless they say how many were
    done, at the dates they give. Completing a completed track changes nothing."""
    user_id = tracked_user(caller, data.user_id)
    repository = TrackingRepository(caller.tenant_id)

    def attempt() -> CourseTrackOut:
        track = _track_to_change(caller, repository, user_id, course_id)
        read = snapshot(track)
        if track.status == COMPLETED:
            return CourseTrackOut.model_validate(track)
        counted = repository.counted_lessons(course_id)
        recount(track, counted)
        if caller.is_staff:
            done = data.completed_lessons if data.completed_lessons is not None else track.no_of_lessons
            correct_completed(track, counted, done)
        elif track.no_of_lessons == 0:
            raise Conflict(f"Course {course_id} has no lessons to complete; an instructor completes it for you.")
        elif track.completed_lessons < track.no_of_lessons:
            remaining = track.no_of_lessons - track.completed_lessons
            raise Conflict(
                f"{remaining} of {track.no_of_lessons} lessons remain to be completed before course {course_id} is."
            )
        now = utc_now()
        end = data.end_datetime or now  # a learner's dates are left out: the server's clock
        if end < track.start_datetime:
            raise Invalid(f"endDatetime must not be before the track's startDatetime ({track.start_datetime}).")
        complete(track, end, data.cert_gen_date)
        track.updated_by, track.updated_at = caller.user_id, now
        repository.save_track(track, read)
        return CourseTrackOut.model_validate(track)

    return with_retries(attempt, "course tracking")


def _track_to_change(
    caller: Principal, repository: TrackingRepository, user_id: str, course_id: str
) -> CourseTrackItem:
    """The track a write is about: a learner's only while they have access to the course."""
    track, course, enrollment = repository.track_course_and_enrollment(user_id, course_id)
    if not caller.is_staff:
        require_course_open(user_id, course_id, course, enrollment, utc_now())
    if track is None:
        raise track_not_found(user_id, course_id)
    return track


def get_course_tracking(caller: Principal, course_id: str, user_id: str | None) -> CourseTrackDetails:
    """The track with its course (null once the course is deleted) and `progress`."""
    user_id = tracked_user(caller, user_id)
    track, course = TrackingRepository(caller.tenant_id).track_and_course(user_id, course_id)
    if track is None:
        raise track_not_found(user_id, course_id)
    return CourseTrackDetails.model_validate(
        {
            **CourseTrackOut.model_validate(track).model_dump(),
            "course": TrackedCourse.model_validate(course) if course else None,
            "progress": course_progress(track.completed_lessons, track.no_of_lessons),
        }
    )
