"""AWS clients other than PynamoDB's (S3, EventBridge, the idempotency table), built on first use
from the botocore session PynamoDB already holds for the table: a session of their own would load
botocore's endpoint and service data a second time (about 80 ms of a cold start, bench/)."""

from typing import Any

from botocore.config import Config

from shared.faults import client_config
from shared.repository.base import botocore_session
from shared.settings import get_settings


def new_client(service: str, endpoint_url: str | None, config: Config | None = None) -> Any:
    """A botocore client for `service` (typed by its caller); `endpoint_url` names a local stand-in.
    Its timeouts and retries are the service's budget (shared/faults.py), merged under `config`."""
    region = get_settings().aws_region
    merged = client_config().merge(config) if config is not None else client_config()
    return botocore_session().create_client(service, region_name=region, endpoint_url=endpoint_url, config=merged)
