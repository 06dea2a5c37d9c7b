"""A dishonest learner within their tenant (issue 12), on moto and DynamoDB Local: they enroll only
on the terms staff set, stop progressing the moment their access lapses, cannot set the dates a
certificate is issued on, and read only what is published to them."""

import uuid
from dataclasses import dataclass

import pytest

from shared.clock import utc_now
from shared.repository.items import Keys, PassedLesson
from tests.support.api import Api, ApiResponse, FormValue
from tests.support.stream import Stream

PAST = "2001-01-01T00:00:00Z"
COURSE_END = "2030-12-31T23:59:59Z"


def listed(api: Api, **query: str) -> list[dict]:
    enrollments: list[dict] = api.call("GET", "/api/enrollments", query=query).result["enrollments"]
    return enrollments


# Enrolling


def test_a_learner_enrolls_themselves_sending_course_and_user_only(api: Api) -> None:
    course_id = api.create_course(status="published", autoEnroll=True, endDatetime=COURSE_END)["courseId"]
    learner = api.as_("learner")

    for extra, named in (
        ({"unlimitedPlan": True}, "unlimitedPlan"),
        ({"unlimitedPlan": False}, "unlimitedPlan"),  # even the default: the terms are staff's
        ({"afterExpiryMail": True, "params": {"paid": True, "discount": 100}}, "afterExpiryMail, params"),
        ({"beforeExpiryMail": "true"}, "beforeExpiryMail"),
    ):
        refused = learner.enroll(course_id, learner.user, **extra)
        assert (refused.status, refused.err) == (403, "FORBIDDEN"), extra
        assert f"Learners may not send {named}" in refused.errmsg
    # 403 before 400: a malformed body with a staff-only field is refused for the field, as JSON or form.
    bad = learner.call("POST", "/api/enrollments", json_body={"courseId": "nope", "userId": learner.user, "params": 1})
    assert (bad.status, bad.errmsg) == (403, "Learners may not send params; only an instructor or admin sets it.")
    form = learner.call("POST", "/api/enrollments", form={"courseId": "nope", "unlimitedPlan": "true"})
    assert (form.status, form.err) == (403, "FORBIDDEN")
    assert listed(api, courseId=course_id) == []  # nothing was stored

    enrolled = learner.enroll(course_id, learner.user)

    assert enrolled.status == 201, enrolled.body
    assert (enrolled.result["endTime"], enrolled.result["unlimitedPlan"], enrolled.result["params"]) == (
        COURSE_END,
        False,
        None,
    )
    staff = api.enroll(course_id, "another-learner", unlimitedPlan=True, params={"paid": True})
    assert (staff.status, staff.result["endTime"], staff.result["params"]) == (201, None, {"paid": True})


