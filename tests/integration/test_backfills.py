"""Backfills bring items an earlier version wrote to today's shape, on both engines: once, and a
second run changes nothing."""

import time
from collections.abc import Callable, Iterator

import pytest

from shared import backfills
from shared.clock import utc_now
from shared.observability import logger
from shared.repository.enrollments import EnrollmentRepository, due_for_expiry
from shared.repository.items import (
    CourseAttempt,
    CourseItem,
    CourseTrackItem,
    EnrollmentCopy,
    EnrollmentItem,
    TrackListEntry,
    TreeHead,
    TreePart,
)
from shared.repository.listing import ListCounter, ListEntry, listings_ready
from shared.repository.marks import COURSE_PROGRESS, LISTINGS, BackfillMark, forget_marks, mark_backfilled, mark_key
from shared.repository.metering import RequestCounter
from tests.support.api import Api
from tests.support.lists import assert_lists_match_items, tenant_items

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

    assert backfills.expiry_schedule() == backfills.Progress(changed=1, resume_from=None)
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


@pytest.fixture
def before_issue_14(api: Api) -> Iterator[Callable[[], None]]:
    """Turns the tenant's data into what the version before issue 14 stored: no list entries, no
    counters, no tree documents, nothing `listed`, and the table not marked ready. The same items
    minus what issue 14 added, which is all the earlier code path wrote differently."""

    def strip() -> None:
        for item in tenant_items(api.tenant):
            if isinstance(item, ListEntry | ListCounter | TreeHead | TreePart):
                item.delete()
            elif isinstance(item, CourseItem | EnrollmentItem):
                item.update(actions=[type(item).listed.remove()])
        BackfillMark(*mark_key(LISTINGS)).delete()
        forget_marks()

    yield strip
    mark_backfilled(LISTINGS, utc_now())  # the module's other tests share the table


def pages(caller: Api, path: str, key: str, query: dict[str, str]) -> tuple[int, list[str]]:
    result = caller.call("GET", path, query={**query, "limit": "100"}).result
    id_key = "courseId" if key == "courses" else "enrollmentId"
    return result["count"], [each[id_key] for each in result[key]]


def test_lists_and_trees_of_a_table_written_before_issue_14_come_by_a_resumable_backfill(
    api: Api, before_issue_14: Callable[[], None]
) -> None:
    course_ids = [api.create_course(status=status)["courseId"] for status in ("published", "draft", "published")]
    module = api.create_module(course_ids[0], title="M")
    api.add_lesson(course_ids[0], module["moduleId"], api.create_lesson(title="L")["lessonId"])
    enrolled = [api.enroll(course_ids[index % 3], f"user-{index}").result["enrollmentId"] for index in range(5)]
    api.call("PUT", f"/api/enrollments/{enrolled[1]}", json_body={"endTime": "2024-05-31T00:00:00Z"})  # expired
    reads = [
        ("/api/courses", "courses", {}),
        ("/api/courses", "courses", {"status": "published"}),
        ("/api/enrollments", "enrollments", {}),
        ("/api/enrollments", "enrollments", {"status": "expired"}),
        ("/api/enrollments", "enrollments", {"courseId": course_ids[0]}),
        ("/api/enrollments", "enrollments", {"userId": "user-2"}),
    ]
    answers = [pages(api, path, key, query) for path, key, query in reads]
    tree = api.call("GET", f"/api/courses/{course_ids[0]}/details").result

    before_issue_14()

    # Until the backfill has run, lists are read as before (whole), and answer the same.
    assert not listings_ready()
    assert [pages(api, path, key, query) for path, key, query in reads] == answers
    # A tree is built by its first read (lazily: no backfill), then read as stored. Its order is
    # counted afresh from a head made now (structureVersion "0").
    tree["structureVersion"] = "0"
    assert api.call("GET", f"/api/courses/{course_ids[0]}/details").result == tree
    with RequestCounter() as counter:
        assert api.call("GET", f"/api/courses/{course_ids[0]}/details").result == tree
    assert counter.operations == ["Query"]
    # Writes meanwhile list what they change, so the backfill leaves it alone.
    api.call("PUT", f"/api/courses/{course_ids[1]}", json_body={"status": "published"})
    api.call("DELETE", f"/api/enrollments/{enrolled[4]}")
    answers = [pages(api, path, key, query) for path, key, query in reads]

    runs, resume_from, changed = 0, None, 0
    while True:  # one item a run: each stops at once and says where to carry on
        progress = backfills.listings(resume_from, deadline=time.monotonic())
        runs, changed, resume_from = runs + 1, changed + progress.changed, progress.resume_from
        if resume_from is None:
            break
    assert runs > 1
    assert changed == 3 + 5 - 2  # two were listed by the writes
    assert listings_ready()
    assert_lists_match_items(api.tenant)
    with RequestCounter() as counter:
        assert [pages(api, path, key, query) for path, key, query in reads] == answers
    assert counter.operations.count("BatchGetItem") == 4  # the enrollment lists, now read by the page
    assert backfills.listings() == backfills.Progress(changed=0, resume_from=None)


