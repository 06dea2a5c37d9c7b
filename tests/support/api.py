"""Call the functions as API Gateway does: a real HTTP API v2 event into the real handler.

Requests are built by the same code as the local server's (local.apigw), routed by the routes
of template.yaml, and handed to each function's `lambda_handler`."""

import gzip
import json
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict, Unpack
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa
from urllib3.filepost import encode_multipart_formdata

from local import apigw, issuer, template
from local.stack import Host

FormValue = str | tuple[str, bytes, str]  # text, or (file name, bytes, content type)


class Request(TypedDict, total=False):
    """What a request may carry besides its method and path (`Api.call`)."""

    json_body: Any
    form: dict[str, FormValue] | None
    body: bytes | None
    content_type: str | None
    query: dict[str, str] | None
    headers: dict[str, str] | None
    token: str | None  # None: no Authorization header; unset or "": a fresh valid token


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    text: str = ""  # the body as sent, when it is not JSON (a CSV)

    @property
    def result(self) -> Any:
        return self.body["result"]

    @property
    def err(self) -> str | None:
        err: str | None = self.body["params"]["err"]
        return err

    @property
    def errmsg(self) -> str:
        """The failure's message ("" on success)."""
        return str(self.body["params"]["errmsg"] or "")


def route_for(method: str, path: str) -> tuple[template.Route, dict[str, str]]:
    for route in template.routes():
        parameters = route.match(method, path)
        if parameters is not None:
            return route, parameters
    raise LookupError(f"template.yaml has no route for {method} {path}")


@dataclass(frozen=True)
class Api:
    """A caller of the API: a tenant, a user and a role, with tokens from the test issuer."""

    host: Host
    key: rsa.RSAPrivateKey
    tenant: str = field(default_factory=lambda: f"tenant-{uuid.uuid4()}")
    user: str = field(default_factory=lambda: f"user-{uuid.uuid4()}")
    role: str = "admin"

    def as_(self, role: str, user: str | None = None, tenant: str | None = None) -> "Api":
        """The same API seen by another caller (same tenant unless told)."""
        return replace(self, role=role, user=user or f"user-{uuid.uuid4()}", tenant=tenant or self.tenant)

    def token(self, **overrides: Any) -> str:
        return issuer.mint(self.role, self.tenant, self.user, key=self.key, **overrides)

    def call(self, method: str, path: str, **request: Unpack[Request]) -> ApiResponse:
        """One request; `token=None` sends none, the default sends a fresh valid one."""
        return self.send(*self.event(method, path, **request))

    def event(self, method: str, path: str, **request: Unpack[Request]) -> tuple[str, dict[str, Any]]:
        """The function that serves a request (as `call` takes it) and API Gateway's event for it."""
        token, content_type = request.get("token", ""), request.get("content_type")
        sent_headers = {"user-agent": "lms-tests"}
        if token is not None:
            sent_headers["authorization"] = f"Bearer {token or self.token()}"
        raw = request.get("body") or b""
        if (json_body := request.get("json_body")) is not None:
            raw, content_type = json.dumps(json_body).encode(), content_type or "application/json"
        if (form := request.get("form")) is not None:
            raw, content_type = encode_multipart_formdata(form)
        if content_type:
            sent_headers["content-type"] = content_type
        sent_headers.update(request.get("headers") or {})
        route, parameters = route_for(method, path)
        query = urlencode(request.get("query") or {})
        return route.function, apigw.http_api_event(route, parameters, path, query, sent_headers, raw)

    def send(self, function: str, event: dict[str, Any]) -> ApiResponse:
        """The function's answer, as an HTTP client reads it (a gzip body inflated)."""
        status, headers, raw = apigw.response_parts(self.host.invoke(function, event))
        if headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        if headers.get("Content-Type", "").startswith("text/csv"):
            return ApiResponse(status, {}, headers, raw.decode())
        return ApiResponse(status, json.loads(raw), headers)

    def enroll(self, course_id: str, user_id: str, **fields: Any) -> "ApiResponse":
        """`POST /api/enrollments` as this caller (the response, refusals included)."""
        return self.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": user_id, **fields})

    # Shorthands for the Courses group.
    def create_course(self, **fields: Any) -> dict[str, Any]:
        response = self.call("POST", "/api/courses", json_body={"title": f"Course {uuid.uuid4()}", **fields})
        assert response.status == 201, response.body
        created: dict[str, Any] = response.result
        return created

    def create_module(self, course_id: str, **fields: Any) -> dict[str, Any]:
        body = {"courseId": course_id, "title": f"Module {uuid.uuid4()}", **fields}
        response = self.call("POST", "/api/modules", json_body=body)
        assert response.status == 201, response.body
        created: dict[str, Any] = response.result
        return created

    def create_lesson(self, **fields: Any) -> dict[str, Any]:
        body = {"title": f"Lesson {uuid.uuid4()}", "format": "video", **fields}
        response = self.call("POST", "/api/lessons", json_body=body)
        assert response.status == 201, response.body
        created: dict[str, Any] = response.result
        return created

    def add_lesson(self, course_id: str, module_id: str | None, lesson_id: str, **settings: Any) -> dict[str, Any]:
        path = f"/api/courses/{course_id}/modules/{module_id or 'null'}/lessons"
        response = self.call("POST", path, json_body={"lessonId": lesson_id, **settings})
        assert response.status == 201, response.body
        added: dict[str, Any] = response.result
        return added
