"""Domain errors and the one mapping from them to HTTP statuses and the contract's `err` codes."""

from http import HTTPStatus


class ApiError(Exception):
    """A refusal the client can act on; `message` is one sentence shown to them as `errmsg`, and
    `retry_after`, when the same request may work later, the seconds to wait (`Retry-After`)."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    code: str = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Invalid(ApiError):
    status, code = HTTPStatus.BAD_REQUEST, "INVALID_REQUEST"


class Unauthorized(ApiError):
    status, code = HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED"


class Forbidden(ApiError):
    status, code = HTTPStatus.FORBIDDEN, "FORBIDDEN"


class NotFound(ApiError):
    status, code = HTTPStatus.NOT_FOUND, "RESOURCE_NOT_FOUND"


class Conflict(ApiError):
    status, code = HTTPStatus.CONFLICT, "CONFLICT"


class PayloadTooLarge(ApiError):
    status, code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    status, code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"


class ServiceUnavailable(ApiError):
    """A dependency's fault (shared/faults.py), not the request's: the client should retry after
    `retry_after` seconds (sent as `Retry-After`)."""

    status, code = HTTPStatus.SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after)
