"""Learners' progress: course tracks, lesson attempts and the lessons each user has passed.

A course track and an attempt number are each unique by their key (a conditional put), and
completing an attempt writes the attempt, the passed-lesson record and the course track in one
transaction guarded by the versions read: a completion is never counted twice or lost.

An attempt made in a course is copied into the user's progress partition for the course
(`course_attempt`) in every write of the attempt, so a course's progress for one user (the track,
the enrollment's copy and every attempt) is one Query (`progress`)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError

from shared.repository.base import (
    Cancelled,
    ConcurrentModification,
    LmsItem,
    Transaction,
    concurrent_change,
    condition_failed,
    first_of,
    save_once,
    transaction,
)
from shared.repository.items import (
    ATTEMPT_PREFIX,
    COURSE_SK,
    ENROLLMENT_COPY_SK,
    LINK_PREFIX,
    MODULE_PREFIX,
    PUBLISHED,
    TRACK_SK,
    CourseAttempt,
    CourseItem,
    CourseTrackItem,
    EnrollmentCopy,
    EnrollmentItem,
    Keys,
    LessonAttemptItem,
    LessonLinkItem,
    ModuleItem,
    PassedLesson,
    TrackListEntry,
)
from shared.repository.listing import ListEntry, Relisting, relist


class AlreadyExists(Exception):
    """The course track, or the attempt number, is taken."""


@dataclass(frozen=True)
class CourseProgress:
    """What one Query of a user's progress partition for a course finds."""

    enrollment: EnrollmentCopy | None
    track: CourseTrackItem | None
    attempts: dict[str, list[CourseAttempt]]  # lesson -> its attempts in the course, by number


def track_entries(keys: Keys, track: CourseTrackItem | None) -> list[ListEntry]:
    """The track's entry in its course's list of tracks of its status (none for a track stored
    before tracks were listed, not `listed`: it is in no list yet)."""
    if track is None or not track.listed:
        return []
    place = f"{track.start_datetime}#{track.course_track_id}"
    return [TrackListEntry(keys.track_list(track.course_id, track.status), place, user_id=track.user_id)]


def course_attempt(keys: Keys, attempt: LessonAttemptItem) -> CourseAttempt | None:
    """The copy of an attempt in its course's progress partition (none for an attempt in no
    course): the one function every writer of an attempt calls, in the attempt's transaction."""
    if not attempt.course_id:
        return None
    return CourseAttempt(
        keys.course_track(attempt.user_id, attempt.course_id),
        keys.course_attempt_sk(attempt.lesson_id, int(attempt.attempt)),
        lesson_id=attempt.lesson_id,
        attempt=attempt.attempt,
        status=attempt.status,
        score=attempt.score,
        current_position=attempt.current_position,
        total_content=attempt.total_content,
        attempts_grade=attempt.attempts_grade,
        passing_marks=attempt.lesson["passing_marks"],
        accessed_at=attempt.updated_at or attempt.created_at,
    )


def counts_for_passing(link: LessonLinkItem) -> bool:
    """A published link of a published lesson, marked to count towards completing the course."""
    return link.consider_for_passing and link.published


def modules_shown_to_learners(modules: Iterable[tuple[str, str | None, str]]) -> set[str | None]:
    """Of a course's modules, as (id, parent's id, status), those a learner sees (published, under
    a published parent), and None for the course itself: only their lessons count towards
    completing it. The one rule for the tree, the course track and the course player alike."""
    published = {module_id: parent_id for module_id, parent_id, status in modules if status == PUBLISHED}
    return {None} | {
        module_id for module_id, parent_id in published.items() if parent_id is None or parent_id in published
    }


