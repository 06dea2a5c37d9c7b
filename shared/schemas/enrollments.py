"""Request and response bodies of the Enrollment group."""

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, model_validator

from shared.schemas.common import (
    FormBool,
    Identifier,
    JsonObject,
    RequestModel,
    ResponseModel,
    StaffOnly,
    Timestamp,
    reject_nulls,
)

EnrollmentStatus = Literal["pending", "active", "extended", "completed", "expired", "cancelled"]


class EnrollmentCreate(RequestModel):
    """`POST /api/enrollments`. A learner enrolling themselves sends `courseId` and `userId` only:
    the terms are staff's to set."""

    course_id: UUID
    user_id: Identifier
    unlimited_plan: Annotated[FormBool, StaffOnly] = False
    before_expiry_mail: Annotated[FormBool, StaffOnly] = False
    after_expiry_mail: Annotated[FormBool, StaffOnly] = False
    params: Annotated[JsonObject | None, StaffOnly] = None


class EnrollmentUpdate(RequestModel):
    """`PUT /api/enrollments/{enrollmentId}`: fields left out stay as they are."""

    end_time: Timestamp | None = None
    status: EnrollmentStatus | None = None
    unlimited_plan: FormBool | None = None
    before_expiry_mail: FormBool | None = None
    after_expiry_mail: FormBool | None = None
    params: JsonObject | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        return reject_nulls(data, ("status", "unlimitedPlan", "beforeExpiryMail", "afterExpiryMail"))


class EnrollmentCourse(ResponseModel):
    """The course, as an enrollment in a list shows it."""

    title: str
    short_description: str | None
    image: str | None


class EnrollmentCourseDetails(EnrollmentCourse):
    description: str | None
    start_datetime: str | None
    end_datetime: str | None


class EnrollmentSummary(ResponseModel):
    """An enrollment in the list (`api.enrollment.list`)."""

    enrollment_id: str
    course_id: str
    user_id: str
    enrolled_on_time: str
    end_time: str | None
    status: EnrollmentStatus
    unlimited_plan: bool
    course: EnrollmentCourse


class EnrollmentList(ResponseModel):
    count: int
    enrollments: list[EnrollmentSummary]


class EnrollmentOut(ResponseModel):
    """A whole enrollment (`api.enrollment.create`, `.get`, `.update`)."""

    enrollment_id: str
    course_id: str
    user_id: str
    tenent_id: str = Field(validation_alias="tenant_id")
    enrolled_on_time: str
    end_time: str | None
    status: EnrollmentStatus
    unlimited_plan: bool
    before_expiry_mail: bool
    after_expiry_mail: bool
    params: dict[str, Any] | None
    enrolled_by: str
    enrolled_at: str
    updated_by: str | None
    updated_at: str | None
    course: EnrollmentCourseDetails


class ReportRow(ResponseModel):
    """A learner of the course in its progress report (`api.course.report`): their enrollment as it
    stands (null for a track without one) and their course track (null fields: not started)."""

    user_id: str
    enrollment_id: str | None
    enrollment_status: EnrollmentStatus | None
    end_time: str | None
    track_status: str | None
    completed_lessons: int
    no_of_lessons: int
    progress: int
    last_accessed_date: str | None
    cert_gen_date: str | None


class CourseReport(ResponseModel):
    """`api.course.report`: the page's rows and how many match (`count`, exact)."""

    count: int
    learners: list[ReportRow]
