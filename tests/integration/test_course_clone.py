"""The course builder's copy (`POST /api/courses/{id}/clone`), on both engines: a new course with
the same modules (new ids), the same lessons linked with the same settings, its own images; never
seen half made, cleaned up after a failure, and the same copy on a retry with the same key."""

from typing import Any

import boto3
import pytest

from bench.latency import Tenant, seed_course
from bench.seeding import Seeder
from local.stack import LOCAL_REGION
from shared.repository import clones
from shared.repository.base import ConcurrentModification
from shared.repository.items import CourseItem, LessonLinkItem, ModuleItem
from shared.repository.metering import RequestCounter
from shared.settings import get_settings
from shared.storage import s3
from tests.support import samples
from tests.support.api import Api
from tests.support.lists import assert_lists_match_items, tenant_items

PNG = "data:image/png;base64," + __import__("base64").b64encode(samples.PNG).decode()


def shape(tree: dict[str, Any]) -> list[Any]:
    """A tree's modules and lessons by title and settings, ids of modules left out."""

    def lessons(place: dict[str, Any]) -> list[tuple[str, str, bool, bool]]:
        return [(e["lessonId"], e["title"], e["freeLesson"], e["considerForPassing"]) for e in place["lessons"]]

    return [
        [(m["title"], m["ordering"], m["status"], lessons(m), [(s["title"], lessons(s)) for s in m["subModules"]])
         for m in tree["modules"]],
        lessons(tree),
    ]  # fmt: skip


@pytest.fixture
def original(api: Api) -> dict[str, Any]:
    course = api.create_course(title="Statistics 101", status="published", image=PNG, free=True)
    module = api.create_module(course["courseId"], title="Descriptive", image=PNG)["moduleId"]
    sub = api.create_module(course["courseId"], title="Averages", parentId=module, status="unpublished")["moduleId"]
    lessons = [api.create_lesson(title=f"L{index}")["lessonId"] for index in range(3)]
    api.add_lesson(course["courseId"], module, lessons[0], freeLesson=True)
    api.add_lesson(course["courseId"], sub, lessons[1], considerForPassing=False, passingMarks=0)
    api.add_lesson(course["courseId"], None, lessons[2])
    api.add_lesson(course["courseId"], sub, lessons[0])  # a lesson linked twice
    return {"course": course, "module": module, "sub": sub, "lessons": lessons}


def in_progress_expires() -> None:
    """The idempotency records still in progress, expired (Powertools answers them afresh then)."""
    dynamodb = boto3.client("dynamodb", endpoint_url=get_settings().dynamodb_endpoint, region_name=LOCAL_REGION)
    table = get_settings().idempotency_table_name
    for record in dynamodb.scan(TableName=table)["Items"]:
        if record.get("status", {}).get("S") == "INPROGRESS":
            dynamodb.update_item(
                TableName=table,
                Key={"id": record["id"]},
                UpdateExpression="SET in_progress_expiration = :past",
                ExpressionAttributeValues={":past": {"N": "1"}},
            )


def object_exists(key: str) -> bool:
    listed = s3().list_objects_v2(Bucket=get_settings().media_bucket, Prefix=key)
    return any(item["Key"] == key for item in listed.get("Contents", []))


def test_a_clone_is_a_new_course_with_the_same_content(api: Api, original: dict[str, Any]) -> None:
    source = original["course"]
    source_tree = api.call("GET", f"/api/courses/{source['courseId']}/details").result
    api.enroll(source["courseId"], "enrolled-learner")

    answer = api.call("POST", f"/api/courses/{source['courseId']}/clone")

    assert answer.status == 201, answer.body
    copy = answer.result
    assert answer.body["id"] == "api.course.clone"
    assert copy["courseId"] != source["courseId"]
    assert (copy["title"], copy["alias"], copy["status"]) == (
        "Statistics 101 (copy)",
        "statistics-101-copy",
        "unpublished",
    )
    assert copy["free"] is True
    assert copy["image"] != source["image"]
    assert object_exists(copy["image"])
    tree = api.call("GET", f"/api/courses/{copy['courseId']}/details").result
    assert shape(tree) == shape(source_tree)
    assert {m["moduleId"] for m in tree["modules"]}.isdisjoint({original["module"]})
    assert tree["modules"][0]["image"] not in (None, source_tree["modules"][0]["image"])
    assert tree["modules"][0]["subModules"][0]["parentId"] == tree["modules"][0]["moduleId"]
    # Enrollments and tracking stay with the original.
    enrollments = api.call("GET", "/api/enrollments", query={"courseId": copy["courseId"]}).result
    assert enrollments["count"] == 0
    # The lesson's later edits reach the copy too (its links are in the lesson's pointers).
    assert api.call("PUT", f"/api/lessons/{original['lessons'][0]}", json_body={"title": "Renamed"}).status == 200
    renamed = api.call("GET", f"/api/courses/{copy['courseId']}/details").result
    assert renamed["modules"][0]["lessons"][0]["title"] == "Renamed"
    # Deleting the original breaks nothing of the copy.
    assert api.call("DELETE", f"/api/courses/{source['courseId']}", query={"force": "true"}).status == 200
    assert object_exists(copy["image"])
    assert shape(api.call("GET", f"/api/courses/{copy['courseId']}/details").result) == shape(renamed)
    assert_lists_match_items(api.tenant)


