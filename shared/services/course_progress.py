"""A user's way through a course (RULES.md: Course tracking): the course tree with their tracking
on every lesson and figures on every module (`api.course.tracking.details`), and the lesson to
open next (`api.course.tracking.next`).

Each is two requests: the caller's view of the tree as stored (shared/services/course_tree.py),
and one Query of the user's progress partition for the course, which holds their enrollment's
copy, their course track and a copy of every attempt they made in the course
(docs/DATA-MODEL.md: A user's progress in a course).

A learner asks for themselves only, and needs the course open to them (free, or an active
enrollment); without it, a course with free lessons still shows those lessons' tracking, and only
theirs, and a course without any is refused (403, saying why)."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from shared.auth import Principal
from shared.clock import utc_now
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.items import CourseAttempt, EnrollmentItem
from shared.repository.marks import COURSE_PROGRESS, backfilled
from shared.repository.tracking import CourseProgress, TrackingRepository, modules_shown_to_learners
from shared.schemas.tracking import CourseProgressDetails, CourseTrackOut, NextStep
from shared.services.access import EnrollmentState, course_open, no_access
from shared.services.course_tracking import tracked_user
from shared.services.course_tree import lessons_in_order, tree_of
from shared.services.grading import FINISHED, graded_score, lesson_progress, passes
from shared.services.visibility import PUBLISHED

type Tree = dict[str, Any]  # the details document, as its JSON reads (camelCase keys)
type Entry = dict[str, Any]  # a lesson of the tree


@dataclass(frozen=True)
class CourseTerms:
    """The course's terms of access, as its tree's summary gives them."""

    status: str
    free: bool
    end_datetime: str | None


@dataclass(frozen=True)
class Reading:
    """The tree, the user's progress in the course, and which of its lessons show their tracking."""

    user_id: str
    tree: Tree
    progress: CourseProgress
    open_to_user: Callable[[Entry], bool]

    @cached_property
    def counted(self) -> frozenset[tuple[str | None, str]]:
        """The lesson links (module, lesson) that count towards completing the course: published,
        marked to count, and where a learner sees them, as the course track counts them (a staff
        view also shows unpublished modules, whose lessons count for no one)."""
        modules = [module for top in self.tree["modules"] for module in (top, *top["subModules"])]
        shown = modules_shown_to_learners(
            (module["moduleId"], module["parentId"], module["status"]) for module in modules
        )
        return frozenset(
            _place_of(entry)
            for entry in lessons_in_order(self.tree)
            if _marked_to_count(entry) and entry["moduleId"] in shown
        )

    def counts(self, entry: Entry) -> bool:
        return _place_of(entry) in self.counted


def tracking_details(caller: Principal, course_id: str, user_id: str | None) -> CourseProgressDetails:
    """The caller's view of the course tree, every lesson with the user's tracking of it (null when
    not started, or not open to a learner), every module and submodule with `completedLessons`
    and `noOfLessons` of its counted lessons (a top-level module's include its submodules'), and
    the user's course track."""
    reading = _read(caller, course_id, user_id)
    tree, progress = reading.tree, reading.progress

    def tracked(entries: list[Entry]) -> list[Entry]:
        return [
            {**entry, "tracking": _tracking(progress.attempts.get(entry["lessonId"], []))}
            if reading.open_to_user(entry)
            else {**entry, "tracking": None}
            for entry in entries
        ]

    def figures(module: Tree, lessons: list[Entry]) -> Tree:
        counted = [entry for entry in lessons if reading.counts(entry)]
        done = [entry for entry in counted if _completed(reading, entry, entry["tracking"])]
        return {**module, "lessons": lessons, "completedLessons": len(done), "noOfLessons": len(counted)}

    modules = []
    for module in tree["modules"]:
        subs = [figures(sub, tracked(sub["lessons"])) for sub in module["subModules"]]
        own = tracked(module["lessons"])
        branch = own + [entry for sub in subs for entry in sub["lessons"]]
        modules.append({**figures(module, branch), "lessons": own, "subModules": subs})
    track = progress.track
    return CourseProgressDetails.model_validate(
        {
            **tree,
            "userId": reading.user_id,
            "modules": modules,
            "lessons": tracked(tree["lessons"]),
            "courseTrack": CourseTrackOut.model_validate(track).model_dump(by_alias=True) if track else None,
        }
    )


