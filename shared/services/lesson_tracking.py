"""Lesson tracking (RULES.md: Lesson tracking): numbered attempts with no gaps, graded by the
lesson's rules (its course link's where it has one), and the course roll-up in the same write."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Conflict, Invalid, NotFound
from shared.observability import count
from shared.repository.base import ConcurrentModification, LmsItem, first_of, snapshot
from shared.repository.items import (
    LESSON_SK,
    CourseTrackItem,
    Keys,
    LessonAttemptItem,
    LessonItem,
    LessonLinkItem,
    LinkPointer,
)
from shared.repository.lessons import SUMMARY_DESCRIPTION_LENGTH, LessonRepository
from shared.repository.placements import Key, Placement, link_pointers, read_placements
from shared.repository.tracking import AlreadyExists, TrackingRepository
from shared.schemas.tracking import (
    AttemptSummary,
    LessonHistory,
    LessonTrackComplete,
    LessonTrackDetails,
    LessonTrackOut,
    LessonTrackStart,
    LessonTrackUpdate,
    TrackedLesson,
)
from shared.services.access import course_open, outside_window, usable_placement
from shared.services.changes import apply_changes, dates_in_order, with_retries
from shared.services.course_tracking import roll_up, start_time, tracked_user
from shared.services.grading import (
    COMPLETED,
    FINISHED,
    attempt_number,
    attempt_passed,
    graded_score,
    lesson_progress,
    mean,
    passes,
)
from shared.services.visibility import PUBLISHED, lesson_not_found

# Completions of several lessons of one course by one user all advance the same course track;
# each retry re-reads it, so allow as many as a learner could plausibly send at once.
ROLL_UP_ATTEMPTS = 12


@dataclass(frozen=True)
class Rules:
    """How a lesson is taken and graded in one place: the link's settings over the lesson's."""

    no_of_attempts: float
    attempts_grade: str
    resume: bool
    total_marks: int | float
    passing_marks: int | float

    @classmethod
    def of(cls, lesson: LessonItem, link: LessonLinkItem | None) -> "Rules":
        def setting(name: str) -> Any:
            value = getattr(link, name) if link is not None else None
            return value if value is not None else getattr(lesson, name)

        return cls(
            no_of_attempts=setting("no_of_attempts"),
            attempts_grade=setting("attempts_grade"),
            resume=setting("resume"),
            total_marks=setting("total_marks"),
            passing_marks=setting("passing_marks"),
        )


def course_context(
    lesson_id: str, pointers: Sequence[LinkPointer], named: str | None
) -> tuple[str | None, list[LinkPointer]]:
    """The course an attempt counts for (the one named, or the lesson's only course; none when
    the lesson is in several and none is named), with the lesson's links that may serve it."""
    courses = {pointer.course_id for pointer in pointers}
    if named is None and len(courses) != 1:
        return None, list(pointers)
    course_id = named or next(iter(courses))
    if course_id not in courses:
        raise Invalid(
            f"Lesson {lesson_id} is not in course {course_id}; name one of its courses or leave courseId out."
        )
    return course_id, [pointer for pointer in pointers if pointer.course_id == course_id]


def learner_access(
    caller: Principal,
    user_id: str,
    lesson_id: str,
    pointers: Sequence[LinkPointer],
    course_id: str | None,
    also: Sequence[Key] = (),
    lesson: LessonItem | None = None,
) -> tuple[Placement, list[LmsItem]]:
    """The placement through which a learner may take the lesson now, read with the items of
    `also` and, unless the caller has it already, the lesson (for its window) in one batch: 404
    when none shows it to them, 403 saying why when none is open or within its window (an attempt
    in no course must be within the lesson's own window too)."""
    keys = Keys(caller.tenant_id)
    lesson_key = [] if lesson else [(keys.lesson(lesson_id), LESSON_SK)]
    placements, extra = read_placements(keys, pointers, user_id, [*lesson_key, *also])
    lesson = lesson or first_of(extra, LessonItem)
    if lesson is None or lesson.status != PUBLISHED:
        raise lesson_not_found(lesson_id)
    now = utc_now()
    placement = usable_placement(user_id, lesson, placements, now)
    if course_id is None and (refusal := outside_window(lesson_id, lesson.start_datetime, lesson.end_datetime, now)):
        raise refusal
    return placement, extra


def same_course(attempts: Sequence[LessonAttemptItem], course_id: str | None) -> list[LessonAttemptItem]:
    """The attempts made in one course (or in none): each course grades, limits and resumes its own,
    under its own rules, so a pass or a try under a lenient course's rules never counts in another."""
    return [attempt for attempt in attempts if attempt.course_id == course_id]


