"""Request and response bodies of the Course Tracking and Lesson Tracking groups.

`userId` in a body is optional: it defaults to the caller, and a learner may name only themselves."""

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from shared.schemas.common import (
    Identifier,
    RequestModel,
    ResponseModel,
    ServerSetForLearners,
    StaffOnly,
    Timestamp,
    reject_nulls,
    whole_number,
)
from shared.schemas.courses import CourseDetails, TreeSubmodule
from shared.schemas.lessons import LessonEntry

CourseTrackStatus = Literal["incomplete", "in_progress", "completed"]
LessonTrackStatus = Literal["started", "in_progress", "incomplete", "submitted", "completed"]
# What an update may set; an attempt is completed through `.../tracking/complete`.
OpenAttemptStatus = Literal["started", "in_progress", "incomplete", "submitted"]

Count = Annotated[int, Field(ge=0, le=1_000_000)]
AttemptNumber = Annotated[int, Field(ge=1, le=999_999), BeforeValidator(whole_number)]
Amount = Annotated[int, Field(ge=0, le=1_000_000_000)]  # content units, seconds


def _hundredths(value: int | float) -> int | float:
    # Marks are kept to two decimals: what a mark sheet shows, and a number DynamoDB can store
    # (it refuses magnitudes below 1e-130).
    if round(value, 2) != value:
        raise ValueError("must have at most two decimal places")
    return value


Marks = Annotated[int | float, Field(ge=0, le=1_000_000), AfterValidator(_hundredths)]


class CourseTrackStart(RequestModel):
    """`POST /api/courses/{courseId}/tracking`."""

    user_id: Identifier | None = None
    start_datetime: Annotated[Timestamp | None, ServerSetForLearners] = None


class CourseTrackUpdate(RequestModel):
    """`PUT /api/courses/{courseId}/tracking`: fields left out stay as they are."""

    user_id: Identifier | None = None
    completed_lessons: Annotated[Count | None, StaffOnly] = None
    status: CourseTrackStatus | None = None  # a learner's only move is to in_progress
    last_accessed_date: Annotated[Timestamp | None, ServerSetForLearners] = None  # a learner's update is an access

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        return reject_nulls(data, ("completedLessons", "status", "lastAccessedDate"))


class CourseTrackComplete(RequestModel):
    """`PUT /api/courses/{courseId}/tracking/complete`. When a learner completes, the count is
    what they passed and the dates are the server's clock (the contract's body carries them)."""

    user_id: Identifier | None = None
    end_datetime: Annotated[Timestamp | None, ServerSetForLearners] = None
    completed_lessons: Annotated[Count | None, ServerSetForLearners] = None
    cert_gen_date: Annotated[Timestamp | None, ServerSetForLearners] = None


class CourseTrackOut(ResponseModel):
    """A course track (`api.course.tracking.start`, `.update`, `.complete`)."""

    course_track_id: str
    course_id: str
    user_id: str
    start_datetime: str
    end_datetime: str | None
    no_of_lessons: int
    completed_lessons: int
    status: CourseTrackStatus
    last_accessed_date: str | None
    cert_gen_date: str | None


class TrackedCourse(ResponseModel):
    title: str
    short_description: str | None
    image: str | None


class CourseTrackDetails(CourseTrackOut):
    """`api.course.tracking.get`: with the course and `progress` (0–100)."""

    course: TrackedCourse | None
    progress: int


class LessonTrackStart(RequestModel):
    """`POST /api/lessons/{lessonId}/tracking`. `courseId` (an extension) names the course the
    attempt counts for when the lesson is in several."""

    user_id: Identifier | None = None
    attempt: AttemptNumber | None = None
    course_id: UUID | None = None
    start_datetime: Annotated[Timestamp | None, ServerSetForLearners] = None
    total_content: Amount = 0
    current_position: Amount = 0


class LessonTrackUpdate(RequestModel):
    """`PUT /api/lessons/{lessonId}/tracking`: the given attempt (else the latest); fields left
    out stay as they are."""

    user_id: Identifier | None = None
    attempt: AttemptNumber | None = None
    current_position: Amount | None = None
    total_content: Amount | None = None
    time_spent: Amount | None = None
    status: OpenAttemptStatus | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        return reject_nulls(data, ("currentPosition", "totalContent", "timeSpent", "status"))


