"""Course and lesson tracking through the real handlers, on moto and DynamoDB Local."""

import uuid
from dataclasses import dataclass

import pytest

from shared.clock import utc_now
from tests.support.api import Api

COURSE_TRACK_KEYS = {
    "courseTrackId", "courseId", "userId", "startDatetime", "endDatetime", "noOfLessons", "completedLessons",
    "status", "lastAccessedDate", "certGenDate",
}  # fmt: skip
LESSON_TRACK_KEYS = {
    "lessonTrackId", "lessonId", "userId", "attempt", "startDatetime", "endDatetime", "score", "status",
    "totalContent", "currentPosition", "timeSpent", "updatedBy", "updatedAt",
}  # fmt: skip


@dataclass
class Course:
    """A published course with two counted lessons (marks 100, passing 60), one lesson that does not
    count, and an enrolled learner."""

    api: Api
    learner: Api
    course_id: str
    lessons: list[str]
    not_counted: str

    def track(self, method: str, suffix: str = "", caller: Api | None = None, **body: object):
        return (caller or self.learner).call(method, f"/api/courses/{self.course_id}/tracking{suffix}", json_body=body)

    def attempt(self, lesson_id: str, method: str = "POST", suffix: str = "", caller: Api | None = None, **body):
        return (caller or self.learner).call(method, f"/api/lessons/{lesson_id}/tracking{suffix}", json_body=body)

    def complete(self, lesson_id: str, score: float, caller: Api | None = None):
        started = self.attempt(lesson_id, caller=caller, totalContent=10)
        assert started.status in (200, 201), started.body
        done = self.attempt(lesson_id, "PUT", "/complete", caller=caller, score=score, currentPosition=10)
        assert done.status == 200, done.body
        return done.result


def enroll(api: Api, course_id: str, user_id: str) -> None:
    response = api.enroll(course_id, user_id)
    assert response.status == 201, response.body


@pytest.fixture
def course(api: Api) -> Course:
    course_id = api.create_course(status="published", shortDescription="Learn it")["courseId"]
    module_id = api.create_module(course_id)["moduleId"]
    lessons = [api.create_lesson(totalMarks=100, passingMarks=60)["lessonId"] for _ in range(2)]
    api.add_lesson(course_id, None, lessons[0])
    api.add_lesson(course_id, module_id, lessons[1])
    not_counted = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, module_id, not_counted, considerForPassing=False)
    hidden = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, module_id, hidden, status="unpublished")
    learner = api.as_("learner")
    enroll(api, course_id, learner.user)
    return Course(api, learner, course_id, lessons, not_counted)


# Course tracking


def test_a_learner_starts_tracking_an_enrolled_course_once(course):
    before = utc_now()
    started = course.track("POST", startDatetime="2024-05-06T14:24:02Z")  # a learner's start is the server's clock

    assert started.status == 201, started.body
    assert started.body["id"] == "api.course.tracking.start"
    track = started.result
    assert set(track) >= COURSE_TRACK_KEYS
    assert (track["userId"], track["status"], track["noOfLessons"], track["completedLessons"]) == (
        course.learner.user,
        "incomplete",
        2,
        0,
    )
    assert track["startDatetime"] >= before
    assert (track["lastAccessedDate"], track["endDatetime"]) == (track["startDatetime"], None)
    again = course.track("POST")
    assert (again.status, again.err) == (409, "CONFLICT")
    assert "already started" in again.errmsg


def test_starting_needs_an_active_enrollment_of_that_user(api, course):
    stranger = api.as_("learner")
    refused = course.track("POST", caller=stranger)
    assert (refused.status, refused.err) == (403, "FORBIDDEN")
    assert f"{stranger.user} is not enrolled in course {course.course_id}; enroll first" in refused.errmsg
    enrollment = api.call("GET", "/api/enrollments", query={"userId": course.learner.user}).result["enrollments"][0]
    api.call("DELETE", f"/api/enrollments/{enrollment['enrollmentId']}")
    cancelled = course.track("POST")
    assert (cancelled.status, cancelled.err) == (403, "FORBIDDEN")
    assert "was cancelled" in cancelled.errmsg
    assert course.track("GET").status == 404  # nothing was stored


