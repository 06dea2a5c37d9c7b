"""Powertools idempotency records, in their own table (template.yaml: IdempotencyTable).

Two users: the HTTP functions, which replay the first answer to a POST retried with the same
`Idempotency-Key`, and the event publishers, which publish each occurrence once. Each user
builds its own store on first use (a Powertools store keeps the first configuration it is
given), so a request without the header never builds a client for it."""

import re
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.aws import new_client
from shared.errors import Conflict, Invalid
from shared.settings import get_settings


def new_store() -> DynamoDBPersistenceLayer:
    settings = get_settings()
    client = new_client("dynamodb", settings.dynamodb_endpoint)
    return DynamoDBPersistenceLayer(table_name=settings.idempotency_table_name, boto3_client=client)


# Retried POSTs: the first answer again, for a day.
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
REMEMBER_REQUESTS_SECONDS = 24 * 3600
IN_PROGRESS_RETRY_SECONDS = 5


@cache
def _answer_once() -> tuple[Any, IdempotencyConfig]:
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="fingerprint",
        expires_after_seconds=REMEMBER_REQUESTS_SECONDS,
    )

    @idempotent_function(data_keyword_argument="request", persistence_store=new_store(), config=config)
    def answer(request: dict[str, str], produce: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return produce()

    return answer, config


class CallerKey(NamedTuple):
    """An Idempotency-Key as one caller sent it: keys of other tenants and users are other keys."""

    tenant_id: str
    user_id: str
    key: str


def answer_once(
    key: CallerKey, fingerprint: str, produce: Callable[[], Response[Any]], context: LambdaContext | None
) -> Response[Any]:
    """The response `produce` makes, or, for a key seen before with the same `fingerprint`, the
    response it made then (marked replayed). A key seen with another fingerprint, or still being
    answered, is a conflict. A request that fails keeps no record, so it may be retried.

    The header itself is checked (an empty or over-long one is refused). The record is keyed by a
    hash Powertools takes over the JSON of tenant, user and key as separate fields, so no choice of
    ids and key can make two callers' keys meet (a joined string could: `zed` + `b#c` = `zed#b` + `c`)."""
    if not KEY_PATTERN.fullmatch(key.key):
        raise Invalid("The Idempotency-Key header must be 1-255 printable ASCII characters without spaces.")
    answer, config = _answer_once()
    if context is not None:
        config.register_lambda_context(context)
    produced = False

    def first_answer() -> dict[str, Any]:
        nonlocal produced
        produced = True
        response = produce()
        return {"status": response.status_code, "contentType": response.content_type, "body": response.body,
                "headers": response.headers}  # fmt: skip

    try:
        saved = answer(request={"key": key._asdict(), "fingerprint": fingerprint}, produce=first_answer)
    except IdempotencyValidationError:
        raise Conflict("This Idempotency-Key was sent with a different request; use a new key for it.") from None
    except IdempotencyAlreadyInProgressError:
        # The first may still run, or have been cut off (a timeout, a fault) before its record was
        # settled: that record lapses with the function's timeout. Either way the same request works later.
        raise Conflict(
            "A request with this Idempotency-Key is still being answered; "
            f"retry in {IN_PROGRESS_RETRY_SECONDS} seconds.",
            retry_after=IN_PROGRESS_RETRY_SECONDS,
        ) from None
    headers = dict(saved["headers"])
    if not produced:
        headers[REPLAYED_HEADER] = "true"
    return Response(status_code=saved["status"], content_type=saved["contentType"], body=saved["body"], headers=headers)


def reset() -> None:
    """Build the store from the settings again (tests switch engines)."""
    _answer_once.cache_clear()
