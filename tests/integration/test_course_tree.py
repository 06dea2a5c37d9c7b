"""The course details tree: built from one Query, in order, learners seeing published parts only,
and always showing each lesson as it is now."""

import base64
import gzip
import json
import os
import uuid

import pytest

from local import apigw
from shared.clock import sortable_now, utc_now
from shared.repository.base import LmsItem
from shared.repository.courses import CourseRepository
from shared.repository.items import CourseItem, link_pointer
from shared.repository.lessons import LessonRepository
from shared.repository.metering import RequestCounter
from shared.repository.modules import ModuleRepository
from shared.repository.trees import TreeRepository
from shared.services import course_tree
from tests.support.api import Api

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def random_letters(length: int) -> str:
    return base64.b64encode(os.urandom(length)).decode()[:length]


def tree_shape(details: dict) -> list:
    """(module, [(submodule, [lessons])], [lessons]) titles, and the course-level lessons."""
    modules = [
        (
            module["title"],
            [(sub["title"], [lesson["title"] for lesson in sub["lessons"]]) for sub in module["subModules"]],
            [lesson["title"] for lesson in module["lessons"]],
        )
        for module in details["modules"]
    ]
    return [modules, [lesson["title"] for lesson in details["lessons"]]]


@pytest.fixture
def course(api: Api) -> dict:
    """A published course: two modules (the first with two submodules), lessons at every level."""
    course_id = api.create_course(status="published")["courseId"]
    second = api.create_module(course_id, title="M2", ordering=2)
    first = api.create_module(course_id, title="M1", ordering=1)
    sub_b = api.create_module(course_id, title="M1.2", parentId=first["moduleId"], ordering=2)
    sub_a = api.create_module(course_id, title="M1.1", parentId=first["moduleId"], ordering=1)
    hidden = api.create_module(course_id, title="Hidden", ordering=3, status="unpublished")
    lessons = {
        title: api.create_lesson(title=title)["lessonId"]
        for title in ("L0", "L1", "L1.1a", "L1.1b", "L2", "LH", "Draft")
    }
    api.add_lesson(course_id, None, lessons["L0"])
    api.add_lesson(course_id, first["moduleId"], lessons["L1"])
    api.add_lesson(course_id, sub_a["moduleId"], lessons["L1.1a"])
    api.add_lesson(course_id, sub_a["moduleId"], lessons["L1.1b"], status="unpublished")
    api.add_lesson(course_id, second["moduleId"], lessons["L2"])
    api.add_lesson(course_id, hidden["moduleId"], lessons["LH"])
    api.add_lesson(course_id, None, lessons["Draft"])
    api.call("PUT", f"/api/lessons/{lessons['Draft']}", json_body={"status": "unpublished"})
    return {"id": course_id, "lessons": lessons, "first": first, "sub_a": sub_a, "sub_b": sub_b, "hidden": hidden}


def test_the_tree_has_modules_in_order_with_submodules_and_lessons_at_every_level(api, course):
    response = api.call("GET", f"/api/courses/{course['id']}/details")

    assert response.status == 200
    assert tree_shape(response.result) == [
        [
            ("M1", [("M1.1", ["L1.1a", "L1.1b"]), ("M1.2", [])], ["L1"]),
            ("M2", [], ["L2"]),
            ("Hidden", [], ["LH"]),
        ],
        ["L0", "Draft"],
    ]
    lesson = response.result["modules"][0]["lessons"][0]
    assert set(lesson) >= {
        "lessonId",
        "title",
        "description",
        "format",
        "status",
        "totalMarks",
        "passingMarks",
        "mediaContent",
    }
    assert response.result["modules"][0]["subModules"][0]["parentId"] == course["first"]["moduleId"]


def test_learners_see_only_published_modules_links_and_lessons(api, course):
    response = api.as_("learner").call("GET", f"/api/courses/{course['id']}/details")

    assert tree_shape(response.result) == [
        [("M1", [("M1.1", ["L1.1a"]), ("M1.2", [])], ["L1"]), ("M2", [], ["L2"])],
        ["L0"],
    ]


