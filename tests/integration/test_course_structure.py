"""The course builder's reorder (`PUT /api/courses/{id}/structure`), on both engines: the whole order
in one call, refused whole (400 naming the culprit, 409 for a stale structureVersion) or applied
whole, past the 100-item transaction limit, with no reader seeing it half done, and a reorder cut
off part-way finished by the next reader."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bench.latency import Tenant, seed_course
from bench.seeding import Seeder
from shared.auth import Principal, Role
from shared.errors import Conflict
from shared.repository import base, structure
from shared.repository.items import TreeHead
from shared.repository.metering import RequestCounter
from shared.repository.trees import TreeRepository
from shared.schemas.courses import CourseStructure
from shared.schemas.lessons import LessonLinkCreate
from shared.services import course_structure, course_tree, lessons
from tests.support.api import Api


def order_of(tree: dict[str, Any]) -> dict[str, Any]:
    """A tree's order, as the structure body gives it."""
    return {
        "modules": [
            {
                "moduleId": module["moduleId"],
                "lessons": [lesson["lessonId"] for lesson in module["lessons"]],
                "subModules": [
                    {"moduleId": sub["moduleId"], "lessons": [lesson["lessonId"] for lesson in sub["lessons"]]}
                    for sub in module["subModules"]
                ],
            }
            for module in tree["modules"]
        ],
        "lessons": [lesson["lessonId"] for lesson in tree["lessons"]],
    }


@pytest.fixture
def course(api: Api) -> dict[str, Any]:
    """A published course: modules A (lessons a1, a2; submodule S with s1) and B (b1), and the
    course-level lesson c1; a2's link is free and not counted."""
    course_id = api.create_course(status="published")["courseId"]
    a = api.create_module(course_id, title="A", ordering=1)["moduleId"]
    s = api.create_module(course_id, title="S", parentId=a)["moduleId"]
    b = api.create_module(course_id, title="B", ordering=2)["moduleId"]
    lessons = {name: api.create_lesson(title=name)["lessonId"] for name in ("a1", "a2", "s1", "b1", "c1")}
    for name, module, settings in (
        ("a1", a, {}),
        ("a2", a, {"freeLesson": True, "considerForPassing": False}),
        ("s1", s, {}),
        ("b1", b, {}),
        ("c1", None, {}),
    ):
        api.add_lesson(course_id, module, lessons[name], **settings)
    return {"id": course_id, "A": a, "S": s, "B": b, **lessons}


def put_structure(api: Api, course_id: str, body: dict[str, Any]) -> Any:
    return api.call("PUT", f"/api/courses/{course_id}/structure", json_body=body)