def test_the_mail_flags_never_keep_an_enrollment_from_expiring(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published", endDatetime="2029-06-30T00:00:00Z")["courseId"]
    api.enroll(course_id, "told-after", afterExpiryMail=True)
    api.enroll(course_id, "told-before", beforeExpiryMail=True)

    api.host.invoke("EnrollmentExpiryFunction", {"time": "2029-07-01T00:00:00Z"})

    for user in ("told-after", "told-before"):
        assert listed(api, userId=user)[0]["status"] == "expired"
    # A flag already set means its message went out: only the other one is announced.
    assert [event["detail"]["userId"] for event in stream.published("enrollment.expired")] == ["told-before"]


def test_an_enrollment_past_its_end_counts_as_expired_before_the_job_runs(api: Api) -> None:
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    learner = api.as_("learner")
    enrollment = api.enroll(course_id, learner.user).result
    running = api.enroll(course_id, "still-running").result
    api.call("PUT", f"/api/enrollments/{enrollment['enrollmentId']}", json_body={"endTime": PAST})

    read = api.call("GET", f"/api/enrollments/{enrollment['enrollmentId']}").result
    assert (read["status"], read["endTime"]) == ("expired", PAST)
    assert learner.call("GET", f"/api/enrollments/{enrollment['enrollmentId']}").result["status"] == "expired"
    assert [each["enrollmentId"] for each in listed(api, courseId=course_id, status="active")] == [
        running["enrollmentId"]
    ]
    assert [each["enrollmentId"] for each in listed(api, courseId=course_id, status="expired")] == [
        enrollment["enrollmentId"]
    ]
    assert listed(learner)[0]["status"] == "expired"
    refused = learner.call("POST", f"/api/courses/{course_id}/tracking", json_body={})
    assert (refused.status, refused.err) == (403, "FORBIDDEN")
    assert f"expired on {PAST}; ask an instructor to extend it" in refused.errmsg
    # Only the running enrollment holds the course: deleting it needs force for one, not two.
    assert "1 active enrollment;" in api.call("DELETE", f"/api/courses/{course_id}").errmsg


# Progress needs access


def send(caller: Api, method: str, path: str, fields: dict[str, object]) -> ApiResponse:
    """A tracking request: its fields as the query of a GET, as the JSON body otherwise."""
    if method == "GET":
        return caller.call(method, path, query={name: str(value) for name, value in fields.items()})
    return caller.call(method, path, json_body=fields)


@dataclass
class Course:
    """A published course with two counted lessons (marks 100, passing 60), a learner enrolled in it
    who has started the course and the first lesson, and the enrollment's id."""

    api: Api
    learner: Api
    course_id: str
    lessons: list[str]
    enrollment_id: str

    def lesson(self, lesson_id: str, method: str, suffix: str = "", caller: Api | None = None, **body: object):
        return send(caller or self.learner, method, f"/api/lessons/{lesson_id}/tracking{suffix}", body)

    def track(self, method: str, suffix: str = "", caller: Api | None = None, **body: object):
        return send(caller or self.learner, method, f"/api/courses/{self.course_id}/tracking{suffix}", body)

    def stored_track(self) -> dict:
        """The learner's course track, read by staff (a learner's read may not be what is stored)."""
        return self.track("GET", caller=self.api, userId=self.learner.user).result

    def lapse(self, how: str) -> None:
        path = f"/api/enrollments/{self.enrollment_id}"
        response = (
            self.api.call("DELETE", path)
            if how == "cancelled"
            else self.api.call("PUT", path, json_body={"endTime": PAST})
        )
        assert response.status == 200, response.body


@pytest.fixture
def course(api: Api) -> Course:
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    lessons = [api.create_lesson(totalMarks=100, passingMarks=60)["lessonId"] for _ in range(2)]
    for lesson_id in lessons:
        api.add_lesson(course_id, None, lesson_id)
    learner = api.as_("learner")
    enrollment = api.enroll(course_id, learner.user).result
    made = Course(api, learner, course_id, lessons, enrollment["enrollmentId"])
    assert made.track("POST").status == 201
    assert made.lesson(lessons[0], "POST", totalContent=10).status == 201
    return made


@pytest.mark.parametrize(("how", "why"), [("cancelled", "was cancelled"), ("expired", f"expired on {PAST}")])
def test_a_learner_whose_access_lapsed_cannot_progress_at_all(course: Course, how: str, why: str) -> None:
    track_before = course.stored_track()
    course.lapse(how)

    writes = [
        course.lesson(course.lessons[0], "PUT", currentPosition=5),
        course.lesson(course.lessons[0], "PUT", "/complete", score=100),
        course.lesson(course.lessons[1], "POST", totalContent=10),
        course.track("PUT", status="in_progress"),
        course.track("PUT", "/complete"),
    ]

    for refused in writes:
        assert (refused.status, refused.err) == (403, "FORBIDDEN"), refused.body
        assert why in refused.errmsg
    assert course.stored_track() == track_before  # never advanced, never completed, no certificate date
    attempt = course.lesson(course.lessons[0], "GET", caller=course.api, userId=course.learner.user).result
    assert (attempt["status"], attempt["currentPosition"], attempt["score"]) == ("started", 0, 0)
    # Reading what they did stays open to them.
    assert course.track("GET").status == 200
    assert course.lesson(course.lessons[0], "GET").status == 200


def test_staff_act_for_a_learner_without_access(course: Course) -> None:
    course.lapse("cancelled")
    staff = course.api.as_("instructor")

    done = course.lesson(course.lessons[0], "PUT", "/complete", caller=staff, userId=course.learner.user, score=90)

    assert done.status == 200, done.body
    assert course.stored_track()["completedLessons"] == 1
    unenrolled = course.track("POST", caller=staff, userId="never-enrolled")
    assert unenrolled.status == 201, unenrolled.body


def test_a_free_lesson_stays_open_but_does_not_advance_the_course(api: Api, course: Course) -> None:
    free = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    api.add_lesson(course.course_id, None, free, freeLesson=True, considerForPassing=True)
    course.lapse("cancelled")

    assert course.lesson(free, "POST", totalContent=1).status == 201
    done = course.lesson(free, "PUT", "/complete", score=10)

    assert (done.status, done.result["status"]) == (200, "completed")
    assert course.stored_track()["completedLessons"] == 0  # the lesson is open, the course is not


def test_a_free_course_is_open_without_an_enrollment(api: Api) -> None:
    course_id = api.create_course(status="published", free=True)["courseId"]
    lesson_id = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    api.add_lesson(course_id, None, lesson_id)
    visitor = api.as_("learner")
    path = f"/api/courses/{course_id}/tracking"

    assert visitor.call("POST", path, json_body={}).status == 201
    assert visitor.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={}).status == 201
    assert visitor.call("PUT", f"/api/lessons/{lesson_id}/tracking/complete", json_body={"score": 9}).status == 200
    assert visitor.call("GET", path).result["status"] == "completed"


