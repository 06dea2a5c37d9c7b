"""Course rules (RULES.md: Courses): aliases, visibility, partial updates and deletes."""

import re
import unicodedata
import uuid
from typing import Any

from shared.auth import Principal
from shared.clock import sortable_now, utc_now
from shared.deflated import Deflated
from shared.errors import Conflict
from shared.observability import count
from shared.pagination import paginate
from shared.repository.base import first_of, snapshot
from shared.repository.courses import AliasTaken, CourseRepository
from shared.repository.enrollments import EnrollmentRepository
from shared.repository.items import CourseItem, ModuleFields, TreeHead
from shared.repository.listing import listings_ready
from shared.schemas.common import MessageResult
from shared.schemas.courses import (
    CourseCreate,
    CourseList,
    CourseOut,
    CourseStatus,
    CourseSummary,
    CourseUpdate,
)
from shared.services import course_tree
from shared.services.changes import CONTENDED_ATTEMPTS, apply_changes, dates_in_order, with_retries
from shared.services.images import discard_image, new_image, sent_image, with_image_url
from shared.services.visibility import PUBLISHED, course_not_found, visible_course

DEFAULT_STATUS: CourseStatus = "unpublished"
ALIAS_ATTEMPTS = 5
ALIAS_STEM_LENGTH = 240  # leaves room for "-" and a short suffix within 255


def slugify(title: str) -> str:
    """Lowercase ASCII, every run of other characters one hyphen ("Intro to ML!" -> "intro-to-ml")."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:ALIAS_STEM_LENGTH].rstrip("-") or "course"


def create_course(caller: Principal, data: CourseCreate) -> CourseOut:
    """Create a course (and store its image, if sent)."""
    fields = data.model_dump(exclude_none=True, exclude={"alias", "image", "title"})
    fields.setdefault("status", DEFAULT_STATUS)
    with new_image(caller.tenant_id, data.image) as image:
        repository = CourseRepository(caller.tenant_id)
        course = create_with_alias(
            repository, caller, str(uuid.uuid4()), data.title, data.alias, {**fields, "image": image}
        )
    count("CourseCreated")
    return with_image_url(CourseOut.model_validate(course))


def create_with_alias(
    repository: CourseRepository,
    caller: Principal,
    course_id: str,
    title: str,
    sent_alias: str | None,
    fields: dict[str, Any],
) -> CourseItem:
    """Create the course: a sent alias must be free (409); one derived from the title gets a
    suffix when taken. Another create holding the claim or a list's counter mid-transaction is
    waited out."""
    stem = sent_alias or slugify(title)
    alias = stem

    def attempt() -> CourseItem:
        nonlocal alias
        for _ in range(ALIAS_ATTEMPTS):
            course = repository.new_course(
                course_id,
                sortable_now(),
                title=title,
                alias=alias,
                created_by=caller.user_id,
                created_at=utc_now(),
                **fields,
            )
            try:
                repository.create(course)
            except AliasTaken:
                if sent_alias:
                    raise Conflict(f"The alias '{alias}' is already used by another course; choose another.") from None
                alias = f"{stem}-{uuid.uuid4().hex[:6]}"
                continue
            return course
        raise Conflict(f"The alias '{alias}' could not be claimed right now; send the request again.")

    return with_retries(attempt, "tenant's list of courses", attempts=CONTENDED_ATTEMPTS)


def list_courses(
    caller: Principal,
    status: CourseStatus | None,
    featured: bool | None,
    free: bool | None,
    page: int,
    limit: int,
) -> CourseList:
    """The tenant's courses, newest first, filtered; `count` is every match, not just this page."""
    if not caller.is_staff:
        if status not in (None, PUBLISHED):
            return CourseList(count=0, courses=[])
        status = PUBLISHED
    filters = {"status": status, "featured": featured, "free": free}
    repository = CourseRepository(caller.tenant_id)
    if not listings_ready():  # the table's courses are not all listed yet (the `listings` backfill)
        matches = [
            course
            for course in repository.find_unlisted()
            if all(value is None or getattr(course, name) == value for name, value in filters.items())
        ]
        return CourseList(
            count=len(matches),
            courses=[CourseSummary.model_validate(course) for course in paginate(matches, page, limit)],
        )
    count, entries = repository.page(filters, (page - 1) * limit, limit)
    return CourseList(count=count, courses=[CourseSummary.model_validate(entry.summary) for entry in entries])


def get_course(caller: Principal, course_id: str) -> CourseOut:
    course = CourseRepository(caller.tenant_id).get(course_id)
    return with_image_url(CourseOut.model_validate(visible_course(caller, [course] if course else [], course_id)))


def get_course_details(caller: Principal, course_id: str) -> Deflated:
    """The course with its tree, as the caller's view shows it: its stored document, ready to send."""
    return course_tree.details(caller, course_id)


def update_course(caller: Principal, course_id: str, changes: CourseUpdate) -> CourseOut:
    """Apply the fields sent, nothing else; a concurrent update is re-read and merged, never lost."""
    repository = CourseRepository(caller.tenant_id)
    sent = changes.model_dump(exclude_unset=True)

    def attempt() -> CourseOut:
        items = repository.get_with_modules(course_id)
        course = first_of(items, CourseItem)
        if course is None:
            raise course_not_found(course_id)
        read = snapshot(course)
        apply_changes(course, sent, caller, dates_in_order)
        modules = [item for item in items if isinstance(item, ModuleFields)]
        try:
            repository.save(course, read, modules)
        except AliasTaken:
            raise Conflict(f"The alias '{course.alias}' is already used by another course; choose another.") from None
        if course.image != read.image:
            discard_image(read.image)
        return CourseOut.model_validate(course)

    with sent_image(caller.tenant_id, sent):
        return with_image_url(with_retries(attempt, "course", attempts=CONTENDED_ATTEMPTS))


def delete_course(caller: Principal, course_id: str, force: bool = False) -> MessageResult:
    """Remove the course and everything stored under it (modules, lesson links). Refused while it
    has active enrollments, unless `force`: then they are cancelled (their records kept) first."""
    repository = CourseRepository(caller.tenant_id)
    enrollments = EnrollmentRepository(caller.tenant_id)

    def attempt() -> None:
        items = repository.get_collection(course_id)
        course = first_of(items, CourseItem)
        if course is None:
            raise course_not_found(course_id)
        if (head := first_of(items, TreeHead)) is not None and head.reordering:
            raise course_tree.being_reordered(course_id)
        active = enrollments.active_in_course(course_id, utc_now())
        if active and not force:
            raise Conflict(
                f"Course {course_id} has {len(active)} active enrollment{'s' if len(active) > 1 else ''}; "
                "send ?force=true to cancel them and delete the course."
            )
        enrollments.cancel(active, caller.user_id, utc_now())
        repository.delete(course, [item for item in items if item is not course])

    with_retries(attempt, "course", attempts=CONTENDED_ATTEMPTS)
    count("CourseDeleted")
    return MessageResult(message="Course deleted successfully")
