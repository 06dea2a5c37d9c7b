"""Enrollments: one per user and course, found by id, and listed by the page (docs/DATA-MODEL.md).

Each enrollment has an entry in the lists it belongs to, for the tenant, its user and its course:
all but cancelled ones (`live`), and its status. An active or extended one with an end is also
in those scopes' `due` lists, by end time: an enrollment past its end counts as expired at once,
before the hourly job marks it, and lists of active or expired enrollments correct their counts
and pages by the due entries already past (few: those the job has not reached yet)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from shared.repository.base import (
    TRANSACTION_LIMIT,
    Cancelled,
    ConcurrentModification,
    LmsItem,
    Transaction,
    concurrent_change,
    first_of,
    snapshot,
    transaction,
    write_in_transactions,
)
from shared.repository.items import (
    COURSE_SK,
    ENROLLMENT_COPY_SK,
    CourseItem,
    DueEntry,
    EnrollmentCopy,
    EnrollmentItem,
    EnrollmentListEntry,
    Keys,
)
from shared.repository.listing import ListEntry, Relisting, read_page, relist

ENROLLMENT_SK = "#ENROLLMENT"
ACTIVE = ("active", "extended")
EXPIRED = "expired"
CANCELLED = "cancelled"
EXPIRY_PARTITION = "ENROLLMENT_EXPIRY"
LIVE = "live"  # the lists of every enrollment but cancelled ones
DUE = "due"


def schedule_expiry(enrollment: EnrollmentItem) -> None:
    """List the enrollment in ExpiryIndex while it is active with an end: by its status and end
    alone (the mail flags say which messages the job sends, never whether it expires)."""
    due = enrollment.status in ACTIVE and enrollment.end_time is not None
    enrollment.gsi4pk = EXPIRY_PARTITION if due else None
    enrollment.gsi4sk = f"{enrollment.end_time}#{enrollment.pk}#{enrollment.sk}" if due else None


def not_ended(now: str) -> Condition:
    """An enrollment without an end, or whose end is still ahead of `now`."""
    running: Condition = EnrollmentItem.end_time.does_not_exist() | (EnrollmentItem.end_time > now)
    return running


def due_for_expiry(until: str) -> list[EnrollmentItem]:
    """Every tenant's listed enrollments ending by `until` (one Query, paged past 1 MB)."""
    found = LmsItem.expiry_index.query(EXPIRY_PARTITION, LmsItem.gsi4sk <= f"{until}#\uffff")
    return [item for item in found if isinstance(item, EnrollmentItem)]


def enrollment_entries(keys: Keys, enrollment: EnrollmentItem) -> list[ListEntry]:
    """The enrollment's entries: in the tenant's, its user's and its course's lists of its status
    and (unless cancelled) of every live enrollment, each at its place newest first; and, while
    active or extended with an end, in those scopes' due lists; and its copy in the user's progress
    partition for the course. None for an enrollment stored before lists were kept (not `listed`):
    it is in no list yet."""
    if not enrollment.listed:
        return []
    place = enrollment.gsi1sk  # `<enrolled, µs>#<enrollment>`, its place in every list
    course_id, user_id = enrollment.course_id, enrollment.user_id
    which = [f"status={enrollment.status}"] + ([LIVE] if enrollment.status != CANCELLED else [])
    scopes: list[dict[str, str]] = [{}, {"user_id": enrollment.user_id}, {"course_id": enrollment.course_id}]
    entries: list[ListEntry] = [
        EnrollmentListEntry(keys.enrollment_list(name, **scope), place, course_id=course_id, user_id=user_id)
        for name in which
        for scope in scopes
    ]
    if enrollment.status in ACTIVE and enrollment.end_time:
        entries += [
            DueEntry(
                keys.enrollment_list(DUE, **scope),
                f"{enrollment.end_time}#{place}",
                status=enrollment.status,
                place=place,
                course_id=course_id,
                user_id=user_id,
            )
            for scope in scopes
        ]
    return [*entries, enrollment_copy(keys, enrollment)]


def enrollment_copy(keys: Keys, enrollment: EnrollmentItem) -> EnrollmentCopy:
    """The enrollment as the user's progress partition for its course holds it (one of its entries)."""
    return EnrollmentCopy(
        keys.course_track(enrollment.user_id, enrollment.course_id),
        ENROLLMENT_COPY_SK,
        enrollment_id=enrollment.enrollment_id,
        status=enrollment.status,
        end_time=enrollment.end_time,
    )


class AlreadyEnrolled(Exception):
    """The user holds an enrollment in the course that is not cancelled."""


@dataclass(frozen=True)
class Page:
    """A page of a list of enrollments: how many the list holds, and this page's, in order."""

    count: int
    enrollments: list[EnrollmentItem]


