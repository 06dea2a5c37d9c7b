"""Re-runnable backfills: give items that an earlier version wrote the shape the code now expects.

Each one scans the table and writes only the items that still need it, each under a condition,
so a concurrent request that changed an item first wins and a second run changes nothing. A run
given a deadline stops before it and says where to carry on (`resume_from`), so the one-off
function (`BackfillFunction`) works through a table of any size in several invocations. Run one
against a deployed table from a machine with AWS credentials:

    TABLE_NAME=<table> AWS_REGION=<region> make backfill NAME=listings

or in AWS, repeating with the `resumeFrom` each answer gives until it says `done`:

    sam remote invoke BackfillFunction --stack-name <stack> --event '{"name": "listings"}'
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from shared.clock import utc_now
from shared.repository.base import Cancelled, LmsItem, condition_failed, transaction
from shared.repository.courses import course_entries
from shared.repository.enrollments import ACTIVE, enrollment_copy, enrollment_entries, schedule_expiry
from shared.repository.items import CourseItem, CourseTrackItem, EnrollmentItem, Keys, LessonAttemptItem
from shared.repository.listing import relist
from shared.repository.marks import COURSE_PROGRESS, LISTINGS, mark_backfilled
from shared.repository.tracking import course_attempt, track_entries

Key = dict[str, Any]


@dataclass(frozen=True)
class Progress:
    """How many items a run changed, and where the next run carries on (None: it is done)."""

    changed: int
    resume_from: Key | None


def expiry_schedule(resume_from: Key | None = None, deadline: float | None = None) -> Progress:
    """List in ExpiryIndex every enrollment that is active with an end but missing there. Before
    the mail flags stopped deciding expiry, `afterExpiryMail` kept such an enrollment out, so the
    hourly job never expired it (access already lapses at its end without the job)."""
    unlisted = (
        EnrollmentItem.status.is_in(*ACTIVE) & EnrollmentItem.end_time.exists() & EnrollmentItem.gsi4pk.does_not_exist()
    )

    def schedule(enrollment: LmsItem) -> bool:
        assert isinstance(enrollment, EnrollmentItem)  # noqa: S101 - the scan's filter says so
        schedule_expiry(enrollment)
        actions: list[Action] = [
            EnrollmentItem.gsi4pk.set(enrollment.gsi4pk),
            EnrollmentItem.gsi4sk.set(enrollment.gsi4sk),
        ]
        try:
            # Still unlisted with the same end: otherwise a request changed it and listed it itself.
            enrollment.update(actions=actions, condition=unlisted & (EnrollmentItem.end_time == enrollment.end_time))
        except UpdateError as error:
            if not condition_failed(error):
                raise
            return False
        return True

    return _each(EnrollmentItem.scan(unlisted, last_evaluated_key=resume_from), schedule, deadline)


def listings(resume_from: Key | None = None, deadline: float | None = None) -> Progress:
    """Give every course and enrollment stored before issue 14 its list entries and count it in
    its lists; once the whole table is done, mark the table's lists ready, which moves list reads
    from reading the tenant whole to reading the page (docs/DATA-MODEL.md: Lists)."""
    unlisted = Path("kind").is_in("course", "enrollment") & Path("listed").does_not_exist()

    def list_one(item: LmsItem) -> bool:
        try:
            with transaction() as writes:
                # Each write moves the item's version (revision), so a request that read it
                # unlisted reads it again rather than list it a second time.
                if isinstance(item, CourseItem):
                    writes.update(item, [CourseItem.listed.set(True)], condition=CourseItem.listed.does_not_exist())
                    item.listed = True
                    relist([], course_entries(Keys(item.tenant_id), item)).apply(writes)
                elif isinstance(item, EnrollmentItem):
                    moved = [EnrollmentItem.listed.set(True), EnrollmentItem.revision.add(1)]
                    writes.update(item, moved, condition=EnrollmentItem.revision == item.revision, versioned=False)
                    item.listed = True
                    relist([], enrollment_entries(Keys(item.tenant_id), item)).apply(writes)
        except Cancelled:  # changed meanwhile, and listed by the request that changed it
            return False
        return True

    progress = _each(LmsItem.scan(unlisted, last_evaluated_key=resume_from), list_one, deadline)
    if progress.resume_from is None:
        mark_backfilled(LISTINGS, utc_now())
    return progress


def course_progress(resume_from: Key | None = None, deadline: float | None = None) -> Progress:
    """Give every enrollment and every attempt made in a course stored before issue 16 its copy in
    the user's progress partition for the course, and list every course track in its course's
    list of tracks of its status (docs/DATA-MODEL.md: A user's progress in a course); once the
    whole table is done, mark it, so the course player stops looking an enrollment up when its copy
    is missing and the report reads tracks by their lists. Each write requires its item unchanged
    since the scan read it: a request that changed it wrote the copy (or the entry) itself."""
    sources = Path("kind").is_in("enrollment", "lesson_attempt", "course_track")

    def copy_one(item: LmsItem) -> bool:
        keys = Keys(item.tenant_id)  # type: ignore[attr-defined]  # every kind scanned carries its tenant
        if isinstance(item, CourseTrackItem):
            return _list_track(keys, item)
        if isinstance(item, EnrollmentItem):
            copy: LmsItem | None = enrollment_copy(keys, item)
            unchanged = EnrollmentItem.revision == item.revision
        elif isinstance(item, LessonAttemptItem):
            copy, unchanged = course_attempt(keys, item), LessonAttemptItem.version == item.version
        else:
            return False
        if copy is None or _stored(copy):
            return False
        try:
            with transaction() as writes:
                writes.check(type(item), (item.pk, item.sk), unchanged)
                writes.save(copy)
        except Cancelled:  # changed meanwhile, and copied by the request that changed it
            return False
        return True

    progress = _each(LmsItem.scan(sources, last_evaluated_key=resume_from), copy_one, deadline)
    if progress.resume_from is None:
        mark_backfilled(COURSE_PROGRESS, utc_now())
    return progress


def _list_track(keys: Keys, track: CourseTrackItem) -> bool:
    """List a track stored before tracks were listed, in one transaction under its version."""
    if track.listed:
        return False
    try:
        with transaction() as writes:
            writes.update(track, [CourseTrackItem.listed.set(True)])  # and its version moved
            track.listed = True
            relist([], track_entries(keys, track)).apply(writes)
    except Cancelled:  # changed meanwhile, and listed by the request that changed it
        return False
    return True


def _stored(copy: LmsItem) -> bool:
    """Whether the copy is stored as it is now (a second run writes nothing)."""
    try:
        return type(copy).get(copy.pk, copy.sk, consistent_read=True).serialize() == copy.serialize()
    except copy.DoesNotExist:
        return False


def _each(found: Any, change: Callable[[LmsItem], bool], deadline: float | None) -> Progress:
    """Apply `change` to each item a scan finds, until the scan ends or the deadline passes
    (then where the scan would carry on)."""
    changed = 0
    for item in found:
        changed += change(item)
        if deadline is not None and time.monotonic() >= deadline:
            return Progress(changed, found.last_evaluated_key)
    return Progress(changed, None)


BACKFILLS: dict[str, Callable[[Key | None, float | None], Progress]] = {
    "expiry-schedule": expiry_schedule,
    "listings": listings,
    "course-progress": course_progress,
}


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.backfills", description=__doc__)
    parser.add_argument("name", choices=sorted(BACKFILLS))
    parser.add_argument("--resume-from", type=json.loads, default=None, help="where an earlier run stopped (JSON)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after about this long, saying where")
    options = parser.parse_args(arguments)
    deadline = None if options.seconds is None else time.monotonic() + options.seconds
    progress = BACKFILLS[options.name](options.resume_from, deadline)
    sys.stdout.write(f"{options.name}: {progress.changed} item(s) changed\n")
    if progress.resume_from is not None:
        sys.stdout.write(f"not done: carry on with --resume-from '{json.dumps(progress.resume_from)}'\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
