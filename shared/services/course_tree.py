"""The course tree (`api.course.details`), kept as a document per view: what staff see, and what
learners see (published parts only). This module is the one that builds the documents.

A read takes its view's stored document when the tree's head says it is current, in the one
Query that reads both. When it is not (a write changed the tree since: every such write marks it
changed in its own transaction), the read builds the documents from the course's structure and
stores them for the reads that follow, unless the tree changed again meanwhile; the answer is
built after the write either way, so it is never stale to the writer. The StreamProjector builds
them too, as soon as a change is seen, so learners mostly find them built."""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from shared.auth import Principal
from shared.deflated import Deflated, deflate, inflate
from shared.repository.base import LmsItem, first_of
from shared.repository.items import (
    LEARNER_VIEW,
    STAFF_VIEW,
    CourseItem,
    LessonLinkItem,
    ModuleFields,
    ModuleItem,
    TreeHead,
)
from shared.repository.trees import TreeRepository
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
    when the course is not there, or not published for a learner."""
    trees, view = TreeRepository(caller.tenant_id), view_of(caller)
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


def tree_of(caller: Principal, course_id: str) -> dict[str, Any]:
    """The caller's view of the tree as data (for the lists a course's tree answers)."""
    tree: dict[str, Any] = json.loads(inflate(details(caller, course_id)))
    return tree


def refresh(tenant_id: str, course_id: str) -> bool:
    """Build and store the course's documents unless they are current or the course is gone (the
    StreamProjector, on a change of the tree's revision). Whether anything was built."""
    trees = TreeRepository(tenant_id)
    head = trees.read_head(course_id)
    if head is not None and head.built == head.revision:
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
    documents = {
        STAFF_VIEW: _document(build(course, items, for_learners=False)),
        LEARNER_VIEW: _document(build(course, items, for_learners=True)) if shown else None,
    }
    trees.store(course_id, head, documents, shown_to_learners=shown)
    return documents


def _document(tree: CourseDetails) -> Deflated:
    return deflate(tree.model_dump_json(by_alias=True).encode())


def build(course: CourseItem, items: Sequence[LmsItem], for_learners: bool) -> CourseDetails:
    """The tree: modules in order, each with its submodules and lessons, and the course-level
    lessons. For learners, published modules (under published parents) and links only."""
    modules = [
        item for item in items if isinstance(item, ModuleItem) and (not for_learners or item.status == PUBLISHED)
    ]
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
        modules=tree,
        lessons=shown_entries(links_by_module[None], for_learners),
    )
