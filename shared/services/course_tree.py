"""The course tree (`api.course.details`), kept as a document per view: what staff see, and what
learners see (published parts only). This module is the one that builds the documents.

A read takes its view's stored document when the tree's head says it is current, in the one
Query that reads both. When it is not (a write changed the tree since: every such write marks it
changed in its own transaction), the read builds the documents from the course's structure and
stores them for the reads that follow, unless the tree changed again meanwhile; the answer is
built after the write either way, so it is never stale to the writer. The StreamProjector builds
them too, as soon as a change is seen, so learners mostly find them built."""

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.auth import Principal
from shared.clock import TIMESTAMP_FORMAT, sortable_now, utc_now
from shared.deflated import Deflated, deflate, inflate
from shared.errors import Conflict
from shared.repository import structure
from shared.repository.base import ConcurrentModification, LmsItem, first_of
from shared.repository.items import (
    LEARNER_VIEW,
    STAFF_VIEW,
    CourseItem,
    LessonLinkItem,
    ModuleFields,
    ModuleItem,
    ReorderPlan,
    TreeHead,
)
from shared.repository.tracking import modules_shown_to_learners
from shared.repository.trees import TreeRepository, current
from shared.schemas.courses import CourseDetails, CourseOut, TreeModule, TreeSubmodule
from shared.schemas.lessons import LessonEntry
from shared.schemas.modules import ModuleSummary
from shared.services.visibility import PUBLISHED, course_not_found


def in_order[M: ModuleFields](modules: list[M]) -> list[M]:
    """Modules sort by `ordering`, then creation time (RULES.md: Modules)."""
    return sorted(modules, key=lambda module: (int(module.ordering), module.created_at, module.module_id))


def lesson_entry(link: LessonLinkItem) -> LessonEntry:
    """The lesson as the course shows it: the link's setting where set, the lesson's otherwise."""
    summary = link.lesson
    return LessonEntry.model_validate(
        {
            **summary,
            "module_id": link.module_id,
            "status": link.status or summary["status"],
            "free_lesson": link.free_lesson,
            "consider_for_passing": link.consider_for_passing,
            "total_marks": link.total_marks if link.total_marks is not None else summary["total_marks"],
            "passing_marks": link.passing_marks if link.passing_marks is not None else summary["passing_marks"],
        }
    )


def shown_entries(links: Iterable[LessonLinkItem], for_learners: bool) -> list[LessonEntry]:
    """The lessons of one place (a module, or the course itself) in the order they were added;
    learners see a lesson only when both its link and the lesson itself are published."""
    ordered = sorted(links, key=lambda link: link.position)
    return [lesson_entry(link) for link in ordered if not for_learners or link.published]


def view_of(caller: Principal) -> str:
    return STAFF_VIEW if caller.is_staff else LEARNER_VIEW


def details(caller: Principal, course_id: str) -> Deflated:
    """The caller's view of the course's tree as stored, built first if it is not current. 404
    when the course is not there, or not published for a learner. A reorder found cut off
    part-way is finished first (while one is applied, the stored documents are current)."""
    trees, view = TreeRepository(caller.tenant_id), view_of(caller)
    stored = trees.read(course_id, view)
    if stored.head is not None and interrupted(stored.head):
        finish_interrupted(trees, course_id, stored.head)
        stored = trees.read(course_id, view)
    if stored.current and stored.head is not None:
        if view == LEARNER_VIEW and not stored.head.shown_to_learners:
            raise course_not_found(course_id)
        if stored.document is not None:
            return stored.document
    documents = rebuild(trees, course_id, stored.head)
    document = documents.get(view) if documents else None
    if document is None:
        raise course_not_found(course_id)
    return document


