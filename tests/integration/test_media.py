"""Media endpoints through the real handler, with moto's S3 beside each DynamoDB engine."""

import base64
import json
import urllib.request
import uuid

import boto3
import pytest

from local.stack import LOCAL_REGION
from shared.repository.media import MediaRepository
from shared.repository.metering import RequestCounter
from shared.settings import get_settings
from tests.support import samples
from tests.support.api import Api

MEDIA_KEYS = {
    "mediaId",
    "format",
    "subFormat",
    "orgFilename",
    "path",
    "storage",
    "source",
    "params",
    "createdBy",
    "createdAt",
}


def stored_object(key: str) -> bytes | None:
    client = boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION)
    try:
        body: bytes = client.get_object(Bucket=get_settings().media_bucket, Key=key)["Body"].read()
        return body
    except client.exceptions.NoSuchKey:
        return None


def upload(
    api: Api, data: bytes, content_type: str, media_format: str = "image", name: str = "picture.png", **fields: str
):
    return api.call("POST", "/api/media", form={"format": media_format, "file": (name, data, content_type), **fields})


def test_an_image_in_a_form_is_checked_stored_and_registered_at_once(api):
    response = upload(
        api, samples.PNG, "image/png", name="../../holiday photo.png", subFormat="image.png", params='{"alt": "x"}'
    )

    assert response.status == 201, response.body
    assert response.body["id"] == "api.media.upload"
    media = response.result
    assert set(media) >= MEDIA_KEYS
    assert (media["status"], media["storage"], media["orgFilename"]) == ("uploaded", "s3", "holiday photo.png")
    assert (media["size"], media["contentType"], media["params"]) == (len(samples.PNG), "image/png", {"alt": "x"})
    assert media["path"] == f"media/{api.tenant}/{media['mediaId']}"
    assert stored_object(media["path"]) == samples.PNG


@pytest.mark.parametrize(
    ("data", "content_type", "media_format", "message"),
    [
        (samples.EXE, "image/png", "image", "content is not image/png"),
        (samples.JPEG, "image/png", "image", "content is not image/png"),
        (samples.PDF, "application/pdf", "image", "must be one of image/gif"),
        (samples.PNG, "image/png", "test", "has no file"),
        (b"", "image/png", "image", "1 byte to 5 MB"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_400_and_nothing_is_kept(api, data, content_type, media_format, message):
    response = upload(api, data, content_type, media_format)

    assert response.status == 400, response.body
    assert message in response.errmsg
    client = boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION)
    listed = client.list_objects_v2(Bucket=get_settings().media_bucket, Prefix=f"media/{api.tenant}/")
    assert listed.get("KeyCount", 0) == 0


def test_an_inline_file_over_4_mb_is_413_pointing_to_the_presigned_flow(api):
    big = samples.PNG + b"\x00" * (4 * 1024 * 1024)

    response = upload(api, big, "image/png")

    assert response.status == 413
    assert response.err == "PAYLOAD_TOO_LARGE"
    assert "presigned upload" in response.errmsg


def test_metadata_as_json_gives_a_pending_record_and_a_presigned_post(api):
    body = {"format": "document", "orgFilename": "syllabus.pdf", "contentType": "application/pdf", "size": 123456}

    response = api.call("POST", "/api/media", json_body=body)

    assert response.status == 201, response.body
    media = response.result
    assert (media["status"], media["storage"], media["size"]) == ("pending", "s3", 123456)
    upload_form = media["upload"]
    assert upload_form["fields"]["key"] == media["path"]
    assert upload_form["fields"]["Content-Type"] == "application/pdf"
    policy = json.loads(base64.b64decode(upload_form["fields"]["policy"]))
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert ["content-length-range", 123456, 123456] in policy["conditions"]
    stored = MediaRepository(api.tenant).get(media["mediaId"])
    assert stored is not None
    assert stored.expires_at is not None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"format": "document", "orgFilename": "x.exe", "contentType": "application/x-msdownload", "size": 10},
            "must be one of application/",
        ),
        (
            {"format": "image", "orgFilename": "x.png", "contentType": "image/png", "size": 6 * 1024 * 1024},
            "1 byte to 5 MB",
        ),
        (
            {"format": "image", "orgFilename": "x.png"},
            "send a file (multipart form), a source URL, or orgFilename, contentType and size",
        ),
        ({"format": "video", "source": "ftp://example.com/x.mp4"}, "'source' must be an http(s) URL"),
        ({"format": "podcast", "source": "https://example.com"}, "'format' must be one of"),
        ({"format": "image", "orgFilename": "x.png", "contentType": "not a type", "size": 1}, "'contentType'"),
    ],
)
def test_bad_metadata_is_400(api, body, message):
    response = api.call("POST", "/api/media", json_body=body)

    assert response.status == 400
    assert message in response.errmsg