# Dates are the server's when a learner calls


def test_a_learners_dates_and_count_are_the_servers(course: Course) -> None:
    before = utc_now()
    course.lesson(course.lessons[0], "PUT", "/complete", score=80, endDatetime="2019-01-01T00:00:00Z")
    course.lesson(course.lessons[1], "POST", startDatetime=PAST)
    attempt = course.lesson(course.lessons[1], "GET").result
    assert attempt["startDatetime"] >= before

    done = course.track(
        "PUT", "/complete", endDatetime="2019-01-01T00:00:00Z", certGenDate="2021-01-01T00:00:00Z", completedLessons=2
    )

    assert (done.status, done.err) == (409, "CONFLICT")  # the count sent does not complete it: one lesson is left
    course.lesson(course.lessons[1], "PUT", "/complete", score=70)
    completed = course.stored_track()
    assert completed["status"] == "completed"
    assert before <= completed["endDatetime"] <= utc_now()
    assert completed["certGenDate"] == completed["endDatetime"]
    again = course.track("PUT", "/complete", certGenDate="2021-01-01T00:00:00Z")
    assert (again.status, again.result["certGenDate"]) == (200, completed["certGenDate"])  # set once


def test_staff_set_dates_in_order(course: Course) -> None:
    staff, learner = course.api, course.learner.user
    started = course.stored_track()["startDatetime"]
    refused = course.track("PUT", "/complete", caller=staff, userId=learner, endDatetime=PAST)
    assert (refused.status, refused.err) == (400, "INVALID_REQUEST")
    assert f"must not be before the track's startDatetime ({started})" in refused.errmsg

    done = course.track(
        "PUT",
        "/complete",
        caller=staff,
        userId=learner,
        endDatetime="2030-01-01T00:00:00Z",
        certGenDate="2030-01-02T00:00:00Z",
    )

    assert (done.status, done.result["endDatetime"], done.result["certGenDate"]) == (
        200,
        "2030-01-01T00:00:00Z",
        "2030-01-02T00:00:00Z",
    )


def test_staff_starts_are_not_in_the_future(api: Api, course: Course) -> None:
    for refused in (
        course.track("POST", caller=api, userId="someone", startDatetime="2099-01-01T00:00:00Z"),
        course.lesson(course.lessons[1], "POST", caller=api, userId="someone", startDatetime="2099-01-01T00:00:00Z"),
    ):
        assert (refused.status, refused.err) == (400, "INVALID_REQUEST")
        assert "startDatetime must not be in the future" in refused.errmsg
    assert course.track("POST", caller=api, userId="someone", startDatetime=PAST).result["startDatetime"] == PAST


