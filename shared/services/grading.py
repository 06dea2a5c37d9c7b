"""Grading, progress and attempt numbering (RULES.md: Course tracking, Lesson tracking).

Pure rules over what was read; nothing here touches storage."""

import math
from collections.abc import Sequence
from typing import Final, Protocol

from shared.errors import Conflict, Invalid

COMPLETED: Final = "completed"
FINISHED: Final = (COMPLETED, "submitted")  # an attempt no longer open to resume
GRADING_RULES: Final = ("first_attempt", "last_attempt", "highest", "average")

type Score = float  # whole numbers too (PEP 484: an int is accepted where a float is)


class Scored(Protocol):
    """What grading reads of an attempt."""

    @property
    def attempt(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def score(self) -> Score: ...


def percent(part: Score, whole: Score) -> int:
    """round(100 × part / whole), halves up, within 0–100; 0 when there is no whole."""
    if whole <= 0:
        return 0
    return max(0, min(100, math.floor(100 * part / whole + 0.5)))


def course_progress(completed_lessons: float, no_of_lessons: float) -> int:
    return percent(completed_lessons, no_of_lessons)


def lesson_progress(status: str, current_position: Score, total_content: Score) -> int:
    """How far through the content; a completed attempt is 100."""
    return 100 if status == COMPLETED else percent(current_position, total_content)


def graded_score(attempts: Sequence[Scored], rule: str) -> Score | None:
    """The lesson's score across attempts by its `attemptsGrade`: the first attempt's, the last
    completed one's, the highest, or the mean of completed attempts. None until one counts."""
    in_order = sorted(attempts, key=lambda attempt: attempt.attempt)
    completed = [attempt.score for attempt in in_order if attempt.status == COMPLETED]
    if rule == "first_attempt":
        first = in_order[0] if in_order else None
        return first.score if first is not None and first.status == COMPLETED else None
    if not completed:
        return None
    if rule == "highest":
        return max(completed)
    if rule == "average":
        return mean(completed)
    return completed[-1]


def mean(scores: Sequence[Score]) -> Score | None:
    """The mean to two decimals (a whole number stays whole); None for no scores."""
    if not scores:
        return None
    value = round(sum(scores) / len(scores), 2)
    return int(value) if value == int(value) else value


def passes(score: Score | None, passing_marks: Score) -> bool:
    return score is not None and score >= passing_marks


def attempt_passed(attempt: Scored, passing_marks: Score) -> bool:
    """One attempt's own result: completed with at least the passing marks (any score when there
    are none)."""
    return attempt.status == COMPLETED and attempt.score >= passing_marks


def attempt_number(last: int, requested: int | None, limit: int, made: int) -> int:
    """The number a new attempt takes after attempt `last`: the next one, or the one asked for if
    it is the next (taken: 409, a gap: 400); refused (400) when `made` attempts already reach
    `limit`, when there is one. Numbers run across the lesson; `made` counts the attempts under
    the same rules (the same course)."""
    number = last + 1 if requested is None else requested
    if number <= last:
        raise Conflict(f"Attempt {number} has already been started; the next attempt is {last + 1}.")
    if number > last + 1:
        raise Invalid(f"Attempts are numbered without gaps; the next attempt is {last + 1}, not {number}.")
    if limit > 0 and made >= limit:
        raise Invalid(f"The maximum of {limit} attempts for this lesson has been reached.")
    return number