def test_an_external_source_is_stored_as_external(api):
    body = {
        "format": "video",
        "subFormat": "video.youtube.url",
        "source": "https://www.youtube.com/watch?v=abc",
        "storage": "local",
    }

    response = api.call("POST", "/api/media", json_body=body)

    assert response.status == 201
    assert (response.result["storage"], response.result["status"], response.result["path"]) == (
        "external",
        "linked",
        None,
    )


# S3 is a moto server there (in-process moto answers no HTTP), so the URL is fetched for real.
@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_get_gives_a_download_url_that_serves_the_bytes(api):
    media = upload(api, samples.GIF, "image/gif", name="anim.gif").result
    with urllib.request.urlopen(media["downloadUrl"], timeout=30) as download:  # noqa: S310 - the upload's own answer
        assert download.read() == samples.GIF

    response = api.call("GET", f"/api/media/{media['mediaId']}")

    assert response.status == 200
    assert response.body["id"] == "api.media.get"
    assert {key: response.result[key] for key in ("mediaId", "path", "status")} == {
        key: media[key] for key in ("mediaId", "path", "status")
    }
    with urllib.request.urlopen(response.result["downloadUrl"], timeout=30) as download:  # noqa: S310 - loopback
        assert download.read() == samples.GIF
        assert download.headers["Content-Disposition"] == "attachment; filename=\"anim.gif\"; filename*=UTF-8''anim.gif"


def test_delete_removes_record_object_and_attachments(api):
    media = upload(api, samples.PNG, "image/png").result
    lesson_id = api.create_lesson()["lessonId"]
    assert api.call("POST", f"/api/lessons/{lesson_id}/media/{media['mediaId']}").status == 201

    response = api.call("DELETE", f"/api/media/{media['mediaId']}")

    assert response.status == 200
    assert response.result == {"message": "Media deleted successfully"}
    assert api.call("GET", f"/api/media/{media['mediaId']}").status == 404
    assert stored_object(media["path"]) is None
    assert api.call("POST", f"/api/lessons/{lesson_id}/media/{media['mediaId']}").status == 404


def test_attach_media_to_a_lesson(api):
    media_id = upload(api, samples.PNG, "image/png").result["mediaId"]
    lesson_id = api.create_lesson()["lessonId"]

    response = api.call("POST", f"/api/lessons/{lesson_id}/media/{media_id}")

    assert response.status == 201
    assert response.body["id"] == "api.lesson.media.associate"
    assert (response.result["lessonId"], response.result["mediaId"]) == (lesson_id, media_id)
    assert uuid.UUID(response.result["filesId"])
    again = api.call("POST", f"/api/lessons/{lesson_id}/media/{media_id}")
    assert again.status == 409
    assert api.call("POST", f"/api/lessons/{uuid.uuid4()}/media/{media_id}").status == 404
    assert api.call("POST", f"/api/lessons/{lesson_id}/media/{uuid.uuid4()}").status == 404


