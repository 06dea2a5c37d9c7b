"""The StreamProjector fed the table's real stream (moto's, DynamoDB Local's): `course.completed`
published once per completion whatever the stream repeats, course summaries copied onto
enrollments, and course trees built as they change."""

import os
import uuid
from typing import Any

import pytest

from local.stack import StreamFeed
from local.template import ROOT
from shared import events, storage
from shared.clock import sortable_now
from shared.repository.base import LmsItem
from shared.repository.items import LessonLinkItem, link_pointer
from shared.repository.lessons import LessonRepository, copy_chunks
from shared.repository.media import MediaRepository
from shared.repository.metering import RequestCounter
from shared.repository.trees import TreeRepository
from shared.services import projection
from shared.settings import get_settings
from tests.support.api import Api
from tests.support.samples import PNG
from tests.support.stream import Stream
from tests.support.world import event_from_file


def completed_course(api: Api) -> tuple[str, Api]:
    """A one-lesson course its learner has just completed."""
    course_id = api.create_course(status="published")["courseId"]
    lesson_id = api.create_lesson(totalMarks=10, passingMarks=5)["lessonId"]
    api.add_lesson(course_id, None, lesson_id)
    learner = api.as_("learner")
    assert api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": learner.user}).status == 201
    assert learner.call("POST", f"/api/courses/{course_id}/tracking", json_body={}).status == 201
    assert learner.call("POST", f"/api/lessons/{lesson_id}/tracking", json_body={}).status == 201
    done = learner.call("PUT", f"/api/lessons/{lesson_id}/tracking/complete", json_body={"score": 7})
    assert done.status == 200, done.body
    return course_id, learner


def test_a_completed_course_is_published_once(api: Api, stream: Stream, host, backend) -> None:
    course_id, learner = completed_course(api)
    track = learner.call("GET", f"/api/courses/{course_id}/tracking").result

    assert stream.project() > 0
    published = stream.published("course.completed")

    assert len(published) == 1
    assert published[0]["source"] == "lms"
    assert published[0]["detail"] == {
        "tenantId": api.tenant,
        "courseId": course_id,
        "userId": learner.user,
        "courseTrackId": track["courseTrackId"],
        "completedAt": track["endDatetime"],
        "certGenDate": track["certGenDate"],
        "noOfLessons": 1,
        "completedLessons": 1,
    }
    # The stream delivered again from its start (a retried batch, a second consumer): no new event.
    assert StreamFeed(host, backend, stream.feed.table).pump() > 0
    assert stream.published("course.completed") == published