def test_a_reorder_moves_modules_and_links_in_one_call(api: Api, course: dict[str, Any]) -> None:
    before = api.call("GET", f"/api/courses/{course['id']}/details").result
    assert before["structureVersion"] == "8"  # 3 modules and 5 links added
    # B first, with a2 moved into it and S made its submodule; A keeps a1; s1 moves to the course.
    body = {
        "structureVersion": before["structureVersion"],
        "modules": [
            {"moduleId": course["B"], "lessons": [course["a2"], course["b1"]], "subModules": [
                {"moduleId": course["S"], "lessons": []},
            ]},
            {"moduleId": course["A"], "lessons": [course["a1"]]},
        ],
        "lessons": [course["s1"], course["c1"]],
    }  # fmt: skip

    answer = put_structure(api, course["id"], body)

    assert answer.status == 200, answer.body
    assert answer.body["id"] == "api.course.structure.update"
    tree = answer.result
    assert order_of(tree) == {key: value for key, value in body.items() if key != "structureVersion"} | {
        "modules": [
            {"moduleId": course["B"], "lessons": [course["a2"], course["b1"]],
             "subModules": [{"moduleId": course["S"], "lessons": []}]},
            {"moduleId": course["A"], "lessons": [course["a1"]], "subModules": []},
        ]
    }  # fmt: skip
    assert tree["structureVersion"] == "9"
    assert [module["ordering"] for module in tree["modules"]] == [1, 2]
    moved = tree["modules"][0]["lessons"][0]
    assert (moved["freeLesson"], moved["considerForPassing"]) == (True, False)  # the link's settings kept
    # Every read shows the new order at once: details, the course's and the modules' lists.
    assert api.call("GET", f"/api/courses/{course['id']}/details").result == tree
    lessons = api.call("GET", f"/api/modules/{course['B']}/lessons").result["lessons"]
    assert [lesson["lessonId"] for lesson in lessons] == [course["a2"], course["b1"]]
    subs = api.call("GET", f"/api/modules/{course['B']}/submodules").result["subModules"]
    assert [sub["moduleId"] for sub in subs] == [course["S"]]
    assert api.call("GET", f"/api/modules/{course['A']}/submodules").result["count"] == 0
    module = api.call("GET", f"/api/modules/{course['S']}").result
    assert (module["parentId"], module["ordering"]) == (course["B"], 1)
    # A moved link is usable where it now sits: a learner opens the free lesson in B.
    learner = api.as_("learner")
    assert learner.call("GET", f"/api/lessons/{course['a2']}").status == 200
    started = learner.call("POST", f"/api/lessons/{course['a2']}/tracking", json_body={"courseId": course["id"]})
    assert started.status == 201, started.body
    # The old place no longer holds it: removing it from A is 404, from B works.
    assert api.call("DELETE", f"/api/courses/{course['id']}/modules/{course['A']}/lessons/{course['a2']}").status == 404
    assert api.call("DELETE", f"/api/courses/{course['id']}/modules/{course['B']}/lessons/{course['a2']}").status == 200


def test_the_same_order_again_changes_nothing_not_even_the_version(api: Api, course: dict[str, Any]) -> None:
    tree = api.call("GET", f"/api/courses/{course['id']}/details").result
    with RequestCounter() as counter:
        again = put_structure(api, course["id"], order_of(tree))
    assert again.status == 200, again.body
    assert again.result == tree
    # The head with the staff view, then the structure: nothing to move, nothing written, so
    # another builder's structureVersion stays good.
    assert counter.operations == ["Query", "Query"]
    assert (
        put_structure(api, course["id"], {**order_of(tree), "structureVersion": tree["structureVersion"]}).status == 200
    )
    empty = api.create_course()["courseId"]
    assert put_structure(api, empty, {}).result["structureVersion"] == "0"


def test_a_stale_structure_version_is_409_and_an_edit_of_content_keeps_it(api: Api, course: dict[str, Any]) -> None:
    tree = api.call("GET", f"/api/courses/{course['id']}/details").result
    retitled = api.call("PUT", f"/api/modules/{course['A']}", json_body={"title": "A, renamed"})
    assert retitled.status == 200
    unchanged = api.call("GET", f"/api/courses/{course['id']}/details").result
    assert unchanged["structureVersion"] == tree["structureVersion"]  # not a change of order
    api.create_module(course["id"], title="C")  # a change of order
    assert (
        api.call("GET", f"/api/courses/{course['id']}/details").result["structureVersion"] != tree["structureVersion"]
    )
    body = {**order_of(tree), "structureVersion": tree["structureVersion"]}
    with RequestCounter() as counter:
        stale = put_structure(api, course["id"], body)
    assert (stale.status, stale.err) == (409, "CONFLICT")
    assert "read its details again" in stale.errmsg
    assert counter.writes_carried_out == []


def swap(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**order, **changes}


REFUSALS = {
    "unknown module": (lambda c, o: swap(o, modules=[*o["modules"], {"moduleId": str(uuid.uuid4())}]),
                       "is not a module of course"),
    "repeated module": (lambda c, o: swap(o, modules=[*o["modules"], {"moduleId": c["B"]}]), "named 2 times"),
    "missing module": (lambda c, o: swap(o, modules=[m for m in o["modules"] if m["moduleId"] != c["B"]]),
                       "is missing"),
    "third level": (lambda c, o: swap(o, modules=[{**o["modules"][0], "subModules": [
        {"moduleId": c["S"], "lessons": [c["s1"]], "subModules": []}]}, *o["modules"][1:]]), "no third"),
    "unknown lesson": (lambda c, o: swap(o, lessons=[*o["lessons"], str(uuid.uuid4())]), "is not in course"),
    "repeated lesson": (lambda c, o: swap(o, lessons=[c["c1"], c["c1"]]), "named 2 times"),
    "lesson placed twice": (lambda c, o: swap(o, lessons=[c["c1"], c["a1"]]), "placed 2 times"),
    "missing lesson": (lambda c, o: swap(o, lessons=[]), "is missing"),
}  # fmt: skip