def _not_started(user_id: str, lesson_id: str, number: int | None) -> NotFound:
    which = f"attempt {number}" if number is not None else "an attempt"
    return NotFound(f"User {user_id} has not started {which} at lesson {lesson_id}.")


def _position_within_content(attempt: LessonAttemptItem) -> None:
    if attempt.current_position > attempt.total_content:
        raise ValueError(f"currentPosition must not be beyond totalContent ({attempt.total_content})")


def _check_attempt(attempt: LessonAttemptItem) -> None:
    _position_within_content(attempt)
    dates_in_order(attempt)


def start_lesson_tracking(caller: Principal, lesson_id: str, data: LessonTrackStart) -> tuple[LessonTrackOut, bool]:
    """A new attempt (and True), or with `resume` the unfinished one (and False). A learner needs
    the lesson open to them (a free lesson, a free course or an active enrollment there); staff
    take the course's first link of the lesson for its rules."""
    user_id = tracked_user(caller, data.user_id)
    partition = LessonRepository(caller.tenant_id).get_partition(lesson_id)
    lesson = partition.lesson
    if lesson is None or (not caller.is_staff and lesson.status != PUBLISHED):
        raise lesson_not_found(lesson_id)
    repository = TrackingRepository(caller.tenant_id)
    named = str(data.course_id) if data.course_id else None
    course_id, pointers = course_context(lesson_id, partition.pointers, named)
    link = None
    if not caller.is_staff:
        placement, _ = learner_access(caller, user_id, lesson_id, pointers, course_id, lesson=lesson)
        link = placement.link if course_id else None
    elif course_id:  # staff: the course's first link of the lesson
        placements, _ = read_placements(repository.keys, pointers, None)
        link = min((placement.link for placement in placements), key=lambda link: link.position, default=None)
    rules = Rules.of(lesson, link)
    if data.current_position > data.total_content:  # checked once the caller may act (403 before 400)
        raise Invalid(f"currentPosition must not be beyond totalContent ({data.total_content}).")

    def attempt() -> tuple[LessonTrackOut, bool]:
        attempts = repository.attempts(user_id, lesson_id)
        last = attempts[-1] if attempts else None
        here = same_course(attempts, course_id)  # resumed, limited and graded under these rules
        unfinished = here[-1] if here and here[-1].status not in FINISHED else None
        if data.attempt is None and rules.resume and unfinished is not None:
            return LessonTrackOut.model_validate(unfinished), False
        limit = int(rules.no_of_attempts)
        number = attempt_number(int(last.attempt) if last else 0, data.attempt, limit, len(here))
        now = utc_now()
        new = repository.new_attempt(
            lesson_id,
            user_id,
            number,
            lesson_track_id=str(uuid.uuid4()),
            course_id=course_id,
            start_datetime=start_time(data.start_datetime, now),
            status="started",
            total_content=data.total_content,
            current_position=data.current_position,
            attempts_grade=rules.attempts_grade,
            lesson={
                "title": lesson.title,
                "description": (lesson.description or "")[:SUMMARY_DESCRIPTION_LENGTH] or None,
                "format": lesson.format,
                "total_marks": rules.total_marks,
                "passing_marks": rules.passing_marks,
            },
            created_by=caller.user_id,
            created_at=now,
        )
        try:
            repository.create_attempt(new)
        except AlreadyExists:
            if data.attempt is not None:
                raise Conflict(f"Attempt {number} has already been started.") from None
            raise ConcurrentModification(lesson_id) from None  # another start took it: read again
        count("LessonAttemptStarted")
        return LessonTrackOut.model_validate(new), True

    return with_retries(attempt, "lesson tracking")


def update_lesson_tracking(caller: Principal, lesson_id: str, data: LessonTrackUpdate) -> LessonTrackOut:
    """Change the given attempt (else the latest) while it is open; fields left out stay."""
    user_id = tracked_user(caller, data.user_id)
    repository = TrackingRepository(caller.tenant_id)
    changes = data.model_dump(exclude_unset=True, exclude={"user_id", "attempt"})

    def attempt() -> LessonTrackOut:
        item = repository.attempt(user_id, lesson_id, data.attempt)
        if item is None:
            raise _not_started(user_id, lesson_id, data.attempt)
        if not caller.is_staff:
            pointers = link_pointers(repository.keys, lesson_id, item.course_id)
            learner_access(caller, user_id, lesson_id, pointers, item.course_id)
        if item.status == COMPLETED:
            raise Conflict(f"Attempt {item.attempt} is completed and cannot change; start a new attempt.")
        apply_changes(item, changes, caller, _position_within_content)
        repository.save_attempt(item)
        return LessonTrackOut.model_validate(item)

    return with_retries(attempt, "lesson tracking")


