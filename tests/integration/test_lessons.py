"""Every Lessons endpoint through its real handler, on moto and DynamoDB Local."""

import uuid

import pytest

from tests.support.api import Api

LESSON_KEYS = {
    "lessonId", "tenentId", "title", "alias", "description", "image", "startDatetime", "endDatetime", "storage",
    "noOfAttempts", "attemptsGrade", "format", "mediaId", "eligibilityCriteria", "idealTime", "resume",
    "totalMarks", "passingMarks", "status", "params", "mediaContent", "createdBy", "createdAt", "updatedBy", "updatedAt",
}  # fmt: skip
LINK_KEYS = {
    "lessonId", "courseId", "moduleId", "freeLesson", "considerForPassing", "status", "startDatetime", "endDatetime",
    "noOfAttempts", "attemptsGrade", "eligibilityCriteria", "idealTime", "resume", "totalMarks", "passingMarks",
    "params", "createdBy", "createdAt",
}  # fmt: skip
MEDIA = {"format": "video", "subFormat": "video.youtube.url", "source": "https://youtube.com/watch?v=x", "params": {}}


@pytest.fixture
def course_id(api: Api) -> str:
    return str(api.create_course(status="published")["courseId"])


def lesson_ids(response) -> list[str]:
    return [lesson["lessonId"] for lesson in response.result["lessons"]]


def test_create_from_json_with_defaults(api):
    response = api.call(
        "POST", "/api/lessons", json_body={"title": "Backprop", "format": "video", "mediaContent": MEDIA}
    )

    assert response.status == 201
    assert response.body["id"] == "api.lesson.create"
    lesson = response.result
    assert set(lesson) >= LESSON_KEYS
    assert (lesson["status"], lesson["attemptsGrade"], lesson["noOfAttempts"], lesson["resume"]) == (
        "published",
        "last_attempt",
        "0",
        True,
    )
    assert (lesson["totalMarks"], lesson["passingMarks"], lesson["mediaContent"]) == (0, 0, MEDIA)
    assert lesson["tenentId"] == api.tenant
    assert api.call("GET", f"/api/lessons/{lesson['lessonId']}").result == lesson


def test_create_from_a_form_with_media_content_as_json_text(api):
    form = {
        "title": "Form lesson", "alias": "form-lesson", "format": "test", "noOfAttempts": "3", "attemptsGrade": "first",
        "resume": "false", "totalMarks": "100", "passingMarks": "60", "idealTime": "45", "storage": "local",
        "mediaContent": '{"format": "test", "source": "https://quiz.example.com/1"}', "params": '{"level": 2}',
    }  # fmt: skip

    response = api.call("POST", "/api/lessons", form=form)

    assert response.status == 201, response.body
    lesson = response.result
    assert (lesson["noOfAttempts"], lesson["attemptsGrade"], lesson["resume"]) == ("3", "first_attempt", False)
    assert (lesson["totalMarks"], lesson["passingMarks"], lesson["idealTime"]) == (100, 60, 45)
    assert lesson["mediaContent"] == {
        "format": "test",
        "subFormat": None,
        "source": "https://quiz.example.com/1",
        "params": None,
    }
    assert lesson["params"] == {"level": 2}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "t"}, "The field 'format' is required."),
        ({"title": "t", "format": "podcast"}, "'format' must be one of"),
        ({"title": "t", "format": "video", "attemptsGrade": "best"}, "'attemptsGrade' must be one of"),
        (
            {"title": "t", "format": "video", "totalMarks": 50, "passingMarks": 60},
            "passingMarks (60) must not exceed totalMarks (50)",
        ),
        ({"title": "t", "format": "video", "passingMarks": 1}, "passingMarks (1) must not exceed totalMarks (0)"),
        ({"title": "t", "format": "video", "noOfAttempts": -1}, "'noOfAttempts'"),
        ({"title": "t", "format": "video", "mediaContent": "{not json"}, "'mediaContent' must be a JSON object"),
        (
            {"title": "t", "format": "video", "mediaContent": {"source": "javascript:alert(1)"}},
            "'mediaContent.source' must be an http(s) URL",
        ),
        ({"title": "t", "format": "video", "mediaContent": {"source": "ftp://files/x"}}, "must be an http(s) URL"),
        (
            {"title": "t", "format": "video", "mediaContent": {"format": "document"}},
            "mediaContent.format (document) must match the lesson's format (video)",
        ),
        ({"title": "t", "format": "video", "mediaContent": {"colour": "red"}}, "'mediaContent.colour' is not a field"),
        ({"title": "t", "format": "video", "status": "draft"}, "'status' must be one of"),
    ],
)
def test_bad_lessons_are_400_naming_the_problem(api, body, message):
    response = api.call("POST", "/api/lessons", json_body=body)

    assert response.status == 400
    assert message in response.errmsg


