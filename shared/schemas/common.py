"""Field types shared by every request and response model.

Form values arrive as text, so the types here accept both a JSON value and its form spelling,
and nothing looser: a form's "false" is False, "yes" is an error.
"""

import json
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Self, cast
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler.openapi.params import UploadFile
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from shared.clock import TIMESTAMP_FORMAT
from shared.json_input import check_depth, parse_json

MAX_PARAMS_BYTES = 16 * 1024
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


# What a learner may do with a field of a body they may send (staff send every field as they
# like). Written on the field, so the OpenAPI document shows it as the property's `x-learner`.
LEARNER_POLICY = "x-learner"
REFUSED = "refused"  # only staff set it: a learner sending it is refused (403 naming it)
SERVER_SET = "server-set"  # a learner may send it, but the server's value is used (its clock)
StaffOnly = Field(json_schema_extra={LEARNER_POLICY: REFUSED})
ServerSetForLearners = Field(json_schema_extra={LEARNER_POLICY: SERVER_SET})


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

    @classmethod
    @cache
    def learner_policy(cls) -> dict[str, str]:
        """The fields a learner may not send as they like, by contract name: REFUSED or SERVER_SET
        (fixed by the class: read from its fields once)."""
        policy = {}
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra
            if isinstance(extra, dict) and isinstance(extra.get(LEARNER_POLICY), str):
                policy[field.alias or name] = str(extra[LEARNER_POLICY])
        return policy

    def fields_sent(self) -> dict[str, str]:
        """The fields the request carried: contract name -> attribute name."""
        fields = type(self).model_fields
        return {fields[name].alias or name: name for name in self.model_fields_set}

    def refused_for_learners(self) -> list[str]:
        """The fields sent that only staff may send, by contract name."""
        policy = self.learner_policy()
        return sorted(alias for alias in self.fields_sent() if policy.get(alias) == REFUSED)

    def without_server_set(self) -> Self:
        """The body without the fields whose value is the server's when a learner calls."""
        policy = self.learner_policy()
        kept = {
            name: getattr(self, name) for alias, name in self.fields_sent().items() if policy.get(alias) != SERVER_SET
        }
        return cast(Self, self.model_construct(_fields_set=set(kept), **kept))  # the plugin types it as the base


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


# Stored times compare as text, which needs four-digit years; nothing the service dates is older.
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
_NOT_A_TIMESTAMP = "must be an ISO-8601 date-time between the years 1900 and 9999, such as 2024-06-01T00:00:00Z"


def _parse_timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(_NOT_A_TIMESTAMP) from None
    else:
        raise ValueError(_NOT_A_TIMESTAMP)
    if moment.tzinfo is None:  # a time without an offset is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # an offset that takes it past year 1 or 9999
        raise ValueError(_NOT_A_TIMESTAMP) from None
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(_NOT_A_TIMESTAMP)
    return moment.strftime(TIMESTAMP_FORMAT)


def json_text(value: Any, example: str = '{"key": "value"}') -> Any:
    """A field's JSON sent as text (as a form sends it) parsed by the one JSON parser; any other
    value as it is. Over-deep nesting is refused here, before anything walks the value."""
    if not isinstance(value, str):
        return value
    try:
        return parse_json(value)
    except json.JSONDecodeError:
        raise ValueError(f"must be a JSON object, such as {example}") from None


def _json_object(value: Any) -> dict[str, Any]:
    return _check_json_object(json_text(value))


def _check_json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object, such as {"key": "value"}')
    check_depth(value)
    if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_PARAMS_BYTES:
        raise ValueError(f"must be at most {MAX_PARAMS_BYTES // 1024} KB of JSON")
    return value


def _text_or_json_object(value: Any) -> Any:
    # Free text stays text; text holding a JSON object (as a form sends it) becomes the object.
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = parse_json(value)
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
        message = "must be an http(s) URL such as https://youtube.com/watch?v=example"
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            raise ValueError(message) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(message)
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
MAX_ID_BYTES = 255  # user ids go into keys, which DynamoDB caps in bytes (a sort key at 1,024)


def fits_a_key(text: str, max_bytes: int) -> bool:
    """Whether text may go into a key: Unicode text (no lone surrogates) of at most `max_bytes`
    bytes of UTF-8."""
    try:
        return len(text.encode()) <= max_bytes
    except UnicodeEncodeError:
        return False


def _id_within_bytes(value: str) -> str:
    if not fits_a_key(value, MAX_ID_BYTES):
        raise ValueError(f"must be at most {MAX_ID_BYTES} bytes of UTF-8")
    return value


Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(_id_within_bytes)
]
MAX_PAGE_DIGITS = 18  # below 2**63, which clients in other languages may hold the number in


def whole_number(value: Any) -> Any:
    """A query's number as plain digits only: Python's int() would also take "1_0" and " 1"."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= MAX_PAGE_DIGITS):
        raise ValueError(f"must be a whole number from 1, in plain digits (at most {MAX_PAGE_DIGITS}), like 2")
    return value


PageNumber = Annotated[int, Field(ge=1), BeforeValidator(whole_number)]
PageSize = Annotated[int, Field(ge=1, le=100), BeforeValidator(whole_number)]
# The lists of one course or module come whole unless a page is asked for (DECISIONS.md).
WHOLE_UNLESS_PAGED = "Without page and limit, the whole list; with either, that page (the other takes its default)."


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