def complete_lesson_tracking(caller: Principal, lesson_id: str, data: LessonTrackComplete) -> LessonTrackOut:
    """Complete the given attempt (else the latest) with its score. When the lesson's graded
    result passes, it is recorded as passed and counted on its course's track in the same
    transaction. Completing a completed attempt changes nothing."""
    user_id = tracked_user(caller, data.user_id)
    repository = TrackingRepository(caller.tenant_id)
    changes = data.model_dump(exclude_unset=True, exclude={"user_id", "attempt"})

    def track_to_advance(item: LessonAttemptItem) -> tuple[CourseTrackItem | None, bool]:
        """The user's track of the attempt's course (if any), and whether the lesson may count on
        it: for a learner only with access to the course itself (a free lesson opens the lesson,
        not the course), checked in the same read."""
        course_id = item.course_id
        if caller.is_staff:
            return (repository.get_track(user_id, course_id) if course_id else None), True
        also = [repository.track_key(user_id, course_id)] if course_id else []
        pointers = link_pointers(repository.keys, lesson_id, course_id)
        placement, extra = learner_access(caller, user_id, lesson_id, pointers, course_id, also)
        course = placement.course
        return first_of(extra, CourseTrackItem), course is not None and course_open(
            course, placement.enrollment, utc_now()
        )

    def attempt() -> LessonTrackOut:
        attempts = repository.attempts(user_id, lesson_id)
        number = data.attempt or (attempts[-1].attempt if attempts else None)
        item = next((each for each in attempts if each.attempt == number), None)
        if item is None:
            raise _not_started(user_id, lesson_id, data.attempt)
        track, may_count = track_to_advance(item)
        track_read = snapshot(track) if track is not None else None
        if item.status == COMPLETED:
            return LessonTrackOut.model_validate(item)
        total_marks, passing_marks = item.lesson["total_marks"], item.lesson["passing_marks"]
        if data.score > total_marks:
            raise Invalid(f"score must be within 0-{total_marks}, the lesson's totalMarks.")
        now = utc_now()
        apply_changes(item, {"end_datetime": now, **changes, "status": COMPLETED}, caller, _check_attempt)
        passed = passes(graded_score(same_course(attempts, item.course_id), item.attempts_grade), passing_marks)
        counted = partial(repository.counted_lessons, item.course_id or "")  # read only if the lesson is new to it
        advanced = (
            passed and may_count and track is not None and roll_up(track, lesson_id, counted, now, caller.user_id)
        )
        repository.complete_attempt(item, passed, track if advanced else None, track_read)
        count("LessonAttemptCompleted")
        return LessonTrackOut.model_validate(item)

    return with_retries(attempt, "lesson tracking", attempts=ROLL_UP_ATTEMPTS)


def get_lesson_tracking(
    caller: Principal, lesson_id: str, user_id: str | None, number: int | None
) -> LessonTrackDetails:
    """The given attempt (else the latest) with the lesson, `progress` and its own `passed`."""
    user_id = tracked_user(caller, user_id)
    item = TrackingRepository(caller.tenant_id).attempt(user_id, lesson_id, number)
    if item is None:
        raise _not_started(user_id, lesson_id, number)
    return LessonTrackDetails.model_validate(
        {
            **LessonTrackOut.model_validate(item).model_dump(),
            "lesson": TrackedLesson.model_validate(item.lesson),
            "progress": lesson_progress(item.status, item.current_position, item.total_content),
            "passed": attempt_passed(item, item.lesson["passing_marks"]),
        }
    )


def lesson_history(caller: Principal, user_id: str, lesson_id: str) -> LessonHistory:
    """Every attempt in order; best and average of completed ones; `passed` by the grading rule of
    the latest attempt's course, over that course's attempts. A user with no attempts has an empty
    history."""
    user_id = tracked_user(caller, user_id)
    attempts = TrackingRepository(caller.tenant_id).attempts(user_id, lesson_id)
    latest = attempts[-1] if attempts else None
    scores = [attempt.score for attempt in attempts if attempt.status == COMPLETED]
    passed = latest is not None and passes(
        graded_score(same_course(attempts, latest.course_id), latest.attempts_grade), latest.lesson["passing_marks"]
    )
    return LessonHistory(
        attempts=[AttemptSummary.model_validate(attempt) for attempt in attempts],
        lesson=TrackedLesson.model_validate(latest.lesson) if latest else None,
        best_score=max(scores) if scores else None,
        average_score=mean(scores),
        total_attempts=len(attempts),
        passed=passed,
    )
