"""Courses group: `/api/courses` routes (contract: Courses)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from shared.api import (
    ADMIN_ONLY,
    ANY_ROLE,
    IDEMPOTENCY_HEADER,
    STAFF_ONLY,
    Caller,
    CourseId,
    StoredResult,
    create_app,
    lambda_handler_for,
    stored_result_responses,
)
from shared.schemas.common import FormBool, MessageResult, PageNumber, PageSize
from shared.schemas.courses import (
    CourseClone,
    CourseCreate,
    CourseDetails,
    CourseList,
    CourseOut,
    CourseStatus,
    CourseStructure,
    CourseUpdate,
)
from shared.services import course_clone, course_structure, courses

app = create_app()


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


@app.get(
    "/api/courses/<courseId>/details",
    operation_id="api.course.details",
    security=ANY_ROLE,
    responses=stored_result_responses(CourseDetails),
)
def get_course_details(caller: Caller, course_id: CourseId) -> Response[None]:
    too_large = (
        "read its modules and lessons by the page instead (page and limit on the course's /modules and /lessons)"
    )
    return StoredResult(courses.get_course_details(caller, str(course_id)), instead=too_large)


@app.put("/api/courses/<courseId>", operation_id="api.course.update", security=STAFF_ONLY)
def update_course(caller: Caller, course_id: CourseId, body: CourseUpdate) -> CourseOut:
    return courses.update_course(caller, str(course_id), body)


@app.put(
    "/api/courses/<courseId>/structure",
    operation_id="api.course.structure.update",
    security=STAFF_ONLY,
    responses=stored_result_responses(CourseDetails),
)
def update_course_structure(caller: Caller, course_id: CourseId, body: CourseStructure) -> Response[None]:
    too_large = "read its modules and lessons by the page (page and limit on the course's /modules and /lessons)"
    return StoredResult(course_structure.update_structure(caller, str(course_id), body), instead=too_large)


@app.post("/api/courses/<courseId>/clone", operation_id="api.course.clone", security=STAFF_ONLY, status_code=201)
def clone_course(
    caller: Caller, course_id: CourseId, body: Annotated[CourseClone, Body(default_factory=CourseClone)]
) -> CourseOut:
    key = {name.lower(): value for name, value in (app.current_event.headers or {}).items()}.get(IDEMPOTENCY_HEADER)
    return course_clone.clone_course(caller, str(course_id), body, key)


@app.delete("/api/courses/<courseId>", operation_id="api.course.delete", security=ADMIN_ONLY)
def delete_course(
    caller: Caller,
    course_id: CourseId,
    force: Annotated[FormBool, Query(description="cancel active enrollments")] = False,
) -> MessageResult:
    return courses.delete_course(caller, str(course_id), force)


lambda_handler = lambda_handler_for(app)
