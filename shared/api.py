"""What every function's HTTP layer shares: the resolver, the caller, refusals and the envelope.

Powertools validates a request before any middleware runs, so a refusal for bad input is only
sent after the caller's token and role have been checked again: refusals come 401, 403, 400.
"""

import base64
import binascii
import contextlib
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BeforeValidator

from shared.auth import Principal, Role, authenticate, require_roles
from shared.deflated import Deflated, gzip_around, inflate
from shared.envelope import envelope, envelope_around
from shared.errors import (
    ApiError,
    Forbidden,
    Invalid,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from shared.faults import unavailable
from shared.json_input import MAX_BODY_DEPTH, NotUnicode, TooDeeplyNested, parse_json
from shared.observability import count, logger, metrics
from shared.schemas.common import REFUSED, RequestModel
from shared.validation import describe_validation_errors

# Route security, as OpenAPI 3.1 writes role requirements: the roles that may call the route.
SECURITY_SCHEME = "bearerAuth"
ANY_ROLE: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
STAFF_ONLY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: [Role.ADMIN, Role.INSTRUCTOR]}]
ADMIN_ONLY: list[dict[str, list[str]]] = [{SECURITY_SCHEME: [Role.ADMIN]}]

UNKNOWN_ROUTE_ID = "api.unknown"
IDEMPOTENCY_HEADER = "idempotency-key"
URL_ENCODED_FORM = "application/x-www-form-urlencoded"
_PRINCIPAL = "principal"
_BODY_PARSED = "body_parsed"


def _api_id(route: Route | None) -> str:
    operation_id = getattr(route, "operation_id", None) or ""
    return operation_id if operation_id.startswith("api.") else UNKNOWN_ROUTE_ID


def _allowed_roles(route: Route | None) -> frozenset[Role]:
    scopes = [scope for requirement in (getattr(route, "security", None) or []) for scope in requirement.values()]
    return frozenset(Role(role) for roles in scopes for role in roles)


def current_principal(request: Request) -> Principal:
    """The verified caller of this request (set by the authorization middleware)."""
    principal: Principal = request.context[_PRINCIPAL]
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
CourseId = Annotated[UUID, Path(alias="courseId", description="UUID of the course")]
ModuleId = Annotated[UUID, Path(alias="moduleId", description="UUID of the module")]
LessonId = Annotated[UUID, Path(alias="lessonId", description="UUID of the lesson")]
MediaId = Annotated[UUID, Path(alias="mediaId", description="UUID of the media")]
EnrollmentId = Annotated[UUID, Path(alias="enrollmentId", description="UUID of the enrollment")]
COURSE_LEVEL = "null"  # the moduleId of a course-level lesson in the lesson-link routes


def _module_or_course_level(value: Any) -> str | None:
    if value == COURSE_LEVEL:
        return None
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise ValueError("must be a module UUID, or null for a course-level lesson") from None


