"""Enrollment group: `/api/enrollments` routes (contract: User Enrollment)."""

from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import (
    ANY_ROLE,
    STAFF_ONLY,
    Caller,
    CourseId,
    CsvResult,
    EnrollmentId,
    create_app,
    lambda_handler_for,
    wants_csv,
)
from shared.schemas.common import Identifier, MessageResult, PageNumber, PageSize
from shared.schemas.enrollments import (
    CourseReport,
    EnrollmentCreate,
    EnrollmentList,
    EnrollmentOut,
    EnrollmentStatus,
    EnrollmentUpdate,
)
from shared.schemas.tracking import CourseTrackStatus
from shared.services import course_report, enrollments

app = create_app()


@app.post("/api/enrollments", operation_id="api.enrollment.create", security=ANY_ROLE, status_code=201)
def enroll(caller: Caller, body: EnrollmentCreate) -> EnrollmentOut:
    return enrollments.enroll(caller, body)


@app.get("/api/enrollments", operation_id="api.enrollment.list", security=ANY_ROLE)
def list_enrollments(
    caller: Caller,
    user_id: Annotated[Identifier | None, Query(alias="userId")] = None,
    course_id: Annotated[UUID | None, Query(alias="courseId")] = None,
    status: Annotated[EnrollmentStatus | None, Query()] = None,
    page: Annotated[PageNumber, Query()] = 1,
    limit: Annotated[PageSize, Query()] = 10,
) -> EnrollmentList:
    return enrollments.list_enrollments(caller, user_id, str(course_id) if course_id else None, status, page, limit)


@app.get("/api/enrollments/<enrollmentId>", operation_id="api.enrollment.get", security=ANY_ROLE)
def get_enrollment(caller: Caller, enrollment_id: EnrollmentId) -> EnrollmentOut:
    return enrollments.get_enrollment(caller, str(enrollment_id))


@app.put("/api/enrollments/<enrollmentId>", operation_id="api.enrollment.update", security=STAFF_ONLY)
def update_enrollment(caller: Caller, enrollment_id: EnrollmentId, body: EnrollmentUpdate) -> EnrollmentOut:
    return enrollments.update_enrollment(caller, str(enrollment_id), body)


@app.delete("/api/enrollments/<enrollmentId>", operation_id="api.enrollment.cancel", security=STAFF_ONLY)
def cancel_enrollment(caller: Caller, enrollment_id: EnrollmentId) -> MessageResult:
    return enrollments.cancel_enrollment(caller, str(enrollment_id))


@app.get(
    "/api/courses/<courseId>/report",
    operation_id="api.course.report",
    security=STAFF_ONLY,
    responses={
        200: {
            "description": "The page's rows: JSON in the envelope, or CSV (Accept: text/csv) with X-Total-Count",
            "content": {"application/json": {"model": CourseReport}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def get_course_report(
    caller: Caller,
    course_id: CourseId,
    status: Annotated[EnrollmentStatus | None, Query()] = None,
    track_status: Annotated[CourseTrackStatus | None, Query(alias="trackStatus")] = None,
    page: Annotated[PageNumber, Query()] = 1,
    limit: Annotated[PageSize, Query()] = 10,
) -> Response[Any]:
    report = course_report.course_report(caller, str(course_id), status, track_status, page, limit)
    if wants_csv(app.current_event.headers):
        rows = [row.model_dump(by_alias=True) for row in report.learners]
        filename = f"course-{course_id}-report-page-{page}.csv"
        return CsvResult(rows, course_report.columns(), report.count, filename, instead="ask for fewer rows (limit)")
    return Response(status_code=200, body=report.model_dump(by_alias=True), content_type="application/json")


lambda_handler = lambda_handler_for(app)
