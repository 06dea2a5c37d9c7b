"""The course details tree: built from one Query, in order, learners seeing published parts only,
and always showing each lesson as it is now."""

import json
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

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


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


def test_the_tree_is_one_query(api, course):
    with RequestCounter() as counter:
        assert api.call("GET", f"/api/courses/{course['id']}/details").status == 200

    assert counter.operations == ["Query"]


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


def build_big_course(api: Api, modules: int, lessons_per_module: int, description_length: int) -> str:
    """A course written straight to the table (the read path is what is measured)."""
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
                course_id, str(uuid.uuid4()), title=f"Module {index}", description="m" * 200, ordering=index,
                status="published", course_status="published", created_by=api.user, created_at=utc_now(),
            )  # fmt: skip
            batch.save(module)
            for number in range(lessons_per_module):
                lesson = lesson_repository.new_lesson(
                    str(uuid.uuid4()), title=f"Lesson {index}.{number}", description="d" * description_length,
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


def test_a_50_by_20_course_tree_is_one_query_per_megabyte_and_fits_a_lambda_response(api):
    course_id = build_big_course(api, modules=50, lessons_per_module=20, description_length=20_000)

    with RequestCounter() as counter:
        response = api.call("GET", f"/api/courses/{course_id}/details")

    assert response.status == 200
    assert len(response.result["modules"]) == 50
    assert all(len(module["lessons"]) == 20 for module in response.result["modules"])
    assert {len(m["lessons"][0]["description"]) for m in response.result["modules"]} == {500}
    body_size = len(json.dumps(response.body).encode())
    assert body_size < LAMBDA_RESPONSE_LIMIT
    # One Query, paged by DynamoDB at 1 MB read: 1,000 links with their 500-character summaries are
    # just over 1 MB (about 1.2 KB each), so the one Query takes a second page.
    assert counter.operations == ["Query", "Query"]