def test_staff_act_for_any_user_and_learners_only_for_themselves(api, course):
    other = api.as_("learner")
    assert course.track("POST", userId=other.user).status == 403
    assert course.track("POST", caller=api.as_("instructor"), userId=course.learner.user).status == 201
    assert course.track("GET", caller=other).status == 404  # their own: none
    refused = course.learner.call("GET", f"/api/courses/{course.course_id}/tracking", query={"userId": other.user})
    assert (refused.status, refused.err) == (403, "FORBIDDEN")
    read = api.call("GET", f"/api/courses/{course.course_id}/tracking", query={"userId": course.learner.user})
    assert read.status == 200
    assert read.result["userId"] == course.learner.user


def test_unknown_and_other_tenants_courses_are_not_found(api, course):
    missing = course.learner.call("POST", "/api/courses/3fa85f64-5717-4562-b3fc-2c963f66afa6/tracking", json_body={})
    assert (missing.status, missing.err) == (404, "RESOURCE_NOT_FOUND")
    outsider = api.as_("admin", tenant="another-tenant")
    assert course.track("POST", caller=outsider, userId=course.learner.user).status == 404
    assert course.learner.call("POST", "/api/courses/not-a-uuid/tracking", json_body={}).status == 400


def test_lessons_passed_before_the_start_count(course):
    course.complete(course.lessons[0], 80)

    track = course.track("POST").result

    assert (track["noOfLessons"], track["completedLessons"], track["status"]) == (2, 1, "incomplete")


def test_a_learner_moves_to_in_progress_and_only_staff_correct(api, course):
    course.track("POST")

    before = utc_now()
    moved = course.track("PUT", status="in_progress", lastAccessedDate="2024-05-06T15:30:00Z")
    assert moved.status == 200, moved.body
    assert moved.body["id"] == "api.course.tracking.update"
    assert moved.result["status"] == "in_progress"
    assert moved.result["lastAccessedDate"] >= before  # a learner's access is now, whatever they send
    by_staff = course.track("PUT", caller=api, userId=course.learner.user, lastAccessedDate="2024-05-06T15:30:00Z")
    assert by_staff.result["lastAccessedDate"] == "2024-05-06T15:30:00Z"
    assert course.track("PUT", completedLessons=2).status == 403
    assert course.track("PUT", status="completed").status == 403
    assert course.track("PUT", status="finished").status == 400
    assert course.track("PUT", caller=api, userId=course.learner.user, completedLessons=3).status == 400
    corrected = course.track("PUT", caller=api, userId=course.learner.user, completedLessons=1)
    assert corrected.result["completedLessons"] == 1
    # The correction holds as lessons are passed: the next one makes two.
    course.complete(course.lessons[0], 90)
    assert course.track("GET").result["completedLessons"] == 2


def test_updating_a_track_not_started_is_not_found(course):
    missing = course.track("PUT", status="in_progress")
    assert (missing.status, missing.err) == (404, "RESOURCE_NOT_FOUND")
    assert "has not started" in missing.errmsg


def test_a_learner_completes_only_when_every_counted_lesson_is_done(course):
    course.track("POST")
    course.complete(course.lessons[0], 75)

    early = course.track("PUT", "/complete", completedLessons=2)
    assert (early.status, early.err) == (409, "CONFLICT")
    assert "1 of 2 lessons remain" in early.errmsg
    assert course.track("GET").result["status"] == "in_progress"


def test_staff_complete_a_track_once(api, course):
    course.track("POST", caller=api, userId=course.learner.user, startDatetime="2024-05-06T14:24:02Z")
    before_start = course.track(
        "PUT", "/complete", caller=api, userId=course.learner.user, endDatetime="2024-05-01T00:00:00Z"
    )
    assert (before_start.status, before_start.err) == (400, "INVALID_REQUEST")
    assert "must not be before the track's startDatetime (2024-05-06T14:24:02Z)" in before_start.errmsg

    done = course.track("PUT", "/complete", caller=api, userId=course.learner.user, endDatetime="2024-05-10T16:45:00Z")

    assert done.status == 200, done.body
    assert done.body["id"] == "api.course.tracking.complete"
    track = done.result
    assert (track["status"], track["completedLessons"], track["endDatetime"]) == (
        "completed",
        2,
        "2024-05-10T16:45:00Z",
    )
    assert track["certGenDate"] is not None
    assert course.track("PUT", "/complete").result == track  # a repeat changes nothing


