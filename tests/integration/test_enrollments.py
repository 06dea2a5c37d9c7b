"""Every Enrollment endpoint through its real handler, on moto and DynamoDB Local."""

import threading
import uuid

import pytest

from shared.auth import Principal, Role
from shared.errors import Conflict
from shared.schemas.enrollments import EnrollmentCreate
from shared.services import enrollments
from tests.support.api import Api

ENROLLMENT_KEYS = {
    "enrollmentId", "courseId", "userId", "tenentId", "enrolledOnTime", "endTime", "status", "unlimitedPlan",
    "beforeExpiryMail", "afterExpiryMail", "params", "enrolledBy", "enrolledAt", "course",
}  # fmt: skip


@pytest.fixture
def course(api: Api) -> dict:
    return api.create_course(status="published", shortDescription="short", endDatetime="2030-12-31T23:59:59Z")


def test_staff_enroll_anyone_with_the_course_end_as_end_time(api, course):
    response = api.as_("instructor").enroll(course["courseId"], "learner-1", params={"cohort": "A"})

    assert response.status == 201, response.body
    assert response.body["id"] == "api.enrollment.create"
    enrollment = response.result
    assert set(enrollment) >= ENROLLMENT_KEYS
    assert (enrollment["status"], enrollment["endTime"], enrollment["userId"]) == (
        "active",
        "2030-12-31T23:59:59Z",
        "learner-1",
    )
    assert enrollment["course"]["title"] == course["title"]
    assert api.call("GET", f"/api/enrollments/{enrollment['enrollmentId']}").result == enrollment
    unlimited = api.enroll(course["courseId"], "learner-2", unlimitedPlan=True).result
    assert (unlimited["unlimitedPlan"], unlimited["endTime"]) == (True, None)


def test_one_enrollment_per_user_and_course_and_a_cancelled_one_can_be_renewed(api, course):
    first = api.enroll(course["courseId"], "learner-1").result

    again = api.enroll(course["courseId"], "learner-1")
    assert again.status == 409
    assert "already enrolled" in again.errmsg
    assert api.call("DELETE", f"/api/enrollments/{first['enrollmentId']}").result == {
        "message": "Enrollment cancelled successfully"
    }
    assert api.enroll(course["courseId"], "learner-1").status == 201


def test_a_learner_enrolls_only_themselves_in_a_self_enrollment_course(api):
    open_course = api.create_course(status="published", autoEnroll=True)["courseId"]
    approval = api.create_course(status="published", autoEnroll=True, adminApproval=True)["courseId"]
    closed = api.create_course(status="published")["courseId"]
    draft = api.create_course(status="draft", autoEnroll=True)["courseId"]
    learner = api.as_("learner")

    assert learner.enroll(open_course, learner.user).result["status"] == "active"
    assert learner.enroll(approval, learner.user).result["status"] == "pending"
    assert learner.enroll(closed, learner.user).status == 403
    assert learner.enroll(open_course, "someone-else").status == 403
    assert learner.enroll(draft, learner.user).status == 404


def test_list_filters_pages_and_hides_cancelled(api, course):
    other = api.create_course(status="published")["courseId"]
    made = [api.enroll(course["courseId"], f"user-{index}").result for index in range(3)]
    api.enroll(other, "user-0")
    api.call("DELETE", f"/api/enrollments/{made[2]['enrollmentId']}")

    def listed(**query: str) -> dict:
        response = api.call("GET", "/api/enrollments", query=query)
        assert response.status == 200, response.body
        return response.result

    assert listed()["count"] == 3
    assert [e["userId"] for e in listed(courseId=course["courseId"])["enrollments"]] == ["user-1", "user-0"]
    assert [e["courseId"] for e in listed(userId="user-0")["enrollments"]] == [other, course["courseId"]]
    assert listed(userId="user-0", courseId=other)["count"] == 1
    assert [e["userId"] for e in listed(status="cancelled")["enrollments"]] == ["user-2"]
    page = listed(courseId=course["courseId"], page="2", limit="1")
    assert (page["count"], [e["userId"] for e in page["enrollments"]]) == (2, ["user-0"])
    assert set(page["enrollments"][0]) >= {
        "enrollmentId",
        "courseId",
        "userId",
        "enrolledOnTime",
        "endTime",
        "status",
        "unlimitedPlan",
        "course",
    }
    assert page["enrollments"][0]["course"] == {"title": course["title"], "shortDescription": "short", "image": None}


