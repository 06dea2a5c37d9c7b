"""Modules group: `/api/modules` routes and a course's modules (contract: Modules)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import ANY_ROLE, STAFF_ONLY, Caller, CourseId, ModuleId, create_app, lambda_handler_for
from shared.schemas.common import WHOLE_UNLESS_PAGED, FormBool, MessageResult, PageNumber, PageSize
from shared.schemas.modules import CourseModules, ModuleCreate, ModuleOut, ModuleUpdate, Submodules
from shared.services import modules

app = create_app()


@app.post("/api/modules", operation_id="api.module.create", security=STAFF_ONLY, status_code=201)
def create_module(caller: Caller, body: ModuleCreate) -> ModuleOut:
    return modules.create_module(caller, body)


@app.get("/api/modules/<moduleId>", operation_id="api.module.get", security=ANY_ROLE)
def get_module(caller: Caller, module_id: ModuleId) -> ModuleOut:
    return modules.get_module(caller, str(module_id))


@app.get("/api/courses/<courseId>/modules", operation_id="api.course.modules", security=ANY_ROLE)
def list_course_modules(
    caller: Caller,
    course_id: CourseId,
    include_submodules: Annotated[FormBool, Query(alias="includeSubmodules")] = False,
    page: Annotated[PageNumber | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
    limit: Annotated[PageSize | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
) -> CourseModules:
    return modules.list_course_modules(caller, str(course_id), include_submodules, page, limit)


@app.get("/api/modules/<moduleId>/submodules", operation_id="api.module.submodules", security=ANY_ROLE)
def list_submodules(
    caller: Caller,
    module_id: ModuleId,
    page: Annotated[PageNumber | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
    limit: Annotated[PageSize | None, Query(description=WHOLE_UNLESS_PAGED)] = None,
) -> Submodules:
    return modules.list_submodules(caller, str(module_id), page, limit)


@app.put("/api/modules/<moduleId>", operation_id="api.module.update", security=STAFF_ONLY)
def update_module(caller: Caller, module_id: ModuleId, body: ModuleUpdate) -> ModuleOut:
    return modules.update_module(caller, str(module_id), body)


@app.delete("/api/modules/<moduleId>", operation_id="api.module.delete", security=STAFF_ONLY)
def delete_module(caller: Caller, module_id: ModuleId) -> MessageResult:
    return modules.delete_module(caller, str(module_id))


lambda_handler = lambda_handler_for(app)
