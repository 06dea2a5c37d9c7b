"""Every request leaves one structured JSON log line with its request id, tenant and user."""

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from shared.observability import logger
from tests.support.api import Api


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the service logs at INFO, formatted as in Lambda (Powertools' JSON formatter)."""
    buffer, level = io.StringIO(), logger.log_level
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    logger.setLevel("INFO")
    yield buffer
    logger._logger.removeHandler(handler)  # Powertools forwards addHandler only
    logger.setLevel(level)


def test_a_request_is_logged_with_its_request_id_and_tenant(api: Api, log_lines: io.StringIO) -> None:
    api.call("GET", f"/api/courses/{uuid.uuid4()}")

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    answered = [line for line in lines if line.get("message") == "Request answered"]

    assert len(answered) == 1
    line = answered[0]
    assert (line["level"], line["status"], line["route"]) == ("INFO", 404, "GET /api/courses/{courseId}")
    assert (line["tenant_id"], line["user_id"], line["service"]) == (api.tenant, api.user, "lms")
    assert line["correlation_id"]  # API Gateway's request id
    assert line["function_request_id"]
