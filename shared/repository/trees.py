"""A course's tree documents: the details tree as each view shows it, stored ready to send.

Every write that changes what the tree shows (the course, its modules, its links, a lesson it
uses) adds 1 to the revision on the course's tree head in the write's own transaction
(`mark_changed`, which every such writer calls). The stored documents say which revision they
show; a read gets the head and its view's parts in one Query and uses them while they are
current, and builds the tree again when they are not (shared/services/course_tree.py)."""

from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition

from shared.deflated import Deflated
from shared.repository.base import Cancelled, LmsItem, Transaction, first_of, transaction
from shared.repository.items import (
    COURSE_SK,
    LEARNER_VIEW,
    LINK_PREFIX,
    STAFF_VIEW,
    TREE_HEAD_SK,
    TREE_PREFIX,
    CourseItem,
    Keys,
    TreeHead,
    TreePart,
)

# A part stays well under DynamoDB's 400 KB item limit, keys and attributes included.
PART_BYTES = 350_000
# A transaction carries at most 4 MB: documents larger together (a course of tens of thousands of
# lessons) are not stored, and each read builds them.
MAX_STORED_BYTES = 3_500_000


def mark_changed(writes: Transaction, keys: Keys, course_id: str) -> None:
    """Add to the course's tree revision in `writes`: its stored documents are no longer current.
    (Creates the head of a course that has none, as a course stored before issue 14.)"""
    head = TreeHead(keys.course(course_id), TREE_HEAD_SK)
    # An update may create the head: it names its kind, as a put would.
    writes.update(head, [TreeHead.kind.set(TreeHead), TreeHead.revision.add(1)], versioned=False)


@dataclass(frozen=True)
class StoredView:
    """What one Query of a view finds: the head (None before the first write since issue 14) and
    the view's document if it is complete and current."""

    head: TreeHead | None
    document: Deflated | None

    @property
    def current(self) -> bool:
        return self.head is not None and self.head.built == self.head.revision


class TreeRepository:
    """The tree documents of one tenant's courses."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def read(self, course_id: str, view: str) -> StoredView:
        """The head and the view's stored document: one strongly consistent Query (the learner
        view's parts sort just before the head, the staff view's just after)."""
        first, last = (
            (self.keys.tree_part_sk(LEARNER_VIEW, 0), TREE_HEAD_SK)
            if view == LEARNER_VIEW
            else (TREE_HEAD_SK, self.keys.tree_part_sk(STAFF_VIEW, 999))
        )
        found = list(LmsItem.query(self.keys.course(course_id), LmsItem.sk.between(first, last), consistent_read=True))
        head = first_of(found, TreeHead)
        parts = [item for item in found if isinstance(item, TreePart)]
        return StoredView(head, _document(head, view, parts))

    def read_head(self, course_id: str) -> TreeHead | None:
        try:
            return TreeHead.get(self.keys.course(course_id), TREE_HEAD_SK, consistent_read=True)
        except TreeHead.DoesNotExist:
            return None

    def read_structure(self, course_id: str) -> list[LmsItem]:
        """What the tree is built from: the course, its modules, their copies and its links, not
        the stored documents: one strongly consistent Query (paged past 1 MB)."""
        sort_keys = LmsItem.sk.between(COURSE_SK, f"{LINK_PREFIX}\uffff")
        return list(LmsItem.query(self.keys.course(course_id), sort_keys, consistent_read=True))

    def store(
        self, course_id: str, read: TreeHead | None, documents: dict[str, Deflated | None], shown_to_learners: bool
    ) -> bool:
        """Store the views' documents (None: the view shows nothing, as the learners' of a course
        not published) as those of the revision `read` had, in one transaction, unless the tree
        changed since (its revision moved), the course went or the documents are too large for one
        transaction: then nothing is stored and False is returned. Parts a view no longer needs are
        deleted."""
        if sum(len(document.data) for document in documents.values() if document) > MAX_STORED_BYTES:
            return False
        revision = int(read.revision) if read else 0
        course_key = self.keys.course(course_id)
        head = TreeHead(
            course_key, TREE_HEAD_SK, revision=revision, built=revision, shown_to_learners=shown_to_learners
        )
        unchanged: Condition = TreeHead.revision == revision if read else TreeHead.pk.does_not_exist()
        try:
            with transaction() as writes:
                writes.check(CourseItem, (course_key, COURSE_SK), CourseItem.pk.exists(), name="course")
                for view in VIEWS:
                    document = documents.get(view)
                    parts = _parts(document.data) if document else []
                    for number, data in enumerate(parts):
                        part = TreePart(course_key, self.keys.tree_part_sk(view, number), built=revision, data=data)
                        if number == 0 and document:
                            part.length, part.crc = document.length, document.crc
                        writes.save(part)
                    for number in range(len(parts), _parts_of(read, view)):
                        writes.delete(TreePart(course_key, self.keys.tree_part_sk(view, number)))
                    setattr(head, f"{view}_parts", len(parts))
                writes.save(head, condition=unchanged, name="head")
        except Cancelled as cancelled:
            if cancelled.conflict or cancelled.failed("head") or cancelled.failed("course"):
                return False
            raise
        return True


VIEWS = (LEARNER_VIEW, STAFF_VIEW)


def _parts_of(head: TreeHead | None, view: str) -> int:
    return int(getattr(head, f"{view}_parts") or 0) if head else 0


def _parts(data: bytes) -> list[bytes]:
    return [data[start : start + PART_BYTES] for start in range(0, len(data), PART_BYTES)]


def _document(head: TreeHead | None, view: str, parts: Sequence[TreePart]) -> Deflated | None:
    """The view's document from its parts, if the head says they are current and every part is
    there from that revision (a Query may see a store half done: then there is none)."""
    if head is None or head.built is None or head.built != head.revision:
        return None
    expected = _parts_of(head, view)
    mine = sorted((part for part in parts if part.sk.startswith(f"{TREE_PREFIX}{view}#")), key=lambda part: part.sk)
    mine = mine[:expected]
    if not expected or len(mine) < expected or any(part.built != head.built for part in mine):
        return None
    first = mine[0]
    if first.length is None or first.crc is None:
        return None
    return Deflated(b"".join(part.data for part in mine), int(first.length), int(first.crc))