class LessonTrackComplete(RequestModel):
    """`PUT /api/lessons/{lessonId}/tracking/complete`: the given attempt (else the latest)."""

    user_id: Identifier | None = None
    attempt: AttemptNumber | None = None
    end_datetime: Annotated[Timestamp | None, ServerSetForLearners] = None
    score: Marks = 0
    current_position: Amount | None = None
    total_content: Amount | None = None
    time_spent: Amount | None = None


class LessonTrackOut(ResponseModel):
    """An attempt (`api.lesson.tracking.start`, `.update`, `.complete`)."""

    lesson_track_id: str
    lesson_id: str
    user_id: str
    course_id: str | None
    attempt: int
    start_datetime: str
    end_datetime: str | None
    score: int | float
    status: LessonTrackStatus
    total_content: int
    current_position: int
    time_spent: int
    updated_by: str | None
    updated_at: str | None


class TrackedLesson(ResponseModel):
    """The lesson as its attempts are graded (marks from its course link when it has one)."""

    title: str
    description: str | None
    format: str
    total_marks: int | float
    passing_marks: int | float


class LessonTrackDetails(LessonTrackOut):
    """`api.lesson.tracking.get`: with the lesson, `progress` and this attempt's own `passed`."""

    lesson: TrackedLesson
    progress: int
    passed: bool


class AttemptSummary(ResponseModel):
    lesson_track_id: str
    attempt: int
    start_datetime: str
    end_datetime: str | None
    score: int | float
    status: LessonTrackStatus
    time_spent: int


class LessonHistory(ResponseModel):
    """`api.user.lesson.tracking.history`: `passed` by the lesson's grading rule."""

    attempts: list[AttemptSummary]
    lesson: TrackedLesson | None
    best_score: int | float | None
    average_score: int | float | None
    total_attempts: int
    passed: bool


class OpenAttempt(ResponseModel):
    """The attempt a learner has open at a lesson: resumed where they left it."""

    attempt: int
    current_position: int | float
    status: OpenAttemptStatus


class LessonProgress(ResponseModel):
    """A user's tracking of one lesson in a course: over the attempts made there, graded by the
    lesson's `attemptsGrade` (`status`, `progress` and `openAttempt` are the latest attempt's)."""

    status: LessonTrackStatus
    attempts: int
    score: int | float | None
    passed: bool
    progress: int
    open_attempt: OpenAttempt | None
    last_accessed_date: str


class TrackedLessonEntry(LessonEntry):
    """A lesson of the tree with the user's `tracking` of it (null: not started, or not open to
    the learner without access)."""

    tracking: LessonProgress | None


class TrackedSubmodule(TreeSubmodule):
    """A submodule with the user's progress over its counted lessons."""

    lessons: list[TrackedLessonEntry]  # type: ignore[assignment]  # the tree's entries, tracked
    completed_lessons: int
    no_of_lessons: int


class TrackedModule(TrackedSubmodule):
    """A top-level module; its figures count its submodules' lessons too."""

    sub_modules: list[TrackedSubmodule]


class CourseProgressDetails(CourseDetails):
    """`api.course.tracking.details`: the course tree as `details` gives it, with the user's
    tracking on every lesson, figures on every module, and their course track."""

    user_id: str
    course_track: CourseTrackOut | None
    modules: list[TrackedModule]  # type: ignore[assignment]  # the tree's modules, tracked
    lessons: list[TrackedLessonEntry]  # type: ignore[assignment]


class LessonPlace(ResponseModel):
    """A lesson's place in the course: its module (null at course level) and its position in
    tree order, from 1."""

    lesson_id: str
    module_id: str | None
    position: int


class NextLesson(LessonPlace):
    """The lesson to open next, with the attempt to resume (null: start a new one)."""

    attempt: int | None
    current_position: int | float | None


class NextStep(ResponseModel):
    """`api.course.tracking.next`: where the user goes next in the course (null: nothing left),
    the lesson before it in tree order, and their course track's status (null: not started)."""

    next: NextLesson | None
    previous: LessonPlace | None
    course_status: CourseTrackStatus | None