def lessons_in_order(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A tree's lessons in tree order, as a course player goes through them and the course's list
    of lessons gives them: the course-level lessons first, then each module's own lessons followed
    by its submodules' in order."""
    yield from tree["lessons"]
    for module in tree["modules"]:
        yield from module["lessons"]
        for sub in module["subModules"]:
            yield from sub["lessons"]


def tree_of(caller: Principal, course_id: str) -> dict[str, Any]:
    """The caller's view of the tree as data (for the lists a course's tree answers)."""
    tree: dict[str, Any] = json.loads(inflate(details(caller, course_id)))
    return tree


def refresh(tenant_id: str, course_id: str) -> bool:
    """Build and store the course's documents unless they are current or the course is gone (the
    StreamProjector, on a change of the tree's revision). Whether anything was built."""
    trees = TreeRepository(tenant_id)
    head = trees.read_head(course_id)
    if current(head):
        return False
    return rebuild(trees, course_id, head) is not None


def rebuild(trees: TreeRepository, course_id: str, head: TreeHead | None) -> dict[str, Deflated | None] | None:
    """Both views' documents from the course's structure, read now, stored as those of the
    revision `head` showed (read before the structure, so they show at least that revision):
    not stored if the tree changed since. None when there is no such course."""
    items = trees.read_structure(course_id)
    course = first_of(items, CourseItem)
    if course is None:
        return None
    shown = course.status == PUBLISHED
    documents = documents_of(course, items, int(head.structure) if head else 0)
    trees.store(course_id, head, documents, shown_to_learners=shown)
    return documents


def documents_of(course: CourseItem, items: Sequence[LmsItem], structure: int) -> dict[str, Deflated | None]:
    """Both views' documents of the structure `items`, with `structureVersion` (the learners' is
    None while the course is not published)."""
    version, shown = str(structure), course.status == PUBLISHED
    return {
        STAFF_VIEW: _document(build(course, items, version, for_learners=False)),
        LEARNER_VIEW: _document(build(course, items, version, for_learners=True)) if shown else None,
    }


def _document(tree: CourseDetails) -> Deflated:
    return deflate(tree.model_dump_json(by_alias=True).encode())


def build(course: CourseItem, items: Sequence[LmsItem], structure_version: str, for_learners: bool) -> CourseDetails:
    """The tree: modules in order, each with its submodules and lessons, and the course-level
    lessons. For learners, published modules (under published parents) and links only."""
    every_module = [item for item in items if isinstance(item, ModuleItem)]
    shown = modules_shown_to_learners((module.module_id, module.parent_id, module.status) for module in every_module)
    modules = [module for module in every_module if not for_learners or module.module_id in shown]
    links_by_module: dict[str | None, list[LessonLinkItem]] = defaultdict(list)
    for item in items:
        if isinstance(item, LessonLinkItem):
            links_by_module[item.module_id].append(item)

    def submodule(module: ModuleItem) -> TreeSubmodule:
        lessons = shown_entries(links_by_module[module.module_id], for_learners)
        return TreeSubmodule(**ModuleSummary.model_validate(module).model_dump(), lessons=lessons)

    tree = [
        TreeModule(
            **submodule(top).model_dump(),
            sub_modules=[submodule(sub) for sub in in_order([m for m in modules if m.parent_id == top.module_id])],
        )
        for top in in_order([module for module in modules if module.parent_id is None])
    ]
    return CourseDetails(
        **CourseOut.model_validate(course).model_dump(),
        structure_version=structure_version,
        modules=tree,
        lessons=shown_entries(links_by_module[None], for_learners),
    )


# A reorder runs well within the Courses function's timeout (28 s); a pin older than this was left
# by one cut off part-way (a crash, a timeout), and the next reader or reorder finishes its plan.
REORDER_SECONDS = 60


def being_reordered(course_id: str) -> Conflict:
    """The refusal of a change of the course's structure while a reorder is applied."""
    return Conflict(f"Course {course_id} is being reordered right now; send the request again in a moment.")


def interrupted(head: TreeHead) -> bool:
    """Whether the head is pinned by a reorder cut off part-way."""
    if not head.reordering or not head.reordering_since:
        return False
    cutoff = (datetime.now(UTC) - timedelta(seconds=REORDER_SECONDS)).strftime(TIMESTAMP_FORMAT)
    return head.reordering_since < cutoff


def apply_order(
    trees: TreeRepository,
    course_id: str,
    pinned: TreeHead,
    plan: ReorderPlan,
    items: Sequence[LmsItem] | None = None,
) -> dict[str, Deflated | None]:
    """Apply a pinned reorder's plan to the structure (`items`, when read since the head the pin
    required, else read now) and finish it: the modules and links moved in as many transactions
    as they take (each under the pin), then the documents of the new order stored as the next
    revision and the pin released, in one transaction. Until then readers get the documents from
    before. The new documents; PinLost if another reorder took the pin over."""
    keys, at = trees.keys, utc_now()
    read = items if items is not None else trees.read_structure(course_id)
    for tries in range(1, APPLY_ATTEMPTS + 1):
        steps = structure.steps_to(keys, read, plan.order, plan.by, at, sortable_now())
        try:
            structure.apply(trees, course_id, plan.token, steps)
            break
        except ConcurrentModification:  # an item changed between the read and the write: read again
            if tries == APPLY_ATTEMPTS:
                raise
            read = trees.read_structure(course_id)
    items = trees.read_structure(course_id) if steps else read  # the structure as the moves left it
    course = first_of(items, CourseItem)
    if course is None:
        raise course_not_found(course_id)
    documents = documents_of(course, items, int(pinned.structure) + 1)
    if not trees.unpin(course_id, pinned, plan.token, documents, shown_to_learners=course.status == PUBLISHED):
        raise structure.PinLost(course_id)
    return documents


APPLY_ATTEMPTS = 3


def finish_interrupted(trees: TreeRepository, course_id: str, head: TreeHead) -> None:
    """Take over a reorder cut off part-way and finish its plan (another reader may be doing the
    same: whoever takes the pin first finishes it, the others read what it leaves)."""
    plan = trees.read_plan(course_id)
    if plan is None or plan.token != head.reordering:
        return
    taken = ReorderPlan(plan.pk, plan.sk, token=str(uuid.uuid4()), order=plan.order, by=plan.by)
    try:
        trees.pin(course_id, head, taken, since=utc_now(), taken_over=True)
        apply_order(trees, course_id, head, taken)
    except (ConcurrentModification, structure.PinLost):
        return
