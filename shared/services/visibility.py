"""Who may see what of the catalogue: staff see everything, learners only what is published."""

from collections.abc import Sequence

from shared.auth import Principal
from shared.errors import NotFound
from shared.repository.base import LmsItem, first_of
from shared.repository.items import PUBLISHED, CourseItem

__all__ = ["PUBLISHED", "course_not_found", "lesson_not_found", "visible_course"]


def course_not_found(course_id: str) -> NotFound:
    return NotFound(f"Course {course_id} not found.")


def lesson_not_found(lesson_id: str) -> NotFound:
    return NotFound(f"Lesson {lesson_id} not found.")


def visible_course(caller: Principal, items: Sequence[LmsItem], course_id: str) -> CourseItem:
    """The course among `items` (a read of its collection), if the caller may see it."""
    course = first_of(items, CourseItem)
    if course is None or (not caller.is_staff and course.status != PUBLISHED):
        raise course_not_found(course_id)
    return course
