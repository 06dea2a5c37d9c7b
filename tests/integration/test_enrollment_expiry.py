"""The scheduled expiry job through its real handler, fed the schedule's event (events/)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from local import stack
from local.template import ROOT
from shared.services import expiry
from tests.support.api import Api
from tests.support.stream import Stream

SCHEDULED = json.loads((ROOT / "events/enrollment_expiry/scheduled.json").read_text())
COURSE_END = "2030-12-31T23:59:59Z"


def run_job(api: Api, time: str) -> dict[str, int]:
    result: dict[str, int] = api.host.invoke("EnrollmentExpiryFunction", {**SCHEDULED, "time": time})
    return result


def enrollment_of(api: Api, user: str) -> dict:
    listed = api.call("GET", "/api/enrollments", query={"userId": user}).result["enrollments"]
    return api.call("GET", f"/api/enrollments/{listed[0]['enrollmentId']}").result


def test_enrollments_are_announced_then_expired_once_each(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    for user, extra in (("ending", {}), ("unlimited", {"unlimitedPlan": True}), ("cancelled", {})):
        api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": user, **extra})
    api.call("DELETE", f"/api/enrollments/{enrollment_of(api, 'cancelled')['enrollmentId']}")

    run_job(api, "2030-12-01T00:00:00Z")  # not within 7 days yet
    assert stream.published("enrollment.expiring") == []
    run_job(api, "2030-12-28T00:00:00Z")
    run_job(api, "2030-12-29T00:00:00Z")  # a second run announces nothing again

    expiring = stream.published("enrollment.expiring")
    assert [event["detail"]["userId"] for event in expiring] == ["ending"]
    assert expiring[0]["detail"]["endTime"] == COURSE_END
    announced = enrollment_of(api, "ending")
    assert (announced["status"], announced["beforeExpiryMail"], announced["afterExpiryMail"]) == (
        "active",
        True,
        False,
    )

    run_job(api, SCHEDULED["time"])
    run_job(api, "2031-01-02T00:00:00Z")

    expired = enrollment_of(api, "ending")
    assert (expired["status"], expired["afterExpiryMail"], expired["updatedBy"]) == ("expired", True, "expiry-job")
    assert [event["detail"]["userId"] for event in stream.published("enrollment.expired")] == ["ending"]
    assert enrollment_of(api, "unlimited")["status"] == "active"
    assert stream.published("enrollment.expiring") == expiring


def test_an_extended_end_is_announced_again(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": "renewed"})
    run_job(api, "2030-12-28T00:00:00Z")
    enrollment_id = enrollment_of(api, "renewed")["enrollmentId"]

    api.call(
        "PUT",
        f"/api/enrollments/{enrollment_id}",
        json_body={"status": "extended", "endTime": "2031-06-30T00:00:00Z", "beforeExpiryMail": False},
    )
    run_job(api, "2031-01-01T00:00:00Z")  # the old end has passed, the new one is far
    run_job(api, "2031-06-25T00:00:00Z")

    assert enrollment_of(api, "renewed")["status"] == "extended"
    assert [event["detail"]["endTime"] for event in stream.published("enrollment.expiring")] == [
        COURSE_END,
        "2031-06-30T00:00:00Z",
    ]


def test_the_local_stack_runs_the_job_on_its_schedule_with_a_scheduled_event_of_now(
    api: Api, stream: Stream, monkeypatch
) -> None:
    schedules = stack.schedules(api.host, every=None)
    assert [(schedule.function, schedule.interval) for schedule in schedules] == [("EnrollmentExpiryFunction", 3600)]
    assert [schedule.interval for schedule in stack.schedules(api.host, every=2.5)] == [2.5]
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": "ending"})
    monkeypatch.setattr(stack, "utc_now", lambda: "2031-01-01T00:00:00Z")  # the schedule's clock, past the end

    schedules[0].step()

    assert enrollment_of(api, "ending")["status"] == "expired"
    assert [event["detail"]["userId"] for event in stream.published("enrollment.expired")] == ["ending"]


@dataclass
class DwindlingContext:
    """A Lambda context whose remaining time drops by `step_ms` at each look, from `start_ms`: a
    run with a small time budget, whatever this machine's speed."""

    start_ms: int
    step_ms: int
    looks: int = 0

    def get_remaining_time_in_millis(self) -> int:
        self.looks += 1
        return max(0, self.start_ms - self.step_ms * self.looks)


def test_a_run_out_of_time_stops_before_its_timeout_and_the_next_carries_on(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published", endDatetime=COURSE_END)["courseId"]
    users = [f"due-{index:02d}" for index in range(25)]
    for user in users:
        assert api.enroll(course_id, user).status == 201
    after_the_end = datetime(2031, 1, 1, tzinfo=UTC)

    runs: list[dict[str, int]] = []
    while not runs or runs[-1]["stopped"]:
        budget = DwindlingContext(start_ms=expiry.STOP_BEFORE_TIMEOUT_MS + 10 * 1_000, step_ms=1_000)
        runs.append(expiry.expire_enrollments(after_the_end, timedelta(days=7), budget))  # type: ignore[arg-type]
        assert len(runs) <= len(users), "a run made no progress"

    assert len(runs) > 2  # the budget cut the work into several runs
    assert all(run["enrollment.expired"] > 0 for run in runs[:-1])
    assert sum(run["enrollment.expired"] for run in runs) == len(users)  # nothing missed, nothing twice
    published = [event["detail"]["userId"] for event in stream.published("enrollment.expired")]
    assert sorted(published) == users
    assert {enrollment_of(api, user)["status"] for user in users} == {"expired"}