def test_a_course_without_counted_lessons_is_completed_by_staff_only(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    not_counted = api.create_lesson()["lessonId"]
    api.add_lesson(course_id, None, not_counted, considerForPassing=False)
    learner = api.as_("learner")
    api.enroll(course_id, learner.user)
    path = f"/api/courses/{course_id}/tracking"
    learner.call("POST", path, json_body={})

    refused = learner.call("PUT", f"{path}/complete", json_body={})

    assert (refused.status, refused.err) == (409, "CONFLICT")
    assert "has no lessons to complete" in refused.errmsg
    assert learner.call("GET", path).result["status"] == "incomplete"
    staff = api.call("PUT", f"{path}/complete", json_body={"userId": learner.user})
    assert (staff.status, staff.result["status"]) == (200, "completed")


# Learners read only what is published to them


@dataclass
class Placed:
    """A lesson with a media file attached, placed once: in a module of a published course."""

    api: Api
    learner: Api
    course_id: str
    module_id: str
    lesson_id: str
    media_id: str

    def lesson(self) -> ApiResponse:
        return self.learner.call("GET", f"/api/lessons/{self.lesson_id}")

    def media(self) -> ApiResponse:
        return self.learner.call("GET", f"/api/media/{self.media_id}")


@pytest.fixture
def placed(api: Api) -> Placed:
    course_id = api.create_course(status="published")["courseId"]
    module_id = api.create_module(course_id)["moduleId"]
    lesson_id = api.create_lesson(mediaContent={"format": "video", "source": "https://example.com/v"})["lessonId"]
    media_id = api.call("POST", "/api/media", json_body={"format": "video", "source": "https://example.com/v"}).result[
        "mediaId"
    ]
    assert api.call("POST", f"/api/lessons/{lesson_id}/media/{media_id}").status == 201
    api.add_lesson(course_id, module_id, lesson_id)
    return Placed(api, api.as_("learner"), course_id, module_id, lesson_id, media_id)


def test_learners_read_a_lesson_and_its_media_through_a_published_placement(placed: Placed) -> None:
    lesson, media = placed.lesson(), placed.media()

    assert (lesson.status, lesson.result["mediaContent"]["source"]) == (200, "https://example.com/v")
    assert media.status == 200
    staff_only = {key: media.result[key] for key in ("path", "params", "createdBy", "updatedBy")}
    assert staff_only == dict.fromkeys(staff_only)  # present, as the contract's keys are, but empty
    assert placed.api.call("GET", f"/api/media/{placed.media_id}").result["createdBy"] == placed.api.user


@pytest.mark.parametrize(
    "hide",
    [
        "course_draft",
        "module_unpublished",
        "parent_unpublished",
        "link_unpublished",
        "lesson_unpublished",
        "not_placed",
    ],
)
def test_learners_do_not_read_what_is_not_published_to_them(api: Api, placed: Placed, hide: str) -> None:
    course, module = f"/api/courses/{placed.course_id}", f"/api/modules/{placed.module_id}"
    path = f"{course}/modules/{placed.module_id}/lessons/{placed.lesson_id}"
    submodule = None
    if hide == "course_draft":
        api.call("PUT", course, json_body={"status": "draft"})
    elif hide == "module_unpublished":
        api.call("PUT", module, json_body={"status": "unpublished"})
    elif hide == "parent_unpublished":  # the lesson moves to a submodule of an unpublished module
        api.call("DELETE", path)
        submodule = api.create_module(placed.course_id, parentId=placed.module_id)["moduleId"]
        api.add_lesson(placed.course_id, submodule, placed.lesson_id)
        api.call("PUT", module, json_body={"status": "unpublished"})
    elif hide == "link_unpublished":
        api.call("DELETE", path)
        api.add_lesson(placed.course_id, placed.module_id, placed.lesson_id, status="unpublished", freeLesson=True)
    elif hide == "lesson_unpublished":
        api.call("PUT", f"/api/lessons/{placed.lesson_id}", json_body={"status": "unpublished"})
    else:
        api.call("DELETE", path)
    api.enroll(placed.course_id, placed.learner.user)

    for refused in (
        placed.lesson(),
        placed.media(),
        placed.learner.call("POST", f"/api/lessons/{placed.lesson_id}/tracking", json_body={}),
        *(
            # The submodule itself, and its lessons, are hidden with its parent, as in the tree.
            [
                placed.learner.call("GET", f"/api/modules/{submodule}"),
                placed.learner.call("GET", f"/api/modules/{submodule}/lessons"),
            ]
            if hide == "parent_unpublished"
            else []
        ),
    ):
        assert (refused.status, refused.err) == (404, "RESOURCE_NOT_FOUND"), (hide, refused.body)
    assert api.call("GET", f"/api/lessons/{placed.lesson_id}").status == 200  # staff still read it


def test_a_free_lesson_of_a_draft_course_gives_nothing(api: Api) -> None:
    draft = api.create_course(status="draft")["courseId"]
    upload = {"format": "video", "source": "https://example.com/free"}
    media_id = api.call("POST", "/api/media", json_body=upload).result["mediaId"]
    lesson_id = api.create_lesson(mediaId=media_id)["lessonId"]
    api.add_lesson(draft, None, lesson_id, freeLesson=True)
    learner = api.as_("learner")

    assert learner.call("GET", f"/api/media/{media_id}").status == 404
    assert learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={}).status == 404
    api.call("PUT", f"/api/courses/{draft}", json_body={"status": "published"})
    assert learner.call("GET", f"/api/media/{media_id}").status == 200
    assert learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={}).status == 201


