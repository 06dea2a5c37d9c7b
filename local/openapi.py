"""`make openapi`: one OpenAPI 3.1 document for the whole API, `docs/openapi.json`.

Each function's Powertools resolver describes its own routes (paths, parameters, bodies, result
models, role requirements); this merges them and puts the contract's envelope around every
answer, success and failure, the way the envelope middleware does at run time. A test fails
when the committed document differs from what this builds."""

import copy
import importlib
import json
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from local import template
from local.template import ROOT
from shared.api import SECURITY_SCHEME
from shared.auth import Role
from shared.schemas.common import LEARNER_POLICY, REFUSED, SERVER_SET

DOCUMENT = ROOT / "docs" / "openapi.json"
# Each operation's group, summary, description and examples, as the contract gives them and,
# for the five beyond it, written alike: docs/api-examples.json, by operation id.
EXAMPLES = ROOT / "docs" / "api-examples.json"
# The contract's seven groups, in its order: the tags Swagger UI heads its sections with.
GROUPS = {
    "Courses": "Courses: create, list, read, update and delete; the tree; reorder and clone.",
    "Modules": "A course's modules and their submodules (two levels).",
    "Lessons": "Reusable lessons, and their links into courses and modules.",
    "Media": "Files and links: inline or presigned uploads, registered from S3's events.",
    "Enrollments": "Who is enrolled in which course, until when.",
    "Course Tracking": "A learner's progress through a course: the track, the course player's reads, the report.",
    "Lesson Tracking": "A learner's attempts at a lesson, graded by its rules.",
}
VERSION = "1.0"
# Routes whose contract shows a multipart form (a file, or form fields) as well as JSON.
FORM_OPERATIONS = frozenset(
    {
        "api.course.create", "api.course.update", "api.module.create", "api.module.update",
        "api.lesson.create", "api.lesson.update", "api.media.upload",
    }
)  # fmt: skip
ERRORS = {
    "400": ("INVALID_REQUEST", "The request is malformed or a field is invalid; `errmsg` names it."),
    "401": ("UNAUTHORIZED", "No token, or one that is expired, forged, or for another issuer or audience."),
    "403": ("FORBIDDEN", "The caller's role or identity may not do this."),
    "404": ("RESOURCE_NOT_FOUND", "No such item in the caller's tenant."),
    "409": ("CONFLICT", "The request conflicts with the stored state (a duplicate, a rule, a concurrent change)."),
    "413": ("PAYLOAD_TOO_LARGE", "The body or an inline file is too large."),
    "415": ("UNSUPPORTED_MEDIA_TYPE", "The body is neither JSON nor multipart/form-data."),
    "500": ("INTERNAL_SERVER_ERROR", "An unexpected error; the log has it under the request id."),
    "503": (
        "SERVICE_UNAVAILABLE",
        "A service the API depends on could not be reached, timed out or is overloaded: retry after `Retry-After`.",
    ),
}
RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 1}}
# Powertools' own validation answer (422) never reaches a client: every failure is the envelope.
POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
ENVELOPE_KEYS = ["id", "ver", "ts", "params", "responseCode", "result"]


def _params(status: dict[str, Any], err: dict[str, Any], errmsg: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resmsgid", "status", "err", "errmsg"],
        "properties": {
            "resmsgid": {"type": "string", "format": "uuid"},
            "status": status,
            "err": err,
            "errmsg": errmsg,
        },
    }


COMMON_SCHEMAS: dict[str, Any] = {
    "SuccessParams": _params({"const": "successful"}, {"type": "null"}, {"type": "null"}),
    "FailureParams": _params(
        {"const": "failed"}, {"enum": sorted(code for code, _ in ERRORS.values())}, {"type": "string"}
    ),
}


def _envelope(operation_id: str, status: str, params: str, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ENVELOPE_KEYS,
        "properties": {
            "id": {"const": operation_id},
            "ver": {"const": "1.0"},
            "ts": {"type": "string", "format": "date-time"},
            "params": {"$ref": f"#/components/schemas/{params}"},
            "responseCode": {"const": int(status)},
            "result": result,
        },
    }


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key when retrying: the first answer comes back and nothing is done twice.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}


def _enveloped(operation: dict[str, Any], method: str) -> dict[str, Any]:
    """The operation as clients see it: every answer inside the envelope, every refusal listed,
    and on a POST the `Idempotency-Key` header."""
    operation = copy.deepcopy(operation)
    if method == "post":
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    operation_id = operation["operationId"]
    responses: dict[str, Any] = {}
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            result = response.get("content", {}).get("application/json", {}).get("schema", {})
            envelope = _envelope(operation_id, status, "SuccessParams", result)
            responses[status] = {"description": response["description"], "content": _json(envelope)}
    for status, (_, description) in ERRORS.items():
        envelope = _envelope(operation_id, status, "FailureParams", {"type": "null"})
        responses[status] = {"description": description, "content": _json(envelope)}
        if status == "503":
            responses[status]["headers"] = {"Retry-After": RETRY_AFTER}
    operation["responses"] = responses
    body = operation.get("requestBody", {}).get("content", {})
    if operation_id in FORM_OPERATIONS and "application/json" in body:
        body["multipart/form-data"] = copy.deepcopy(body["application/json"])
    return operation