def test_learners_see_only_their_own(api, course):
    learner = api.as_("learner")
    mine = api.enroll(course["courseId"], learner.user).result
    theirs = api.enroll(course["courseId"], "another-user").result

    assert [e["enrollmentId"] for e in learner.call("GET", "/api/enrollments").result["enrollments"]] == [
        mine["enrollmentId"]
    ]
    assert learner.call("GET", "/api/enrollments", query={"userId": "another-user"}).status == 403
    assert learner.call("GET", f"/api/enrollments/{mine['enrollmentId']}").status == 200
    assert learner.call("GET", f"/api/enrollments/{theirs['enrollmentId']}").status == 403
    assert (
        learner.call("PUT", f"/api/enrollments/{mine['enrollmentId']}", json_body={"status": "extended"}).status == 403
    )
    assert learner.call("DELETE", f"/api/enrollments/{mine['enrollmentId']}").status == 403


def test_update_is_partial_and_validated(api, course):
    enrollment = api.enroll(course["courseId"], "learner-1").result
    path = f"/api/enrollments/{enrollment['enrollmentId']}"

    response = api.call(
        "PUT",
        path,
        json_body={
            "endTime": "2031-06-30T23:59:59Z",
            "status": "extended",
            "params": {"extendedReason": "Customer request"},
        },
    )

    assert response.status == 200
    assert response.body["id"] == "api.enrollment.update"
    assert (response.result["status"], response.result["endTime"], response.result["updatedBy"]) == (
        "extended",
        "2031-06-30T23:59:59Z",
        api.user,
    )
    assert response.result["params"] == {"extendedReason": "Customer request"}
    assert api.call("PUT", path, json_body={"unlimitedPlan": True}).result["endTime"] is None
    assert api.call("PUT", path, json_body={"status": "frozen"}).status == 400
    assert api.call("PUT", path, json_body={"status": None}).status == 400


def test_enrollment_refusals(api, course):
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")
    enrollment_id = api.enroll(course["courseId"], "learner-1").result["enrollmentId"]

    assert api.enroll(str(uuid.uuid4()), "learner-1").status == 404
    assert stranger.enroll(course["courseId"], "learner-1").status == 404
    assert stranger.call("GET", f"/api/enrollments/{enrollment_id}").status == 404
    assert api.call("GET", f"/api/enrollments/{uuid.uuid4()}").status == 404
    assert api.call("GET", "/api/enrollments/xyz").status == 400
    assert api.call("GET", "/api/enrollments", token=None).status == 401
    assert api.call("POST", "/api/enrollments", json_body={"courseId": course["courseId"]}).status == 400
    assert api.call("GET", "/api/enrollments", query={"status": "frozen"}).status == 400


def test_a_course_with_active_enrollments_is_deleted_only_by_force(api, course):
    enrollment = api.enroll(course["courseId"], "learner-1").result
    api.enroll(course["courseId"], "learner-2")

    refused = api.call("DELETE", f"/api/courses/{course['courseId']}")
    forced = api.call("DELETE", f"/api/courses/{course['courseId']}", query={"force": "true"})

    assert refused.status == 409
    assert "2 active enrollments" in refused.errmsg
    assert "force=true" in refused.errmsg
    assert forced.status == 200
    kept = api.call("GET", f"/api/enrollments/{enrollment['enrollmentId']}").result
    assert kept["status"] == "cancelled"


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_simultaneous_enrollments_of_one_user_give_one_201(api: Api, course) -> None:
    caller, racers = Principal(api.user, api.tenant, frozenset({Role.ADMIN})), 8
    barrier, outcomes = threading.Barrier(racers), []
    body = EnrollmentCreate.model_validate({"courseId": course["courseId"], "userId": "racer"})

    def attempt() -> None:
        barrier.wait(timeout=10)
        try:
            enrollments.enroll(caller, body)
            outcomes.append(201)
        except Conflict:
            outcomes.append(409)

    threads = [threading.Thread(target=attempt) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [201] + [409] * (racers - 1)
    assert api.call("GET", "/api/enrollments", query={"userId": "racer"}).result["count"] == 1