def test_a_learner_cannot_undo_a_cancellation_by_enrolling_again(api: Api) -> None:
    course_id = api.create_course(status="published", autoEnroll=True)["courseId"]
    learner = api.as_("learner")
    enrollment = learner.enroll(course_id, learner.user).result
    api.call("DELETE", f"/api/enrollments/{enrollment['enrollmentId']}")

    again = learner.enroll(course_id, learner.user)

    assert (again.status, again.err) == (403, "FORBIDDEN")
    assert "was cancelled; ask an instructor to enroll you again" in again.errmsg
    assert listed(api, userId=learner.user, status="cancelled")[0]["enrollmentId"] == enrollment["enrollmentId"]
    assert api.enroll(course_id, learner.user).status == 201  # staff re-enroll them
    assert learner.enroll(course_id, learner.user).status == 409  # enrolled already


# Passes count for the course whose rules they were made under


def test_a_pass_under_another_courses_easier_rules_does_not_count(api: Api) -> None:
    lesson_id = api.create_lesson(totalMarks=100, passingMarks=10)["lessonId"]
    strict = api.create_course(status="published")["courseId"]
    api.add_lesson(strict, None, lesson_id, passingMarks=90)
    lenient = api.create_course(status="published", free=True)["courseId"]
    api.add_lesson(lenient, None, lesson_id)
    learner = api.as_("learner")
    api.enroll(strict, learner.user)
    path = f"/api/lessons/{lesson_id}/tracking"

    assert learner.call("POST", path, json_body={"courseId": lenient}).status == 201
    assert learner.call("PUT", f"{path}/complete", json_body={"score": 15}).status == 200  # passes there
    started = learner.call("POST", f"/api/courses/{strict}/tracking", json_body={}).result
    assert (started["noOfLessons"], started["completedLessons"]) == (1, 0)  # not here: it asks for 90

    learner.call("POST", path, json_body={"courseId": strict})
    learner.call("PUT", f"{path}/complete", json_body={"score": 95})
    assert learner.call("GET", f"/api/courses/{strict}/tracking").result["status"] == "completed"


def test_a_pass_recorded_before_passes_were_kept_per_course_still_counts(api: Api) -> None:
    course_id = api.create_course(status="published")["courseId"]
    lesson_id = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    api.add_lesson(course_id, None, lesson_id)
    learner = api.as_("learner")
    api.enroll(course_id, learner.user)
    keys = Keys(api.tenant)
    # As the earlier version wrote it: keyed by the lesson alone, with no course.
    PassedLesson(keys.passed_lessons(learner.user), f"LESSON#{lesson_id}", lesson_id=lesson_id, passed_at=PAST).save()

    started = learner.call("POST", f"/api/courses/{course_id}/tracking", json_body={}).result

    assert (started["completedLessons"], started["status"]) == (1, "completed")


# Values no store or clock can hold are the caller's mistake


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0999-06-01T00:00:00Z", "1899-12-31T23:59:59Z"]
)
def test_a_date_outside_the_years_1900_to_9999_is_400_after_the_token(api: Api, when: str) -> None:
    body = {"title": "T", "startDatetime": when}
    anonymous = api.call("POST", "/api/courses", json_body=body, token=None)
    refused = api.call("POST", "/api/courses", json_body=body)
    learner = api.as_("learner").call(
        "PUT", f"/api/courses/{uuid.uuid4()}/tracking", json_body={"lastAccessedDate": when}
    )

    assert (anonymous.status, refused.status, learner.status) == (401, 400, 400)
    assert "between the years 1900 and 9999" in refused.errmsg
    assert api.call("GET", "/api/courses").result["count"] == 0