def _with_fields_by_role(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """List on the operation which body fields each role may send (`x-fields-by-role`), and say so
    in its description: staff send every field; a learner, where the operation admits them, not
    the fields marked `x-learner: refused`, and those marked `server-set` are replaced."""
    reference = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" not in reference:
        return
    properties: dict[str, Any] = schemas[reference["$ref"].rsplit("/", 1)[1]]["properties"]
    fields = sorted(properties)
    roles = {role for requirement in operation["security"] for role in requirement[SECURITY_SCHEME]} or set(Role)
    policy = {name: schema.get(LEARNER_POLICY) for name, schema in properties.items()}
    learner = [name for name in fields if policy[name] != REFUSED] if Role.LEARNER in roles else []
    operation["x-fields-by-role"] = {role: fields if role != Role.LEARNER else learner for role in sorted(Role)}
    if Role.LEARNER not in roles:
        return
    refused = [name for name in fields if policy[name] == REFUSED]
    server_set = [name for name in fields if policy[name] == SERVER_SET]
    notes = [f"Learners may send {', '.join(learner)}."]
    if refused:
        notes.append(f"Only staff may send {', '.join(refused)} (a learner sending any is refused with 403).")
    if server_set:
        notes.append(f"When a learner sends {', '.join(server_set)}, the server's own value is used instead.")
    operation["description"] = "\n\n".join([operation.get("description", "").strip(), " ".join(notes)]).strip()


def _as_the_contract_shows(operation: dict[str, Any], shown: dict[str, Any]) -> None:
    """The operation's group (its tag), summary and description, and the contract's example of its
    request and of its answers, on the statuses they show."""
    if shown["group"] not in GROUPS:
        raise ValueError(f"{operation['operationId']}: {shown['group']} is not one of the contract's groups")
    operation["tags"], operation["summary"] = [shown["group"]], shown["summary"]
    operation["description"] = "\n\n".join(
        part for part in (shown["description"], operation.get("description")) if part
    )
    for status, example in shown["responses"].items():
        if status in operation["responses"]:
            operation["responses"][status]["content"]["application/json"]["example"] = example
    if shown["request"] is not None:
        for content in operation.get("requestBody", {}).get("content", {}).values():
            content["example"] = shown["request"]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


LOCAL_SERVER = "http://127.0.0.1:3000"
SERVERS: list[dict[str, Any]] = [
    {"url": LOCAL_SERVER, "description": "`make run` (the document it serves names its own port)"},
    {
        "url": "{apiUrl}",
        "description": "A deployed stack: its ApiUrl output",
        "variables": {"apiUrl": {"default": "https://your-api-id.execute-api.your-region.amazonaws.com"}},
    },
]


def served_from(document: str, url: str) -> str:
    """The document as a local server at `url` serves it: with itself as the first server."""
    parsed = json.loads(document)
    parsed["servers"] = [{**SERVERS[0], "url": url}, *SERVERS[1:]]
    return render(parsed)


def build() -> dict[str, Any]:
    """The merged document of every function that serves HTTP routes in template.yaml."""
    functions = template.functions()
    serving = sorted({route.function for route in template.routes()})
    security = {SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT", description="A JWT from the tenant's issuer")}
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = dict(COMMON_SCHEMAS)
    for name in serving:
        app = importlib.import_module(functions[name].module).app
        part = json.loads(app.get_openapi_json_schema(title="LMS", version=VERSION, security_schemes=security))
        for path, operations in part["paths"].items():
            for method, operation in operations.items():
                paths.setdefault(path, {})[method] = _enveloped(operation, method)
        for schema_name, schema in part.get("components", {}).get("schemas", {}).items():
            if schema_name in POWERTOOLS_SCHEMAS:
                continue
            if schemas.setdefault(schema_name, schema) != schema:
                raise ValueError(f"Two functions describe the schema {schema_name} differently")
    examples = json.loads(EXAMPLES.read_text())
    for operations in paths.values():
        for operation in operations.values():
            _with_fields_by_role(operation, schemas)
            _as_the_contract_shows(operation, examples[operation["operationId"]])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LMS service",
            "version": VERSION,
            "description": (
                "Courses, modules, lessons, media, enrollments and learners' progress for many tenants. "
                "Every answer is the envelope `{id, ver, ts, params, responseCode, result}`; "
                "failures carry `params.err` and a sentence in `params.errmsg`. Roles listed under an "
                "operation's security are the ones that may call it (none listed: any role)."
            ),
        },
        "servers": SERVERS,
        "tags": [{"name": name, "description": description} for name, description in GROUPS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    DOCUMENT.write_text(render(build()))
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