@pytest.mark.parametrize("refusal", REFUSALS)
def test_an_order_that_is_not_the_courses_whole_is_refused_whole(
    api: Api, course: dict[str, Any], refusal: str
) -> None:
    tree = api.call("GET", f"/api/courses/{course['id']}/details").result
    change, says = REFUSALS[refusal]
    with RequestCounter() as counter:
        answer = put_structure(api, course["id"], change(course, order_of(tree)))
    assert (answer.status, answer.err) == (400, "INVALID_REQUEST"), answer.body
    assert says in answer.errmsg
    assert counter.writes_carried_out == []
    assert api.call("GET", f"/api/courses/{course['id']}/details").result == tree


def test_another_courses_module_or_lesson_is_refused_and_named(api: Api, course: dict[str, Any]) -> None:
    other = api.create_course()["courseId"]
    foreign = api.create_module(other, title="Elsewhere")["moduleId"]
    order = order_of(api.call("GET", f"/api/courses/{course['id']}/details").result)
    answer = put_structure(api, course["id"], swap(order, modules=[*order["modules"], {"moduleId": foreign}]))
    assert answer.status == 400
    assert f"belongs to course {other}" in answer.errmsg
    # Another tenant's caller finds no such course.
    outsider = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")
    assert put_structure(outsider, course["id"], order).status == 404
    assert put_structure(api.as_("learner"), course["id"], order).status == 403


@contextmanager
def between_transactions(hook: Any) -> Iterator[list[Any]]:
    """Calls `hook()` after each of a reorder's moving transactions commits (and records what it
    returns)."""
    seen: list[Any] = []
    real = base.transaction

    @contextmanager
    def observed() -> Iterator[Any]:
        with real() as writes:
            yield writes
        seen.append(hook())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(structure, "transaction", observed)
        yield seen


def test_a_reorder_of_1000_links_is_all_or_nothing_past_the_transaction_limit(api: Api) -> None:
    tenant = Tenant(api.tenant)
    with Seeder(api.tenant) as seeder:
        course_id = seed_course(tenant, 20, 50, seeder)
    tree = api.call("GET", f"/api/courses/{course_id}/details").result
    order = order_of(tree)
    # Every module's lessons reversed, the modules reversed, and the first lesson of each module
    # moved to the next one: 1,000 links placed again, 20 of them moved.
    modules = [dict(module, lessons=list(reversed(module["lessons"]))) for module in reversed(order["modules"])]
    for index, module in enumerate(modules):
        module["lessons"].append(modules[index - 1]["lessons"].pop(0))
    wanted = {"modules": modules, "lessons": []}
    staff = Principal(user_id=api.user, tenant_id=api.tenant, roles=frozenset({Role.ADMIN}))

    def read_order() -> dict[str, Any]:
        return order_of(course_tree.tree_of(staff, course_id))

    with between_transactions(read_order) as seen:
        answer = put_structure(api, course_id, wanted)

    assert answer.status == 200, answer.body
    assert len(seen) > 10  # past one transaction many times over
    assert all(order == order_of(tree) for order in seen)  # every read in between: the old order whole
    assert order_of(answer.result) == wanted
    assert order_of(api.call("GET", f"/api/courses/{course_id}/details").result) == wanted
    for module in wanted["modules"][:3]:
        listed = api.call("GET", f"/api/modules/{module['moduleId']}/lessons").result["lessons"]
        assert [lesson["lessonId"] for lesson in listed] == module["lessons"]


