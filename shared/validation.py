"""Turn the validation errors of pydantic and Powertools into one sentence a person can act on."""

from collections.abc import Sequence
from typing import Any

from shared.schemas.common import SLUG_PATTERN

_SOURCES = {"path": "path parameter", "query": "query parameter", "header": "header", "body": "field"}


def _where(loc: Sequence[Any]) -> str:
    """("body", "params", "difficulty") -> "field 'params.difficulty'"."""
    if not loc:
        return "request"
    source, *rest = loc
    if source == "body" and not [part for part in rest if not isinstance(part, int)]:
        return "request body"
    # A place in an array by its index (`modules[2].lessons[0]`), so a long body's culprit is found.
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in rest).lstrip(".")
    return f"{_SOURCES.get(str(source), str(source))} '{path}'"


def _what(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if error.get("loc", ("",))[0] == "query" and isinstance(error.get("input"), list):  # `?a=1&a=2`
        return "must be sent once"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field this endpoint accepts"
    if kind == "json_invalid":
        return f"is not valid JSON ({ctx.get('error', 'decode error')})"
    if kind == "dict_type":
        return "must be a JSON object"
    if kind == "string_type":
        return "must be text"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind == "model_attributes_type":
        return "must be a JSON object (or a multipart form)"
    if kind == "uuid_parsing" or kind == "uuid_type":
        return "must be a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return (
            "must not be empty"
            if ctx.get("min_length") == 1
            else f"must be at least {ctx.get('min_length')} characters"
        )
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == SLUG_PATTERN:
        return "must be a lowercase slug of letters, digits and single hyphens, such as intro-to-ml"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}"
    if kind == "literal_error" or kind == "enum":
        return f"must be one of {ctx.get('expected', 'the listed values')}"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "is not valid")))
    message = str(error.get("msg", "is not valid"))
    return message[:1].lower() + message[1:]


def describe_validation_errors(errors: Sequence[dict[str, Any]]) -> str:
    """The first problem in full, and how many more there are."""
    if not errors:
        return "The request is not valid."
    first = errors[0]
    sentence = f"The {_where(first.get('loc', ()))} {_what(first)}"
    if len(errors) > 1:
        sentence += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return sentence + "."
