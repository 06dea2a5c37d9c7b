"""A course's order rewritten in one go (`PUT /api/courses/{courseId}/structure`): the writes that
take its modules and links from where they are to where an order puts them, applied while the
course's tree is pinned (shared/repository/trees.py), so readers keep the tree from before until
the last transaction shows the new one whole.

An order is `{"modules": [{"moduleId", "lessons": [...], "subModules": [{"moduleId", "lessons"}]}],
"lessons": [...]}`: every module and link of the course once, position giving the order. The
writes are worked out from the structure as it is, so applying an order again (after a failure
part-way) writes only what is still to do."""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.repository.base import (
    TRANSACTION_LIMIT,
    Cancelled,
    ConcurrentModification,
    LmsItem,
    Transaction,
    transaction,
)
from shared.repository.items import Keys, LessonLinkItem, ModuleItem, link_pointer
from shared.repository.lessons import placed_again
from shared.repository.modules import ModuleRepository
from shared.repository.trees import TreeRepository

type Write = Callable[[Transaction], None]
type Place = str | None  # a module's id, or None for the course itself


@dataclass(frozen=True)
class Step:
    """Writes that go in one transaction together (a link's move: the link and its pointer, out
    of one place and into another), and how many they are."""

    writes: Sequence[Write]

    def __len__(self) -> int:
        return len(self.writes)


class PinLost(Exception):
    """Another reorder took the course's pin over: this one stops."""


def places_of(order: dict[str, Any]) -> list[tuple[Place, Place, list[str]]]:
    """Each place of an order in tree order, as (place, its parent, its lessons): the course,
    then each module followed by its submodules."""
    places: list[tuple[Place, Place, list[str]]] = [(None, None, order["lessons"])]
    for module in order["modules"]:
        places.append((module["moduleId"], None, module["lessons"]))
        places += [(sub["moduleId"], module["moduleId"], sub["lessons"]) for sub in module["subModules"]]
    return places


def steps_to(keys: Keys, items: Sequence[LmsItem], order: dict[str, Any], by: str, at: str, stamp: str) -> list[Step]:
    """The writes that give the structure `items` the (validated) `order`: each module whose
    parent or place among its siblings changes, with its copy under its parent; and, in each place
    whose lessons change, every link placed again at `stamp` plus its index (a link from another
    place moved: deleted there and written here, with its pointer). None when it has the order."""
    repository = ModuleRepository(keys.tenant_id)
    places = places_of(order)
    changes = _changes(items, places)
    steps = [_module_moved(repository, module, parent, place, by, at) for module, parent, place in changes.modules]
    leaving = _links_leaving(changes.links, places)
    for place, lessons in changes.places:
        staying = {link.lesson_id: link for link in changes.links[place]}
        for index, lesson_id in enumerate(lessons):
            position = f"{stamp}{index:06d}"
            if lesson_id in staying:
                steps.append(Step([_placed_at(staying[lesson_id], position)]))
            else:
                steps.append(_link_moved(keys, leaving[lesson_id].pop(0), place, position))
    return steps


def in_order(items: Sequence[LmsItem], order: dict[str, Any]) -> bool:
    """Whether the structure `items` has the (validated) `order` already: nothing to write."""
    changes = _changes(items, places_of(order))
    return not changes.modules and not changes.places


@dataclass(frozen=True)
class _Changes:
    """What differs between a structure and an order: the modules out of place (with the parent
    and the place among its siblings the order gives), and the places whose lessons change."""

    links: dict[Place, list[LessonLinkItem]]
    modules: list[tuple[ModuleItem, Place, int]]
    places: list[tuple[Place, list[str]]]