class EnrollmentRepository:
    """Enrollment storage for one tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_enrollment(
        self, course_id: str, user_id: str, enrollment_id: str, sort_key: str, **fields: Any
    ) -> EnrollmentItem:
        """An unsaved enrollment; `sort_key` (when it was made) is its place in every list."""
        return EnrollmentItem(
            *self.keys.enrollment_of(course_id, user_id),
            enrollment_id=enrollment_id,
            course_id=course_id,
            user_id=user_id,
            tenant_id=self.keys.tenant_id,
            gsi1pk=self.keys.all_enrollments(),
            gsi1sk=f"{sort_key}#{enrollment_id}",
            gsi2pk=self.keys.enrollment(enrollment_id),
            gsi2sk=ENROLLMENT_SK,
            gsi3pk=self.keys.user(user_id),
            gsi3sk=f"ENROLLMENT#{sort_key}#{enrollment_id}",
            listed=True,
            **fields,
        )

    def course_and_enrollment(self, course_id: str, user_id: str) -> tuple[CourseItem | None, EnrollmentItem | None]:
        """The course and the user's enrollment in it (if any): one strongly consistent BatchGetItem."""
        keys = [(self.keys.course(course_id), COURSE_SK), self.keys.enrollment_of(course_id, user_id)]
        found = list(LmsItem.batch_get(keys, consistent_read=True))
        return first_of(found, CourseItem), first_of(found, EnrollmentItem)

    def create(self, enrollment: EnrollmentItem, over: EnrollmentItem | None) -> None:
        """Write it and list it, unless the user holds one in the course (AlreadyEnrolled): the key
        keeps one per user and course under any concurrency. `over` is the cancelled enrollment it
        replaces, as read: it must be unchanged (ConcurrentModification otherwise), and leaves its lists."""
        schedule_expiry(enrollment)
        condition = EnrollmentItem.pk.does_not_exist()
        if over is not None:
            condition = (EnrollmentItem.status == CANCELLED) & (EnrollmentItem.revision == over.revision)
        before = enrollment_entries(self.keys, over) if over is not None else []
        try:
            with transaction() as writes:
                writes.save(enrollment, condition=condition, name="enrollment")
                relist(before, enrollment_entries(self.keys, enrollment)).apply(writes)
        except Cancelled as cancelled:
            if cancelled.failed("enrollment") and over is None:
                raise AlreadyEnrolled(enrollment.user_id) from cancelled
            raise concurrent_change(cancelled, enrollment.enrollment_id, "enrollment")  # noqa: B904

    def of_user(self, course_id: str, user_id: str) -> EnrollmentItem | None:
        """The user's enrollment in the course, by its key: one GetItem."""
        try:
            return EnrollmentItem.get(*self.keys.enrollment_of(course_id, user_id), consistent_read=True)
        except EnrollmentItem.DoesNotExist:
            return None

    def get(self, enrollment_id: str) -> EnrollmentItem | None:
        found = LmsItem.lookup_index.query(self.keys.enrollment(enrollment_id), LmsItem.gsi2sk == ENROLLMENT_SK)
        return first_of(found, EnrollmentItem)

    def page(
        self, user_id: str | None, course_id: str | None, status: str | None, offset: int, limit: int, now: str
    ) -> tuple[int, list[EnrollmentItem]]:
        """How many enrollments of the user's, the course's or the tenant's match `status` as they
        stand at `now` (None: all but cancelled), and the `limit` after the first `offset`, newest
        first: a Query of that list (and of the due list, for active, extended and expired), then
        one BatchGetItem of the page."""
        scope = {"user_id": user_id} if user_id else {"course_id": course_id} if course_id else {}
        end = offset + limit
        if status is None or status not in (*ACTIVE, EXPIRED):
            list_key = self.keys.enrollment_list(f"status={status}" if status else LIVE, **scope)
            count, entries = self._entries(list_key, end, skipped=offset)
            return count, self._read(entries[offset:])
        lapsed = self._lapsed(scope, now)
        if status == EXPIRED:  # those the job marked, and those past their end it has not yet
            list_key = self.keys.enrollment_list(f"status={EXPIRED}", **scope)
            count, entries = self._entries(list_key, end, skipped=offset - len(lapsed))
            both: list[EnrollmentListEntry | DueEntry] = [*entries, *lapsed]
            merged = sorted(both, key=_place, reverse=True)
            return count + len(lapsed), self._read(merged[offset:end])
        gone = {entry.place for entry in lapsed if entry.status == status}
        list_key = self.keys.enrollment_list(f"status={status}", **scope)
        count, entries = self._entries(list_key, end + len(gone), skipped=offset)
        kept = [entry for entry in entries if entry.sk not in gone]
        return count - len(gone), self._read(kept[offset:end])

    @staticmethod
    def _entries(list_key: str, end: int, skipped: int) -> tuple[int, list[EnrollmentListEntry]]:
        count, found = read_page(list_key, end, skipped)
        return count, [entry for entry in found if isinstance(entry, EnrollmentListEntry)]

    def _lapsed(self, scope: dict[str, str], now: str) -> list[DueEntry]:
        """The due entries past their end at `now`: one Query, from the earliest end."""
        due = self.keys.enrollment_list(DUE, **scope)
        found = LmsItem.query(due, LmsItem.sk <= f"{now}#\uffff", consistent_read=True)
        return [entry for entry in found if isinstance(entry, DueEntry)]

    def _read(self, entries: Sequence[EnrollmentListEntry | DueEntry]) -> list[EnrollmentItem]:
        """The enrollments the entries name, in their order: one strongly consistent BatchGetItem."""
        keys = [self.keys.enrollment_of(entry.course_id, entry.user_id) for entry in entries]
        if not keys:
            return []
        found = {(item.pk, item.sk): item for item in EnrollmentItem.batch_get(keys, consistent_read=True)}
        return [found[key] for key in keys if key in found]

    def find_unlisted(
        self, user_id: str | None, course_id: str | None, condition: Condition | None
    ) -> list[EnrollmentItem]:
        """Enrollments of a user (UserIndex), of a course (its partition) or of the tenant
        (ListIndex) matching `condition`, read whole, the way lists were read before issue 14:
        until the `listings` backfill has run. One Query, more only past 1 MB."""
        found: Iterable[LmsItem]
        if user_id:
            found = LmsItem.user_index.query(self.keys.user(user_id), filter_condition=condition)
        elif course_id:
            found = self._of_course(course_id, condition)
        else:
            found = LmsItem.list_index.query(self.keys.all_enrollments(), filter_condition=condition)
        return [item for item in found if isinstance(item, EnrollmentItem)]

    def _of_course(self, course_id: str, condition: Condition | None) -> Iterable[LmsItem]:
        return LmsItem.query(self.keys.course_enrollments(course_id), filter_condition=condition, consistent_read=True)

    def save(self, enrollment: EnrollmentItem, read: EnrollmentItem) -> None:
        """Write a changed enrollment (`read` is it as it was read) if nobody changed it since,
        moving its list entries with it."""
        enrollment.revision = read.revision + 1
        enrollment.listed = True
        schedule_expiry(enrollment)
        try:
            with transaction() as writes:
                writes.save(enrollment, condition=EnrollmentItem.revision == read.revision, name="enrollment")
                relist(enrollment_entries(self.keys, read), enrollment_entries(self.keys, enrollment)).apply(writes)
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, enrollment.enrollment_id, "enrollment")  # noqa: B904

    def active_in_course(self, course_id: str, now: str) -> list[EnrollmentItem]:
        """The course's enrollments active at `now` (active or extended, and not ended): one
        strongly consistent Query of the course's enrollments."""
        found = self._of_course(course_id, EnrollmentItem.status.is_in(*ACTIVE) & not_ended(now))
        return [item for item in found if isinstance(item, EnrollmentItem)]

    def refresh_course(self, course_id: str, summary: dict[str, Any]) -> int:
        """Copy the course's new summary onto each of its enrollments (one Query, then a transaction
        per 100); each copy bumps the revision, so an update that read the old copy re-reads."""
        enrollments = [item for item in self._of_course(course_id, None) if isinstance(item, EnrollmentItem)]

        def refresh_one(writes: Transaction, enrollment: EnrollmentItem) -> None:
            actions = [EnrollmentItem.course.set(summary), EnrollmentItem.revision.add(1)]
            writes.update(enrollment, actions, condition=EnrollmentItem.pk.exists(), versioned=False)

        write_in_transactions(refresh_one, enrollments)
        return len(enrollments)

    def cancel(self, enrollments: list[EnrollmentItem], by: str, at: str) -> None:
        """Cancel each (kept as records, moved to the cancelled lists), as many to a transaction as
        their writes fit in (their lists' counters moved once per transaction); each requires the
        enrollment unchanged since it was read."""
        chunks: list[tuple[list[tuple[EnrollmentItem, EnrollmentItem]], Relisting]] = []
        for enrollment in enrollments:
            cancelled = snapshot(enrollment)
            cancelled.status, cancelled.updated_by, cancelled.updated_at = CANCELLED, by, at
            cancelled.revision, cancelled.listed = enrollment.revision + 1, True
            schedule_expiry(cancelled)  # nothing left for the expiry job
            moved = relist(enrollment_entries(self.keys, enrollment), enrollment_entries(self.keys, cancelled))
            if chunks and len(chunks[-1][0]) + 1 + len(chunks[-1][1] + moved) <= TRANSACTION_LIMIT:
                pairs, together = chunks[-1]
                chunks[-1] = ([*pairs, (enrollment, cancelled)], together + moved)
            else:
                chunks.append(([(enrollment, cancelled)], moved))
        try:
            for pairs, together in chunks:
                with transaction() as writes:
                    for read, cancelled in pairs:
                        writes.save(cancelled, condition=EnrollmentItem.revision == read.revision)
                    together.apply(writes)
        except Cancelled as refused:  # one changed since it was read: read them again
            raise ConcurrentModification("enrollments of the course") from refused


def _place(entry: EnrollmentListEntry | DueEntry) -> str:
    return entry.place if isinstance(entry, DueEntry) else entry.sk
