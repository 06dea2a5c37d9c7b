"""The world the files in events/ name, stored in a caller's tenant as the public API would leave
it: a published course with a module, a lesson placed in that module, a media record attached
to a second lesson of the course, the enrollment of `LEARNER` with their course track and a first attempt at the lesson, and a second
enrolled learner. The event-file replays and the authorization matrix both start from it."""

import json
import uuid
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import boto3

from local.stack import LOCAL_REGION
from local.template import ROOT
from shared.clock import sortable_now, utc_now
from shared.media_rules import object_key
from shared.repository.courses import CourseRepository
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.lessons import LessonRepository
from shared.repository.media import MediaRepository
from shared.repository.modules import ModuleRepository
from shared.repository.tracking import TrackingRepository
from shared.services import course_tree
from shared.services.enrollments import course_summary
from shared.settings import get_settings
from tests.support import samples
from tests.support.api import Api

EVENT_FILES = sorted(path for path in (ROOT / "events").rglob("*.json") if "routeKey" in path.read_text())
TOKEN, TENANT = "<token>", "<tenant>"  # the placeholders event files carry


def event_from_file(path: Path, token: str = "", tenant: str = "") -> dict[str, Any]:
    """An event file with its placeholders filled: a bearer token, a tenant (in stream records)."""
    return cast(dict[str, Any], json.loads(path.read_text().replace(TOKEN, token).replace(TENANT, tenant)))


def s3_event_from_file(path: Path, tenant: str) -> dict[str, Any]:
    """An S3 event file for the test bucket and `tenant` (in its object key, URL-encoded twice:
    once as our keys encode a tenant, once as S3 encodes a key in its events)."""
    bucket = get_settings().media_bucket
    text = path.read_text().replace("<bucket>", bucket).replace(TENANT, quote(quote(tenant, safe="")))
    return cast(dict[str, Any], json.loads(text))


def pending_upload(api: Api) -> None:
    """What the S3 event files announce, in a tenant not seeded: MEDIA_ID's record waiting for its
    upload, and the uploaded object in the bucket."""
    media = MediaRepository(api.tenant)
    key = object_key(api.tenant, MEDIA_ID)
    made = {"created_by": api.user, "created_at": utc_now()}
    media.create(
        media.new_media(
            MEDIA_ID, format="image", storage="s3", path=key, status="pending",
            content_type="image/png", size=len(samples.PNG), **made,
        )
    )  # fmt: skip
    s3 = boto3.client("s3", endpoint_url=get_settings().s3_endpoint, region_name=LOCAL_REGION)
    s3.put_object(Bucket=get_settings().media_bucket, Key=key, Body=samples.PNG)


COURSE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
MODULE_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LESSON_ID = "9b2d4f1e-2c3a-4b5d-8e6f-1a2b3c4d5e6f"
HANDOUT_LESSON_ID = "0d3c8a52-6f1e-4b7a-9c2d-5e8f1a3b6c4d"
MEDIA_ID = "c56a4180-65aa-42ec-a945-5fd21dec0538"
ENROLLMENT_ID = "e2b9d7a4-5c1f-4f0e-9b7d-2a6c8e4f1b3d"
LEARNER = "seeded-learner"


def seed(api: Api) -> None:
    """The course, module and lesson the event files name, as the public API would leave them."""
    made = {"created_by": api.user, "created_at": utc_now()}
    courses = CourseRepository(api.tenant)
    course = courses.new_course(COURSE_ID, sortable_now(), title="Seeded", alias="seeded", status="published", **made)
    courses.create(course)
    modules = ModuleRepository(api.tenant)
    module = modules.new_module(
        COURSE_ID, MODULE_ID, title="Seeded", ordering=1, status="published", course_status="published", **made
    )
    modules.create(module, course, None)
    lessons = LessonRepository(api.tenant)
    lesson = lessons.new_lesson(
        LESSON_ID, title="Seeded", format="video", status="published", attempts_grade="last_attempt", **made
    )
    lessons.create(lesson)
    lessons.link(lessons.new_link(lesson, COURSE_ID, MODULE_ID, sortable_now(), **made), lesson, course, module)
    media = MediaRepository(api.tenant)
    key = object_key(api.tenant, MEDIA_ID)
    media.create(media.new_media(MEDIA_ID, format="image", storage="s3", path=key, status="uploaded", **made))
    # Learners read the media through a lesson of the course it is attached to (the event files
    # attach it to LESSON_ID themselves).
    handout = lessons.new_lesson(
        HANDOUT_LESSON_ID, title="Handout", format="document", status="published", attempts_grade="last_attempt", **made
    )
    lessons.create(handout)
    lessons.link(lessons.new_link(handout, COURSE_ID, None, sortable_now(), **made), handout, course, None)
    media.attach(media.new_attachment(HANDOUT_LESSON_ID, MEDIA_ID, str(uuid.uuid4()), **made))
    enrollments = EnrollmentRepository(api.tenant)
    for user_id, enrollment_id in ((LEARNER, ENROLLMENT_ID), ("new-learner", str(uuid.uuid4()))):
        enrollments.create(
            enrollments.new_enrollment(
                COURSE_ID, user_id, enrollment_id, sortable_now(), enrolled_on_time=made["created_at"],
                status="active", course=course_summary(course), enrolled_by=api.user, enrolled_at=made["created_at"],
            ),
            over=None,
        )  # fmt: skip
    tracking = TrackingRepository(api.tenant)
    tracking.create_track(
        tracking.new_track(
            COURSE_ID, LEARNER, str(uuid.uuid4()), start_datetime="2024-05-06T14:24:02Z", status="incomplete",
            no_of_lessons=1, **made,
        )
    )  # fmt: skip
    tracking.create_attempt(
        tracking.new_attempt(
            LESSON_ID, LEARNER, 1, lesson_track_id=str(uuid.uuid4()), course_id=COURSE_ID, status="started",
            start_datetime="2024-05-06T14:24:02Z", total_content=100, attempts_grade="last_attempt",
            lesson={"title": "Seeded", "description": None, "format": "video", "total_marks": 100, "passing_marks": 60},
            **made,
        )
    )  # fmt: skip
    course_tree.refresh(api.tenant, COURSE_ID)  # the course's tree built, as the StreamProjector leaves it
