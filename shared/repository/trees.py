"""A course's tree documents: the details tree as each view shows it, stored ready to send.

Every write that changes what the tree shows (the course, its modules, its links, a lesson it
uses) adds 1 to the revision on the course's tree head in the write's own transaction
(`mark_changed`, which every such writer calls). The stored documents say which revision they
show; a read gets the head and its view's parts in one Query and uses them while they are
current, and builds the tree again when they are not (shared/services/course_tree.py)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition

from shared.deflated import Deflated
from shared.repository.base import Cancelled, ConcurrentModification, LmsItem, Transaction, first_of, transaction
from shared.repository.items import (
    COURSE_SK,
    LEARNER_VIEW,
    LINK_PREFIX,
    REORDER_PLAN_SK,
    STAFF_VIEW,
    TREE_HEAD_SK,
    TREE_PREFIX,
    CourseItem,
    Keys,
    ReorderPlan,
    TreeHead,
    TreePart,
)

# A part stays well under DynamoDB's 400 KB item limit, keys and attributes included.
PART_BYTES = 350_000
# A transaction carries at most 4 MB: documents larger together (a course of tens of thousands of
# lessons) are not stored, and each read builds them.
MAX_STORED_BYTES = 3_500_000
# What the stored documents hold: 2 since they carry `structureVersion` (issue 16). Documents of an
# earlier shape are not current, so each course's are built again at its next read.
TREE_SHAPE = 2
NOT_REORDERING: Condition = TreeHead.reordering.does_not_exist()


class CourseBeingReordered(ConcurrentModification):
    """A reorder of the course is being applied: every other change of its tree waits for it."""


def mark_changed(writes: Transaction, keys: Keys, course_id: str, structure: bool = False) -> None:
    """Add to the course's tree revision in `writes`: its stored documents are no longer current;
    with `structure`, the change moves the course's order too (`structureVersion`). Refused while a
    reorder is applied (CourseBeingReordered, which callers retry). (Creates the head of a course
    that has none, as a course stored before issue 14.)"""
    head = TreeHead(keys.course(course_id), TREE_HEAD_SK)
    # An update may create the head: it names its kind, as a put would.
    actions = [TreeHead.kind.set(TreeHead), TreeHead.revision.add(1)]
    if structure:
        actions.append(TreeHead.structure.add(1))
    writes.update(
        head,
        actions,
        condition=NOT_REORDERING,
        name=f"tree-{course_id}",
        versioned=False,
        refusal=lambda: CourseBeingReordered(course_id),
    )


@dataclass(frozen=True)
class StoredView:
    """What one Query of a view finds: the head (None before the first write since issue 14) and
    the view's document if it is complete and current."""

    head: TreeHead | None
    document: Deflated | None

    @property
    def current(self) -> bool:
        return current(self.head)