def test_a_lesson_update_shows_in_the_tree_at_once(api, course):
    api.call("PUT", f"/api/lessons/{course['lessons']['L1.1a']}", json_body={"title": "Renamed", "totalMarks": 5})

    tree = api.call("GET", f"/api/courses/{course['id']}/details").result

    renamed = tree["modules"][0]["subModules"][0]["lessons"][0]
    assert (renamed["title"], renamed["totalMarks"]) == ("Renamed", 5)


def test_the_tree_is_built_once_after_a_change_then_read_in_one_query(api, course):
    with RequestCounter() as first:
        built = api.call("GET", f"/api/courses/{course['id']}/details")
    with RequestCounter() as second:
        stored = api.call("GET", f"/api/courses/{course['id']}/details")

    # Built from the course's structure and stored (both views), then read as stored.
    assert first.operations == ["Query", "Query", "TransactWriteItems"]
    assert second.operations == ["Query"]
    assert (built.status, stored.status) == (200, 200)
    assert stored.result == built.result
    assert stored.headers["Vary"] == "Accept-Encoding"
    head = TreeRepository(api.tenant).read_head(course["id"])
    assert head is not None
    assert (head.built, head.staff_parts, head.learner_parts, head.shown_to_learners) == (head.revision, 1, 1, True)


def test_learners_read_their_own_view_in_one_query(api, course):
    learner = api.as_("learner")
    api.call("GET", f"/api/courses/{course['id']}/details")  # builds both views

    with RequestCounter() as counter:
        tree = learner.call("GET", f"/api/courses/{course['id']}/details").result

    assert counter.operations == ["Query"]
    assert tree_shape(tree)[1] == ["L0"]


def test_a_course_not_published_is_404_to_learners_whether_or_not_its_tree_is_built(api):
    course_id = api.create_course(status="draft")["courseId"]
    learner = api.as_("learner")

    assert learner.call("GET", f"/api/courses/{course_id}/details").status == 404  # built now
    with RequestCounter() as counter:
        again = learner.call("GET", f"/api/courses/{course_id}/details")
    assert (again.status, again.err, counter.operations) == (404, "RESOURCE_NOT_FOUND", ["Query"])
    assert api.call("GET", f"/api/courses/{course_id}/details").status == 200
    assert learner.call("GET", f"/api/courses/{uuid.uuid4()}/details").status == 404


def test_gzip_is_sent_to_a_client_that_takes_it(api, course):
    plain = api.call("GET", f"/api/courses/{course['id']}/details")
    for accepted in ("gzip", "br;q=1.0, gzip;q=0.8", "*"):
        function, event = api.event(
            "GET", f"/api/courses/{course['id']}/details", headers={"accept-encoding": accepted}
        )
        response = api.host.invoke(function, event)
        status, headers, raw = apigw.response_parts(response)

        assert (status, headers["Content-Encoding"], response["isBase64Encoded"]) == (200, "gzip", True)
        body = json.loads(gzip.decompress(raw))
        assert body["result"] == plain.result
        assert list(body) == ["id", "ver", "ts", "params", "responseCode", "result"]
        assert (body["id"], body["responseCode"], body["params"]["status"]) == ("api.course.details", 200, "successful")
    for refused in ("identity", "gzip;q=0", "*;q=0", "deflate"):
        function, event = api.event("GET", f"/api/courses/{course['id']}/details", headers={"accept-encoding": refused})
        status, headers, raw = apigw.response_parts(api.host.invoke(function, event))
        assert "Content-Encoding" not in headers
        assert json.loads(raw)["result"] == plain.result


def learner_titles(api: Api, course_id: str) -> list[str]:
    tree = api.as_("learner").call("GET", f"/api/courses/{course_id}/details").result
    return [module["title"] for module in tree["modules"]]