ModuleIdOrNull = Annotated[
    str | None,
    BeforeValidator(_module_or_course_level),
    Path(alias="moduleId", description='UUID of the module, or "null" for a course-level lesson'),
]

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def lambda_handler_for(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The function's entry point: request id and tenant in every log line, metrics."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response = app.resolve(event, context)
        # One structured line per request, with the request id, tenant and user appended above.
        logger.info("Request answered", extra={"route": event.get("routeKey"), "status": response.get("statusCode")})
        return response

    return lambda_handler


def parse_json_body(text: str) -> Any:
    """A request body, by the one JSON parser; nesting beyond any body the API takes is refused
    as malformed JSON (Powertools answers a JSONDecodeError with its validation error: 400)."""
    try:
        return parse_json(text, MAX_BODY_DEPTH)
    except (TooDeeplyNested, NotUnicode) as error:
        raise json.JSONDecodeError(f"the JSON {error}", text, 0) from None


def create_app() -> APIGatewayHttpResolver:
    """A resolver that authenticates every route, answers in the envelope and maps every error."""
    app = APIGatewayHttpResolver(enable_validation=True, serializer=serialize, json_body_deserializer=parse_json_body)

    def authorize() -> Principal:
        route = app.context.get("_route")
        principal = authenticate({name.lower(): value for name, value in (app.current_event.headers or {}).items()})
        require_roles(principal, _allowed_roles(route))
        logger.append_keys(tenant_id=principal.tenant_id, user_id=principal.user_id)
        return principal

    def respond(error: ApiError) -> Response[Any]:
        return Response(
            status_code=error.status,
            content_type=content_types.APPLICATION_JSON,
            body=envelope(_api_id(app.context.get("_route")), error.status, error=error),
            headers={"Retry-After": str(error.retry_after)} if error.retry_after is not None else None,
        )

    def refuse_after_authorizing(error: ApiError) -> Response[Any]:
        # A caller without a valid token or the right role learns that, not what is wrong with the
        # body; nor does a learner sending fields only staff may send.
        try:
            principal = authorize()
            if not principal.is_staff:
                refuse_staff_fields(_names_in_body(app.current_event) & _staff_fields(app.context.get("_route")))
        except ApiError as refusal:
            return respond(refusal)
        except Exception as failure:  # a fault while checking the caller: a dependency's 503, else our 500
            return unexpected(failure)
        return respond(error)

    def authorization_middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        app.append_context(**{_BODY_PARSED: True, _PRINCIPAL: authorize()})
        return next_middleware(app)

    def learner_fields_middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        # The validated body, as a learner may send it (RequestModel.learner_policy): fields only
        # staff set are refused, fields whose value is the server's are left out.
        principal: Principal = app.context[_PRINCIPAL]
        if not principal.is_staff:
            arguments: dict[str, Any] = app.context.get("_route_args", {})
            for name, value in arguments.items():
                if isinstance(value, RequestModel):
                    refuse_staff_fields(set(value.refused_for_learners()))
                    arguments[name] = value.without_server_set()
        return next_middleware(app)

    def idempotency_middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        # A POST retried with the same Idempotency-Key gets the first answer, whole (envelope too).
        event = app.current_event
        headers = {name.lower(): value for name, value in (event.headers or {}).items()}
        key = headers.get(IDEMPOTENCY_HEADER)
        if event.http_method != "POST" or key is None:
            return next_middleware(app)
        from shared import idempotency  # Powertools idempotency brings boto3: only keyed requests pay for it

        principal: Principal = app.context[_PRINCIPAL]
        return idempotency.answer_once(
            idempotency.CallerKey(principal.tenant_id, principal.user_id, key),
            request_fingerprint(
                event.path, headers.get("content-type", ""), event.body or "", bool(event.is_base64_encoded)
            ),
            lambda: next_middleware(app),
            app.lambda_context,
        )

    def envelope_middleware(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        response: Response[Any] = next_middleware(app)
        api_id = _api_id(app.context.get("_route"))
        if isinstance(response, StoredResult):
            return response.in_envelope(api_id, _takes_gzip(app.current_event.headers or {}))
        if isinstance(response, CsvResult):
            return response if fits_one_answer(response.text) else too_large(api_id, response.text, response.instead)
        # Written here rather than by Powertools, to be measured against what one answer carries.
        response.body = serialize(envelope(api_id, response.status_code, result=response.body))
        if not fits_one_answer(response.body):
            return too_large(api_id, response.body, "ask for fewer at a time (page and limit)")
        return response

    app.use([authorization_middleware, learner_fields_middleware, idempotency_middleware, envelope_middleware])

    @app.exception_handler(ApiError)
    def handle_api_error(error: ApiError) -> Response[Any]:
        return respond(error)

    def unsupported_content_type() -> UnsupportedMediaType:
        content_type = (app.current_event.headers or {}).get("content-type", "")
        return UnsupportedMediaType(f"Send the body as application/json or multipart/form-data, not '{content_type}'.")

    @app.exception_handler(RequestValidationError)
    def handle_invalid_request(error: RequestValidationError) -> Response[Any]:
        # Powertools reads url-encoded forms as lists of values, which the contract never uses.
        if (app.current_event.headers or {}).get("content-type", "").startswith(URL_ENCODED_FORM):
            return refuse_after_authorizing(unsupported_content_type())
        return refuse_after_authorizing(Invalid(describe_validation_errors(error.errors())))

    @app.exception_handler(RequestUnsupportedContentType)
    def handle_unsupported_content_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return refuse_after_authorizing(unsupported_content_type())

    @app.exception_handler(NotFoundError)
    def handle_unknown_route(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        return respond(NotFound(f"There is no endpoint {event.http_method} {event.path}."))

    @app.exception_handler(ValueError)
    def handle_value_error(error: ValueError) -> Response[Any]:
        # Powertools' body parsing raises a bare ValueError (a broken multipart boundary, a part or
        # a JSON body that is not UTF-8); once the body has been parsed, a ValueError is our own bug.
        if app.context.get(_BODY_PARSED):
            return unexpected(error)
        content_type = (app.current_event.headers or {}).get("content-type", "")
        body = "multipart/form-data body" if content_type.lower().startswith("multipart/") else "request body"
        if isinstance(error, UnicodeDecodeError):  # Python's own wording names codecs and byte offsets
            return refuse_after_authorizing(Invalid(f"The {body} is not UTF-8 text: send it encoded as UTF-8."))
        return refuse_after_authorizing(Invalid(f"The {body} could not be parsed: {error}."))

    def unexpected(error: Exception) -> Response[Any]:
        # The client gets no internals; the log has them, keyed by the request id.
        if (fault := unavailable(error)) is not None:
            logger.warning("A dependency failed", extra={"error": str(error)})
            count("DependencyUnavailable")
            return respond(fault)
        logger.exception("Unhandled error", exc_info=error)
        return respond(_InternalError())

    app.exception_handler(Exception)(unexpected)

    return app


class StoredResult(Response[Any]):
    """A route's result stored ready to send (deflated JSON, shared/deflated.py): the envelope
    goes around it as it is, and a client that takes gzip gets the stored bytes without their
    being inflated or compressed again. A route returning one is annotated `Response[None]` (its
    body is not built per request) and documents the result's schema in `responses`. `instead`
    tells a client what to ask for when the result is too large for one answer even as gzip."""

    def __init__(self, document: Deflated, instead: str) -> None:
        super().__init__(status_code=200, content_type=content_types.APPLICATION_JSON, body=None)
        self.document, self.instead = document, instead

    def in_envelope(self, api_id: str, gzip: bool) -> Response[Any]:
        opening, closing = envelope_around(api_id, self.status_code)
        self.headers["Vary"] = "Accept-Encoding"
        if gzip:
            compressed = base64.b64encode(gzip_around(opening, self.document, closing)).decode()
            if not fits_one_answer(compressed):
                return too_large(api_id, compressed, self.instead)
            self.headers["Content-Encoding"] = "gzip"
            self.body, self.base64_encoded = compressed, True  # Powertools sends a str body as it is
            return self
        plain = (opening + inflate(self.document) + closing).decode()
        if not fits_one_answer(plain):
            compressed = base64.b64encode(gzip_around(opening, self.document, closing)).decode()
            ask_for_gzip = "send Accept-Encoding: gzip (curl --compressed), which carries it"
            return too_large(api_id, plain, ask_for_gzip if fits_one_answer(compressed) else self.instead)
        self.body = plain
        return self


class CsvResult(Response[str]):
    """Rows as CSV, for a client that asks for `text/csv` (a spreadsheet, a download): sent as they
    are, out of the envelope (errors still come in it). `count` (every matching row, not only
    this page's) goes in `X-Total-Count`."""

    def __init__(self, rows: list[dict[str, Any]], columns: list[str], count: int, filename: str, instead: str) -> None:
        buffer = io.StringIO()
        # Every cell quoted: a spreadsheet whose list separator is `;` then splits no cell, so no
        # part of one (`x;=cmd…`) can start a formula of its own.
        writer = csv.DictWriter(
            buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n", quoting=csv.QUOTE_ALL
        )
        writer.writeheader()
        writer.writerows({name: _cell(value) for name, value in row.items()} for row in rows)
        headers = {"X-Total-Count": str(count), "Content-Disposition": f'attachment; filename="{filename}"'}
        self.text, self.instead = buffer.getvalue(), instead
        super().__init__(status_code=200, content_type="text/csv; charset=utf-8", body=self.text, headers=headers)


def _cell(value: Any) -> Any:
    """A value as a spreadsheet should take it: empty for null, and text that a spreadsheet would
    run as a formula (=, +, -, @) quoted as text (OWASP's CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def wants_csv(headers: dict[str, str] | None) -> bool:
    """Whether the request's Accept prefers CSV to JSON (RFC 9110: by weight `q`, then by order;
    `q=0` refuses a type). JSON is the answer otherwise, as for a client that sends no Accept."""
    preference = _preferences(headers or {}, "accept")
    csv_weight = preference.get("text/csv", (0.0, 0))
    return csv_weight[0] > 0 and csv_weight > preference.get("application/json", (0.0, 0))


def _preferences(headers: dict[str, str], header: str) -> dict[str, tuple[float, int]]:
    """What an Accept-style header names (lower case), each with its weight `q` (0 to 1; one that
    is not a number counts as 0, so it is not chosen) and its place (negated: the first named
    wins a tie)."""
    value = next((value for name, value in headers.items() if name.lower() == header), "").lower()
    found: dict[str, tuple[float, int]] = {}
    for place, part in enumerate(value.split(",")):
        named, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for name, _, given in (parameter.partition("=") for parameter in parameters):
            if name.strip() == "q":
                try:
                    weight = min(max(float(given), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        if named:
            found.setdefault(named, (weight, -place))
    return found


def stored_result_responses(model: type[Any]) -> dict[int, OpenAPIResponse]:
    """The OpenAPI `responses` of a route that returns a StoredResult of `model`."""
    return {200: {"description": "Successful Response", "content": {content_types.APPLICATION_JSON: {"model": model}}}}


# Every answer's body as Powertools writes it (ASCII only: other characters escaped).
serialize = partial(json.dumps, separators=(",", ":"), cls=Encoder)

# Lambda's response is at most 6 MB (6,291,556 bytes) of JSON, the body escaped once more in it;
# the rest is kept for the status and headers. A larger answer would reach the client as API
# Gateway's bare 500, so it is refused as 413, saying what to ask for instead.
MAX_ANSWER_BYTES = 6_000_000
# json.dumps writes one character as at most 12 bytes (a surrogate pair, each escaped).
MOST_BYTES_PER_CHARACTER = 12


def fits_one_answer(body: str) -> bool:
    """Whether the body fits Lambda's response once written into it (measured only when large)."""
    return len(body) * MOST_BYTES_PER_CHARACTER <= MAX_ANSWER_BYTES or len(json.dumps(body)) <= MAX_ANSWER_BYTES


def too_large(api_id: str, body: str, instead: str) -> Response[Any]:
    """413 for a body that one answer cannot carry (sized as Lambda would send it), saying what to
    ask for `instead`."""
    size = len(json.dumps(body))
    error = PayloadTooLarge(f"The answer is {size / 1_000_000:.1f} MB, more than one answer carries (6 MB); {instead}.")
    return Response(413, content_types.APPLICATION_JSON, serialize(envelope(api_id, 413, error=error)))


def _takes_gzip(headers: dict[str, str]) -> bool:
    """Whether Accept-Encoding admits gzip: named (or `*`) with a quality above 0 (RFC 9110)."""
    codings = _preferences(headers, "accept-encoding")
    return codings.get("gzip", codings.get("x-gzip", codings.get("*", (0.0, 0))))[0] > 0


MULTIPART_BOUNDARY = re.compile(r";\s*boundary=\"?([^\";]+)\"?", re.IGNORECASE)


def request_fingerprint(path: str, content_type: str, body: str, base64_encoded: bool) -> str:
    """What makes two POSTs the same request for an Idempotency-Key: path, content type and body.
    A form's boundary is left out of both: a client picks a new one each time it sends a form, so
    a retry of the same form would otherwise look like another request."""
    raw = body.encode(errors="surrogatepass")
    if base64_encoded:
        with contextlib.suppress(binascii.Error):  # not base64 after all: hashed as it came
            raw = base64.b64decode(body)
    found = MULTIPART_BOUNDARY.search(content_type)
    if found:
        content_type = content_type[: found.start()] + content_type[found.end() :]
        # Only the delimiter lines lose it (`--<boundary>` at the start and after each CRLF): the
        # same characters inside a value are the form's content (`a` in `banana`, boundary `a`).
        delimiter = b"--" + found[1].encode()
        raw = raw.replace(b"\r\n" + delimiter, b"\r\n--")
        raw = b"--" + raw.removeprefix(delimiter) if raw.startswith(delimiter) else raw
    return hashlib.sha256(b"\n".join([path.encode(), content_type.encode(), raw])).hexdigest()


def refuse_staff_fields(names: set[str]) -> None:
    """Refuse a learner who sent fields only staff set, naming them."""
    if names:
        listed = ", ".join(sorted(names))
        them = "it" if len(names) == 1 else "them"
        raise Forbidden(f"Learners may not send {listed}; only an instructor or admin sets {them}.")


def _staff_fields(route: Route | None) -> set[str]:
    """The body fields of the route that only staff may send, by contract name."""
    models = [param.field_info.annotation for param in (route.dependant.body_params if route else [])]
    return {
        alias
        for model in models
        if isinstance(model, type) and issubclass(model, RequestModel)
        for alias, policy in model.learner_policy().items()
        if policy == REFUSED
    }


def _names_in_body(event: Any) -> set[str]:
    """The top-level field names a JSON or multipart body carries, read leniently: it is only
    consulted to refuse a learner's staff-only fields before a body's other faults are reported."""
    try:
        body = event.decoded_body or ""
        if (event.headers or {}).get("content-type", "").startswith("multipart/form-data"):
            return set(_FORM_FIELD_NAME.findall(body))
        value = parse_json_body(body)
    except ValueError:  # undecodable bytes, malformed or over-deep JSON
        return set()
    return set(value) if isinstance(value, dict) else set()


_FORM_FIELD_NAME = re.compile(r'content-disposition:[^\r\n]*?\bname="([^"]*)"', re.IGNORECASE)


class _InternalError(ApiError):
    def __init__(self) -> None:
        super().__init__("An unexpected error occurred; try again, and report it if it persists.")
