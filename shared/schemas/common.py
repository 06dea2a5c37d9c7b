"""Field types shared by every request and response model.

Form values arrive as text, so the types here accept both a JSON value and its form spelling,
and nothing looser: a form's "false" is False, "yes" is an error.
"""

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler.openapi.params import UploadFile
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from shared.clock import TIMESTAMP_FORMAT

MAX_PARAMS_BYTES = 16 * 1024
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class RequestModel(BaseModel):
    """A request body: camelCase keys as the contract spells them, unknown keys refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="forbid",
        frozen=True,
        defer_build=True,  # built on first use: a cold start builds only its own route's models
    )


class ResponseModel(BaseModel):
    """A response body: built from our own objects by attribute name, written with contract names.

    Every field is present in the output, `null` when unset (clients rely on the keys)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,
        from_attributes=True,
        defer_build=True,  # built on first use, as above
    )


def _parse_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError("must be true or false (1 or 0 are accepted too)")


def _parse_timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("must be an ISO-8601 date-time such as 2024-06-01T00:00:00Z") from None
    else:
        raise ValueError("must be an ISO-8601 date-time such as 2024-06-01T00:00:00Z")
    if moment.tzinfo is None:  # a time without an offset is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError('must be a JSON object, such as {"key": "value"}') from None
    return _check_json_object(value)


def _check_json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object, such as {"key": "value"}')
    if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_PARAMS_BYTES:
        raise ValueError(f"must be at most {MAX_PARAMS_BYTES // 1024} KB of JSON")
    return value


def _text_or_json_object(value: Any) -> Any:
    # Free text stays text; text holding a JSON object (as a form sends it) becomes the object.
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        return decoded if isinstance(decoded, dict) else value
    return value


def _check_text_or_object(value: str | dict[str, Any]) -> str | dict[str, Any]:
    if isinstance(value, dict):
        return _check_json_object(value)
    if len(value.encode()) > MAX_PARAMS_BYTES:
        raise ValueError(f"must be at most {MAX_PARAMS_BYTES // 1024} KB")
    return value


def _http_url(value: Any) -> Any:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://youtube.com/watch?v=example")
    return value


SourceUrl = Annotated[str, StringConstraints(max_length=2048), BeforeValidator(_http_url)]
# An image: a file in a form, or base64 text in JSON (as the contract's update bodies show).
ImageIn = UploadFile | Annotated[str, StringConstraints(min_length=1, max_length=8_000_000)]
FormBool = Annotated[bool, BeforeValidator(_parse_bool)]
Timestamp = Annotated[str, BeforeValidator(_parse_timestamp)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_object)]
TextOrJsonObject = Annotated[
    str | dict[str, Any], BeforeValidator(_text_or_json_object), AfterValidator(_check_text_or_object)
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255, pattern=SLUG_PATTERN)]
ShortText = Annotated[str, StringConstraints(max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
PageNumber = Annotated[int, Field(ge=1)]
PageSize = Annotated[int, Field(ge=1, le=100)]


def check_date_order(start: str | None, end: str | None) -> None:
    """Normalised timestamps compare as text; a start after the end is refused."""
    if start and end and start > end:
        raise ValueError("startDatetime must not be after endDatetime")


def reject_nulls(data: Any, names: tuple[str, ...]) -> Any:
    """In a partial update, `null` for a field the entity cannot be without is refused."""
    if isinstance(data, dict):
        for name in names:
            if name in data and data[name] is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep its value")
    return data


class MessageResult(ResponseModel):
    """The result of a delete: a sentence saying what happened."""

    message: str