def test_writes_to_the_course_wait_for_a_reorder_and_a_concurrent_one_gets_409(
    api: Api, course: dict[str, Any]
) -> None:
    tree = api.call("GET", f"/api/courses/{course['id']}/details").result
    order = order_of(tree)
    reversed_order = swap(order, modules=list(reversed(order["modules"])))
    staff = Principal(user_id=api.user, tenant_id=api.tenant, roles=frozenset({Role.ADMIN}))
    refused: list[str] = []

    def meanwhile() -> None:
        """While the reorder is applied (its function busy): another reorder, and an edit of the
        course's tree, as other functions' requests would send them."""
        if refused:
            return
        for write in (
            lambda: course_structure.update_structure(staff, course["id"], CourseStructure.model_validate(order)),
            lambda: lessons.add_lesson(staff, course["id"], course["B"], LessonLinkCreate(lessonId=course["c1"])),
        ):
            with pytest.raises(Conflict) as conflict:
                write()
            refused.append(str(conflict.value))

    with between_transactions(meanwhile):
        first = put_structure(api, course["id"], reversed_order)

    assert first.status == 200, first.body
    assert "being reordered" in refused[0]
    assert "being changed by others" in refused[1]
    assert order_of(api.call("GET", f"/api/courses/{course['id']}/details").result) == reversed_order
    # Once it is done, the edit goes through, and the stale order is refused by its version.
    body = {"lessonId": course["c1"]}
    assert api.call("POST", f"/api/courses/{course['id']}/modules/{course['B']}/lessons", json_body=body).status == 201
    stale = put_structure(api, course["id"], {**order, "structureVersion": tree["structureVersion"]})
    assert stale.status == 409


def test_a_reorder_cut_off_part_way_is_finished_by_the_next_reader(
    api: Api, course: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = api.call("GET", f"/api/courses/{course['id']}/details").result
    order = order_of(tree)
    wanted = swap(order, modules=list(reversed(order["modules"])), lessons=order["lessons"])

    def crash() -> None:
        raise SystemExit("the function died here")  # not an Exception: nothing catches it

    monkeypatch.setattr(structure, "TRANSACTION_LIMIT", 3)  # one step a transaction: several of them
    with between_transactions(crash), pytest.raises(SystemExit):
        put_structure(api, course["id"], wanted)
    monkeypatch.undo()

    # Pinned: readers get the order from before, writers are held off.
    assert order_of(api.call("GET", f"/api/courses/{course['id']}/details").result) == order
    assert api.call("PUT", f"/api/modules/{course['A']}", json_body={"ordering": 9}).status == 409
    # Once the pin is older than a reorder ever takes, the next read finishes the plan.
    trees = TreeRepository(api.tenant)
    head = trees.read_head(course["id"])
    assert head is not None
    assert head.reordering
    head.update(actions=[TreeHead.reordering_since.set("2000-01-01T00:00:00Z")])
    finished = api.call("GET", f"/api/courses/{course['id']}/details").result
    assert order_of(finished) == wanted
    assert int(finished["structureVersion"]) == int(tree["structureVersion"]) + 1
    after = trees.read_head(course["id"])
    assert after is not None
    assert after.reordering is None
    assert trees.read_plan(course["id"]) is None
    assert api.call("PUT", f"/api/modules/{course['A']}", json_body={"ordering": 9}).status == 200


def test_tree_documents_stored_before_structure_versions_are_built_again_at_their_first_read(
    api: Api, course: dict[str, Any]
) -> None:
    api.call("GET", f"/api/courses/{course['id']}/details")
    head = TreeRepository(api.tenant).read_head(course["id"])
    assert head is not None
    # As the version before issue 16 stored them: no shape, no structure counter, no structureVersion.
    head.update(actions=[TreeHead.shape.remove(), TreeHead.structure.remove()])

    with RequestCounter() as counter:
        tree = api.call("GET", f"/api/courses/{course['id']}/details").result
    assert counter.operations == ["Query", "Query", "TransactWriteItems"]  # stale: built and stored
    assert tree["structureVersion"] == "0"  # counted from here on
    with RequestCounter() as counter:
        assert api.call("GET", f"/api/courses/{course['id']}/details").result == tree
    assert counter.operations == ["Query"]
    assert put_structure(api, course["id"], {**order_of(tree), "structureVersion": "0"}).status == 200