def test_add_lessons_at_course_module_and_submodule_level(api, course_id):
    module = api.create_module(course_id)
    sub = api.create_module(course_id, parentId=module["moduleId"])
    lesson = api.create_lesson(totalMarks=100, passingMarks=50)

    course_level = api.call(
        "POST", f"/api/courses/{course_id}/modules/null/lessons", json_body={"lessonId": lesson["lessonId"]}
    )
    in_module = api.call(
        "POST", f"/api/courses/{course_id}/modules/{module['moduleId']}/lessons",
        json_body={"lessonId": lesson["lessonId"], "freeLesson": True, "noOfAttempts": "3", "attemptsGrade": "highest", "totalMarks": 80},
    )  # fmt: skip
    in_sub = api.add_lesson(course_id, sub["moduleId"], lesson["lessonId"], considerForPassing=False)

    assert (course_level.status, in_module.status) == (201, 201)
    assert course_level.body["id"] == "api.course.lesson.add"
    assert set(in_module.result) >= LINK_KEYS
    assert course_level.result["moduleId"] is None
    assert (in_module.result["freeLesson"], in_module.result["noOfAttempts"], in_module.result["totalMarks"]) == (
        True,
        "3",
        80,
    )
    assert (in_sub["considerForPassing"], in_sub["status"], in_sub["createdBy"]) == (False, None, api.user)
    listed = api.call("GET", f"/api/courses/{course_id}/lessons").result["lessons"]
    assert [(entry["moduleId"], entry["totalMarks"]) for entry in listed] == [
        (None, 100),
        (module["moduleId"], 80),
        (sub["moduleId"], 100),
    ]


def test_the_same_lesson_twice_in_one_place_is_409(api, course_id):
    lesson_id = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, None, lesson_id)

    response = api.call("POST", f"/api/courses/{course_id}/modules/null/lessons", json_body={"lessonId": lesson_id})

    assert response.status == 409
    assert f"Lesson {lesson_id} is already in course {course_id}" in response.errmsg


def test_link_refusals(api, course_id):
    lesson_id = api.create_lesson(totalMarks=10)["lessonId"]
    other_course = api.create_course()["courseId"]
    foreign_module = api.create_module(other_course)["moduleId"]
    path = f"/api/courses/{course_id}/modules"

    def add(module: str, body: dict[str, object], caller: Api = api) -> tuple[int, str]:
        response = caller.call("POST", f"{path}/{module}/lessons", json_body=body)
        return response.status, response.errmsg

    assert add("null", {"lessonId": str(uuid.uuid4())})[0] == 404
    unknown_module = str(uuid.uuid4())
    assert add(unknown_module, {"lessonId": lesson_id}) == (404, f"Module {unknown_module} not found.")
    assert add(foreign_module, {"lessonId": lesson_id}) == (
        400,
        f"Module {foreign_module} belongs to another course, not to course {course_id}.",
    )
    assert (
        add("not-a-module", {"lessonId": lesson_id})[1]
        == "The path parameter 'moduleId' must be a module UUID, or null for a course-level lesson."
    )
    assert (
        add("null", {"lessonId": lesson_id, "passingMarks": 20})[1]
        == "passingMarks (20) must not exceed totalMarks (10)."
    )
    assert add("null", {"lessonId": "x"})[0] == 400
    assert add("null", {"lessonId": lesson_id}, api.as_("learner"))[0] == 403
    assert (
        api.call("POST", f"/api/courses/{uuid.uuid4()}/modules/null/lessons", json_body={"lessonId": lesson_id}).status
        == 404
    )
    assert api.call("GET", f"/api/courses/{course_id}/lessons").result == {"lessons": [], "count": 0}


def test_lessons_of_a_module_are_its_own_not_its_submodules(api, course_id):
    module = api.create_module(course_id)
    sub = api.create_module(course_id, parentId=module["moduleId"])
    first, second, deeper = (api.create_lesson()["lessonId"] for _ in range(3))
    api.add_lesson(course_id, module["moduleId"], first)
    api.add_lesson(course_id, module["moduleId"], second, status="unpublished")
    api.add_lesson(course_id, sub["moduleId"], deeper)

    response = api.call("GET", f"/api/modules/{module['moduleId']}/lessons")

    assert response.status == 200
    assert response.body["id"] == "api.module.lessons"
    assert lesson_ids(response) == [first, second]
    assert lesson_ids(
        api.call("GET", f"/api/modules/{module['moduleId']}/lessons", query={"status": "unpublished"})
    ) == [second]
    assert lesson_ids(api.as_("learner").call("GET", f"/api/modules/{module['moduleId']}/lessons")) == [first]


def test_lessons_of_a_course_filter_by_status_and_format(api, course_id):
    video = api.create_lesson(format="video")["lessonId"]
    document = api.create_lesson(format="document")["lessonId"]
    hidden = api.create_lesson(format="document", status="unpublished")["lessonId"]
    for lesson_id in (video, document, hidden):
        api.add_lesson(course_id, None, lesson_id)

    def listed(**query: str) -> list[str]:
        response = api.call("GET", f"/api/courses/{course_id}/lessons", query=query)
        assert response.status == 200
        return lesson_ids(response)

    assert listed() == [video, document, hidden]
    assert listed(format="document") == [document, hidden]
    assert listed(format="document", status="published") == [document]
    assert lesson_ids(api.as_("learner").call("GET", f"/api/courses/{course_id}/lessons")) == [video, document]
    assert api.call("GET", f"/api/courses/{course_id}/lessons", query={"format": "podcast"}).status == 400


