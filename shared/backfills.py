"""Re-runnable backfills: give items that an earlier version wrote the shape the code now expects.

Each one scans the table once and writes only the items that still need it, each under a
condition, so a concurrent request that changed an item first wins and a second run changes
nothing. Run one against a deployed table from a machine with AWS credentials:

    TABLE_NAME=<table> AWS_REGION=<region> make backfill NAME=expiry-schedule
"""

import argparse
import sys
from collections.abc import Callable

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from shared.repository.base import condition_failed
from shared.repository.enrollments import ACTIVE, schedule_expiry
from shared.repository.items import EnrollmentItem


def expiry_schedule() -> int:
    """List in ExpiryIndex every enrollment that is active with an end but missing there. Before
    the mail flags stopped deciding expiry, `afterExpiryMail` kept such an enrollment out, so the
    hourly job never expired it (access already lapses at its end without the job). How many
    were listed."""
    unlisted = (
        EnrollmentItem.status.is_in(*ACTIVE) & EnrollmentItem.end_time.exists() & EnrollmentItem.gsi4pk.does_not_exist()
    )
    listed = 0
    for enrollment in EnrollmentItem.scan(unlisted):
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
            continue
        listed += 1
    return listed


BACKFILLS: dict[str, Callable[[], int]] = {"expiry-schedule": expiry_schedule}


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.backfills", description=__doc__)
    parser.add_argument("name", choices=sorted(BACKFILLS))
    name = parser.parse_args(arguments).name
    changed = BACKFILLS[name]()
    sys.stdout.write(f"{name}: {changed} item(s) changed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