WRITES = {
    "course update": lambda api, c: api.call("PUT", f"/api/courses/{c['id']}", json_body={"title": "Renamed course"}),
    "course unpublished": lambda api, c: api.call("PUT", f"/api/courses/{c['id']}", json_body={"status": "draft"}),
    "module created": lambda api, c: api.create_module(c["id"], title="M3", ordering=4),
    "submodule created": lambda api, c: api.create_module(c["id"], title="M1.3", parentId=c["first"]["moduleId"]),
    "module updated": lambda api, c: api.call("PUT", f"/api/modules/{c['first']['moduleId']}", json_body={"title": "M1!"}),
    "module deleted": lambda api, c: api.call("DELETE", f"/api/modules/{c['first']['moduleId']}"),
    "lesson linked": lambda api, c: api.add_lesson(c["id"], c["sub_b"]["moduleId"], api.create_lesson(title="New")["lessonId"]),
    "link removed": lambda api, c: api.call("DELETE", f"/api/courses/{c['id']}/modules/null/lessons/{c['lessons']['L0']}"),
    "lesson updated": lambda api, c: api.call("PUT", f"/api/lessons/{c['lessons']['L1']}", json_body={"title": "L1!"}),
    "lesson deleted": lambda api, c: api.call("DELETE", f"/api/lessons/{c['lessons']['L2']}"),
}  # fmt: skip


@pytest.mark.parametrize("write", list(WRITES))
def test_a_read_right_after_a_write_shows_it_for_staff_and_learners(api, course, write):
    before_staff = api.call("GET", f"/api/courses/{course['id']}/details").result  # both views stored now
    before_learners = api.as_("learner").call("GET", f"/api/courses/{course['id']}/details")

    response = WRITES[write](api, course)
    assert getattr(response, "status", 201) < 300

    staff = api.call("GET", f"/api/courses/{course['id']}/details").result
    learners = api.as_("learner").call("GET", f"/api/courses/{course['id']}/details")
    expected_staff = built_now(api, course["id"], for_learners=False)
    assert staff == expected_staff != before_staff
    if write == "course unpublished":
        assert (before_learners.status, learners.status) == (200, 404)
    else:
        assert learners.result == built_now(api, course["id"], for_learners=True)


def built_now(api: Api, course_id: str, for_learners: bool) -> dict:
    """The tree as it is built from the course's structure now, read afresh."""
    items = CourseRepository(api.tenant).get_structure(course_id)
    course = next(item for item in items if isinstance(item, CourseItem))
    head = TreeRepository(api.tenant).read_head(course_id)
    version = str(int(head.structure)) if head else "0"
    return json.loads(course_tree.build(course, items, version, for_learners).model_dump_json(by_alias=True))


def test_a_lesson_update_reaches_every_course_beyond_its_first_transaction(api):
    """A lesson in 60 courses: its own transaction holds 49 of them (a copy and the tree's mark
    each), further ones the rest; the last course's tree shows the new title at once."""
    lesson_id = api.create_lesson(title="Before")["lessonId"]
    courses = [api.create_course(status="published")["courseId"] for _ in range(60)]
    for course_id in courses:
        api.add_lesson(course_id, None, lesson_id)
        assert [entry["title"] for entry in api.call("GET", f"/api/courses/{course_id}/details").result["lessons"]] == [
            "Before"
        ]

    with RequestCounter() as counter:
        assert api.call("PUT", f"/api/lessons/{lesson_id}", json_body={"title": "After"}).status == 200

    assert counter.operations == ["Query", "TransactWriteItems", "TransactWriteItems"]
    for index, course_id in enumerate(courses):  # in both transactions (pointers go by course id)
        for caller in (api, api.as_("learner")) if index % 12 == 0 else (api,):
            lessons = caller.call("GET", f"/api/courses/{course_id}/details").result["lessons"]
            assert [entry["title"] for entry in lessons] == ["After"]

    # Deleting it takes its 60 links, their pointers and 60 marks: the links go first, in chunks.
    assert api.call("DELETE", f"/api/lessons/{lesson_id}").status == 200
    for course_id in courses[::7]:
        assert api.call("GET", f"/api/courses/{course_id}/details").result["lessons"] == []