def test_updating_a_lesson_refreshes_every_copy_at_once(api, course_id):
    other_course = api.create_course(status="published")["courseId"]
    module = api.create_module(other_course)
    lesson = api.create_lesson(description="old")
    api.add_lesson(course_id, None, lesson["lessonId"])
    api.add_lesson(other_course, module["moduleId"], lesson["lessonId"])
    long_text = "d" * 2000

    response = api.call(
        "PUT",
        f"/api/lessons/{lesson['lessonId']}",
        json_body={"title": "New title", "description": long_text, "totalMarks": 10},
    )

    assert response.status == 200
    assert response.body["id"] == "api.lesson.update"
    assert (response.result["title"], response.result["description"], response.result["format"]) == (
        "New title",
        long_text,
        "video",
    )
    for path in (f"/api/courses/{course_id}/lessons", f"/api/modules/{module['moduleId']}/lessons"):
        entry = api.call("GET", path).result["lessons"][0]
        assert (entry["title"], entry["description"], entry["totalMarks"]) == ("New title", "d" * 500, 10)


@pytest.mark.parametrize(
    ("body", "message"),
    [({"passingMarks": 5}, "passingMarks (5) must not exceed totalMarks (0)"), ({"format": None}, "format cannot be null"),
     ({"format": "document"}, "mediaContent.format (video) must match the lesson's format (document)")],
)  # fmt: skip
def test_updates_are_checked_with_the_stored_values(api, body, message):
    lesson = api.create_lesson(mediaContent=MEDIA)

    response = api.call("PUT", f"/api/lessons/{lesson['lessonId']}", json_body=body)

    assert response.status == 400
    assert message in response.errmsg
    assert api.call("GET", f"/api/lessons/{lesson['lessonId']}").result == lesson


def test_remove_a_lesson_from_a_course_or_module(api, course_id):
    module = api.create_module(course_id)
    lesson_id = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, None, lesson_id)
    api.add_lesson(course_id, module["moduleId"], lesson_id)

    response = api.call("DELETE", f"/api/courses/{course_id}/modules/{module['moduleId']}/lessons/{lesson_id}")

    assert response.status == 200
    assert response.body["id"] == "api.course.lesson.remove"
    assert response.result == {"message": "Lesson removed from course/module successfully"}
    assert [entry["moduleId"] for entry in api.call("GET", f"/api/courses/{course_id}/lessons").result["lessons"]] == [
        None
    ]
    again = api.call("DELETE", f"/api/courses/{course_id}/modules/{module['moduleId']}/lessons/{lesson_id}")
    assert again.status == 404
    assert api.call("DELETE", f"/api/courses/{course_id}/modules/null/lessons/{lesson_id}").status == 200
    assert api.call("PUT", f"/api/lessons/{lesson_id}", json_body={"title": "still editable"}).status == 200


def test_deleting_a_lesson_removes_its_links_everywhere(api, course_id):
    module = api.create_module(course_id)
    lesson_id = api.create_lesson()["lessonId"]
    kept = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, None, lesson_id)
    api.add_lesson(course_id, module["moduleId"], lesson_id)
    api.add_lesson(course_id, module["moduleId"], kept)

    response = api.call("DELETE", f"/api/lessons/{lesson_id}")

    assert response.status == 200
    assert response.result == {"message": "Lesson deleted successfully"}
    assert api.call("GET", f"/api/lessons/{lesson_id}").status == 404
    assert lesson_ids(api.call("GET", f"/api/courses/{course_id}/lessons")) == [kept]


def test_lesson_refusals(api):
    lesson_id = api.create_lesson(status="unpublished")["lessonId"]
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")
    learner = api.as_("learner")

    assert learner.call("GET", f"/api/lessons/{lesson_id}").status == 404
    assert learner.call("POST", "/api/lessons", json_body={"title": "t", "format": "video"}).status == 403
    assert learner.call("PUT", f"/api/lessons/{lesson_id}", json_body={"title": "t"}).status == 403
    assert learner.call("DELETE", f"/api/lessons/{lesson_id}").status == 403
    assert api.call("GET", f"/api/lessons/{lesson_id}", token=None).status == 401
    for method, body in (("GET", None), ("PUT", {"title": "t"}), ("DELETE", None)):
        assert stranger.call(method, f"/api/lessons/{lesson_id}", json_body=body).status == 404
        assert api.call(method, f"/api/lessons/{uuid.uuid4()}", json_body=body).status == 404
        assert api.call(method, "/api/lessons/abc", json_body=body).status == 400
    assert api.call("GET", f"/api/modules/{uuid.uuid4()}/lessons").status == 404
    assert stranger.call("GET", f"/api/lessons/{lesson_id}").status == 404
