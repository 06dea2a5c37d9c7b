"""Each Courses endpoint holds to its DynamoDB budget (docs/DATA-MODEL.md: Reads, Writes): a read
is one request, a write at most one read round plus one write. Counted per API call on both engines."""

import uuid

import pytest

from shared.clock import sortable_now, utc_now
from shared.repository.base import LmsItem
from shared.repository.courses import CourseRepository
from shared.repository.items import link_pointer
from shared.repository.lessons import LessonRepository
from shared.repository.metering import RequestCounter
from shared.repository.modules import ModuleRepository
from tests.support.api import Api


def requests_made(api: Api, method: str, path: str, **kwargs: object) -> tuple[int, list[str]]:
    with RequestCounter() as counter:
        response = api.call(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status < 300, response.body
    return response.status, counter.operations


def test_create_is_one_transaction(api):
    assert requests_made(api, "POST", "/api/courses", json_body={"title": "Budget"}) == (201, ["TransactWriteItems"])


def test_create_from_a_form_is_one_transaction(api):
    assert requests_made(api, "POST", "/api/courses", form={"title": "Budget"}) == (201, ["TransactWriteItems"])


def test_list_is_one_query_whatever_the_page_and_filters(api):
    for _ in range(3):
        api.create_course(status="published")

    assert requests_made(api, "GET", "/api/courses", query={"status": "published", "page": "2", "limit": "1"}) == (
        200,
        ["Query"],
    )


@pytest.mark.parametrize(("suffix", "operation"), [("", "GetItem"), ("/details", "Query")])
def test_reads_of_one_course_are_one_request(api, suffix, operation):
    course_id = api.create_course()["courseId"]
    api.call("GET", f"/api/courses/{course_id}/details")  # the tree is built by its first read

    assert requests_made(api, "GET", f"/api/courses/{course_id}{suffix}") == (200, [operation])


def test_the_first_tree_read_after_a_change_builds_it_and_stores_it(api):
    course_id = api.create_course()["courseId"]

    # The stored view and its head (stale), the course's structure, then both views stored.
    assert requests_made(api, "GET", f"/api/courses/{course_id}/details") == (
        200,
        ["Query", "Query", "TransactWriteItems"],
    )


def test_update_is_one_query_and_one_write(api):
    course_id = api.create_course()["courseId"]

    # The course, its list entries and its tree's revision change together.
    assert requests_made(api, "PUT", f"/api/courses/{course_id}", json_body={"title": "t2"}) == (
        200,
        ["Query", "TransactWriteItems"],
    )


def test_an_alias_change_is_one_read_and_one_transaction(api):
    course_id = api.create_course()["courseId"]

    assert requests_made(api, "PUT", f"/api/courses/{course_id}", json_body={"alias": f"a-{uuid.uuid4().hex[:8]}"}) == (
        200,
        ["Query", "TransactWriteItems"],
    )


def test_delete_reads_the_course_and_its_active_enrollments_then_is_one_transaction(api):
    course_id = api.create_course()["courseId"]

    assert requests_made(api, "DELETE", f"/api/courses/{course_id}") == (200, ["Query", "Query", "TransactWriteItems"])


def test_the_counter_tells_writes_carried_out_from_writes_refused(api):
    alias = f"a-{uuid.uuid4().hex[:8]}"
    course_id = api.create_course(alias=alias)["courseId"]

    with RequestCounter() as counter:
        assert api.call("POST", "/api/courses", json_body={"title": "t", "alias": alias}).status == 409
        assert api.call("PUT", f"/api/courses/{course_id}", json_body={"title": "t2"}).status == 200

    assert counter.operations == ["TransactWriteItems", "Query", "TransactWriteItems"]
    assert counter.answered == ["Query", "TransactWriteItems"]  # the first was cancelled by the alias's claim


def test_refused_requests_touch_no_table(api):
    with RequestCounter() as counter:
        assert api.as_("learner").call("POST", "/api/courses", json_body={"title": "t"}).status == 403
        assert api.call("POST", "/api/courses", json_body={}).status == 400
        assert api.call("GET", "/api/courses", token=None).status == 401

    assert counter.operations == []


# --- Modules and Lessons ---------------------------------------------------------------------


@pytest.fixture
def structure(api: Api) -> dict[str, str]:
    course_id = api.create_course(status="published")["courseId"]
    module_id = api.create_module(course_id)["moduleId"]
    lesson_id = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, module_id, lesson_id)
    return {"course": course_id, "module": module_id, "lesson": lesson_id}


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/modules/{module}", ["Query"]),
        ("GET", "/api/courses/{course}/modules?includeSubmodules=true", ["Query"]),
        # A module's lists: the module (for its course), then its course's tree.
        ("GET", "/api/modules/{module}/submodules", ["Query", "Query"]),
        ("GET", "/api/modules/{module}/lessons", ["Query", "Query"]),
        ("GET", "/api/courses/{course}/lessons", ["Query"]),
        ("GET", "/api/lessons/{lesson}", ["Query"]),
        ("GET", "/api/courses/{course}/details", ["Query"]),
    ],
)
def test_every_read_of_the_structure_is_one_request_or_two(api, structure, method, path, expected):
    url, _, query = path.format(**structure).partition("?")
    api.call("GET", f"/api/courses/{structure['course']}/details")  # the tree is built by its first read

    assert requests_made(api, method, url, query=dict([query.split("=")]) if query else None) == (200, expected)