def test_get_gives_the_course_and_progress(course):
    course.track("POST")
    course.complete(course.lessons[1], 60)

    read = course.track("GET")

    assert read.status == 200
    assert read.body["id"] == "api.course.tracking.get"
    assert read.result["course"] == {
        "title": read.result["course"]["title"],
        "shortDescription": "Learn it",
        "image": None,
    }
    assert (read.result["completedLessons"], read.result["progress"], read.result["status"]) == (1, 50, "in_progress")


# Lesson tracking


def test_attempts_are_numbered_without_gaps(api, course):
    lesson = course.lessons[0]
    first = course.attempt(lesson, attempt=1, totalContent=100, startDatetime="2024-05-06T14:24:02Z")

    assert first.status == 201, first.body
    assert first.body["id"] == "api.lesson.tracking.start"
    assert set(first.result) >= LESSON_TRACK_KEYS
    assert (first.result["attempt"], first.result["status"], first.result["score"], first.result["timeSpent"]) == (
        1,
        "started",
        0,
        0,
    )
    taken = course.attempt(lesson, attempt=1)
    assert (taken.status, taken.err) == (409, "CONFLICT")
    gap = course.attempt(lesson, attempt=3)
    assert (gap.status, gap.err) == (400, "INVALID_REQUEST")
    assert "next attempt is 2" in gap.errmsg
    assert course.attempt(lesson, attempt=2).result["attempt"] == 2


def test_resume_returns_the_unfinished_attempt(course):
    lesson = course.lessons[0]
    first = course.attempt(lesson, totalContent=10).result

    resumed = course.attempt(lesson)

    assert resumed.status == 200
    assert resumed.result["lessonTrackId"] == first["lessonTrackId"]
    course.attempt(lesson, "PUT", "/complete", score=10)
    assert course.attempt(lesson).status == 201


def test_attempts_stop_at_the_limit_of_the_link_or_lesson(api, course):
    lesson = api.create_lesson(noOfAttempts=5, resume=False)["lessonId"]
    api.add_lesson(course.course_id, None, lesson, noOfAttempts=2)  # the link's limit wins in the course
    assert course.attempt(lesson).status == 201
    assert course.attempt(lesson).status == 201  # no resume: a new attempt

    beyond = course.attempt(lesson)

    assert (beyond.status, beyond.err) == (400, "INVALID_REQUEST")
    assert "maximum of 2 attempts" in beyond.errmsg


def test_a_course_lesson_needs_an_enrollment_unless_it_is_free(api, course):
    stranger = api.as_("learner")
    refused = course.attempt(course.lessons[0], caller=stranger)
    assert (refused.status, refused.err) == (403, "FORBIDDEN")
    free = api.create_lesson()["lessonId"]
    api.add_lesson(course.course_id, None, free, freeLesson=True)
    assert course.attempt(free, caller=stranger).status == 201


def test_course_context_is_named_or_the_lessons_only_course(api, course):
    other_course = api.create_course(status="published")["courseId"]
    unrelated = course.attempt(course.lessons[0], courseId=other_course)
    assert (unrelated.status, unrelated.err) == (400, "INVALID_REQUEST")
    assert course.attempt(course.lessons[0]).result["courseId"] == course.course_id
    api.add_lesson(other_course, None, course.lessons[1])
    assert course.attempt(course.lessons[1]).result["courseId"] is None  # two courses, none named
    named = course.attempt(course.lessons[1], "POST", courseId=course.course_id, caller=course.learner)
    assert (named.status, named.result["courseId"]) == (201, course.course_id)  # the unfinished one had no course
    again = course.attempt(course.lessons[1], "POST", courseId=course.course_id, caller=course.learner)
    assert (again.status, again.result["attempt"]) == (200, named.result["attempt"])  # resumed in that course


