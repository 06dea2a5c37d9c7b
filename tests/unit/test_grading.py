"""Grading, progress and attempt numbering: the rules alone, no storage."""

from dataclasses import dataclass

import pytest

from shared.errors import Conflict, Invalid
from shared.services.grading import (
    attempt_number,
    attempt_passed,
    course_progress,
    graded_score,
    lesson_progress,
    mean,
    passes,
)


@dataclass
class Attempt:
    attempt: int
    score: float
    status: str = "completed"


FAILED_THEN_PASSED = [Attempt(1, 40), Attempt(2, 90), Attempt(3, 70), Attempt(4, 0, "in_progress")]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("first_attempt", 40), ("last_attempt", 70), ("highest", 90), ("average", 66.67)],
)
def test_each_grading_rule(rule, expected):
    assert graded_score(list(reversed(FAILED_THEN_PASSED)), rule) == expected


def test_nothing_is_graded_before_an_attempt_counts():
    open_first = [Attempt(1, 0, "started"), Attempt(2, 80)]
    assert graded_score(open_first, "first_attempt") is None
    assert graded_score(open_first, "last_attempt") == 80
    for rule in ("first_attempt", "last_attempt", "highest", "average"):
        assert graded_score([], rule) is None
        assert graded_score([Attempt(1, 50, "submitted")], rule) is None


def test_passing_needs_a_grade_at_least_the_passing_marks():
    assert passes(60, 60)
    assert not passes(59.5, 60)
    assert not passes(None, 0)
    assert attempt_passed(Attempt(1, 0), 0)  # no passing marks: completing is passing
    assert not attempt_passed(Attempt(1, 100, "submitted"), 0)


def test_mean_keeps_whole_numbers_whole():
    assert (mean([85, 92]), mean([90, 50]), mean([1, 1, 2]), mean([])) == (88.5, 70, 1.33, None)


@pytest.mark.parametrize(
    ("completed", "lessons", "progress"), [(0, 0, 0), (0, 10, 0), (5, 10, 50), (1, 8, 13), (1, 3, 33), (12, 10, 100)]
)
def test_course_progress_rounds_halves_up_and_caps(completed, lessons, progress):
    assert course_progress(completed, lessons) == progress


def test_lesson_progress_follows_the_position_until_completed():
    assert lesson_progress("in_progress", 50, 100) == 50
    assert lesson_progress("in_progress", 1, 3) == 33
    assert lesson_progress("started", 5, 0) == 0
    assert lesson_progress("completed", 0, 0) == 100


def test_attempt_numbers_follow_without_gaps_within_the_limit():
    assert attempt_number(0, None, 0, 0) == 1
    assert attempt_number(3, None, 0, 3) == 4
    assert attempt_number(3, 4, 4, 3) == 4
    with pytest.raises(Conflict, match="already been started"):
        attempt_number(3, 2, 0, 3)
    with pytest.raises(Invalid, match="next attempt is 4, not 6"):
        attempt_number(3, 6, 0, 3)
    with pytest.raises(Invalid, match="maximum of 3 attempts"):
        attempt_number(3, None, 3, 3)
    assert attempt_number(3, None, 2, 1) == 4  # numbers run across courses; the limit counts this course's