def test_numbers_and_ids_the_table_cannot_hold_are_400(api: Api, course: Course) -> None:
    too_fine = course.lesson(course.lessons[0], "PUT", "/complete", score=1e-200)
    assert (too_fine.status, too_fine.errmsg) == (400, "The field 'score' must have at most two decimal places.")
    huge = api.call(
        "POST", "/api/media", json_body={"format": "video", "source": "https://x.example/v", "size": 10**200}
    )
    assert (huge.status, huge.err) == (400, "INVALID_REQUEST")
    long_id = api.enroll(course.course_id, "\U0001d54f" * 255)  # 255 characters, 1,020 bytes
    assert (long_id.status, long_id.errmsg) == (400, "The field 'userId' must be at most 255 bytes of UTF-8.")
    bad_port = api.call("POST", "/api/media", json_body={"format": "video", "source": "https://x.example:99999999/v"})
    assert (bad_port.status, bad_port.err) == (400, "INVALID_REQUEST")
    not_json = api.call(
        "POST", "/api/courses", body=b'{"title": "T", "params": {"a": NaN}}', content_type="application/json"
    )
    assert (not_json.status, not_json.errmsg) == (400, "The request body is not valid JSON (NaN is not a JSON value).")
    digits = api.call(
        "POST", "/api/courses", body=b'{"title": "T", "x": ' + b"1" * 5000 + b"}", content_type="application/json"
    )
    assert (digits.status, digits.err) == (400, "INVALID_REQUEST")
    assert "is not valid JSON" in digits.errmsg
    done = course.lesson(course.lessons[0], "PUT", "/complete", score=85.5)
    assert (done.status, done.result["score"]) == (200, 85.5)


@pytest.mark.parametrize("user", ["u" * 256, "\ud800", "bob\udfff"])
def test_a_token_whose_user_id_cannot_go_into_a_key_is_401(api: Api, user: str) -> None:
    learner = api.as_("learner", user=user)

    refused = learner.call("GET", "/api/courses")
    in_a_form = learner.call(
        "POST", "/api/enrollments", body=b"--x\r\n", content_type="multipart/form-data; boundary=x"
    )

    assert (refused.status, refused.errmsg) == (401, "The access token has no valid user id claim 'sub'.")
    assert (in_a_form.status, in_a_form.err) == (401, "UNAUTHORIZED")  # not a crash outside the envelope


def test_each_course_grades_limits_and_resumes_its_own_attempts(api: Api) -> None:
    lesson_id = api.create_lesson(totalMarks=100, passingMarks=50)["lessonId"]
    lenient = api.create_course(status="published")["courseId"]
    api.add_lesson(lenient, None, lesson_id, totalMarks=1000, passingMarks=1)
    strict = api.create_course(status="published")["courseId"]
    api.add_lesson(strict, None, lesson_id, attemptsGrade="highest", passingMarks=100, noOfAttempts=2)
    learner = api.as_("learner")
    for course_id in (lenient, strict):
        api.enroll(course_id, learner.user)
    learner.call("POST", f"/api/courses/{strict}/tracking", json_body={})
    path = f"/api/lessons/{lesson_id}/tracking"

    def attempt(course_id: str, score: int) -> ApiResponse:
        started = learner.call("POST", path, json_body={"courseId": course_id})
        assert started.status == 201, started.body
        return learner.call("PUT", f"{path}/complete", json_body={"score": score})

    assert attempt(lenient, 200).status == 200  # passes there: 200 of 1000 against 1
    assert attempt(strict, 0).status == 200  # 0 here: "highest" looks at this course's attempts only
    assert learner.call("GET", f"/api/courses/{strict}/tracking").result["completedLessons"] == 0
    assert attempt(strict, 100).status == 200  # the second of this course's two attempts
    assert learner.call("GET", f"/api/courses/{strict}/tracking").result["status"] == "completed"
    beyond = learner.call("POST", path, json_body={"courseId": strict})
    assert (beyond.status, beyond.err) == (400, "INVALID_REQUEST")
    assert "maximum of 2 attempts" in beyond.errmsg
    assert learner.call("POST", path, json_body={"courseId": lenient}).status == 201  # no limit there


def test_a_learner_takes_a_lesson_only_within_its_window(api: Api, course: Course) -> None:
    later = api.create_lesson(startDatetime="2099-01-01T00:00:00Z")["lessonId"]
    api.add_lesson(course.course_id, None, later)
    closed = api.create_lesson()["lessonId"]
    api.add_lesson(course.course_id, None, closed, endDatetime="2020-01-01T00:00:00Z")  # the link's window

    not_yet = course.lesson(later, "POST")
    too_late = course.lesson(closed, "POST")

    assert (not_yet.status, not_yet.errmsg) == (403, f"Lesson {later} opens at 2099-01-01T00:00:00Z.")
    assert (too_late.status, too_late.err) == (403, "FORBIDDEN")
    assert "closed at 2020-01-01T00:00:00Z" in too_late.errmsg
    assert course.lesson(closed, "POST", caller=api, userId=course.learner.user).status == 201  # staff may