def current(head: TreeHead | None) -> bool:
    """Whether the head's stored documents show its revision, in today's shape."""
    return head is not None and head.built == head.revision and head.shape == TREE_SHAPE


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
        changed since (its revision moved), a reorder is being applied, the course went or the
        documents are too large for one transaction: then nothing is stored and False is returned.
        Parts a view no longer needs are deleted."""
        revision = int(read.revision) if read else 0
        structure = int(read.structure) if read else 0
        unchanged: Condition = TreeHead.pk.does_not_exist()
        if read:
            unchanged = (TreeHead.revision == revision) & NOT_REORDERING
        try:
            return self._store(course_id, read, documents, shown_to_learners, revision, structure, unchanged)
        except Cancelled as cancelled:
            if cancelled.conflict or cancelled.failed("head") or cancelled.failed("course"):
                return False
            raise

    def pin(self, course_id: str, read: TreeHead, plan: ReorderPlan, since: str, taken_over: bool) -> None:
        """Start applying a reorder: the head pinned by the plan's token (every other change of
        the tree is refused until it is done) and the plan stored, in one transaction, if the head
        is as read (current, and not pinned, or pinned by the reorder `taken_over` from);
        ConcurrentModification otherwise."""
        condition: Condition = (TreeHead.revision == read.revision) & (TreeHead.built == read.revision)
        condition &= TreeHead.reordering == read.reordering if taken_over else NOT_REORDERING
        actions = [TreeHead.reordering.set(plan.token), TreeHead.reordering_since.set(since)]
        try:
            with transaction() as writes:
                writes.update(read, actions, condition=condition, versioned=False)
                writes.save(plan)
        except Cancelled as cancelled:
            raise ConcurrentModification(course_id) from cancelled

    def still_pinned(self, writes: Transaction, course_id: str, token: str) -> None:
        """In `writes`: the reorder `token` still holds the head (its writes go in no other way)."""
        writes.check(TreeHead, (self.keys.course(course_id), TREE_HEAD_SK), TreeHead.reordering == token, name="pin")

    def read_plan(self, course_id: str) -> ReorderPlan | None:
        try:
            return ReorderPlan.get(self.keys.course(course_id), REORDER_PLAN_SK, consistent_read=True)
        except ReorderPlan.DoesNotExist:
            return None

    def unpin(
        self,
        course_id: str,
        pinned: TreeHead,
        token: str,
        documents: dict[str, Deflated | None],
        shown_to_learners: bool,
    ) -> bool:
        """Finish a reorder: the documents of the new order stored as the next revision, with the
        next `structureVersion`, the head unpinned and the plan deleted, in one transaction, while
        the token still holds the head. False when it no longer does (another finished it); when the
        documents are too large to store, the head is marked changed instead, so reads build them."""
        revision, structure = int(pinned.revision) + 1, int(pinned.structure) + 1
        course_key = self.keys.course(course_id)
        plan = ReorderPlan(course_key, REORDER_PLAN_SK)

        def finish(writes: Transaction) -> None:
            writes.delete(plan)

        try:
            pinned_by_token = TreeHead.reordering == token
            stored = self._store(
                course_id, pinned, documents, shown_to_learners, revision, structure, pinned_by_token, finish
            )
            if stored:
                return True
            with transaction() as writes:  # too large to store: stale, built by the reads that follow
                head = TreeHead(course_key, TREE_HEAD_SK, revision=revision, structure=structure)
                writes.save(head, condition=TreeHead.reordering == token, name="head")
                finish(writes)
        except Cancelled as cancelled:
            if cancelled.failed("head"):
                return False
            raise
        return True

    def _store(
        self,
        course_id: str,
        read: TreeHead | None,
        documents: dict[str, Deflated | None],
        shown_to_learners: bool,
        revision: int,
        structure: int,
        condition: Condition,
        also: Callable[[Transaction], None] | None = None,
    ) -> bool:
        """The documents and the head that says they show `revision`, in one transaction with the
        head's `condition` (and `also`'s writes); False when they are too large for one."""
        if sum(len(document.data) for document in documents.values() if document) > MAX_STORED_BYTES:
            return False
        course_key = self.keys.course(course_id)
        head = TreeHead(
            course_key,
            TREE_HEAD_SK,
            revision=revision,
            built=revision,
            shape=TREE_SHAPE,
            structure=structure,
            shown_to_learners=shown_to_learners,
        )
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
            writes.save(head, condition=condition, name="head")
            if also:
                also(writes)
        return True


VIEWS = (LEARNER_VIEW, STAFF_VIEW)


def _parts_of(head: TreeHead | None, view: str) -> int:
    return int(getattr(head, f"{view}_parts") or 0) if head else 0


def _parts(data: bytes) -> list[bytes]:
    return [data[start : start + PART_BYTES] for start in range(0, len(data), PART_BYTES)]


def _document(head: TreeHead | None, view: str, parts: Sequence[TreePart]) -> Deflated | None:
    """The view's document from its parts, if the head says they are current and every part is
    there from that revision (a Query may see a store half done: then there is none)."""
    if not current(head):
        return None
    assert head is not None  # noqa: S101 - current says so
    expected = _parts_of(head, view)
    mine = sorted((part for part in parts if part.sk.startswith(f"{TREE_PREFIX}{view}#")), key=lambda part: part.sk)
    mine = mine[:expected]
    if not expected or len(mine) < expected or any(part.built != head.built for part in mine):
        return None
    first = mine[0]
    if first.length is None or first.crc is None:
        return None
    return Deflated(b"".join(part.data for part in mine), int(first.length), int(first.crc))
