"""Backfills bring items an earlier version wrote to today's shape, on both engines: once, and a
second run changes nothing."""

from shared import backfills
from shared.repository.enrollments import EnrollmentRepository, due_for_expiry
from shared.repository.items import EnrollmentItem
from tests.support.api import Api

COURSE_END = "2029-03-31T00:00:00Z"


def test_enrollments_the_old_expiry_rule_left_unlisted_are_listed_and_then_expire(api: Api, capsys) -> None:
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    made = {user: api.enroll(course_id, user).result for user in ("legacy", "current", "cancelled")}
    api.call("DELETE", f"/api/enrollments/{made['cancelled']['enrollmentId']}")
    # As the earlier version stored an enrollment whose afterExpiryMail was set: not in ExpiryIndex.
    legacy = EnrollmentRepository(api.tenant).get(made["legacy"]["enrollmentId"])
    assert legacy is not None
    legacy.update(
        actions=[
            EnrollmentItem.after_expiry_mail.set(True),
            EnrollmentItem.gsi4pk.remove(),
            EnrollmentItem.gsi4sk.remove(),
        ]
    )

    def listed() -> set[str]:
        return {item.user_id for item in due_for_expiry(COURSE_END) if item.tenant_id == api.tenant}

    assert listed() == {"current"}

    assert backfills.expiry_schedule() == 1
    assert listed() == {"legacy", "current"}
    capsys.readouterr()
    assert backfills.main(["expiry-schedule"]) == 0  # again, as an operator runs it: nothing left to do
    assert capsys.readouterr().out.splitlines()[-1] == "expiry-schedule: 0 item(s) changed"

    api.host.invoke("EnrollmentExpiryFunction", {"time": "2029-04-01T00:00:00Z"})
    statuses = {
        enrollment["userId"]: enrollment["status"]
        for enrollment in api.call("GET", "/api/enrollments", query={"courseId": course_id}).result["enrollments"]
    }
    assert statuses == {"legacy": "expired", "current": "expired"}
    stored = EnrollmentRepository(api.tenant).get(made["legacy"]["enrollmentId"])
    assert stored is not None
    assert stored.status == "expired"
    assert stored.gsi4pk is None  # off the schedule once expired
