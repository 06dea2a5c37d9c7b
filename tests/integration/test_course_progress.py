"""The course player's two reads (`tracking/details`, `tracking/next`), on both engines: the tree
with a user's tracking on every lesson and figures on every module, and the lesson to open next;
two DynamoDB requests each; a learner for themselves only, and only while the course is open to
them (free lessons excepted)."""

from typing import Any

import pytest

from shared.repository.metering import RequestCounter
from tests.support.api import Api


def course_of(api: Api, free: bool = False) -> dict[str, Any]:
    """A published course: module A (lessons a1, a2 and submodule S with s1), module B (b1, not
    counted) and a course-level lesson c1; a2 is a free lesson. Marks: 10, passing 5."""
    course_id = api.create_course(status="published", free=free)["courseId"]
    a = api.create_module(course_id, title="A", ordering=1, status="published")["moduleId"]
    s = api.create_module(course_id, title="S", parentId=a, status="published")["moduleId"]
    b = api.create_module(course_id, title="B", ordering=2, status="published")["moduleId"]
    lessons = {}
    for name, module, settings in (
        ("a1", a, {}),
        ("a2", a, {"freeLesson": True}),
        ("s1", s, {}),
        ("b1", b, {"considerForPassing": False}),
        ("c1", None, {}),
    ):
        lessons[name] = api.create_lesson(title=name, totalMarks=10, passingMarks=5)["lessonId"]
        api.add_lesson(course_id, module, lessons[name], **settings)
    return {"courseId": course_id, "modules": {"A": a, "S": s, "B": b}, "lessons": lessons}


def take(learner: Api, lesson_id: str, score: float | None = None, position: int = 0) -> None:
    """An attempt at the lesson; completed with `score` when given, else left open at `position`."""
    assert learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={"totalContent": 10}).status == 201
    if position:
        learner.call("PUT", f"/api/lessons/{lesson_id}/tracking", json_body={"currentPosition": position})
    if score is not None:
        answer = learner.call("PUT", f"/api/lessons/{lesson_id}/tracking/complete", json_body={"score": score})
        assert answer.status == 200, answer.body


