"""Lesson Tracking group: `/api/lessons/{lessonId}/tracking` and a user's history (contract:
Lesson Tracking)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api import ANY_ROLE, Caller, LessonId, create_app, lambda_handler_for
from shared.schemas.common import Identifier
from shared.schemas.tracking import (
    AttemptNumber,
    LessonHistory,
    LessonTrackComplete,
    LessonTrackDetails,
    LessonTrackOut,
    LessonTrackStart,
    LessonTrackUpdate,
)
from shared.services import lesson_tracking

app = create_app()


@app.post(
    "/api/lessons/<lessonId>/tracking", operation_id="api.lesson.tracking.start", security=ANY_ROLE, status_code=201
)
def start_tracking(caller: Caller, lesson_id: LessonId, body: LessonTrackStart) -> Response[LessonTrackOut]:
    attempt, created = lesson_tracking.start_lesson_tracking(caller, str(lesson_id), body)
    # 201 for a new attempt; 200 when `resume` hands back the unfinished one.
    return Response(status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON, body=attempt)


@app.put("/api/lessons/<lessonId>/tracking", operation_id="api.lesson.tracking.update", security=ANY_ROLE)
def update_tracking(caller: Caller, lesson_id: LessonId, body: LessonTrackUpdate) -> LessonTrackOut:
    return lesson_tracking.update_lesson_tracking(caller, str(lesson_id), body)


@app.put("/api/lessons/<lessonId>/tracking/complete", operation_id="api.lesson.tracking.complete", security=ANY_ROLE)
def complete_tracking(caller: Caller, lesson_id: LessonId, body: LessonTrackComplete) -> LessonTrackOut:
    return lesson_tracking.complete_lesson_tracking(caller, str(lesson_id), body)


@app.get("/api/lessons/<lessonId>/tracking", operation_id="api.lesson.tracking.get", security=ANY_ROLE)
def get_tracking(
    caller: Caller,
    lesson_id: LessonId,
    user_id: Annotated[Identifier | None, Query(alias="userId")] = None,
    attempt: Annotated[AttemptNumber | None, Query()] = None,
) -> LessonTrackDetails:
    return lesson_tracking.get_lesson_tracking(caller, str(lesson_id), user_id, attempt)


@app.get(
    "/api/users/<userId>/lessons/<lessonId>/tracking",
    operation_id="api.user.lesson.tracking.history",
    security=ANY_ROLE,
)
def history(caller: Caller, user_id: Annotated[Identifier, Path(alias="userId")], lesson_id: LessonId) -> LessonHistory:
    return lesson_tracking.lesson_history(caller, user_id, str(lesson_id))


lambda_handler = lambda_handler_for(app)