def _changes(items: Sequence[LmsItem], places: list[tuple[Place, Place, list[str]]]) -> _Changes:
    modules = {item.module_id: item for item in items if isinstance(item, ModuleItem)}
    links: dict[Place, list[LessonLinkItem]] = defaultdict(list)
    for item in items:
        if isinstance(item, LessonLinkItem):
            links[item.module_id].append(item)
    moved: list[tuple[ModuleItem, Place, int]] = []
    siblings: dict[Place, int] = defaultdict(int)
    for place, parent, _ in places:
        if place is None:
            continue
        siblings[parent] += 1
        module = modules[place]
        if module.parent_id != parent or int(module.ordering) != siblings[parent]:
            moved.append((module, parent, siblings[parent]))
    relinked = [
        (place, lessons)
        for place, _, lessons in places
        if [link.lesson_id for link in sorted(links[place], key=lambda link: link.position)] != lessons
    ]
    return _Changes(links, moved, relinked)


def apply(trees: TreeRepository, course_id: str, token: str, steps: Sequence[Step]) -> None:
    """The steps, as many to a transaction as fit, each transaction requiring the pin `token`
    still held: PinLost when it is not, ConcurrentModification when an item changed meanwhile."""
    room = TRANSACTION_LIMIT - 1  # the pin's check
    chunks: list[list[Step]] = []
    for step in steps:
        if chunks and sum(map(len, chunks[-1])) + len(step) <= room:
            chunks[-1].append(step)
        else:
            chunks.append([step])
    for chunk in chunks:
        try:
            with transaction() as writes:
                trees.still_pinned(writes, course_id, token)
                for step in chunk:
                    for write in step.writes:
                        write(writes)
        except Cancelled as cancelled:
            if cancelled.failed("pin"):
                raise PinLost(course_id) from cancelled
            raise ConcurrentModification(course_id) from cancelled


def _links_leaving(
    links: dict[Place, list[LessonLinkItem]], places: list[tuple[Place, Place, list[str]]]
) -> dict[str, list[LessonLinkItem]]:
    """Per lesson, its links in places the order no longer puts it, in tree order."""
    wanted = {(place, lesson_id) for place, _, lessons in places for lesson_id in lessons}
    leaving: dict[str, list[LessonLinkItem]] = defaultdict(list)
    for place, _, _ in places:
        for link in sorted(links[place], key=lambda link: link.position):
            if (place, link.lesson_id) not in wanted:
                leaving[link.lesson_id].append(link)
    return leaving


def _module_moved(
    repository: ModuleRepository, module: ModuleItem, parent: Place, ordering: int, by: str, at: str
) -> Step:
    """The module at its new place (guarded by its version), its copy out of its old parent's
    partition and into its new one's."""
    old_parent = module.parent_id
    copy_before = repository.entry_under(module, old_parent) if old_parent else None
    module.parent_id, module.ordering, module.updated_by, module.updated_at = parent, ordering, by, at
    writes: list[Write] = [lambda writes: writes.save(module)]
    if copy_before is not None and old_parent != parent:
        writes.append(lambda writes: writes.delete(copy_before))
    if parent is not None:
        copy = repository.entry_under(module, parent)
        writes.append(lambda writes: writes.save(copy))
    return Step(writes)


def _placed_at(link: LessonLinkItem, position: str) -> Write:
    """The link at a new position in its place (and in its module's lookup partition)."""
    actions = [LessonLinkItem.position.set(position)]
    if link.module_id is not None:
        actions.append(LessonLinkItem.gsi2sk.set(placed_again(link, link.module_id, position).gsi2sk))
    return lambda writes: writes.update(link, actions, condition=LessonLinkItem.pk.exists(), versioned=False)


def _link_moved(keys: Keys, link: LessonLinkItem, place: Place, position: str) -> Step:
    """The link out of its place and into `place`, settings kept, with its pointer: one step."""
    moved = placed_again(link, place, position)
    return Step(
        [
            lambda writes: writes.delete(link, condition=LessonLinkItem.pk.exists()),
            lambda writes: writes.delete(link_pointer(keys, link)),
            lambda writes: writes.save(moved, condition=LessonLinkItem.pk.does_not_exist()),
            lambda writes: writes.save(link_pointer(keys, moved)),
        ]
    )