class TrackingRepository:
    """Progress storage for one tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def track_key(self, user_id: str, course_id: str) -> tuple[str, str]:
        return self.keys.course_track(user_id, course_id), TRACK_SK

    def _batch_get(self, keys: Iterable[tuple[str, str]]) -> list[LmsItem]:
        return list(LmsItem.batch_get(list(keys), consistent_read=True))

    # Course tracks

    def course_and_enrollment(self, course_id: str, user_id: str) -> tuple[CourseItem | None, EnrollmentItem | None]:
        """The course and the user's enrollment in it: one BatchGetItem."""
        found = self._batch_get([(self.keys.course(course_id), COURSE_SK), self.keys.enrollment_of(course_id, user_id)])
        return first_of(found, CourseItem), first_of(found, EnrollmentItem)

    def track_and_course(self, user_id: str, course_id: str) -> tuple[CourseTrackItem | None, CourseItem | None]:
        """The user's track of the course and the course: one BatchGetItem."""
        found = self._batch_get([self.track_key(user_id, course_id), (self.keys.course(course_id), COURSE_SK)])
        return first_of(found, CourseTrackItem), first_of(found, CourseItem)

    def track_course_and_enrollment(
        self, user_id: str, course_id: str
    ) -> tuple[CourseTrackItem | None, CourseItem | None, EnrollmentItem | None]:
        """The user's track of the course, the course and the user's enrollment: one BatchGetItem."""
        keys = [self.track_key(user_id, course_id), (self.keys.course(course_id), COURSE_SK)]
        found = self._batch_get([*keys, self.keys.enrollment_of(course_id, user_id)])
        return first_of(found, CourseTrackItem), first_of(found, CourseItem), first_of(found, EnrollmentItem)

    def get_track(self, user_id: str, course_id: str) -> CourseTrackItem | None:
        try:
            return CourseTrackItem.get(*self.track_key(user_id, course_id), consistent_read=True)
        except CourseTrackItem.DoesNotExist:
            return None

    def counted_lessons(self, course_id: str) -> set[str]:
        """The lessons that count towards completing the course: its links that count, where a
        learner sees them (`modules_shown_to_learners`). One Query of its modules and links."""
        modules_and_links = LmsItem.sk.between(MODULE_PREFIX, f"{LINK_PREFIX}\uffff")
        found = list(LmsItem.query(self.keys.course(course_id), modules_and_links, consistent_read=True))
        shown = modules_shown_to_learners(
            (item.module_id, item.parent_id, item.status) for item in found if isinstance(item, ModuleItem)
        )
        return {
            link.lesson_id
            for link in found
            if isinstance(link, LessonLinkItem) and counts_for_passing(link) and link.module_id in shown
        }

    def passed_lessons(self, user_id: str, course_id: str) -> set[str]:
        """The lessons the user has passed in the course (and those passed before passes were
        kept per course, which count everywhere): one Query."""
        found = LmsItem.query(self.keys.passed_lessons(user_id), consistent_read=True)
        return {
            item.lesson_id for item in found if isinstance(item, PassedLesson) and item.course_id in (None, course_id)
        }

    def progress(self, user_id: str, course_id: str) -> CourseProgress:
        """The user's enrollment (its copy), track and attempts in the course: one strongly
        consistent Query of their progress partition for it (paged past 1 MB)."""
        found = LmsItem.query(self.keys.course_track(user_id, course_id), consistent_read=True)
        enrollment, track, attempts = None, None, defaultdict(list)
        for item in found:
            if isinstance(item, EnrollmentCopy) and item.sk == ENROLLMENT_COPY_SK:
                enrollment = item
            elif isinstance(item, CourseTrackItem):
                track = item
            elif isinstance(item, CourseAttempt):
                attempts[item.lesson_id].append(item)  # sorted by number: the SK ends with it
        return CourseProgress(enrollment, track, dict(attempts))

    def new_track(self, course_id: str, user_id: str, track_id: str, **fields: Any) -> CourseTrackItem:
        return CourseTrackItem(
            *self.track_key(user_id, course_id),
            course_track_id=track_id,
            course_id=course_id,
            user_id=user_id,
            tenant_id=self.keys.tenant_id,
            **fields,
        )

    def create_track(self, track: CourseTrackItem) -> None:
        """Write a new track, listed (a first version: AlreadyExists if the user has one for the
        course)."""
        self._save_track(track, None, AlreadyExists)

    def save_track(self, track: CourseTrackItem, read: CourseTrackItem) -> None:
        """Write a changed track (`read`: as it was read) if nobody changed it since
        (ConcurrentModification), its list entry moved with its status."""
        self._save_track(track, read, ConcurrentModification)

    def _save_track(self, track: CourseTrackItem, read: CourseTrackItem | None, on_condition: type[Exception]) -> None:
        _save_with(track, self._track_moved(track, read).apply, on_condition)

    def _track_moved(self, track: CourseTrackItem, read: CourseTrackItem | None) -> Relisting:
        """The written track listed, its entry moved from where the track as read had it."""
        track.listed = True
        return relist(track_entries(self.keys, read), track_entries(self.keys, track))

    # Lesson attempts

    def attempts(self, user_id: str, lesson_id: str) -> list[LessonAttemptItem]:
        """The user's attempts at the lesson, by number: one strongly consistent Query."""
        found = LmsItem.query(
            self.keys.attempts(user_id, lesson_id), LmsItem.sk.startswith(ATTEMPT_PREFIX), consistent_read=True
        )
        return [item for item in found if isinstance(item, LessonAttemptItem)]

    def attempt(self, user_id: str, lesson_id: str, number: int | None) -> LessonAttemptItem | None:
        """Attempt `number` (GetItem), or the latest (a Query for one item)."""
        partition = self.keys.attempts(user_id, lesson_id)
        if number is not None:
            try:
                return LessonAttemptItem.get(partition, self.keys.attempt_sk(number), consistent_read=True)
            except LessonAttemptItem.DoesNotExist:
                return None
        latest = LmsItem.query(
            partition, LmsItem.sk.startswith(ATTEMPT_PREFIX), consistent_read=True, scan_index_forward=False, limit=1
        )
        return first_of(latest, LessonAttemptItem)

    def new_attempt(self, lesson_id: str, user_id: str, number: int, **fields: Any) -> LessonAttemptItem:
        return LessonAttemptItem(
            self.keys.attempts(user_id, lesson_id),
            self.keys.attempt_sk(number),
            lesson_id=lesson_id,
            user_id=user_id,
            tenant_id=self.keys.tenant_id,
            attempt=number,
            **fields,
        )

    def create_attempt(self, attempt: LessonAttemptItem) -> None:
        """Write a new attempt (AlreadyExists if its number is taken)."""
        self._save_attempt(attempt, AlreadyExists)

    def save_attempt(self, attempt: LessonAttemptItem) -> None:
        """Write a changed attempt if nobody changed it since it was read (ConcurrentModification)."""
        self._save_attempt(attempt, ConcurrentModification)

    def _save_attempt(self, attempt: LessonAttemptItem, on_condition: type[Exception]) -> None:
        """The attempt alone (a PutItem) when it is in no course; with its copy in the course's
        progress partition (one transaction) when it is."""
        copy = course_attempt(self.keys, attempt)
        if copy is None:
            _save(attempt, on_condition)
        else:
            _save_with(attempt, lambda writes: writes.save(copy), on_condition)

    def complete_attempt(
        self,
        attempt: LessonAttemptItem,
        passed: bool,
        track: CourseTrackItem | None,
        track_read: CourseTrackItem | None = None,
    ) -> None:
        """Write the completed attempt, the lesson as passed in its course (when it is, and has
        one: a pass under the lesson's own rules counts for no course) and the advanced course
        track (when there is one) in one transaction; ConcurrentModification if the attempt or the
        track changed since they were read."""
        try:
            with transaction() as writes:
                writes.save(attempt, name="attempt")
                if copy := course_attempt(self.keys, attempt):
                    writes.save(copy)
                if passed and attempt.course_id:
                    writes.save(
                        PassedLesson(
                            self.keys.passed_lessons(attempt.user_id),
                            self.keys.passed_sk(attempt.lesson_id, attempt.course_id),
                            lesson_id=attempt.lesson_id,
                            course_id=attempt.course_id,
                            passed_at=attempt.end_datetime,
                        )
                    )
                if track is not None:
                    writes.save(track, name="track")
                    self._track_moved(track, track_read).apply(writes)
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, attempt.lesson_track_id, "attempt", "track")  # noqa: B904


def _save_with(
    item: CourseTrackItem | LessonAttemptItem, also: Callable[[Transaction], None], on_condition: type[Exception]
) -> None:
    """Save `item` under its version condition with `also`'s writes, in one transaction; a failed
    condition raises `on_condition`, another writer's hold ConcurrentModification."""
    try:
        with transaction() as writes:
            writes.save(item, name="item")
            also(writes)
    except Cancelled as cancelled:
        if cancelled.failed("item"):
            raise on_condition(item.pk) from cancelled
        raise concurrent_change(cancelled, item.pk)  # noqa: B904


def _save(item: CourseTrackItem | LessonAttemptItem, on_condition: type[Exception]) -> None:
    """Save `item` under its version condition; a failed condition raises `on_condition`."""
    try:
        save_once(item)
    except PutError as error:
        if condition_failed(error):
            raise on_condition(item.pk) from error
        raise