def test_learners_track_only_themselves_and_see_only_published_lessons(api, course):
    other = api.as_("learner")
    assert course.attempt(course.lessons[0], userId=other.user).status == 403
    draft = api.create_lesson(status="unpublished")["lessonId"]
    assert course.attempt(draft).status == 404
    for_learner = course.attempt(course.lessons[0], caller=api.as_("instructor"), userId=course.learner.user)
    assert (for_learner.status, for_learner.result["userId"]) == (201, course.learner.user)
    path = f"/api/lessons/{course.lessons[0]}/tracking"
    assert course.learner.call("GET", path, query={"userId": other.user}).status == 403
    assert other.call("GET", path).status == 404


def test_update_changes_only_what_is_sent_and_refuses_bad_values(course):
    lesson = course.lessons[0]
    course.attempt(lesson, totalContent=100)

    updated = course.attempt(lesson, "PUT", currentPosition=50, timeSpent=600, status="in_progress")
    assert updated.status == 200, updated.body
    assert updated.body["id"] == "api.lesson.tracking.update"
    assert (updated.result["currentPosition"], updated.result["timeSpent"], updated.result["updatedBy"]) == (
        50,
        600,
        course.learner.user,
    )
    assert course.attempt(lesson, "PUT", timeSpent=700).result["currentPosition"] == 50
    for bad in ({"currentPosition": 101}, {"timeSpent": -1}, {"status": "done"}, {"status": "completed"}):
        refused = course.attempt(lesson, "PUT", **bad)
        assert (refused.status, refused.err) == (400, "INVALID_REQUEST"), bad
    assert "beyond totalContent" in course.attempt(lesson, "PUT", currentPosition=101).errmsg
    stored = course.learner.call("GET", f"/api/lessons/{lesson}/tracking").result
    assert (stored["currentPosition"], stored["timeSpent"], stored["status"]) == (50, 700, "in_progress")
    assert course.attempt(lesson, "PUT", attempt=2, timeSpent=1).status == 404


def test_complete_scores_within_the_marks_and_once(course):
    lesson = course.lessons[0]
    course.attempt(lesson, totalContent=100)

    too_high = course.attempt(lesson, "PUT", "/complete", score=101)
    assert (too_high.status, too_high.err) == (400, "INVALID_REQUEST")
    assert "within 0-100" in too_high.errmsg
    assert course.learner.call("GET", f"/api/lessons/{lesson}/tracking").result["status"] == "started"

    before = utc_now()
    done = course.attempt(
        lesson, "PUT", "/complete", score=85, currentPosition=100, timeSpent=3600, endDatetime="2030-05-06T15:24:02Z"
    )
    assert done.status == 200, done.body
    assert done.body["id"] == "api.lesson.tracking.complete"
    assert (done.result["status"], done.result["score"]) == ("completed", 85)
    assert before <= done.result["endDatetime"] <= utc_now()  # a learner's end is the server's clock
    assert course.attempt(lesson, "PUT", "/complete", score=10).result == done.result
    assert course.attempt(lesson, "PUT", timeSpent=1).status == 409


def test_get_gives_the_attempt_with_lesson_progress_and_its_own_result(course):
    lesson = course.lessons[0]
    course.complete(lesson, 50)
    course.attempt(lesson, totalContent=10)
    course.attempt(lesson, "PUT", currentPosition=3)

    latest = course.learner.call("GET", f"/api/lessons/{lesson}/tracking")
    first = course.learner.call("GET", f"/api/lessons/{lesson}/tracking", query={"attempt": "1"})

    assert latest.body["id"] == "api.lesson.tracking.get"
    assert (latest.result["attempt"], latest.result["progress"], latest.result["passed"]) == (2, 30, False)
    assert (first.result["attempt"], first.result["progress"], first.result["passed"]) == (1, 100, False)
    assert first.result["lesson"]["totalMarks"] == 100
    assert first.result["lesson"]["passingMarks"] == 60
    assert course.learner.call("GET", f"/api/lessons/{lesson}/tracking", query={"attempt": "9"}).status == 404


