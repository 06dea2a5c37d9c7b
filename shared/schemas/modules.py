"""Request and response bodies of the Modules group."""

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from shared.schemas.common import (
    ImageIn,
    LongText,
    RequestModel,
    ResponseModel,
    Timestamp,
    Title,
    check_date_order,
    reject_nulls,
)

ModuleStatus = Literal["published", "unpublished", "archived"]
Ordering = Annotated[int, Field(ge=0, le=1_000_000)]


class ModuleFieldsIn(RequestModel):
    description: LongText | None = None
    start_datetime: Timestamp | None = None
    end_datetime: Timestamp | None = None
    ordering: Ordering | None = None
    status: ModuleStatus | None = None
    image: ImageIn | None = None


class ModuleCreate(ModuleFieldsIn):
    """`POST /api/modules` (form or JSON)."""

    course_id: UUID
    parent_id: UUID | None = None
    title: Title

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        check_date_order(self.start_datetime, self.end_datetime)
        return self


class ModuleUpdate(ModuleFieldsIn):
    """`PUT /api/modules/{moduleId}`: fields left out stay as they are."""

    title: Title | None = None

    @model_validator(mode="before")
    @classmethod
    def _required_fields_not_null(cls, data: Any) -> Any:
        return reject_nulls(data, ("title", "ordering", "status"))


class ModuleSummary(ResponseModel):
    """A module in a list (`api.course.modules`, `api.module.submodules`)."""

    module_id: str
    course_id: str
    parent_id: str | None
    title: str
    description: str | None
    image: str | None
    ordering: int
    status: ModuleStatus
    start_datetime: str | None
    end_datetime: str | None


class ModuleWithSubmodules(ModuleSummary):
    sub_modules: list[ModuleSummary]


class ModuleOut(ModuleSummary):
    """A whole module (`api.module.create`, `.get`, `.update`)."""

    tenent_id: str = Field(validation_alias="tenant_id")
    created_by: str
    created_at: str
    updated_by: str | None
    updated_at: str | None
    image_url: str | None = None  # single reads: a short-lived URL of `image`


class CourseModules(ResponseModel):
    modules: list[ModuleWithSubmodules] | list[ModuleSummary]
    count: int  # every top-level module shown, not only this page's


class Submodules(ResponseModel):
    sub_modules: list[ModuleSummary]
    count: int