def test_removals_and_deletes_leave_no_dangling_links(api, course):
    lessons = course["lessons"]
    api.call("DELETE", f"/api/modules/{course['first']['moduleId']}")
    api.call("DELETE", f"/api/lessons/{lessons['L2']}")
    api.call("DELETE", f"/api/courses/{course['id']}/modules/null/lessons/{lessons['L0']}")

    tree = api.call("GET", f"/api/courses/{course['id']}/details").result

    assert tree_shape(tree) == [[("M2", [], []), ("Hidden", [], ["LH"])], ["Draft"]]
    for title in ("L1", "L1.1a", "L0"):  # their pointers went with their links: updates touch nothing stale
        assert api.call("PUT", f"/api/lessons/{lessons[title]}", json_body={"title": f"{title}!"}).status == 200
        assert LessonRepository(api.tenant).get_partition(lessons[title]).pointers == []


def test_deleting_the_course_removes_its_structure_and_keeps_lessons(api, course):
    assert api.call("DELETE", f"/api/courses/{course['id']}").status == 200

    assert CourseRepository(api.tenant).get_collection(course["id"]) == []
    assert api.call("GET", f"/api/modules/{course['sub_a']['moduleId']}").status == 404
    for lesson_id in course["lessons"].values():
        partition = LessonRepository(api.tenant).get_partition(lesson_id)
        assert partition.lesson is not None
        assert partition.pointers == []


def build_big_course(
    api: Api,
    modules: int,
    lessons_per_module: int,
    description_length: int,
    random_text: bool = False,
    module_description: str = "m" * 200,
) -> str:
    """A course written straight to the table (the read path is what is measured); with
    `random_text`, each lesson's description is random letters, which do not compress."""
    course_repository, module_repository = CourseRepository(api.tenant), ModuleRepository(api.tenant)
    lesson_repository = LessonRepository(api.tenant)
    course_id = str(uuid.uuid4())
    course = course_repository.new_course(
        course_id, sortable_now(), title="Big", alias=f"big-{course_id}", status="published",
        created_by=api.user, created_at=utc_now(),
    )  # fmt: skip
    course_repository.create(course)
    with LmsItem.batch_write() as batch:
        for index in range(modules):
            module = module_repository.new_module(
                course_id, str(uuid.uuid4()), title=f"Module {index}", description=module_description, ordering=index,
                status="published", course_status="published", created_by=api.user, created_at=utc_now(),
            )  # fmt: skip
            batch.save(module)
            for number in range(lessons_per_module):
                lesson = lesson_repository.new_lesson(
                    str(uuid.uuid4()), title=f"Lesson {index}.{number}",
                    description=random_letters(description_length) if random_text else "d" * description_length,
                    format="video", status="published", attempts_grade="last_attempt", total_marks=100,
                    passing_marks=60, created_by=api.user, created_at=utc_now(),
                    media_content={"format": "video", "subFormat": "video.youtube.url", "source": "https://youtube.com/watch?v=x", "params": {}},
                )  # fmt: skip
                link = lesson_repository.new_link(
                    lesson, course_id, module.module_id, sortable_now(), created_by=api.user, created_at=utc_now()
                )
                for item in (lesson, link, link_pointer(course_repository.keys, link)):
                    batch.save(item)
    return course_id


def test_a_50_by_20_course_tree_is_built_from_two_pages_then_read_whole_in_one_query(api):
    course_id = build_big_course(api, modules=50, lessons_per_module=20, description_length=20_000)

    with RequestCounter() as building:
        built = api.call("GET", f"/api/courses/{course_id}/details")
    with RequestCounter() as reading:
        response = api.call("GET", f"/api/courses/{course_id}/details")

    assert (built.status, response.status) == (200, 200)
    assert len(response.result["modules"]) == 50
    assert all(len(module["lessons"]) == 20 for module in response.result["modules"])
    assert {len(m["lessons"][0]["description"]) for m in response.result["modules"]} == {500}
    assert len(json.dumps(response.body).encode()) < LAMBDA_RESPONSE_LIMIT
    # The build reads the structure in one Query that DynamoDB pages at 1 MB (1,000 links with
    # their 500-character summaries, about 1.2 KB each); then the document is read as stored.
    assert building.operations == ["Query", "Query", "Query", "TransactWriteItems"]
    assert reading.operations == ["Query"]
    assert response.result == built.result


