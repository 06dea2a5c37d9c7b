"""The one parser for JSON a client sends: request bodies, and the text fields that carry JSON
(`params`, `certificateTerm`, `eligibilityCriteria`, `mediaContent`, as forms send them).

Nesting is bounded before anything walks the value: Python's parser and serializer recurse, so a
value nested a few thousand levels deep would raise RecursionError (a 500) instead of a 400."""

import json
import sys
from typing import Any

# Deeper than any value the API takes, and DynamoDB's own limit for nested attributes.
MAX_VALUE_DEPTH = 32
# A body holds such values a level or two down (`mediaContent.params`).
MAX_BODY_DEPTH = MAX_VALUE_DEPTH + 4


class TooDeeplyNested(ValueError):
    """Well-formed JSON nested deeper than the limit."""


class NotUnicode(ValueError):
    """Well-formed JSON whose strings are not Unicode text (lone surrogates)."""


def json_depth(value: Any) -> int:
    """How many objects and arrays deep `value` goes (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        current, depth = pending.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def check_depth(value: Any, limit: int = MAX_VALUE_DEPTH) -> Any:
    """`value`, unless it is nested deeper than `limit` (TooDeeplyNested)."""
    if json_depth(value) > limit:
        raise TooDeeplyNested(f"must not be nested more than {limit} levels deep")
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _finite(number: str) -> float:
    value = float(number)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{number} is too large a number")
    return value


def _whole(number: str) -> int:
    # Past this many digits int() raises with a message about the interpreter's settings.
    digits = len(number.lstrip("-"))
    if digits > sys.get_int_max_str_digits():
        raise ValueError(f"a number of {digits} digits is too long")
    return int(number)


def parse_json(text: str | bytes, limit: int = MAX_VALUE_DEPTH) -> Any:
    """The value of a JSON text: json.JSONDecodeError when it is not JSON (NaN, Infinity and
    numbers too large for a float, which Python's parser accepts, included), TooDeeplyNested when
    it is nested deeper than `limit` (or too deep for the parser itself), NotUnicode when a string
    in it, a key included, holds a lone surrogate (`"\\ud800"` is valid JSON but not text: it would
    be stored, then fail every response that carries it)."""
    try:
        value = json.loads(text, parse_constant=_not_json, parse_float=_finite, parse_int=_whole)
    except RecursionError:
        raise TooDeeplyNested(f"must not be nested more than {limit} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # NaN, Infinity, 1e400, or a number longer than Python converts
        document = text if isinstance(text, str) else text.decode(errors="replace")
        raise json.JSONDecodeError(str(error), document, 0) from None
    check_depth(value, limit)
    try:
        json.dumps(value, ensure_ascii=False).encode()  # bounded by now: no deep recursion
    except UnicodeEncodeError:
        raise NotUnicode("must be Unicode text: it holds a lone surrogate escape such as \\ud800") from None
    return value