@pytest.fixture
def before_issue_16(api: Api) -> Iterator[Callable[[], None]]:
    """Turns the tenant's data into what the version before issue 16 stored: no enrollment copies
    and no attempt copies in the users' progress partitions, no track lists (nor their counters'
    counts: tracks unlisted), and the table not marked."""

    def strip() -> None:
        for item in tenant_items(api.tenant):
            if isinstance(item, EnrollmentCopy | CourseAttempt | TrackListEntry) or (
                isinstance(item, ListCounter) and "#LIST#TRACKS#" in item.pk
            ):
                item.delete()
            elif isinstance(item, CourseTrackItem):
                item.update(actions=[CourseTrackItem.listed.remove()])
        BackfillMark(*mark_key(COURSE_PROGRESS)).delete()
        forget_marks()

    yield strip
    mark_backfilled(COURSE_PROGRESS, utc_now())  # the module's other tests share the table


def test_course_progress_of_a_table_written_before_issue_16_comes_by_a_resumable_backfill(
    api: Api, before_issue_16: Callable[[], None]
) -> None:
    course_id = api.create_course(status="published")["courseId"]
    lessons = [api.create_lesson(title=f"L{index}")["lessonId"] for index in range(2)]
    for lesson_id in lessons:
        api.add_lesson(course_id, None, lesson_id)
    learner = api.as_("learner", user="legacy-learner")
    assert api.enroll(course_id, learner.user).status == 201
    for lesson_id in lessons:
        assert learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={"totalContent": 4}).status == 201
    learner.call("PUT", f"/api/lessons/{lessons[0]}/tracking", json_body={"currentPosition": 2})
    path = f"/api/courses/{course_id}/tracking/details"
    tree = learner.call("GET", path).result

    before_issue_16()

    # Until the backfill has run, a missing copy of the enrollment is looked up (access holds);
    # attempts without copies show no tracking yet, and a new write of one copies it.
    with RequestCounter() as counter:
        unfilled = learner.call("GET", path)
    assert unfilled.status == 200, unfilled.body
    assert counter.operations == ["Query", "Query", "GetItem", "GetItem"]  # the mark, the enrollment
    assert [entry["tracking"] for entry in unfilled.result["lessons"]] == [None, None]
    learner.call("PUT", f"/api/lessons/{lessons[1]}/tracking", json_body={"currentPosition": 1})
    assert learner.call("GET", path).result["lessons"][1]["tracking"]["openAttempt"]["currentPosition"] == 1

    resume_from, runs, changed = None, 0, 0
    while True:  # one item a run
        progress = backfills.course_progress(resume_from, deadline=time.monotonic())
        runs, changed, resume_from = runs + 1, changed + progress.changed, progress.resume_from
        if resume_from is None:
            break
    assert runs > 1
    assert changed >= 2  # the enrollment's copy and the first attempt's (other tenants' items too)
    with RequestCounter() as counter:
        filled = learner.call("GET", path).result
    assert counter.operations == ["Query", "Query"]
    assert filled["lessons"][0]["tracking"] == tree["lessons"][0]["tracking"]
    assert filled["lessons"][1]["tracking"]["openAttempt"]["currentPosition"] == 1
    assert backfills.course_progress() == backfills.Progress(changed=0, resume_from=None)
    assert_lists_match_items(api.tenant)


def test_the_backfill_function_logs_its_run_at_the_info_level_lambda_logs_at(api: Api) -> None:
    """The tests log warnings only; the template's level is INFO, where the run's log line once
    raised KeyError (its `name` is a log record's own attribute): every run failed in AWS."""
    previous = logger.log_level
    logger.setLevel("INFO")
    try:
        answer = api.host.invoke("BackfillFunction", {"name": "listings"})
    finally:
        logger.setLevel(previous)
    assert answer == {"name": "listings", "changed": 0, "done": True, "resumeFrom": None}