def test_answers_larger_than_lambda_carries_are_413_saying_what_to_ask_for_instead(api):
    """60 modules with 20,000-character descriptions in a script JSON escapes (6 bytes each):
    7 MB as the module list or the plain tree, too much for Lambda's 6 MB, where API Gateway would
    answer a bare 500; a page of the list, or the tree as gzip, is a few KB."""
    course_id = build_big_course(
        api, modules=60, lessons_per_module=0, description_length=0, module_description="学" * 20_000
    )

    whole = api.call("GET", f"/api/courses/{course_id}/modules")
    paged = api.call("GET", f"/api/courses/{course_id}/modules", query={"page": "2", "limit": "10"})
    plain = api.call("GET", f"/api/courses/{course_id}/details")
    function, event = api.event("GET", f"/api/courses/{course_id}/details", headers={"accept-encoding": "gzip"})
    status, headers, raw = apigw.response_parts(api.host.invoke(function, event))

    assert (whole.status, whole.err, whole.body["id"]) == (413, "PAYLOAD_TOO_LARGE", "api.course.modules")
    assert "ask for fewer at a time (page and limit)" in whole.errmsg
    assert (paged.status, paged.result["count"], len(paged.result["modules"])) == (200, 60, 10)
    assert (plain.status, plain.err) == (413, "PAYLOAD_TOO_LARGE")
    assert "send Accept-Encoding: gzip" in plain.errmsg
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert len(json.loads(gzip.decompress(raw))["result"]["modules"]) == 60
    assert len(raw) < 100_000


def test_a_tree_too_large_even_as_gzip_is_413_pointing_to_the_paged_lists(api, course, monkeypatch):
    """As a course of tens of thousands of lessons would be: the answer's limit lowered to meet it."""
    function, event = api.event("GET", f"/api/courses/{course['id']}/details", headers={"accept-encoding": "gzip"})
    compressed = api.host.invoke(function, event)["body"]
    # Well under it: the envelope's id and time make each answer's gzip a byte longer or shorter.
    monkeypatch.setattr("shared.api.MAX_ANSWER_BYTES", len(compressed) // 2)

    for accepted in ("gzip", "identity"):
        function, event = api.event(
            "GET", f"/api/courses/{course['id']}/details", headers={"accept-encoding": accepted}
        )
        status, _, raw = apigw.response_parts(api.host.invoke(function, event))
        refusal = json.loads(raw)
        assert (status, refusal["params"]["err"], refusal["id"]) == (413, "PAYLOAD_TOO_LARGE", "api.course.details")
        assert "by the page" in refusal["params"]["errmsg"]


def test_a_document_over_the_item_limit_is_stored_in_parts_that_one_query_reads(api):
    """1,000 lessons whose 500-character descriptions do not compress: over 350 KB deflated."""
    course_id = build_big_course(api, modules=10, lessons_per_module=100, description_length=500, random_text=True)
    api.call("GET", f"/api/courses/{course_id}/details")

    with RequestCounter() as counter:
        response = api.call("GET", f"/api/courses/{course_id}/details")

    head = TreeRepository(api.tenant).read_head(course_id)
    assert head is not None
    assert (counter.operations, head.staff_parts, head.learner_parts) == (["Query"], 2, 2)
    assert response.result == built_now(api, course_id, for_learners=False)
    descriptions = [lesson["description"] for module in response.result["modules"] for lesson in module["lessons"]]
    assert len(set(descriptions)) == 1000
