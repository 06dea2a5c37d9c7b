"""Course, module and lesson images: a form file or base64 text, checked by their bytes, stored in
the media bucket, replaced and removed with their entity's writes."""

import base64

import boto3
import pytest

from local.stack import LOCAL_REGION
from shared.settings import get_settings
from tests.support import samples
from tests.support.api import Api


def stored_images(api: Api) -> list[str]:
    client = boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION)
    listed = client.list_objects_v2(Bucket=get_settings().media_bucket, Prefix=f"images/{api.tenant}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def image_bytes(key: str) -> bytes:
    client = boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION)
    body: bytes = client.get_object(Bucket=get_settings().media_bucket, Key=key)["Body"].read()
    return body


def test_a_course_image_from_a_form_is_stored_and_read_back_with_a_url(api):
    response = api.call(
        "POST", "/api/courses", form={"title": "Pictured", "image": ("cover.png", samples.PNG, "image/png")}
    )

    assert response.status == 201, response.body
    course = response.result
    assert course["image"].startswith(f"images/{api.tenant}/")
    assert stored_images(api) == [course["image"]]
    assert image_bytes(course["image"]) == samples.PNG
    fetched = api.call("GET", f"/api/courses/{course['courseId']}").result
    assert course["image"] in fetched["imageUrl"]
    listed = api.call("GET", "/api/courses").result["courses"][0]
    assert (listed["image"], "imageUrl" in listed) == (course["image"], False)


def test_an_update_with_base64_replaces_the_image_and_null_removes_it(api):
    course = api.create_course(image=base64.b64encode(samples.PNG).decode())
    path = f"/api/courses/{course['courseId']}"

    replaced = api.call(
        "PUT", path, json_body={"image": "data:image/gif;base64," + base64.b64encode(samples.GIF).decode()}
    )

    assert replaced.status == 200
    assert replaced.result["image"] != course["image"]
    assert stored_images(api) == [replaced.result["image"]]
    assert image_bytes(replaced.result["image"]) == samples.GIF
    cleared = api.call("PUT", path, json_body={"image": None})
    assert (cleared.status, cleared.result["image"], cleared.result["imageUrl"]) == (200, None, None)
    assert stored_images(api) == []


@pytest.mark.parametrize(
    "image",
    [
        base64.b64encode(samples.EXE).decode(),
        base64.b64encode(samples.PDF).decode(),
        "not base64!",
        base64.b64encode(b"").decode() + "=",
    ],
    ids=["executable", "pdf", "not-base64", "empty"],
)
def test_a_bad_image_is_400_and_nothing_is_kept(api, image):
    response = api.call("POST", "/api/courses", json_body={"title": "t", "image": image})

    assert response.status == 400
    assert "'image'" in response.errmsg
    assert stored_images(api) == []
    assert api.call("GET", "/api/courses").result["count"] == 0


def test_a_failed_write_leaves_no_image_behind(api):
    api.create_course(alias="taken")

    response = api.call(
        "POST", "/api/courses", form={"title": "t", "alias": "taken", "image": ("c.png", samples.PNG, "image/png")}
    )

    assert response.status == 409
    assert stored_images(api) == []


def test_modules_and_lessons_take_images_too(api):
    course_id = api.create_course()["courseId"]
    module = api.call(
        "POST",
        "/api/modules",
        form={"courseId": course_id, "title": "m", "image": ("m.jpg", samples.JPEG, "image/jpeg")},
    )
    lesson = api.call(
        "POST",
        "/api/lessons",
        json_body={"title": "l", "format": "video", "image": base64.b64encode(samples.WEBP).decode()},
    )

    assert (module.status, lesson.status) == (201, 201)
    assert api.call("GET", f"/api/modules/{module.result['moduleId']}").result["imageUrl"]
    assert api.call("GET", f"/api/lessons/{lesson.result['lessonId']}").result["imageUrl"]
    assert sorted(stored_images(api)) == sorted([module.result["image"], lesson.result["image"]])
    updated = api.call(
        "PUT", f"/api/lessons/{lesson.result['lessonId']}", json_body={"image": base64.b64encode(samples.PNG).decode()}
    )
    assert updated.status == 200
    assert sorted(stored_images(api)) == sorted([module.result["image"], updated.result["image"]])
