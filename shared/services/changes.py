"""What every partial update shares: apply the fields sent, check the result, stamp who and when,
and retry a read-modify-write that lost a race (the write is guarded by the item's version)."""

import random
import time
from collections.abc import Callable
from typing import Any

from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Conflict, Invalid
from shared.repository.base import ConcurrentModification
from shared.schemas.common import check_date_order

ATTEMPTS = 3
# Writes that move a list's counter (docs/DATA-MODEL.md: Lists): every write of a tenant's courses,
# or of its enrollments, meets the others on the counter of the tenant's whole list.
CONTENDED_ATTEMPTS = 10
BACKOFF_SECONDS = 0.01
MAX_BACKOFF_SECONDS = 0.2


def apply_changes(item: Any, changes: dict[str, Any], caller: Principal, check: Callable[[Any], None]) -> None:
    """Set the sent fields on `item`; `check` (raising ValueError) sees the merged result: 400."""
    for name, value in changes.items():
        setattr(item, name, value)
    try:
        check(item)
    except ValueError as error:
        raise Invalid(f"{error}.") from None
    item.updated_by, item.updated_at = caller.user_id, utc_now()


def with_retries[T](
    attempt: Callable[[], T], what: str, retry_on: tuple[type[Exception], ...] = (), attempts: int = ATTEMPTS
) -> T:
    """Run `attempt` (a read then a guarded write) again when another writer got there first,
    after a short random pause that grows, so writers that collided do not collide again."""
    retryable: tuple[type[Exception], ...] = (ConcurrentModification, *retry_on)
    for tries in range(attempts):
        try:
            return attempt()
        except retryable:
            if tries + 1 < attempts:
                pause = min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2**tries)
                time.sleep(random.uniform(0, pause))  # noqa: S311 - jitter, not secrecy
    raise Conflict(f"The {what} is being changed by others right now; send the request again.")


def dates_in_order(item: Any) -> None:
    check_date_order(item.start_datetime, item.end_datetime)