def test_structure_writes_are_one_read_and_one_write(api, structure):
    course, module, lesson = structure["course"], structure["module"], structure["lesson"]
    other_lesson = api.create_lesson()["lessonId"]

    assert requests_made(
        api, "POST", "/api/modules", json_body={"courseId": course, "title": "m", "parentId": module}
    ) == (
        201,
        ["Query", "TransactWriteItems"],
    )
    assert requests_made(api, "PUT", f"/api/modules/{module}", json_body={"title": "m2"}) == (
        200,
        ["Query", "TransactWriteItems"],
    )
    assert requests_made(api, "POST", "/api/lessons", json_body={"title": "l", "format": "video"}) == (201, ["PutItem"])
    assert requests_made(api, "PUT", f"/api/lessons/{lesson}", json_body={"title": "l2"}) == (
        200,
        ["Query", "TransactWriteItems"],
    )
    assert requests_made(
        api, "POST", f"/api/courses/{course}/modules/null/lessons", json_body={"lessonId": other_lesson}
    ) == (
        201,
        ["BatchGetItem", "TransactWriteItems"],
    )
    assert requests_made(api, "DELETE", f"/api/courses/{course}/modules/null/lessons/{other_lesson}") == (
        200,
        ["TransactWriteItems"],
    )
    assert requests_made(api, "DELETE", f"/api/lessons/{other_lesson}") == (200, ["Query", "TransactWriteItems"])


def test_a_course_status_change_is_one_read_and_one_transaction_with_its_modules(api, structure):
    assert requests_made(api, "PUT", f"/api/courses/{structure['course']}", json_body={"status": "archived"}) == (
        200,
        ["Query", "TransactWriteItems"],
    )


def test_a_module_delete_reads_the_module_then_its_course(api, structure):
    # Fan-out (docs/DATA-MODEL.md): the module's course is found first, then its collection is read.
    assert requests_made(api, "DELETE", f"/api/modules/{structure['module']}") == (
        200,
        ["Query", "Query", "TransactWriteItems"],
    )


def test_a_course_delete_past_one_transaction_deletes_the_rest_in_batches_first(api):
    course_id = api.create_course()["courseId"]
    lesson_ids = [api.create_lesson()["lessonId"] for _ in range(30)]
    modules = [api.create_module(course_id)["moduleId"] for _ in range(20)]
    for lesson_id in lesson_ids:
        api.add_lesson(course_id, None, lesson_id)
        api.add_lesson(course_id, modules[0], lesson_id)
    # course + 20 modules + 60 links + the tree's head in the collection; with the alias claim and
    # 60 pointers: 142 deletes. The course's 8 list entries and their counters take 16 more writes,
    # in the last transaction, with the course and 83 others: 59 go first in batches of 25.

    status, operations = requests_made(api, "DELETE", f"/api/courses/{course_id}")

    assert (status, operations) == (
        200,
        ["Query", "Query", "BatchWriteItem", "BatchWriteItem", "BatchWriteItem", "TransactWriteItems"],
    )
    assert CourseRepository(api.tenant).get_collection(course_id) == []
    for lesson_id in lesson_ids[:3]:
        assert api.call("PUT", f"/api/lessons/{lesson_id}", json_body={"title": "still here"}).status == 200


def test_a_lesson_linked_past_one_transaction_refreshes_every_copy(api):
    """120 links: the lesson and 98 copies in one transaction, the other 22 in a second."""
    course_id = api.create_course(status="published")["courseId"]
    lesson = api.create_lesson(title="Before")
    keys, lessons = CourseRepository(api.tenant).keys, LessonRepository(api.tenant)
    stored = lessons.get_partition(lesson["lessonId"]).lesson
    assert stored is not None
    with LmsItem.batch_write() as batch:
        for index in range(120):
            module = ModuleRepository(api.tenant).new_module(
                course_id, str(uuid.uuid4()), title=f"M{index}", ordering=index, status="published",
                course_status="published", created_by=api.user, created_at=utc_now(),
            )  # fmt: skip
            link = lessons.new_link(
                stored, course_id, module.module_id, sortable_now(), created_by=api.user, created_at=utc_now()
            )
            for item in (module, link, link_pointer(keys, link)):
                batch.save(item)

    status, operations = requests_made(api, "PUT", f"/api/lessons/{lesson['lessonId']}", json_body={"title": "After"})

    assert (status, operations) == (200, ["Query", "TransactWriteItems", "TransactWriteItems"])
    titles = [entry["title"] for entry in api.call("GET", f"/api/courses/{course_id}/lessons").result["lessons"]]
    assert titles == ["After"] * 120
