"""What every list of a tenant must hold, checked against the items themselves: each course's and
enrollment's entries are exactly those its owner function gives it, and every counter equals the
number of counted entries of its list (a scan of the tenant: tests only)."""

from collections import Counter
from typing import Any

from shared.repository.base import LmsItem, tenant_key
from shared.repository.courses import course_entries
from shared.repository.enrollments import enrollment_entries
from shared.repository.items import CourseItem, CourseTrackItem, EnrollmentItem, Keys
from shared.repository.listing import ListCounter, ListEntry
from shared.repository.tracking import track_entries


def tenant_items(tenant_id: str) -> list[LmsItem]:
    return list(LmsItem.scan(LmsItem.pk.startswith(tenant_key(tenant_id, "")), consistent_read=True))


def assert_lists_match_items(tenant_id: str) -> dict[str, int]:
    """Fails unless the tenant's entries and counters are what its courses and enrollments make
    them; returns every list's count."""
    keys, items = Keys(tenant_id), tenant_items(tenant_id)
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        if isinstance(item, CourseItem | EnrollmentItem | CourseTrackItem):
            assert item.listed, f"{item.pk} is not listed"
            owned: list[ListEntry]
            if isinstance(item, CourseItem):
                owned = list(course_entries(keys, item))
            elif isinstance(item, EnrollmentItem):
                owned = enrollment_entries(keys, item)
            else:
                owned = track_entries(keys, item)
            expected |= {(entry.pk, entry.sk): entry.serialize() for entry in owned}
    found = {(item.pk, item.sk): item.serialize() for item in items if isinstance(item, ListEntry)}
    assert found == expected
    counted = Counter(item.pk for item in items if isinstance(item, ListEntry) and item.counted)
    counters = {item.pk: int(item.members) for item in items if isinstance(item, ListCounter)}
    assert {pk: count for pk, count in counters.items() if count} == dict(counted)
    return dict(counted)