def use_bus(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("EVENT_BUS_NAME", name)
    get_settings.cache_clear()
    events.reset_clients()


def test_a_failed_publish_is_retried_from_that_record(api: Api, stream: Stream, monkeypatch) -> None:
    bus = os.environ["EVENT_BUS_NAME"]
    completed_course(api)
    use_bus(monkeypatch, "no-such-bus")  # EventBridge refuses the event

    stream.project()
    assert stream.published("course.completed") == []

    use_bus(monkeypatch, bus)
    stream.project()
    assert len(stream.published("course.completed")) == 1


def test_a_course_change_refreshes_its_enrollments_copies(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published", title="Old title")["courseId"]
    for user in ("a", "b"):
        api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": user})
    api.call("PUT", f"/api/courses/{course_id}", json_body={"title": "New title", "shortDescription": "Now short"})

    stream.project()

    listed = api.call("GET", "/api/enrollments", query={"courseId": course_id}).result["enrollments"]
    assert [(e["course"]["title"], e["course"]["shortDescription"]) for e in listed] == [("New title", "Now short")] * 2


def test_copies_past_a_lesson_updates_transaction_are_completed(api: Api, stream: Stream, monkeypatch) -> None:
    """The update stops after its own transaction (here: its further ones are skipped, as if the
    function died); the projector writes the rest from the stream."""
    course_id = api.create_course(status="published")["courseId"]
    lesson = api.create_lesson(title="Before")
    lessons = LessonRepository(api.tenant)
    stored = lessons.get_partition(lesson["lessonId"]).lesson
    assert stored is not None
    links = [
        lessons.new_link(stored, course_id, str(uuid.uuid4()), sortable_now(), created_by="t", created_at="t")
        for _ in range(120)
    ]
    with LmsItem.batch_write() as batch:
        for link in links:
            batch.save(link)
            batch.save(link_pointer(lessons.keys, link))
    in_update = len(copy_chunks(links)[0])  # the update's own transaction: the lesson, 97 copies, the tree's mark
    monkeypatch.setattr(LessonRepository, "_refresh", lambda *_: None)
    assert api.call("PUT", f"/api/lessons/{lesson['lessonId']}", json_body={"title": "After"}).status == 200
    monkeypatch.undo()

    def titles() -> list[str]:
        links = LmsItem.query(lessons.keys.course(course_id), LmsItem.sk.startswith("LINK#"))
        return sorted(link.lesson["title"] for link in links if isinstance(link, LessonLinkItem))

    assert titles() == ["After"] * in_update + ["Before"] * (120 - in_update)
    stream.project()
    assert titles() == ["After"] * 120


def test_the_stream_event_file_publishes_its_completion_once(api: Api, stream: Stream) -> None:
    """events/stream_projector/course-completed.json, delivered twice as a stream may."""
    path = ROOT / "events/stream_projector/course-completed.json"

    for _ in range(2):
        assert api.host.invoke("StreamProjectorFunction", event_from_file(path, tenant=api.tenant)) == {
            "batchItemFailures": []
        }

    published = stream.published("course.completed")
    assert [(event["detail"]["userId"], event["detail"]["completedAt"]) for event in published] == [
        ("seeded-learner", "2024-05-10T16:45:00Z")
    ]


def test_a_change_of_a_course_tree_is_built_from_the_stream(api: Api, stream: Stream) -> None:
    course_id = api.create_course(status="published")["courseId"]
    api.create_module(course_id, title="First")
    api.create_module(course_id, title="Second", ordering=9)
    trees = TreeRepository(api.tenant)
    head = trees.read_head(course_id)
    assert head is not None
    assert head.built is None

    stream.project()  # three changes of the tree, one build: the first sees the latest revision

    head = trees.read_head(course_id)
    assert head is not None
    assert head.built == head.revision == 3
    with RequestCounter() as counter:
        tree = api.as_("learner").call("GET", f"/api/courses/{course_id}/details").result
    assert counter.operations == ["Query"]
    assert [module["title"] for module in tree["modules"]] == ["First", "Second"]
    stream.project()  # the store's own record, if not handled yet: nothing is built again
    again = trees.read_head(course_id)
    assert again is not None
    assert again.serialize() == head.serialize()


def test_the_feed_carries_on_after_a_transaction_is_cancelled(api: Api, stream: Stream) -> None:
    """moto replaces the table's stream shard when it cancels a transaction (here: an alias
    taken twice); the feed reads the new one, so a completion after it is still published."""
    alias = f"taken-{uuid.uuid4().hex[:8]}"
    api.create_course(alias=alias)
    stream.project()
    assert api.call("POST", "/api/courses", json_body={"title": "Again", "alias": alias}).status == 409

    course_id, _ = completed_course(api)
    stream.project()

    assert [event["detail"]["courseId"] for event in stream.published("course.completed")] == [course_id]


def test_a_feed_that_cannot_read_says_so_once_and_again_when_it_can(
    host, backend, stream: Stream, caplog: pytest.LogCaptureFixture
) -> None:
    feed = StreamFeed(host, backend, "no-such-table")
    failing = feed.attempt(failing=False)
    failing = feed.attempt(failing)
    feed.table = stream.feed.table
    recovered = feed.attempt(failing)

    assert (failing, recovered) == (True, False)
    said = [(record.levelname, record.getMessage()) for record in caplog.records if record.name == "local.stack"]
    assert said == [
        ("ERROR", "stream-feed cannot go on; trying again every 0.2 s"),
        ("WARNING", "stream-feed works again"),
    ]
    assert "ResourceNotFoundException" in caplog.text


def test_a_tree_change_of_a_course_deleted_since_builds_nothing_and_the_feed_carries_on(
    api: Api, stream: Stream
) -> None:
    gone = api.create_course(status="published")["courseId"]
    api.create_module(gone, title="M")
    assert api.call("DELETE", f"/api/courses/{gone}").status == 200

    course_id, _ = completed_course(api)
    stream.project()

    assert TreeRepository(api.tenant).read_head(gone) is None
    assert [event["detail"]["courseId"] for event in stream.published("course.completed")] == [course_id]


def test_a_batch_that_fails_in_its_middle_is_retried_from_there_without_repeats(
    api: Api, stream: Stream, host, monkeypatch
) -> None:
    """Three completions in one batch, the second failing once: the batch reports that record
    alone, Lambda offers it again with what followed it, and each completion is published once."""
    learners = [completed_course(api)[1].user for _ in range(3)]
    failing = learners[1]
    reports: list[list[dict[str, str]]] = []
    failed: list[str] = []
    track_changed, invoke = projection._track_changed, host.invoke

    def fails_once(old, new, context) -> None:
        if new.user_id == failing and new.status == "completed" and not failed:
            failed.append(new.user_id)
            raise RuntimeError("EventBridge was briefly unreachable")
        track_changed(old, new, context)

    def reporting(function: str, event: dict) -> dict:
        answer = invoke(function, event)
        reports.append(answer["batchItemFailures"])
        return answer

    monkeypatch.setattr(projection, "_track_changed", fails_once)
    monkeypatch.setattr(host, "invoke", reporting)
    stream.project()
    stream.project()

    # The failed record alone, reported by its sequence number, in one batch; none after that.
    assert [len(report) for report in reports if report] == [1]
    assert failed == [failing]
    published = sorted(event["detail"]["userId"] for event in stream.published("course.completed"))
    assert published == sorted(learners)


def test_failed_entries_of_put_events_are_sent_again_and_else_fail_the_record(
    api: Api, stream: Stream, monkeypatch
) -> None:
    """PutEvents answers 200 with the entries it refused: those go again, and when EventBridge
    keeps refusing, the record fails (to be delivered again), never dropped."""
    client, refusals = events._client(), iter([1, 1, 1, 1, 0])  # 3 refusals fail a record; then 1, then none

    class Refusing:
        def put_events(self, **request: Any) -> Any:
            if next(refusals):
                return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException"}]}
            return client.put_events(**request)

    monkeypatch.setattr(events, "_client", lambda: Refusing())
    monkeypatch.setattr(events, "PUBLISH_PAUSE_SECONDS", 0)
    completed_course(api)

    stream.project()  # refused three times: the record fails
    assert stream.published("course.completed") == []
    stream.project()  # refused once more, then taken
    assert len(stream.published("course.completed")) == 1
    stream.project()
    assert len(stream.published("course.completed")) == 1  # and not again


def test_an_upload_whose_pending_record_expires_is_removed(api: Api, stream: Stream) -> None:
    """The record of an upload that never registered (its file came, but no registration did)
    is removed by DynamoDB's TTL a day after its URL expired; its file goes with it."""
    body = {"format": "image", "orgFilename": "cover.png", "contentType": "image/png", "size": len(PNG)}
    media_id = api.call("POST", "/api/media", json_body=body).result["mediaId"]
    record = MediaRepository(api.tenant).get(media_id)
    assert record is not None
    storage.put_object(record.path, PNG, "image/png")  # arrived; its registration never ran
    record.delete()  # what the TTL does

    stream.project()

    assert storage.inspect_object(record.path, 8) is None