def next_step(caller: Principal, course_id: str, user_id: str | None) -> NextStep:
    """The lesson to open next: the open attempt last worked on, resumed; else the first counted
    lesson in tree order the user has not passed; null when none is left. With `previous`, the
    lesson before it in tree order, and the course track's status."""
    reading = _read(caller, course_id, user_id)
    in_order = list(lessons_in_order(reading.tree))
    sequence = [entry for entry in in_order if reading.open_to_user(entry)]
    tracking = [_tracking(reading.progress.attempts.get(entry["lessonId"], [])) for entry in sequence]
    resumable = [
        (lesson["lastAccessedDate"], index) for index, lesson in enumerate(tracking) if lesson and lesson["openAttempt"]
    ]
    not_passed = (
        index
        for index, entry in enumerate(sequence)
        if reading.counts(entry) and not _completed(reading, entry, tracking[index])
    )
    index = max(resumable)[1] if resumable else next(not_passed, None)
    track = reading.progress.track
    status = track.status if track else None
    if index is None:
        return NextStep(next=None, previous=None, course_status=status)
    resumed = (tracking[index] or {}).get("openAttempt") or {}
    return NextStep.model_validate(
        {
            "next": {
                **_place(sequence[index], in_order),
                "attempt": resumed.get("attempt"),
                "currentPosition": resumed.get("currentPosition"),
            },
            "previous": _place(sequence[index - 1], in_order) if index > 0 else None,
            "courseStatus": status,
        }
    )


def _read(caller: Principal, course_id: str, user_id: str | None) -> Reading:
    """The tree (one Query when stored current), the user's progress (one Query), and which
    lessons show their tracking: all of them to staff and to a learner the course is open to, the
    free lessons to a learner it is not open to (403 when it has none)."""
    user_id = tracked_user(caller, user_id)
    tree = tree_of(caller, course_id)  # 404 for a course not there, or not published for a learner
    progress = TrackingRepository(caller.tenant_id).progress(user_id, course_id)
    if caller.is_staff:
        return Reading(user_id, tree, progress, lambda entry: True)
    now = utc_now()
    terms = CourseTerms(status=tree["status"], free=tree["free"], end_datetime=tree["endDatetime"])
    enrollment = _enrollment(caller.tenant_id, course_id, user_id, progress)
    if course_open(terms, enrollment, now):
        return Reading(user_id, tree, progress, lambda entry: True)
    if not any(entry["freeLesson"] for entry in lessons_in_order(tree)):
        raise no_access(user_id, course_id, enrollment, now, terms)
    return Reading(user_id, tree, progress, lambda entry: bool(entry["freeLesson"]))


def _enrollment(tenant_id: str, course_id: str, user_id: str, progress: CourseProgress) -> EnrollmentState | None:
    """The user's enrollment as its copy shows it; until the `course-progress` backfill has given
    every enrollment its copy, a missing copy is looked up in the enrollment itself (a GetItem)."""
    if progress.enrollment is not None or backfilled(COURSE_PROGRESS):
        return progress.enrollment
    enrollment: EnrollmentItem | None = EnrollmentRepository(tenant_id).of_user(course_id, user_id)
    return enrollment


def _tracking(attempts: list[CourseAttempt]) -> dict[str, Any] | None:
    """The user's tracking of a lesson from their attempts at it in the course (by number), graded
    as the latest attempt says; None when they have none."""
    if not attempts:
        return None
    latest = attempts[-1]
    score = graded_score(attempts, latest.attempts_grade)
    open_attempt = None
    if latest.status not in FINISHED:
        open_attempt = {"attempt": latest.attempt, "currentPosition": latest.current_position, "status": latest.status}
    return {
        "status": latest.status,
        "attempts": len(attempts),
        "score": score,
        "passed": passes(score, latest.passing_marks),
        "progress": lesson_progress(latest.status, latest.current_position, latest.total_content),
        "openAttempt": open_attempt,
        "lastAccessedDate": max(attempt.accessed_at for attempt in attempts),
    }


def _marked_to_count(entry: Entry) -> bool:
    """A lesson link published, and marked to count towards completing the course."""
    return bool(entry["considerForPassing"]) and entry["status"] == PUBLISHED


def _place_of(entry: Entry) -> tuple[str | None, str]:
    return entry["moduleId"], entry["lessonId"]


def _completed(reading: Reading, entry: Entry, tracking: dict[str, Any] | None) -> bool:
    """A lesson open to the user that they passed in the course, or that their track counts as
    done (a pass recorded before the track was started, in another of its attempts' courses)."""
    if not reading.open_to_user(entry):
        return False
    track = reading.progress.track
    credited = track is not None and entry["lessonId"] in (track.completed_lesson_ids or set())
    return bool(tracking and tracking["passed"]) or credited


def _place(entry: Entry, in_order: list[Entry]) -> dict[str, Any]:
    """The lesson, its module, and its place in the whole tree's order from 1 (a learner whose
    access lapsed goes among the free lessons, but "lesson 3 of 12" still counts them all)."""
    return {"lessonId": entry["lessonId"], "moduleId": entry["moduleId"], "position": in_order.index(entry) + 1}
