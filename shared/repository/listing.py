"""Lists by the page (docs/DATA-MODEL.md: Lists): a list is a partition of the table.

Every list a client can ask for (the tenant's courses with a given status, a user's enrollments,
…) is a partition holding one entry per member, sorted by the member's place in the list, and a
counter of its members. Every write that changes an item's lists changes its entries and the
counters in the same transaction (`relist`), so `count` is exact and agrees with the pages. A
page is one strongly consistent Query, newest first, that reads the counter and then the
entries up to the end of the page (`read_page`): its cost grows with the page asked for, never
with the size of the list.

Items written before lists were kept this way have no entries and are not counted; they carry no
`listed` flag, and the `listings` backfill (shared/backfills.py) lists them and then marks the
table ready. Until then the services read lists the earlier way (`listings_ready`)."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pynamodb.attributes import NumberAttribute

from shared.repository.base import LmsItem, Transaction
from shared.repository.marks import LISTINGS, backfilled

# The counter's sort key sorts after every entry (entries start with a timestamp), so a
# descending Query of the list reads the counter first, then the entries newest first.
COUNTER_SK = "~COUNT"
# The most entries one request asks for: DynamoDB returns at most 1 MB a request anyway, and a page
# far down a list (any `page` may be asked for) must not overflow the request's Limit.
MAX_PAGE_READ = 5_000


class ListCounter(LmsItem, discriminator="list_counter"):
    """How many entries its list (its partition) holds; changed only by `relist`."""

    members = NumberAttribute(default=0)


class ListEntry(LmsItem):
    """An item's entry in one list: PK the list, SK the item's place in it. Counted entries make
    up the list; the others (`counted` False) are kept beside it for a correction at read time."""

    counted = True


@dataclass
class Relisting:
    """The writes that move an item from the entries it had to the ones it has now."""

    deletes: list[ListEntry] = field(default_factory=list)
    saves: list[ListEntry] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # list -> change of its counter

    def __len__(self) -> int:
        return len(self.deletes) + len(self.saves) + len(self.counts)

    def __add__(self, other: "Relisting") -> "Relisting":
        """Both changes in one transaction (of different items): each counter moved once, by both."""
        counts = Counter(self.counts)
        counts.update(other.counts)
        together = {key: delta for key, delta in counts.items() if delta}
        return Relisting([*self.deletes, *other.deletes], [*self.saves, *other.saves], together)

    def apply(self, writes: Transaction) -> None:
        for entry in self.deletes:
            writes.delete(entry)
        for entry in self.saves:
            writes.save(entry)
        for list_key, delta in self.counts.items():
            # An update may create the counter: it names its kind, as a put would.
            actions = [ListCounter.kind.set(ListCounter), ListCounter.members.add(delta)]
            writes.update(ListCounter(list_key, COUNTER_SK), actions, versioned=False)


def relist(before: Iterable[ListEntry], after: Iterable[ListEntry]) -> Relisting:
    """From the entries an item had (`before`, none for a new or unlisted item) to the ones it has
    now: entries it left are deleted, new or changed ones written, and each list's counter moved
    by the difference. Every writer of a listed item applies this in the write's transaction."""
    old = {(entry.pk, entry.sk): entry for entry in before}
    new = {(entry.pk, entry.sk): entry for entry in after}
    moved: Counter[str] = Counter()
    change = Relisting()
    for key, entry in old.items():
        if key not in new:
            change.deletes.append(entry)
            moved[entry.pk] -= entry.counted
    for key, entry in new.items():
        if key not in old:
            moved[entry.pk] += entry.counted
        if key not in old or old[key].serialize() != entry.serialize():
            change.saves.append(entry)
    change.counts = {list_key: delta for list_key, delta in moved.items() if delta}
    return change


def read_page(list_key: str, end: int, skipped: int = 0) -> tuple[int, list[LmsItem]]:
    """The list's count and its first `end` entries, newest first: one strongly consistent Query
    (paged past 1 MB), which stops once the counter says no entry lies past `skipped` (a page
    beyond the end reads the counter alone). A page is `entries[offset:end]`."""
    found = LmsItem.query(
        list_key, scan_index_forward=False, limit=end + 1, page_size=min(end + 1, MAX_PAGE_READ), consistent_read=True
    )
    count, entries = 0, []
    for item in found:
        if isinstance(item, ListCounter):
            count = int(item.members)
            if count <= skipped:
                break
        else:
            entries.append(item)
    return count, entries[:end]


def listings_ready() -> bool:
    """Whether every item of the table has its list entries (the `listings` backfill has run)."""
    return backfilled(LISTINGS)
