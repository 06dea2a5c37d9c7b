"""Time as the service writes it: UTC, ISO-8601 with a `Z`."""

from datetime import UTC, datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """Now, to the second (the contract's format)."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def sortable_now() -> str:
    """Now, to the microsecond, for sort keys that must order items created in the same second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