@pytest.mark.parametrize(
    ("grade", "passed"), [("first_attempt", False), ("last_attempt", True), ("highest", True), ("average", True)]
)
def test_history_grades_by_the_lessons_rule(api, course, grade, passed):
    lesson = api.create_lesson(totalMarks=100, passingMarks=60, attemptsGrade=grade)["lessonId"]
    api.add_lesson(course.course_id, None, lesson)
    course.complete(lesson, 50)
    course.complete(lesson, 90)

    history = course.learner.call("GET", f"/api/users/{course.learner.user}/lessons/{lesson}/tracking")

    assert history.status == 200
    assert history.body["id"] == "api.user.lesson.tracking.history"
    result = history.result
    assert [attempt["score"] for attempt in result["attempts"]] == [50, 90]
    assert (result["bestScore"], result["averageScore"], result["totalAttempts"], result["passed"]) == (
        90,
        70,
        2,
        passed,
    )
    assert course.track("POST").result["completedLessons"] == (1 if passed else 0)


def test_history_of_another_user_is_refused_to_learners(api, course):
    path = f"/api/users/{api.as_('learner').user}/lessons/{course.lessons[0]}/tracking"
    assert course.learner.call("GET", path).status == 403
    empty = api.call("GET", path).result
    assert (empty["attempts"], empty["totalAttempts"], empty["passed"], empty["bestScore"]) == ([], 0, False, None)


# The roll-up


def test_passing_lessons_completes_the_course_track(course):
    course.track("POST")
    course.complete(course.lessons[0], 40)  # failed: not counted
    assert course.track("GET").result["completedLessons"] == 0

    course.complete(course.lessons[0], 70)  # passed
    halfway = course.track("GET").result
    assert (halfway["completedLessons"], halfway["progress"], halfway["status"]) == (1, 50, "in_progress")

    course.complete(course.lessons[0], 95)  # again: never counted twice
    course.complete(course.not_counted, 0)  # does not count for the course
    assert course.track("GET").result["completedLessons"] == 1

    course.complete(course.lessons[1], 60)
    done = course.track("GET").result
    assert (done["completedLessons"], done["progress"], done["status"]) == (2, 100, "completed")
    assert done["endDatetime"] is not None
    assert done["certGenDate"] is not None
    assert course.track("PUT", "/complete").result["status"] == "completed"


def test_a_links_passing_marks_grade_the_attempts_in_that_course(api, course):
    lesson = api.create_lesson(totalMarks=100, passingMarks=90)["lessonId"]
    api.add_lesson(course.course_id, None, lesson, passingMarks=50)
    course.track("POST")

    attempt = course.complete(lesson, 55)

    read = course.learner.call("GET", f"/api/lessons/{lesson}/tracking", query={"attempt": str(attempt["attempt"])})
    assert (read.result["lesson"]["passingMarks"], read.result["passed"]) == (50, True)
    assert course.track("GET").result["noOfLessons"] == 3


def test_bad_starts_store_nothing(course):
    lesson = course.lessons[0]
    for bad in ({"totalContent": 10, "currentPosition": 11}, {"attempt": 0}, {"totalContent": -1}, {"extra": 1}):
        refused = course.attempt(lesson, **bad)
        assert (refused.status, refused.err) == (400, "INVALID_REQUEST"), bad
    malformed = course.learner.call(
        "POST", f"/api/lessons/{lesson}/tracking", body=b"{not json", content_type="application/json"
    )
    assert (malformed.status, malformed.err) == (400, "INVALID_REQUEST")
    history = course.learner.call("GET", f"/api/users/{course.learner.user}/lessons/{lesson}/tracking").result
    assert history["totalAttempts"] == 0


def test_an_attempt_number_in_a_query_is_plain_digits(api: Api) -> None:
    for value in ("1_0", " 1", "+1"):
        response = api.call("GET", f"/api/lessons/{uuid.uuid4()}/tracking", query={"attempt": value})
        assert (response.status, response.err) == (400, "INVALID_REQUEST")
        assert "query parameter 'attempt' must be a whole number" in response.errmsg
