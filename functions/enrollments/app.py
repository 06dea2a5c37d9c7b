"""Enrollment group: `/api/enrollments` routes (contract: User Enrollment)."""

from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import ANY_ROLE, STAFF_ONLY, Caller, EnrollmentId, create_app, lambda_handler_for
from shared.schemas.common import Identifier, MessageResult, PageNumber, PageSize
from shared.schemas.enrollments import (
    EnrollmentCreate,
    EnrollmentList,
    EnrollmentOut,
    EnrollmentStatus,
    EnrollmentUpdate,
)
from shared.services import enrollments

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


lambda_handler = lambda_handler_for(app)
