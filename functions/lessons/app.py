"""Lessons group: `/api/lessons`, lessons of courses and modules, and lesson links (contract: Lessons)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import (
    ANY_ROLE,
    STAFF_ONLY,
    Caller,
    CourseId,
    LessonId,
    ModuleId,
    ModuleIdOrNull,
    create_app,
    lambda_handler_for,
)
from shared.schemas.common import WHOLE_UNLESS_PAGED, MessageResult, PageNumber, PageSize
from shared.schemas.lessons import (
    LessonCreate,
    LessonFormat,
    LessonLinkCreate,
    LessonLinkOut,
    LessonList,
    LessonOut,
    LessonStatus,
    LessonUpdate,
)
from shared.services import lessons

app = create_app()


@app.post("/api/lessons", operation_id="api.lesson.create", security=STAFF_ONLY, status_code=201)
def create_lesson(caller: Caller, body: LessonCreate) -> LessonOut:
    return lessons.create_lesson(caller, body)


@app.post(
    "/api/courses/<courseId>/modules/<moduleId>/lessons",
    operation_id="api.course.lesson.add",
    security=STAFF_ONLY,
    status_code=201,
)
def add_lesson(caller: Caller, course_id: CourseId, module_id: ModuleIdOrNull, body: LessonLinkCreate) -> LessonLinkOut:
    return lessons.add_lesson(caller, str(course_id), module_id, body)


@app.get("/api/lessons/<lessonId>", operation_id="api.lesson.get", security=ANY_ROLE)
def get_lesson(caller: Caller, lesson_id: LessonId) -> LessonOut:
    return lessons.get_lesson(caller, str(lesson_id))


@app.get("/api/courses/<courseId>/lessons", operation_id="api.course.lessons", security=ANY_ROLE)
def list_course_lessons(
    caller: Caller,
    course_id: CourseId,
    status: Annotated[LessonStatus | None, Query()] = None,
    format_: Annotated[LessonFormat | None, Query(alias="format")] = None,
    page: Annotated[PageNumber | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
    limit: Annotated[PageSize | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
) -> LessonList:
    return lessons.list_course_lessons(caller, str(course_id), status, format_, page, limit)


@app.get("/api/modules/<moduleId>/lessons", operation_id="api.module.lessons", security=ANY_ROLE)
def list_module_lessons(
    caller: Caller,
    module_id: ModuleId,
    status: Annotated[LessonStatus | None, Query()] = None,
    page: Annotated[PageNumber | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
    limit: Annotated[PageSize | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
) -> LessonList:
    return lessons.list_module_lessons(caller, str(module_id), status, page, limit)


@app.put("/api/lessons/<lessonId>", operation_id="api.lesson.update", security=STAFF_ONLY)
def update_lesson(caller: Caller, lesson_id: LessonId, body: LessonUpdate) -> LessonOut:
    return lessons.update_lesson(caller, str(lesson_id), body)


@app.delete("/api/lessons/<lessonId>", operation_id="api.lesson.delete", security=STAFF_ONLY)
def delete_lesson(caller: Caller, lesson_id: LessonId) -> MessageResult:
    return lessons.delete_lesson(caller, str(lesson_id))


@app.delete(
    "/api/courses/<courseId>/modules/<moduleId>/lessons/<lessonId>",
    operation_id="api.course.lesson.remove",
    security=STAFF_ONLY,
)
def remove_lesson(caller: Caller, course_id: CourseId, module_id: ModuleIdOrNull, lesson_id: LessonId) -> MessageResult:
    return lessons.remove_lesson(caller, str(course_id), module_id, str(lesson_id))


lambda_handler = lambda_handler_for(app)