def test_media_refusals(api):
    media_id = upload(api, samples.PNG, "image/png").result["mediaId"]
    stranger = api.as_("admin", tenant=f"tenant-{uuid.uuid4()}")
    learner = api.as_("learner")

    assert upload(learner, samples.PNG, "image/png").status == 403
    assert learner.call("DELETE", f"/api/media/{media_id}").status == 403
    unused = learner.call("GET", f"/api/media/{media_id}")  # no lesson shown to learners uses it
    assert (unused.status, unused.err) == (404, "RESOURCE_NOT_FOUND")
    assert api.call("GET", f"/api/media/{media_id}", token=None).status == 401
    assert stranger.call("GET", f"/api/media/{media_id}").status == 404
    assert stranger.call("DELETE", f"/api/media/{media_id}").status == 404
    assert api.call("GET", "/api/media/nope").status == 400
    no_file = api.call(
        "POST",
        "/api/media",
        body=b'--B\r\nContent-Disposition: form-data; name="format"\r\n\r\nimage\r\n--B--\r\n',
        content_type="multipart/form-data; boundary=B",
    )
    assert no_file.status == 400
    assert "send a file" in no_file.errmsg


def test_a_lessons_main_media_cannot_be_deleted_and_attachments_are_listed(api):
    main = upload(api, samples.PNG, "image/png").result["mediaId"]
    attached = upload(api, samples.GIF, "image/gif").result["mediaId"]
    lesson = api.create_lesson(mediaId=main)
    assert lesson["mediaId"] == main
    assert api.call("POST", f"/api/lessons/{lesson['lessonId']}/media/{attached}").status == 201

    refused = api.call("DELETE", f"/api/media/{main}")
    files = api.call("GET", f"/api/lessons/{lesson['lessonId']}").result["files"]

    assert refused.status == 409
    assert lesson["lessonId"] in refused.errmsg
    assert [(file["mediaId"], file["lessonId"]) for file in files] == [(attached, lesson["lessonId"])]
    assert api.call("PUT", f"/api/lessons/{lesson['lessonId']}", json_body={"mediaId": attached}).status == 200
    assert api.call("DELETE", f"/api/media/{main}").status == 200
    assert api.call("DELETE", f"/api/media/{attached}").status == 409
    assert api.call("POST", "/api/lessons", json_body={"title": "t", "format": "video", "mediaId": main}).status == 400


def test_learners_get_a_download_url_by_enrollment_or_a_free_lesson(api):
    attached = upload(api, samples.PDF, "application/pdf", "document", "notes.pdf").result["mediaId"]
    main = upload(api, samples.PNG, "image/png").result["mediaId"]
    course_id = api.create_course(status="published")["courseId"]
    lesson_id = api.create_lesson(mediaId=main)["lessonId"]
    api.call("POST", f"/api/lessons/{lesson_id}/media/{attached}")
    api.add_lesson(course_id, None, lesson_id)
    learner = api.as_("learner")

    def download_urls() -> list:
        return [learner.call("GET", f"/api/media/{media_id}").result["downloadUrl"] for media_id in (attached, main)]

    assert download_urls() == [None, None]  # not enrolled
    enrolled = api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": learner.user})
    assert all(download_urls())
    api.call("DELETE", f"/api/enrollments/{enrolled.result['enrollmentId']}")
    assert download_urls() == [None, None]  # cancelled
    free_course = api.create_course(status="published")["courseId"]
    api.add_lesson(free_course, None, lesson_id, freeLesson=True)
    assert all(download_urls())  # a free lesson's media is anyone's
    with RequestCounter() as counter:  # its uses, each lesson's placements, then links and enrollments
        learner.call("GET", f"/api/media/{attached}")
    assert counter.operations == ["Query", "Query", "BatchGetItem"]


def test_a_size_sent_beside_a_file_gives_way_to_the_files_own(api):
    form = {"format": "image", "size": "5", "file": ("cover.png", samples.PNG, "image/png")}

    created = api.call("POST", "/api/media", form=form)

    assert (created.status, created.result["size"]) == (201, len(samples.PNG))
