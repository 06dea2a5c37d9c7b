"""The contract's response envelope, the same for every route, success or failure."""

import json
import uuid
from typing import Any

from shared.clock import utc_now
from shared.errors import ApiError

VERSION = "1.0"


def envelope(api_id: str, status_code: int, result: Any = None, error: ApiError | None = None) -> dict[str, Any]:
    """Every key of the contract's example, `null` where unset."""
    return {
        "id": api_id,
        "ver": VERSION,
        "ts": utc_now(),
        "params": {
            "resmsgid": str(uuid.uuid4()),
            "status": "failed" if error else "successful",
            "err": error.code if error else None,
            "errmsg": error.message if error else None,
        },
        "responseCode": status_code,
        "result": None if error else result,
    }


RESULT_PLACEHOLDER = '"result":null}'


def envelope_around(api_id: str, status_code: int) -> tuple[bytes, bytes]:
    """The envelope of a success as the text before and after its result (a stored result is
    sent between them as it is), written as Powertools writes every other response."""
    text = json.dumps(envelope(api_id, status_code), separators=(",", ":"))
    if not text.endswith(RESULT_PLACEHOLDER):
        raise AssertionError("the envelope's result must come last")
    opening = text[: -len(RESULT_PLACEHOLDER)] + '"result":'
    return opening.encode(), b"}"
