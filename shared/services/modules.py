"""Module rules (RULES.md: Modules): two levels, ordering, visibility, cascading deletes."""

import uuid
from typing import Any

from shared.auth import Principal
from shared.clock import utc_now
from shared.errors import Invalid, NotFound
from shared.observability import count
from shared.pagination import page_or_all
from shared.repository.base import first_of
from shared.repository.courses import CourseRepository
from shared.repository.items import CourseItem, ModuleFields, ModuleItem
from shared.repository.modules import ModuleRepository, ParentGone
from shared.schemas.common import MessageResult
from shared.schemas.modules import (
    CourseModules,
    ModuleCreate,
    ModuleOut,
    ModuleSummary,
    ModuleUpdate,
    ModuleWithSubmodules,
    Submodules,
)
from shared.services import course_tree
from shared.services.changes import apply_changes, dates_in_order, with_retries
from shared.services.images import discard_image, new_image, sent_image, with_image_url
from shared.services.visibility import PUBLISHED, course_not_found

DEFAULT_STATUS = "published"


def module_not_found(module_id: str) -> NotFound:
    return NotFound(f"Module {module_id} not found.")


def learner_sees(caller: Principal, module: ModuleFields) -> bool:
    return caller.is_staff or (module.status == PUBLISHED and module.course_status == PUBLISHED)


def shown_alone(caller: Principal, repository: ModuleRepository, module: ModuleItem | None) -> ModuleItem | None:
    """A module read by id, if the caller may see it: for a learner, a submodule also needs its
    parent published, as in the course tree (one more read, for submodules only)."""
    if module is None or not learner_sees(caller, module):
        return None
    if caller.is_staff or module.parent_id is None:
        return module
    parent = repository.parent_of(module)
    return module if parent is not None and learner_sees(caller, parent) else None


def create_module(caller: Principal, data: ModuleCreate) -> ModuleOut:
    """A module of a course of the tenant, or a submodule of one of its top-level modules."""
    course_id, parent_id = str(data.course_id), data.parent_id and str(data.parent_id)

    def attempt() -> ModuleOut:
        items = CourseRepository(caller.tenant_id).get_with_modules(course_id)
        course = first_of(items, CourseItem)
        if course is None:
            raise course_not_found(course_id)
        modules = [item for item in items if isinstance(item, ModuleItem)]
        parent = next((module for module in modules if module.module_id == parent_id), None)
        if parent_id and parent is None:
            raise Invalid(f"parentId {parent_id} is not a module of course {course_id}.")
        if parent is not None and parent.parent_id is not None:
            raise Invalid(f"Module {parent_id} is a submodule; submodules cannot have submodules (two levels).")
        siblings = [int(module.ordering) for module in modules if module.parent_id == parent_id]
        ordering = data.ordering if data.ordering is not None else max(siblings, default=0) + 1
        fields = data.model_dump(exclude_none=True, exclude={"course_id", "parent_id", "ordering", "image"})
        fields.setdefault("status", DEFAULT_STATUS)
        repository = ModuleRepository(caller.tenant_id)
        module = repository.new_module(
            course_id,
            str(uuid.uuid4()),
            parent_id=parent_id,
            ordering=ordering,
            course_status=course.status,
            created_by=caller.user_id,
            created_at=utc_now(),
            image=image,
            **fields,
        )
        repository.create(module, course, parent)  # ParentGone: the course or parent changed; decide again
        count("ModuleCreated")
        return ModuleOut.model_validate(module)

    with new_image(caller.tenant_id, data.image) as image:
        return with_image_url(with_retries(attempt, f"course {course_id}", retry_on=(ParentGone,)))


def get_module(caller: Principal, module_id: str) -> ModuleOut:
    repository = ModuleRepository(caller.tenant_id)
    module = shown_alone(caller, repository, repository.get(module_id))
    if module is None:
        raise module_not_found(module_id)
    return with_image_url(ModuleOut.model_validate(module))


def list_course_modules(
    caller: Principal, course_id: str, include_submodules: bool, page: int | None, limit: int | None
) -> CourseModules:
    """The course's top-level modules in order, with their submodules nested when asked, from the
    caller's view of the course's tree (one request while it is current); a page of them when
    one is asked for."""
    tree = course_tree.tree_of(caller, course_id)

    def summary(module: dict[str, Any]) -> ModuleSummary:
        return ModuleSummary.model_validate({**module, "courseId": course_id})

    top_level = page_or_all(tree["modules"], page, limit)
    count = len(tree["modules"])
    if not include_submodules:
        return CourseModules(count=count, modules=[summary(module) for module in top_level])
    return CourseModules(
        count=count,
        modules=[
            ModuleWithSubmodules(
                **summary(module).model_dump(), sub_modules=[summary(sub) for sub in module["subModules"]]
            )
            for module in top_level
        ],
    )


def in_tree(caller: Principal, module_id: str) -> tuple[str, dict[str, Any]]:
    """The module's course and the module as the caller's view of the course's tree shows it, with
    its lessons (and, for a top-level module, its submodules), in the tree's order: the module by
    id (one Query), then the tree (one Query while current), so a module's lists agree with the
    course's at every moment (a reorder shows in both at once). 404 when the view does not show it."""
    module = ModuleRepository(caller.tenant_id).get(module_id)
    if module is None or not learner_sees(caller, module):
        raise module_not_found(module_id)
    try:
        tree = course_tree.tree_of(caller, module.course_id)
    except NotFound:
        raise module_not_found(module_id) from None
    for top in tree["modules"]:
        for shown in (top, *top["subModules"]):
            if shown["moduleId"] == module_id:
                return module.course_id, shown
    raise module_not_found(module_id)  # a learner's, under an unpublished parent


def list_submodules(caller: Principal, module_id: str, page: int | None, limit: int | None) -> Submodules:
    """A module's submodules in order (none for a submodule: there is no third level), from the
    caller's view of its course's tree; a page of them when one is asked for."""
    course_id, module = in_tree(caller, module_id)
    subs = [ModuleSummary.model_validate({**sub, "courseId": course_id}) for sub in module.get("subModules", [])]
    return Submodules(count=len(subs), sub_modules=page_or_all(subs, page, limit))


def update_module(caller: Principal, module_id: str, changes: ModuleUpdate) -> ModuleOut:
    """Apply the fields sent; a concurrent change is re-read and merged, never lost."""
    repository = ModuleRepository(caller.tenant_id)
    sent = changes.model_dump(exclude_unset=True)

    def attempt() -> ModuleOut:
        module = repository.get(module_id)
        if module is None:
            raise module_not_found(module_id)
        previous_image, previous_ordering = module.image, module.ordering
        apply_changes(module, sent, caller, dates_in_order)
        repository.save(module, reordered=module.ordering != previous_ordering)
        if module.image != previous_image:
            discard_image(previous_image)
        return ModuleOut.model_validate(module)

    with sent_image(caller.tenant_id, sent):
        return with_image_url(with_retries(attempt, "module"))


def delete_module(caller: Principal, module_id: str) -> MessageResult:
    """Remove the module, its submodules and their lesson links; lessons themselves stay."""
    repository = ModuleRepository(caller.tenant_id)

    def attempt() -> None:
        module = repository.get(module_id)
        if module is None or not repository.delete(
            module_id, CourseRepository(caller.tenant_id).get_structure(module.course_id)
        ):
            raise module_not_found(module_id)

    with_retries(attempt, "module")
    count("ModuleDeleted")
    return MessageResult(message="Module deleted successfully")
