"""Domain events on the EventBridge bus (`course.completed`, `enrollment.expiring`,
`enrollment.expired`), each published once per occurrence.

Publishers run from the table's stream or a schedule, which may deliver the same thing twice:
Powertools idempotency (records in their own table) turns a repeat of an occurrence's key into
a no-op, while a publisher that died part-way may try again once its in-progress record lapses.
Clients are built on first use, so no HTTP function pays for them."""

import json
import time
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import idempotency
from shared.aws import new_client
from shared.observability import logger
from shared.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

SOURCE = "lms"
# Long enough to outlast every redelivery of a stream record (24 h retention) or a schedule.
REMEMBER_SECONDS = 7 * 24 * 3600


class PublishFailed(Exception):
    """EventBridge refused the event; raised so the record is delivered again."""


@cache
def _client() -> "EventBridgeClient":
    client: EventBridgeClient = new_client("events", get_settings().events_endpoint)
    return client


# PutEvents answers 200 with the entries it could not take (throttled, an internal failure):
# those are sent again after a short pause, then the record fails, so Lambda delivers it again.
PUBLISH_ATTEMPTS = 3
PUBLISH_PAUSE_SECONDS = 0.2


def _publish(detail_type: str, detail: dict[str, Any]) -> None:
    entry = {
        "Source": SOURCE,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "EventBusName": get_settings().event_bus_name,
    }
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        response = _client().put_events(Entries=[entry])  # type: ignore[list-item]
        if not response.get("FailedEntryCount"):
            return
        logger.warning("EventBridge refused an event", extra={"detail_type": detail_type, "attempt": attempt,
                                                             "entries": response["Entries"]})  # fmt: skip
        if attempt < PUBLISH_ATTEMPTS:
            time.sleep(PUBLISH_PAUSE_SECONDS * attempt)
    raise PublishFailed(f"{detail_type}: {response['Entries']}")


@cache
def _once() -> tuple[Any, IdempotencyConfig]:
    config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=REMEMBER_SECONDS)

    @idempotent_function(data_keyword_argument="occurrence", persistence_store=idempotency.new_store(), config=config)
    def publish(occurrence: dict[str, Any]) -> dict[str, str]:
        _publish(occurrence["detailType"], occurrence["detail"])
        return {"published": occurrence["key"]}

    return publish, config


def publish_once(key: str, detail_type: str, detail: dict[str, Any], context: LambdaContext | None) -> None:
    """Publish `detail` as `detail_type` unless the occurrence `key` was published already."""
    publish, config = _once()
    if context is not None:
        config.register_lambda_context(context)  # an in-progress record lapses with the invocation
    publish(occurrence={"key": key, "detailType": detail_type, "detail": detail})


def reset_clients() -> None:
    """Build the clients from the settings again (tests switch engines)."""
    _client.cache_clear()
    _once.cache_clear()
