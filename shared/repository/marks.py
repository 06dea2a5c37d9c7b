"""Marks that a backfill has brought the whole table to a new shape (docs/DATA-MODEL.md: Changes
of shape). Until its mark is there, the services read the way that is right for items of both
shapes; once it is, the cheaper way. Each is an item outside every tenant (`#LMS#<NAME>`), which
no request can name, read at most once a minute by a process until it is there."""

import time

from pynamodb.attributes import UnicodeAttribute

from shared.repository.base import LmsItem

LISTINGS = "LISTINGS"  # every course and enrollment has its list entries (issue 14)
COURSE_PROGRESS = "COURSE-PROGRESS"  # every enrollment and attempt in a course has its copy (issue 16)
EVERY_MARK = (LISTINGS, COURSE_PROGRESS)
MARK_SK = "#READY"
RECHECK_SECONDS = 60.0


class BackfillMark(LmsItem, discriminator="listings_ready"):  # the kind the first mark was written with
    """PK `#LMS#<NAME>`, SK `#READY`: the backfill of that name has run over the whole table."""

    ready_at = UnicodeAttribute()


def mark_key(name: str) -> tuple[str, str]:
    return f"#LMS#{name}", MARK_SK


_ready: set[str] = set()
_checked_at: dict[str, float] = {}


def backfilled(name: str) -> bool:
    """Whether the backfill `name` has run over the whole table (read once a minute until it has,
    then never again in this process)."""
    if name not in _ready and time.monotonic() - _checked_at.get(name, float("-inf")) >= RECHECK_SECONDS:
        _checked_at[name] = time.monotonic()
        try:
            BackfillMark.get(*mark_key(name), consistent_read=True)
            _ready.add(name)
        except BackfillMark.DoesNotExist:
            pass
    return name in _ready


def mark_backfilled(name: str, at: str) -> None:
    """Record that the backfill `name` has run over the whole table (its last step)."""
    BackfillMark(*mark_key(name), ready_at=at).save()
    _ready.add(name)


def mark_new_table(at: str) -> None:
    """A table made afresh holds nothing an earlier version wrote: every mark is there."""
    for name in EVERY_MARK:
        mark_backfilled(name, at)


def forget_marks() -> None:
    """Read the marks again at their next use (tests that make tables afresh or strip them)."""
    _ready.clear()
    _checked_at.clear()
