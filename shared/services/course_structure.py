"""The course builder's reorder (`api.course.structure.update`, staff only): the whole order of a
course in one call, applied all or nothing (RULES.md: Courses).

The order is checked against the course's structure first (every module and link once, none of
another course's: 400 naming the culprit) and against the `structureVersion` sent (409 when the
order changed since). Then the course's tree is pinned with the plan, the modules and links are
moved in as many transactions as they take, and the last one stores the tree of the new order
(shared/services/course_tree.py: apply_order). Readers keep the tree from before until then, and
every other change of the course's tree waits for the pin to go."""

import uuid
from collections import Counter
from typing import Any

from shared.auth import Principal
from shared.clock import utc_now
from shared.deflated import Deflated
from shared.errors import Conflict, Invalid
from shared.repository import structure
from shared.repository.base import LmsItem, first_of
from shared.repository.items import (
    REORDER_PLAN_SK,
    STAFF_VIEW,
    CourseItem,
    LessonLinkItem,
    ModuleItem,
    ReorderPlan,
    TreeHead,
)
from shared.repository.modules import ModuleRepository
from shared.repository.structure import PinLost, places_of
from shared.repository.trees import TreeRepository
from shared.schemas.courses import CourseStructure
from shared.services import course_tree
from shared.services.changes import with_retries
from shared.services.visibility import course_not_found


def update_structure(caller: Principal, course_id: str, body: CourseStructure) -> Deflated:
    """Reorder the course as `body` says; the staff view of its tree in the new order."""
    trees = TreeRepository(caller.tenant_id)
    order = body.model_dump(mode="json", by_alias=True, exclude={"structure_version"})

    def attempt() -> Deflated:
        head, document = _current(caller, trees, course_id)
        if body.structure_version is not None and body.structure_version != str(int(head.structure)):
            raise Conflict(
                f"Course {course_id}'s structure changed since version {body.structure_version} (it is "
                f"{int(head.structure)} now); read its details again and send the order from there."
            )
        items = trees.read_structure(course_id)
        if first_of(items, CourseItem) is None:
            raise course_not_found(course_id)
        check_order(caller.tenant_id, course_id, items, order)
        if structure.in_order(items, order):
            return document  # the order it has: nothing to move, and its version stays
        token = str(uuid.uuid4())
        plan = ReorderPlan(trees.keys.course(course_id), REORDER_PLAN_SK, token=token, order=order, by=caller.user_id)
        trees.pin(course_id, head, plan, since=utc_now(), taken_over=False)  # ConcurrentModification: again
        try:
            reordered = course_tree.apply_order(trees, course_id, head, plan, items)[STAFF_VIEW]
        except PinLost:
            raise course_tree.being_reordered(course_id) from None
        assert reordered is not None  # noqa: S101 - staff always have a view
        return reordered

    return with_retries(attempt, "course's structure")


def _current(caller: Principal, trees: TreeRepository, course_id: str) -> tuple[TreeHead, Deflated]:
    """The course's tree head and its staff document, current (built first if it is not), with no
    reorder under way (one cut off part-way is finished first; a live one: 409)."""
    for _ in range(3):
        stored = trees.read(course_id, STAFF_VIEW)
        head = stored.head
        if head is not None and head.reordering:
            if not course_tree.interrupted(head):
                raise course_tree.being_reordered(course_id)
            course_tree.finish_interrupted(trees, course_id, head)
        elif head is not None and stored.current and stored.document is not None:
            return head, stored.document
        else:
            course_tree.details(caller, course_id)  # 404 for no such course; builds and stores the tree
    raise course_tree.being_reordered(course_id)


def check_order(tenant_id: str, course_id: str, items: list[LmsItem], order: dict[str, Any]) -> None:
    """400, naming the culprit, unless the order names every module and every lesson link of the
    course exactly once and nothing else."""
    modules = {item.module_id for item in items if isinstance(item, ModuleItem)}
    named: list[str] = [place for place, _, _ in places_of(order) if place is not None]
    for module_id, times in Counter(named).items():
        if times > 1:
            raise Invalid(f"Module {module_id} is named {times} times; name each module of the course once.")
    for module_id in named:
        if module_id not in modules:
            raise _not_this_courses_module(tenant_id, course_id, module_id)
    if missing := sorted(modules - set(named)):
        raise Invalid(f"Module {missing[0]} of course {course_id} is missing; the order names every module once.")
    links = Counter((item.module_id, item.lesson_id) for item in items if isinstance(item, LessonLinkItem))
    linked = Counter(lesson_id for _, lesson_id in links)
    placed: Counter[str] = Counter()
    for place, _, lessons in places_of(order):
        where = f"module {place}" if place else "the course's own lessons"
        for lesson_id, times in Counter(lessons).items():
            if times > 1:
                raise Invalid(f"Lesson {lesson_id} is named {times} times in {where}; a place holds a lesson once.")
        placed.update(lessons)
    for lesson_id, times in placed.items():
        if lesson_id not in linked:
            raise Invalid(f"Lesson {lesson_id} is not in course {course_id}; add it to the course first.")
        if times > linked[lesson_id]:
            raise Invalid(
                f"Lesson {lesson_id} is placed {times} times but course {course_id} links it {linked[lesson_id]} "
                "time(s); a reorder moves links, it does not add them."
            )
    for (module_id, lesson_id), _ in sorted(links.items(), key=lambda link: (link[0][0] or "", link[0][1])):
        if placed[lesson_id] < linked[lesson_id]:
            where = f"module {module_id}" if module_id else "the course's own lessons"
            raise Invalid(
                f"Lesson {lesson_id} (in {where}) is missing; the order places every lesson link of the course."
            )


def _not_this_courses_module(tenant_id: str, course_id: str, module_id: str) -> Invalid:
    module = ModuleRepository(tenant_id).get(module_id)
    if module is not None:
        return Invalid(
            f"Module {module_id} belongs to course {module.course_id}, not {course_id}; "
            "a module does not move between courses."
        )
    return Invalid(f"Module {module_id} is not a module of course {course_id}.")
