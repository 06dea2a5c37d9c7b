"""Request and response bodies of the Courses group, as the contract spells them."""

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from shared.schemas.common import (
    FormBool,
    Identifier,
    ImageIn,
    JsonObject,
    LongText,
    RequestModel,
    ResponseModel,
    ShortText,
    Slug,
    TextOrJsonObject,
    Timestamp,
    Title,
    check_date_order,
    reject_nulls,
)
from shared.schemas.lessons import LessonEntry

CourseStatus = Literal["published", "unpublished", "draft", "archived"]


class CourseFields(RequestModel):
    """What a client may set on a course, on create (form or JSON) and on update."""

    alias: Slug | None = None
    short_description: ShortText | None = None
    description: LongText | None = None
    featured: FormBool | None = None
    free: FormBool | None = None
    certificate_term: TextOrJsonObject | None = None
    certificate_id: Identifier | None = None
    start_datetime: Timestamp | None = None
    end_datetime: Timestamp | None = None
    admin_approval: FormBool | None = None
    auto_enroll: FormBool | None = None
    status: CourseStatus | None = None
    params: JsonObject | None = None
    image: ImageIn | None = None


class CourseCreate(CourseFields):
    """`POST /api/courses`: a title is required, everything else has a default."""

    title: Title

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        check_date_order(self.start_datetime, self.end_datetime)
        return self


# Fields an update may not clear by sending null: the course cannot be without them.
NOT_NULLABLE = ("title", "alias", "featured", "free", "adminApproval", "autoEnroll", "status")


class CourseUpdate(CourseFields):
    """`PUT /api/courses/{courseId}`: a partial update; fields left out stay as they are."""

    title: Title | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        return reject_nulls(data, NOT_NULLABLE)


class CourseSummary(ResponseModel):
    """A course in the list (`api.course.list`)."""

    course_id: str
    title: str
    short_description: str | None
    image: str | None
    featured: bool
    free: bool
    status: CourseStatus
    start_datetime: str | None
    end_datetime: str | None


class CourseList(ResponseModel):
    count: int
    courses: list[CourseSummary]


class TreeSubmodule(ResponseModel):
    """A submodule in the course tree, with its lessons."""

    module_id: str
    parent_id: str | None
    title: str
    description: str | None
    image: str | None
    ordering: int
    status: str
    start_datetime: str | None
    end_datetime: str | None
    lessons: list[LessonEntry]


class TreeModule(TreeSubmodule):
    """A top-level module in the course tree, with its submodules and its own lessons."""

    sub_modules: list[TreeSubmodule]


class CourseDetails(CourseSummary):
    """The course tree (`api.course.details`): modules in order with their submodules and
    lessons, and the course-level lessons in `lessons`."""

    description: str | None
    certificate_term: str | dict[str, Any] | None
    certificate_id: str | None
    structure_version: str  # moves with every change of the course's order (PUT .../structure)
    modules: list[TreeModule]
    lessons: list[LessonEntry]


class CourseOut(CourseSummary):
    """A whole course (`api.course.create`, `.get`, `.update`)."""

    tenent_id: str = Field(validation_alias="tenant_id")
    alias: str
    description: str | None
    certificate_term: str | dict[str, Any] | None
    certificate_id: str | None
    admin_approval: bool
    auto_enroll: bool
    params: dict[str, Any] | None
    created_by: str
    created_at: str
    updated_by: str | None
    updated_at: str | None
    image_url: str | None = None  # single reads: a short-lived URL of `image`


# A reorder names every module and link of the course. These bound one request's work and keep
# every body the schema allows under API Gateway's 10 MB (60 modules of 10 submodules, 250 links
# in each place, is 6.5 MB): a course of 1,000 links fits with room to spare.
MAX_STRUCTURE_MODULES = 500
MAX_STRUCTURE_LINKS = 5_000
MAX_TOP_MODULES, MAX_SUBMODULES, MAX_PLACE_LINKS = 60, 10, 250


class StructureSubmodule(RequestModel):
    """A submodule in its place, with its lessons in order (no `subModules`: two levels only)."""

    module_id: UUID
    lessons: list[UUID] = Field(default_factory=list, max_length=MAX_PLACE_LINKS)

    @model_validator(mode="before")
    @classmethod
    def _two_levels(cls, data: Any) -> Any:
        if cls is StructureSubmodule and isinstance(data, dict) and "subModules" in data:
            raise ValueError("a submodule has no subModules: modules go two levels deep, no third")
        return data


class StructureModule(StructureSubmodule):
    """A top-level module in its place, with its lessons and submodules in order."""

    sub_modules: list[StructureSubmodule] = Field(default_factory=list, max_length=MAX_SUBMODULES)


class CourseStructure(RequestModel):
    """`PUT /api/courses/{courseId}/structure`: the whole order of the course, every module and every
    lesson link once, position in each array giving the order. `structureVersion`, when sent, must
    be the course's current one (from `details`)."""

    structure_version: Annotated[str, StringConstraints(max_length=20)] | None = None
    modules: list[StructureModule] = Field(default_factory=list, max_length=MAX_TOP_MODULES)
    lessons: list[UUID] = Field(default_factory=list, max_length=MAX_PLACE_LINKS)

    @model_validator(mode="after")
    def _within_bounds(self) -> Self:
        modules: list[StructureSubmodule] = [*self.modules, *(sub for top in self.modules for sub in top.sub_modules)]
        if len(modules) > MAX_STRUCTURE_MODULES:
            raise ValueError(f"must name at most {MAX_STRUCTURE_MODULES} modules in all, top-level and submodules")
        if len(self.lessons) + sum(len(module.lessons) for module in modules) > MAX_STRUCTURE_LINKS:
            raise ValueError(f"must name at most {MAX_STRUCTURE_LINKS} lesson links in all")
        return self


class CourseClone(RequestModel):
    """`POST /api/courses/{courseId}/clone`, every field optional: the copy's title (else the
    course's, marked a copy), alias (else one derived from the title) and status (else
    `unpublished`)."""

    title: Title | None = None
    alias: Slug | None = None
    status: CourseStatus | None = None
