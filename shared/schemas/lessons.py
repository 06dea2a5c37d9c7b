"""Request and response bodies of the Lessons group, and the lesson entries of lists and trees."""

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from shared.schemas.common import (
    FormBool,
    ImageIn,
    JsonObject,
    LongText,
    RequestModel,
    ResponseModel,
    Slug,
    SourceUrl,
    TextOrJsonObject,
    Timestamp,
    Title,
    check_date_order,
    json_text,
    reject_nulls,
)
from shared.schemas.media import AttachmentOut

LessonFormat = Literal["video", "document", "test", "event", "text_and_media"]
LessonStatus = Literal["published", "unpublished", "archived"]
AttemptsGradeName = Literal["first_attempt", "last_attempt", "highest", "average"]
Storage = Literal["local", "cloud", "s3", "external"]
_GRADE_SHORT_FORMS = {"first": "first_attempt", "last": "last_attempt"}


def _grade(value: Any) -> Any:
    return _GRADE_SHORT_FORMS.get(value, value) if isinstance(value, str) else value


def _media_content_text(value: Any) -> Any:
    return json_text(value, example='{"format": "video", "source": "https://…"}')


AttemptsGrade = Annotated[AttemptsGradeName, BeforeValidator(_grade)]
Attempts = Annotated[int, Field(ge=0, le=1000)]  # 0: unlimited
Marks = Annotated[int, Field(ge=0, le=1_000_000)]
Minutes = Annotated[int, Field(ge=0, le=100_000)]


class MediaContent(RequestModel):
    """`mediaContent`: where the lesson's main content is (a URL for external media). Stored and
    returned with the contract's names, as sent."""

    model_config = ConfigDict(serialize_by_alias=True)

    format: LessonFormat | None = None
    sub_format: Annotated[str, StringConstraints(max_length=100)] | None = None
    source: SourceUrl | None = None
    params: JsonObject | None = None


MediaContentIn = Annotated[MediaContent, BeforeValidator(_media_content_text)]


def check_marks(total: float | None, passing: float | None) -> None:
    if (passing or 0) > (total or 0):
        raise ValueError(f"passingMarks ({passing}) must not exceed totalMarks ({total or 0})")


def check_media_format(lesson_format: str | None, media: dict[str, Any] | None) -> None:
    media_format = (media or {}).get("format")
    if media_format and lesson_format and media_format != lesson_format:
        raise ValueError(f"mediaContent.format ({media_format}) must match the lesson's format ({lesson_format})")


class LessonSettings(RequestModel):
    """What a lesson sets for itself and a link may set again for one course (RULES.md: Lessons)."""

    status: LessonStatus | None = None
    start_datetime: Timestamp | None = None
    end_datetime: Timestamp | None = None
    no_of_attempts: Attempts | None = None
    attempts_grade: AttemptsGrade | None = None
    eligibility_criteria: TextOrJsonObject | None = None
    ideal_time: Minutes | None = None
    resume: FormBool | None = None
    total_marks: Marks | None = None
    passing_marks: Marks | None = None
    params: JsonObject | None = None


class LessonFieldsIn(LessonSettings):
    alias: Slug | None = None
    description: LongText | None = None
    storage: Storage | None = None
    media_content: MediaContentIn | None = None
    media_id: UUID | None = None  # the lesson's main media (a media record of the tenant)
    image: ImageIn | None = None

    def stored_fields(self, *, sent_only: bool) -> dict[str, Any]:
        """The fields to store: those sent (an update) or those set (a create); `mediaContent`
        always whole, every key present."""
        fields = self.model_dump(exclude_unset=True) if sent_only else self.model_dump(exclude_none=True)
        if self.media_id is not None:
            fields["media_id"] = str(self.media_id)
        if self.media_content is not None:
            fields["media_content"] = self.media_content.model_dump()
        return fields


class LessonCreate(LessonFieldsIn):
    """`POST /api/lessons` (form or JSON)."""

    title: Title
    format: LessonFormat

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_date_order(self.start_datetime, self.end_datetime)
        check_marks(self.total_marks, self.passing_marks)
        check_media_format(self.format, self.media_content.model_dump() if self.media_content else None)
        return self


class LessonUpdate(LessonFieldsIn):
    """`PUT /api/lessons/{lessonId}`: fields left out stay as they are (checked with the stored ones)."""

    title: Title | None = None
    format: LessonFormat | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        names = ("title", "format", "status", "attemptsGrade", "noOfAttempts", "resume", "totalMarks", "passingMarks")
        return reject_nulls(data, names)


class LessonLinkCreate(LessonSettings):
    """`POST /api/courses/{courseId}/modules/{moduleId}/lessons`: the lesson and the link's own
    settings, each overriding the lesson's for this course when set."""

    lesson_id: UUID
    free_lesson: FormBool = False
    consider_for_passing: FormBool = True

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        check_date_order(self.start_datetime, self.end_datetime)
        return self


def _as_text(value: Any) -> Any:
    return None if value is None else str(int(value))


AttemptsText = Annotated[str | None, BeforeValidator(_as_text)]  # the contract shows "3"


class LessonOut(ResponseModel):
    """A whole lesson (`api.lesson.create`, `.get`, `.update`)."""

    lesson_id: str
    tenent_id: str = Field(validation_alias="tenant_id")
    title: str
    alias: str | None
    description: str | None
    image: str | None
    start_datetime: str | None
    end_datetime: str | None
    storage: str | None
    no_of_attempts: AttemptsText
    attempts_grade: AttemptsGradeName
    format: LessonFormat
    media_id: str | None
    eligibility_criteria: str | dict[str, Any] | None
    ideal_time: int | None
    resume: bool
    total_marks: int
    passing_marks: int
    status: LessonStatus
    params: dict[str, Any] | None
    media_content: dict[str, Any] | None
    created_by: str
    created_at: str
    updated_by: str | None
    updated_at: str | None
    files: list[AttachmentOut] = Field(default_factory=list)  # its attachments (`filesId`)
    image_url: str | None = None  # single reads: a short-lived URL of `image`


class LessonLinkOut(ResponseModel):
    """A lesson's place in a course (`api.course.lesson.add`): the link's own settings, null when
    the lesson's apply."""

    lesson_id: str
    course_id: str
    module_id: str | None
    free_lesson: bool
    consider_for_passing: bool
    status: LessonStatus | None
    start_datetime: str | None
    end_datetime: str | None
    no_of_attempts: AttemptsText
    attempts_grade: AttemptsGradeName | None
    eligibility_criteria: str | dict[str, Any] | None
    ideal_time: int | None
    resume: bool | None
    total_marks: int | None
    passing_marks: int | None
    params: dict[str, Any] | None
    created_by: str
    created_at: str


class LessonEntry(ResponseModel):
    """A lesson as lists and trees show it: its summary with the link's settings applied."""

    lesson_id: str
    module_id: str | None
    title: str
    description: str | None
    image: str | None
    format: LessonFormat
    status: LessonStatus
    free_lesson: bool
    consider_for_passing: bool
    total_marks: int
    passing_marks: int
    media_content: dict[str, Any] | None


class LessonList(ResponseModel):
    lessons: list[LessonEntry]
    count: int  # every lesson matching, not only this page's