def lessons_of(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every lesson of a tracked tree by title."""
    entries = list(tree["lessons"])
    for module in tree["modules"]:
        entries += module["lessons"]
        for sub in module["subModules"]:
            entries += sub["lessons"]
    return {entry["title"]: entry for entry in entries}


def modules_of(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for module in tree["modules"]:
        found[module["title"]] = module
        for sub in module["subModules"]:
            found[sub["title"]] = sub
    return found


@pytest.fixture
def enrolled(api: Api) -> tuple[dict[str, Any], Api]:
    course = course_of(api)
    learner = api.as_("learner", user="player")
    assert api.enroll(course["courseId"], learner.user).status == 201
    return course, learner


def test_details_carries_each_lessons_tracking_and_each_modules_figures(enrolled) -> None:
    course, learner = enrolled
    lessons = course["lessons"]
    assert learner.call("POST", f"/api/courses/{course['courseId']}/tracking", json_body={}).status == 201
    take(learner, lessons["a1"], score=3)  # failed
    take(learner, lessons["a1"], score=8)  # passed, by the last attempt
    take(learner, lessons["s1"], position=4)  # open
    take(learner, lessons["c1"], score=9)

    answer = learner.call("GET", f"/api/courses/{course['courseId']}/tracking/details")

    assert answer.status == 200, answer.body
    tree = answer.result
    assert tree["courseId"] == course["courseId"]
    assert tree["userId"] == "player"
    tracked = lessons_of(tree)
    a1 = tracked["a1"]["tracking"]
    assert a1 == {
        "status": "completed",
        "attempts": 2,
        "score": 8,
        "passed": True,
        "progress": 100,
        "openAttempt": None,
        "lastAccessedDate": a1["lastAccessedDate"],
    }
    assert tracked["s1"]["tracking"]["openAttempt"] == {"attempt": 1, "currentPosition": 4, "status": "started"}
    assert tracked["s1"]["tracking"]["progress"] == 40
    assert tracked["s1"]["tracking"]["passed"] is False
    assert tracked["a2"]["tracking"] is None
    assert tracked["b1"]["tracking"] is None
    figures = {title: (m["completedLessons"], m["noOfLessons"]) for title, m in modules_of(tree).items()}
    # A counts its own a1 and a2 and its submodule's s1; B's only lesson does not count.
    assert figures == {"A": (1, 3), "S": (0, 1), "B": (0, 0)}
    assert tree["courseTrack"]["completedLessons"] == 2
    assert tree["courseTrack"]["noOfLessons"] == 4
    assert tree["courseTrack"]["status"] == "in_progress"
    # Everything the details tree shows is there, as it shows it.
    plain = learner.call("GET", f"/api/courses/{course['courseId']}/details").result
    assert {key: value for key, value in tree.items() if key in plain and key not in ("modules", "lessons")} == {
        key: value for key, value in plain.items() if key not in ("modules", "lessons")
    }


def test_details_and_next_are_two_requests(enrolled) -> None:
    course, learner = enrolled
    take(learner, course["lessons"]["a1"], position=2)
    learner.call("GET", f"/api/courses/{course['courseId']}/details")  # the tree stored
    for path in ("details", "next"):
        with RequestCounter() as counter:
            assert learner.call("GET", f"/api/courses/{course['courseId']}/tracking/{path}").status == 200
        assert counter.operations == ["Query", "Query"], path


def test_next_resumes_the_open_attempt_else_the_first_lesson_not_passed(enrolled) -> None:
    course, learner = enrolled
    lessons, modules = course["lessons"], course["modules"]
    path = f"/api/courses/{course['courseId']}/tracking/next"

    # Course-level lessons come first, then each module's own lessons and its submodules'.
    first = learner.call("GET", path).result
    assert first == {
        "next": {"lessonId": lessons["c1"], "moduleId": None, "position": 1, "attempt": None, "currentPosition": None},
        "previous": None,
        "courseStatus": None,
    }
    take(learner, lessons["c1"], score=10)
    take(learner, lessons["a1"], score=9)
    take(learner, lessons["s1"], position=6)
    assert learner.call("GET", path).result["next"] == {
        "lessonId": lessons["s1"],
        "moduleId": modules["S"],
        "position": 4,
        "attempt": 1,
        "currentPosition": 6,
    }
    learner.call("PUT", f"/api/lessons/{lessons['s1']}/tracking/complete", json_body={"score": 2})  # failed
    step = learner.call("GET", path).result
    # a2 is the first counted lesson not passed (s1 failed comes after it in tree order).
    assert step["next"]["lessonId"] == lessons["a2"]
    assert step["previous"]["lessonId"] == lessons["a1"]
    assert step["next"]["position"] == 3
    for name in ("a2", "s1"):
        take(learner, lessons[name], score=10)
    learner.call("POST", f"/api/courses/{course['courseId']}/tracking", json_body={})
    done = learner.call("GET", path).result
    assert done == {"next": None, "previous": None, "courseStatus": "completed"}


def test_learners_ask_for_themselves_and_staff_for_anyone(enrolled, api: Api) -> None:
    course, learner = enrolled
    take(learner, course["lessons"]["a1"], score=8)
    path = f"/api/courses/{course['courseId']}/tracking/details"

    other = learner.call("GET", path, query={"userId": "someone-else"})
    assert other.status == 403
    assert other.err == "FORBIDDEN"
    by_staff = api.call("GET", path, query={"userId": "player"})
    assert by_staff.status == 200
    assert lessons_of(by_staff.result)["a1"]["tracking"]["passed"] is True
    foreign = api.as_("admin", tenant="another-tenant").call("GET", path, query={"userId": "player"})
    assert foreign.status == 404


@pytest.mark.parametrize("lapse", ["cancelled", "expired"])
def test_a_lapsed_enrollment_shows_only_the_free_lessons(enrolled, api: Api, lapse: str) -> None:
    course, learner = enrolled
    lessons = course["lessons"]
    take(learner, lessons["a1"], score=8)
    take(learner, lessons["a2"], position=3)  # the free lesson
    enrollment = api.call("GET", "/api/enrollments", query={"courseId": course["courseId"], "userId": "player"})
    enrollment_id = enrollment.result["enrollments"][0]["enrollmentId"]
    if lapse == "cancelled":
        assert api.call("DELETE", f"/api/enrollments/{enrollment_id}").status == 200
    else:
        ended = api.call("PUT", f"/api/enrollments/{enrollment_id}", json_body={"endTime": "2024-01-01T00:00:00Z"})
        assert ended.status == 200, ended.body

    tree = learner.call("GET", f"/api/courses/{course['courseId']}/tracking/details").result
    tracked = lessons_of(tree)
    assert tracked["a1"]["tracking"] is None
    assert tracked["a2"]["tracking"]["openAttempt"]["currentPosition"] == 3
    assert modules_of(tree)["A"]["completedLessons"] == 0
    step = learner.call("GET", f"/api/courses/{course['courseId']}/tracking/next").result
    assert step["next"]["lessonId"] == lessons["a2"]
    assert step["next"]["attempt"] == 1
    assert step["next"]["position"] == 3  # its place in the whole tree (c1, a1, a2), not among the free lessons


def test_lessons_of_an_unpublished_module_count_for_no_one(enrolled, api: Api) -> None:
    """A counted link in a module learners do not see (unpublished, or under an unpublished parent)
    counts neither in the course track nor in the figures, so what is left is what they can open."""
    course, learner = enrolled
    course_id, lessons = course["courseId"], course["lessons"]
    hidden = api.create_module(course_id, title="Hidden", ordering=3, status="unpublished")["moduleId"]
    under = api.create_module(course_id, title="Under", parentId=hidden, status="published")["moduleId"]
    for module in (hidden, under):
        api.add_lesson(
            course_id, module, api.create_lesson(title=f"in {module}", totalMarks=10, passingMarks=5)["lessonId"]
        )
    assert learner.call("POST", f"/api/courses/{course_id}/tracking", json_body={}).result["noOfLessons"] == 4
    for name in ("c1", "a1", "a2", "s1"):
        take(learner, lessons[name], score=9)

    track = learner.call("GET", f"/api/courses/{course_id}/tracking").result
    assert (track["status"], track["completedLessons"], track["noOfLessons"]) == ("completed", 4, 4)
    step = learner.call("GET", f"/api/courses/{course_id}/tracking/next").result
    assert step == {"next": None, "previous": None, "courseStatus": "completed"}
    staff_view = api.call("GET", f"/api/courses/{course_id}/tracking/details", query={"userId": learner.user}).result
    figures = {
        title: (module["completedLessons"], module["noOfLessons"]) for title, module in modules_of(staff_view).items()
    }
    assert figures == {"A": (3, 3), "S": (1, 1), "B": (0, 0), "Hidden": (0, 0), "Under": (0, 0)}


def test_a_learner_without_access_to_a_course_without_free_lessons_is_refused(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    api.add_lesson(course_id, None, api.create_lesson(title="paid")["lessonId"])
    learner = api.as_("learner", user="walker")
    for path in ("details", "next"):
        answer = learner.call("GET", f"/api/courses/{course_id}/tracking/{path}")
        assert answer.status == 403, answer.body
        assert "not enrolled" in answer.errmsg


def test_a_free_course_is_open_without_an_enrollment(api: Api) -> None:
    course = course_of(api, free=True)
    learner = api.as_("learner", user="visitor")
    take(learner, course["lessons"]["a1"], score=7)
    tree = learner.call("GET", f"/api/courses/{course['courseId']}/tracking/details").result
    assert lessons_of(tree)["a1"]["tracking"]["passed"] is True
    assert tree["courseTrack"] is None


def test_an_unpublished_course_is_not_found_for_learners(api: Api) -> None:
    course_id = api.create_course(status="unpublished")["courseId"]
    learner = api.as_("learner")
    answer = learner.call("GET", f"/api/courses/{course_id}/tracking/details")
    assert answer.status == 404
    assert answer.err == "RESOURCE_NOT_FOUND"
    assert api.call("GET", f"/api/courses/{course_id}/tracking/details").status == 200


def test_a_completed_enrollment_says_how_to_study_again(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    api.add_lesson(course_id, None, api.create_lesson(title="paid")["lessonId"])
    enrollment_id = api.enroll(course_id, "finisher").result["enrollmentId"]
    assert api.call("PUT", f"/api/enrollments/{enrollment_id}", json_body={"status": "completed"}).status == 200
    answer = api.as_("learner", user="finisher").call("GET", f"/api/courses/{course_id}/tracking/details")
    assert (answer.status, answer.err) == (403, "FORBIDDEN")
    assert answer.errmsg.endswith("is completed; ask an instructor to extend it to study the course again.")