def test_an_attempt_cannot_change_once_its_window_closed(api: Api, course: Course) -> None:
    lesson_id = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    api.add_lesson(course.course_id, None, lesson_id)
    assert course.lesson(lesson_id, "POST").status == 201
    # The window closes after the attempt started: every later write is judged by it.
    assert api.call("PUT", f"/api/lessons/{lesson_id}", json_body={"endDatetime": PAST}).status == 200

    for refused in (
        course.lesson(lesson_id, "PUT", currentPosition=1),
        course.lesson(lesson_id, "PUT", "/complete", score=10),
    ):
        assert (refused.status, refused.err) == (403, "FORBIDDEN")
        assert f"closed at {PAST}" in refused.errmsg
    assert course.stored_track()["completedLessons"] == 0
    done = course.lesson(lesson_id, "PUT", "/complete", caller=api, userId=course.learner.user, score=10)
    assert done.status == 200


def test_an_attempt_in_no_course_needs_a_link_open_now(api: Api) -> None:
    lesson_id = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    learner = api.as_("learner")
    for _ in range(2):  # in two courses, so an attempt naming none belongs to neither
        course_id = api.create_course(status="published")["courseId"]
        api.add_lesson(course_id, None, lesson_id, startDatetime="2099-01-01T00:00:00Z")
        api.enroll(course_id, learner.user)

    refused = learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={})

    assert (refused.status, refused.errmsg) == (403, f"Lesson {lesson_id} opens at 2099-01-01T00:00:00Z.")


@pytest.mark.parametrize("first", ["course level", "in a module"])
def test_a_lesson_twice_in_a_course_follows_the_link_added_first(api: Api, course: Course, first: str) -> None:
    # Links are keyed by their module's id; whichever order that gives, the link added first rules.
    lesson_id = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    module_id = api.create_module(course.course_id)["moduleId"]
    places = [(None, 9), (module_id, 1)] if first == "course level" else [(module_id, 9), (None, 1)]
    for place, passing_marks in places:
        api.add_lesson(course.course_id, place, lesson_id, passingMarks=passing_marks)

    started = course.lesson(lesson_id, "POST", courseId=course.course_id)
    course.lesson(lesson_id, "PUT", "/complete", score=5)

    assert started.status == 201, started.body
    attempt = course.lesson(lesson_id, "GET").result
    assert (attempt["lesson"]["passingMarks"], attempt["passed"]) == (9, False)
    assert course.stored_track()["completedLessons"] == 0


def test_a_free_course_closes_at_its_end(api: Api) -> None:
    course_id = api.create_course(status="published", free=True, endDatetime="2020-01-01T00:00:00Z")["courseId"]

    refused = api.as_("learner").call("POST", f"/api/courses/{course_id}/tracking", json_body={})

    assert (refused.status, refused.err) == (403, "FORBIDDEN")
    assert f"Free course {course_id} ended on 2020-01-01T00:00:00Z" in refused.errmsg


def test_text_that_is_not_unicode_is_refused_and_nothing_stored(api: Api) -> None:
    nested_key = b'{"title": "k", "params": {"a": {"\\ud800": 1}}}'
    in_a_form: dict[str, FormValue] = {"title": "k", "params": '{"a": ["\\udfff"]}'}
    too_large = b'{"title": "k", "params": {"a": 1e400}}'
    not_utf8 = b'{"title": "\xff"}'

    for response in (
        api.call("POST", "/api/courses", body=nested_key, content_type="application/json"),
        api.call("POST", "/api/courses", form=in_a_form),
        api.call("POST", "/api/courses", body=too_large, content_type="application/json"),
        api.call("POST", "/api/courses", body=not_utf8, content_type="application/json"),
    ):
        assert (response.status, response.err) == (400, "INVALID_REQUEST"), response.body
    assert "lone surrogate" in api.call("POST", "/api/courses", form=in_a_form).errmsg
    assert (
        "The request body is not UTF-8 text: send it encoded as UTF-8."
        in api.call("POST", "/api/courses", body=not_utf8, content_type="application/json").errmsg
    )
    assert api.call("GET", "/api/courses").result["count"] == 0
