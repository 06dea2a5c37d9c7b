"""Modules and submodules, stored in their course's item collection.

Each module heads its own partition of LookupIndex (found by id), which also holds a copy of
each of its submodules and its lesson links (kept for its writers; its lists are read from the
course's tree since issue 16). Submodules cannot have submodules (two levels, refused deeper)."""

from collections.abc import Sequence
from typing import Any

from shared.repository.base import (
    Cancelled,
    LmsItem,
    Transaction,
    concurrent_change,
    delete_with_children,
    first_of,
    transaction,
)
from shared.repository.items import (
    CHILD_PREFIX,
    COURSE_SK,
    MODULE_HEAD,
    CourseItem,
    Keys,
    LessonLinkItem,
    ModuleFields,
    ModuleItem,
    SubmoduleEntry,
    link_pointer,
)
from shared.repository.trees import mark_changed


class ParentGone(Exception):
    """The parent module or the course disappeared (or changed status) while the module was written."""


class ModuleRepository:
    """Module storage for one tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.keys = Keys(tenant_id)

    def new_module(self, course_id: str, module_id: str, **fields: Any) -> ModuleItem:
        return ModuleItem(
            self.keys.course(course_id),
            self.keys.module_sk(module_id),
            module_id=module_id,
            course_id=course_id,
            tenant_id=self.keys.tenant_id,
            gsi2pk=self.keys.module_lookup(module_id),
            gsi2sk=MODULE_HEAD,
            **fields,
        )

    def entry_under(self, module: ModuleItem, parent_id: str) -> SubmoduleEntry:
        """The submodule's copy in its parent's partition, ordered as its parent lists it."""
        fields = {name: getattr(module, name) for name in ModuleFields.get_attributes() if name not in _KEY_ATTRIBUTES}
        return SubmoduleEntry(
            module.pk,
            self.keys.child_sk(parent_id, module.module_id),
            **fields,
            gsi2pk=self.keys.module_lookup(parent_id),
            gsi2sk=f"{CHILD_PREFIX}{int(module.ordering):010d}#{module.created_at}#{module.module_id}",
        )

    def _lookup(self, module_id: str, sort_key_condition: Any = None) -> list[LmsItem]:
        return list(LmsItem.lookup_index.query(self.keys.module_lookup(module_id), sort_key_condition))

    def get(self, module_id: str) -> ModuleItem | None:
        """The module by id: one Query of its lookup partition's head entry."""
        found = self._lookup(module_id, LmsItem.gsi2sk == MODULE_HEAD)
        return first_of(found, ModuleItem)

    def parent_of(self, module: ModuleItem) -> ModuleItem | None:
        """A submodule's parent, by GetItem under their course (None for a top-level module)."""
        if module.parent_id is None:
            return None
        try:
            return ModuleItem.get(self.keys.course(module.course_id), self.keys.module_sk(module.parent_id))
        except ModuleItem.DoesNotExist:
            return None

    def create(self, module: ModuleItem, course: CourseItem, parent: ModuleItem | None) -> None:
        """Write the module (and its copy under its parent) while the course keeps the status it
        was read with and the parent is still there; ParentGone otherwise."""
        try:
            with transaction() as writes:
                writes.save(module, condition=ModuleItem.pk.does_not_exist(), name="module")
                writes.check(
                    CourseItem,
                    (course.pk, COURSE_SK),
                    (CourseItem.pk.exists()) & (CourseItem.status == course.status),
                    name="course",
                )
                if parent is not None:
                    writes.save(self.entry_under(module, parent.module_id))
                    writes.check(
                        ModuleItem, (parent.pk, parent.sk), ModuleItem.parent_id.does_not_exist(), name="parent"
                    )
                mark_changed(writes, self.keys, module.course_id, structure=True)
        except Cancelled as cancelled:
            if cancelled.failed("course") or cancelled.failed("parent"):
                raise ParentGone(module.module_id) from cancelled
            raise concurrent_change(cancelled, module.module_id)  # noqa: B904 - chained implicitly

    def save(self, module: ModuleItem, reordered: bool) -> None:
        """Write a changed module, guarded by its version, with its copy under its parent;
        `reordered` when its `ordering` changed (the course's order did)."""
        try:
            with transaction() as writes:
                writes.save(module, name="module")
                if module.parent_id is not None:
                    writes.save(self.entry_under(module, module.parent_id))
                mark_changed(writes, self.keys, module.course_id, structure=reordered)
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, module.module_id, "module")  # noqa: B904

    def delete(self, module_id: str, collection: Sequence[LmsItem]) -> bool:
        """Remove the module, its submodules, their copies and links, and the links' pointers,
        given its course's structure (read strongly by the caller), and mark the course's tree
        changed. False if it is not there."""
        modules = [item for item in collection if isinstance(item, ModuleItem)]
        module = next((item for item in modules if item.module_id == module_id), None)
        if module is None:
            return False
        doomed = {module_id} | {item.module_id for item in modules if item.parent_id == module_id}
        children: list[LmsItem] = []
        for item in collection:
            if item is not module and isinstance(item, ModuleFields) and item.module_id in doomed:
                children.append(item)  # its submodules, and every copy of a doomed submodule
            elif isinstance(item, LessonLinkItem) and item.module_id in doomed:
                children += [item, link_pointer(self.keys, item)]

        def mark(writes: Transaction) -> None:
            mark_changed(writes, self.keys, module.course_id, structure=True)

        def mark_alone() -> None:  # children deleted in batches first: the tree shows it at once
            with transaction() as writes:
                mark(writes)

        try:
            delete_with_children(
                module, ModuleItem.pk.exists(), children, also=mark, room_for_also=1, after_batches=mark_alone
            )
        except Cancelled as cancelled:
            raise concurrent_change(cancelled, module_id, "head")  # noqa: B904 - chained implicitly
        return True


_KEY_ATTRIBUTES = {"pk", "sk", "kind", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "version"}