def test_a_clone_takes_the_title_alias_and_status_it_is_given(api: Api, original: dict[str, Any]) -> None:
    source_id = original["course"]["courseId"]
    body = {"title": "Statistics, spring", "alias": "stats-spring", "status": "draft"}
    copy = api.call("POST", f"/api/courses/{source_id}/clone", json_body=body).result
    assert (copy["title"], copy["alias"], copy["status"]) == ("Statistics, spring", "stats-spring", "draft")
    before = tenant_items(api.tenant)

    taken = api.call("POST", f"/api/courses/{source_id}/clone", json_body={"alias": "stats-spring"})

    assert (taken.status, taken.err) == (409, "CONFLICT")
    assert {(item.pk, item.sk) for item in tenant_items(api.tenant)} == {(item.pk, item.sk) for item in before}


def test_a_clone_that_fails_part_way_leaves_nothing(
    api: Api, original: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id = original["course"]["courseId"]
    before = {(item.pk, item.sk) for item in tenant_items(api.tenant)}
    images = s3().list_objects_v2(Bucket=get_settings().media_bucket).get("KeyCount")

    def lesson_changed(*_: Any) -> None:
        raise ConcurrentModification("a lesson")

    monkeypatch.setattr(clones, "write_links", lesson_changed)
    answer = api.call("POST", f"/api/courses/{source_id}/clone")

    assert (answer.status, answer.err) == (409, "CONFLICT"), answer.body
    assert {(item.pk, item.sk) for item in tenant_items(api.tenant)} == before
    assert s3().list_objects_v2(Bucket=get_settings().media_bucket).get("KeyCount") == images
    assert api.call("GET", "/api/courses").result["count"] == 1


def test_a_clone_cut_off_and_sent_again_with_its_key_is_one_copy(
    api: Api, original: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    source_id = original["course"]["courseId"]
    real = clones.write_links

    def crash(*arguments: Any) -> None:
        real(*arguments)
        raise SystemExit("the function died here")  # nothing catches it: the items stay

    monkeypatch.setattr(clones, "write_links", crash)
    with pytest.raises(SystemExit):
        api.call("POST", f"/api/courses/{source_id}/clone", headers={"Idempotency-Key": "copy-1"})
    monkeypatch.undo()
    assert api.call("GET", "/api/courses").result["count"] == 1  # nothing visible
    in_progress_expires()  # as it does once the function's time is up

    answer = api.call("POST", f"/api/courses/{source_id}/clone", headers={"Idempotency-Key": "copy-1"})

    assert answer.status == 201, answer.body
    assert api.call("GET", "/api/courses").result["count"] == 2
    copy_id = answer.result["courseId"]
    links = [
        item for item in tenant_items(api.tenant) if isinstance(item, LessonLinkItem) and item.course_id == copy_id
    ]
    assert len(links) == 4  # written twice, stored once
    assert len([item for item in tenant_items(api.tenant) if isinstance(item, CourseItem)]) == 2


def test_a_course_of_1000_links_clones_in_a_few_dozen_requests(api: Api) -> None:
    tenant = Tenant(api.tenant)
    with Seeder(api.tenant) as seeder:
        course_id = seed_course(tenant, 20, 50, seeder)
    source = api.call("GET", f"/api/courses/{course_id}/details").result

    with RequestCounter() as counter:
        answer = api.call("POST", f"/api/courses/{course_id}/clone")

    assert answer.status == 201, answer.body
    copy = api.call("GET", f"/api/courses/{answer.result['courseId']}/details").result
    assert shape(copy) == shape(source)
    modules = [item for item in tenant_items(api.tenant) if isinstance(item, ModuleItem)]
    assert len(modules) == 40
    # The structure read, the lessons in batches of 100, the modules in batches of 25, the links a
    # transaction per 33 lessons, the course's create: flat in the lessons' count, not one each.
    assert counter.operations.count("BatchGetItem") == 10
    assert counter.operations.count("TransactWriteItems") == 1 + 31
    assert len(counter.operations) < 60
