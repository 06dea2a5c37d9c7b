"""Every request leaves one structured JSON log line with its request id, tenant and user, and
every business event a CloudWatch metric (embedded metric format)."""

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from local import template
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


def test_a_function_runs_with_its_memory_size_and_timeout_from_the_template(api: Api, log_lines: io.StringIO) -> None:
    defaults = template.load()["Globals"]["Function"]
    courses, expiry = api.host.functions["CoursesFunction"], api.host.functions["EnrollmentExpiryFunction"]
    assert (courses.memory_size, courses.timeout) == (defaults["MemorySize"], defaults["Timeout"])
    assert expiry.timeout == template.load()["Resources"]["EnrollmentExpiryFunction"]["Properties"]["Timeout"]

    api.call("GET", "/api/courses")

    answered = [json.loads(line) for line in log_lines.getvalue().splitlines() if "Request answered" in line]
    assert [line["function_memory_size"] for line in answered] == [defaults["MemorySize"]]


def test_business_events_are_metrics(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    course_id = api.create_course(status="published")["courseId"]
    api.call("POST", "/api/enrollments", json_body={"courseId": course_id, "userId": "someone"})

    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = [metric["Name"] for line in emitted for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]]

    assert names == ["CourseCreated", "Enrolled"]
    assert emitted[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "LMS"
