"""Courses group: `/api/courses` routes (contract: Courses)."""

from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api import ADMIN_ONLY, ANY_ROLE, STAFF_ONLY, Caller, create_app
from shared.observability import logger, metrics, tracer
from shared.schemas.common import FormBool, MessageResult, PageNumber, PageSize
from shared.schemas.courses import CourseCreate, CourseDetails, CourseList, CourseOut, CourseStatus, CourseUpdate
from shared.services import courses

app = create_app()

CourseId = Annotated[UUID, Path(alias="courseId", description="UUID of the course")]


@app.post("/api/courses", operation_id="api.course.create", security=STAFF_ONLY, status_code=201)
def create_course(caller: Caller, body: CourseCreate) -> CourseOut:
    return courses.create_course(caller, body)


@app.get("/api/courses", operation_id="api.course.list", security=ANY_ROLE)
def list_courses(
    caller: Caller,
    status: Annotated[CourseStatus | None, Query()] = None,
    featured: Annotated[FormBool | None, Query()] = None,
    free: Annotated[FormBool | None, Query()] = None,
    page: Annotated[PageNumber, Query()] = 1,
    limit: Annotated[PageSize, Query()] = 10,
) -> CourseList:
    return courses.list_courses(caller, status, featured, free, page, limit)


@app.get("/api/courses/<courseId>", operation_id="api.course.get", security=ANY_ROLE)
def get_course(caller: Caller, course_id: CourseId) -> CourseOut:
    return courses.get_course(caller, str(course_id))


@app.get("/api/courses/<courseId>/details", operation_id="api.course.details", security=ANY_ROLE)
def get_course_details(caller: Caller, course_id: CourseId) -> CourseDetails:
    return courses.get_course_details(caller, str(course_id))


@app.put("/api/courses/<courseId>", operation_id="api.course.update", security=STAFF_ONLY)
def update_course(caller: Caller, course_id: CourseId, body: CourseUpdate) -> CourseOut:
    return courses.update_course(caller, str(course_id), body)


@app.delete("/api/courses/<courseId>", operation_id="api.course.delete", security=ADMIN_ONLY)
def delete_course(caller: Caller, course_id: CourseId) -> MessageResult:
    return courses.delete_course(caller, str(course_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
