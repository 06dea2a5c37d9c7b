"""Course Tracking group: `/api/courses/{courseId}/tracking` routes (contract: Course Tracking)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import ANY_ROLE, Caller, CourseId, create_app, lambda_handler_for
from shared.schemas.common import Identifier
from shared.schemas.tracking import (
    CourseProgressDetails,
    CourseTrackComplete,
    CourseTrackDetails,
    CourseTrackOut,
    CourseTrackStart,
    CourseTrackUpdate,
    NextStep,
)
from shared.services import course_progress, course_tracking

app = create_app()


@app.post(
    "/api/courses/<courseId>/tracking", operation_id="api.course.tracking.start", security=ANY_ROLE, status_code=201
)
def start_tracking(caller: Caller, course_id: CourseId, body: CourseTrackStart) -> CourseTrackOut:
    return course_tracking.start_course_tracking(caller, str(course_id), body)


@app.put("/api/courses/<courseId>/tracking", operation_id="api.course.tracking.update", security=ANY_ROLE)
def update_tracking(caller: Caller, course_id: CourseId, body: CourseTrackUpdate) -> CourseTrackOut:
    return course_tracking.update_course_tracking(caller, str(course_id), body)


@app.put("/api/courses/<courseId>/tracking/complete", operation_id="api.course.tracking.complete", security=ANY_ROLE)
def complete_tracking(caller: Caller, course_id: CourseId, body: CourseTrackComplete) -> CourseTrackOut:
    return course_tracking.complete_course_tracking(caller, str(course_id), body)


@app.get("/api/courses/<courseId>/tracking", operation_id="api.course.tracking.get", security=ANY_ROLE)
def get_tracking(
    caller: Caller, course_id: CourseId, user_id: Annotated[Identifier | None, Query(alias="userId")] = None
) -> CourseTrackDetails:
    return course_tracking.get_course_tracking(caller, str(course_id), user_id)


@app.get("/api/courses/<courseId>/tracking/details", operation_id="api.course.tracking.details", security=ANY_ROLE)
def get_tracking_details(
    caller: Caller, course_id: CourseId, user_id: Annotated[Identifier | None, Query(alias="userId")] = None
) -> CourseProgressDetails:
    return course_progress.tracking_details(caller, str(course_id), user_id)


@app.get("/api/courses/<courseId>/tracking/next", operation_id="api.course.tracking.next", security=ANY_ROLE)
def get_next_lesson(
    caller: Caller, course_id: CourseId, user_id: Annotated[Identifier | None, Query(alias="userId")] = None
) -> NextStep:
    return course_progress.next_step(caller, str(course_id), user_id)


lambda_handler = lambda_handler_for(app)
