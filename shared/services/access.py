"""A learner's access (RULES.md: Courses, Media, Enrollments, Course tracking): what is shown
to them, and what they may make progress in. Staff see everything and act for learners without
access; these rules are the learners'.

- An enrollment is active while its status is `active` or `extended` and its `endTime`, if any,
  is still ahead: past it, it counts as expired at once, whether or not the hourly job has run.
- A lesson is shown through a placement: a published link (its own status, or the lesson's) of
  a published lesson, in a published course, in a published module (and parent module) if any.
- Progress needs a shown placement that is open: its link is a free lesson, its course is free,
  or the learner's enrollment there is active; and, for a lesson, within its window (the link's
  dates over the lesson's), checked at every write. A course's own progress (its track, and the
  roll-up of lessons into it) needs the course open: free, or an active enrollment."""

from typing import Protocol

from shared.errors import Forbidden
from shared.repository.enrollments import ACTIVE
from shared.repository.items import CourseItem, EnrollmentItem, LessonItem, ModuleItem
from shared.repository.placements import Placement
from shared.services.visibility import PUBLISHED, course_not_found, lesson_not_found

EXPIRED = "expired"


class EnrollmentState(Protocol):
    """What access reads of an enrollment: the enrollment itself, or its copy in the user's
    progress partition for the course."""

    @property
    def status(self) -> str: ...
    @property
    def end_time(self) -> str | None: ...


class CourseTerms(Protocol):
    """What access reads of a course: the course itself, or its tree's summary."""

    @property
    def status(self) -> str: ...
    @property
    def free(self) -> bool: ...
    @property
    def end_datetime(self) -> str | None: ...


def has_ended(enrollment: EnrollmentState, now: str) -> bool:
    """An enrollment still active or extended whose end has come (the job marks it later)."""
    return enrollment.status in ACTIVE and enrollment.end_time is not None and enrollment.end_time <= now


def effective_status(enrollment: EnrollmentState, now: str) -> str:
    """The status as it is now: `expired` once its end has come, whatever is stored."""
    return EXPIRED if has_ended(enrollment, now) else enrollment.status


def enrollment_active(enrollment: EnrollmentState | None, now: str) -> bool:
    return enrollment is not None and enrollment.status in ACTIVE and not has_ended(enrollment, now)


def no_access(
    user_id: str, course_id: str, enrollment: EnrollmentState | None, now: str, course: CourseTerms | None = None
) -> Forbidden:
    """Why the user may not make progress in the course, in a sentence they can act on."""
    whose = f"User {user_id}'s enrollment in course {course_id}"
    if enrollment is None and course is not None and course.free and course.end_datetime:
        return Forbidden(
            f"Free course {course_id} ended on {course.end_datetime}; it is open to enrolled learners only."
        )
    if enrollment is None:
        return Forbidden(f"User {user_id} is not enrolled in course {course_id}; enroll first.")
    status = effective_status(enrollment, now)
    if status == EXPIRED:
        ended = f" on {enrollment.end_time}" if enrollment.end_time else ""
        return Forbidden(f"{whose} expired{ended}; ask an instructor to extend it.")
    if status == "cancelled":
        return Forbidden(f"{whose} was cancelled; ask an instructor to enroll you again.")
    if status == "pending":
        return Forbidden(f"{whose} awaits an admin's approval.")
    if status == "completed":
        return Forbidden(f"{whose} is completed; ask an instructor to extend it to study the course again.")
    return Forbidden(f"{whose} is {status}, not active.")


def course_open(course: CourseTerms, enrollment: EnrollmentState | None, now: str) -> bool:
    """Whether a learner may make progress in the course itself: it is published, and free (until
    the course's end) or they hold an active enrollment in it (until the enrollment's end)."""
    free_now = course.free and (course.end_datetime is None or course.end_datetime > now)
    return course.status == PUBLISHED and (free_now or enrollment_active(enrollment, now))


def require_course_open(
    user_id: str, course_id: str, course: CourseItem | None, enrollment: EnrollmentItem | None, now: str
) -> CourseItem:
    """The course, when the learner may make progress in it: 404 when it is not shown to them,
    403 saying why when they have no access."""
    if course is None or course.status != PUBLISHED:
        raise course_not_found(course_id)
    if not course_open(course, enrollment, now):
        raise no_access(user_id, course_id, enrollment, now, course)
    return course


def _module_shown(module: ModuleItem | None) -> bool:
    return module is not None and module.status == PUBLISHED


def shown(placement: Placement) -> bool:
    """Whether a learner sees the lesson through this placement (as the course tree shows it)."""
    link = placement.link
    return (
        placement.course is not None
        and placement.course.status == PUBLISHED
        and link.published
        and (link.module_id is None or _module_shown(placement.module))
        and (placement.module is None or placement.module.parent_id is None or _module_shown(placement.parent))
    )


def is_open(placement: Placement, now: str) -> bool:
    """Whether a learner may use the lesson through this placement: shown, and free or enrolled."""
    course = placement.course
    return (
        shown(placement)
        and course is not None
        and (placement.link.free_lesson or course_open(course, placement.enrollment, now))
    )


def window(placement: Placement, lesson: LessonItem) -> tuple[str | None, str | None]:
    """When a learner may take the lesson through this placement: the link's window over the
    lesson's own."""
    link = placement.link
    return link.start_datetime or lesson.start_datetime, link.end_datetime or lesson.end_datetime


def outside_window(lesson_id: str, opens_at: str | None, closes_at: str | None, now: str) -> Forbidden | None:
    """The refusal of a learner's write outside the window, saying when it opens or closed."""
    if opens_at and now < opens_at:
        return Forbidden(f"Lesson {lesson_id} opens at {opens_at}.")
    if closes_at and now > closes_at:
        return Forbidden(f"Lesson {lesson_id} closed at {closes_at}; its attempts can no longer change.")
    return None


def usable_placement(user_id: str, lesson: LessonItem, placements: list[Placement], now: str) -> Placement:
    """The placement a learner takes the lesson through now: the first added (a lesson twice in
    one course follows its first link) that is shown, open to them and within its window. 404 when
    none shows it to them; 403 saying why when none is open, or when none is within its window."""
    visible = sorted((placement for placement in placements if shown(placement)), key=lambda p: p.link.position)
    if not visible:
        raise lesson_not_found(lesson.lesson_id)
    usable = [placement for placement in visible if is_open(placement, now)]
    if not usable:
        first = visible[0]
        raise no_access(user_id, first.link.course_id, first.enrollment, now, first.course)
    refusals = [outside_window(lesson.lesson_id, *window(placement, lesson), now) for placement in usable]
    within = next((placement for placement, refusal in zip(usable, refusals, strict=True) if refusal is None), None)
    if within is None:
        raise refusals[0] or Forbidden(f"Lesson {lesson.lesson_id} is closed.")
    return within


def lesson_shown(lesson_id: str, placements: list[Placement]) -> None:
    """404 unless some placement shows the lesson to learners."""
    if not any(shown(placement) for placement in placements):
        raise lesson_not_found(lesson_id)
