"""Every file in events/ replays through its function's handler, so the fixtures never rot.

A file's `<token>` becomes a fresh admin token; the course its path names is seeded first."""

import json
import re
from pathlib import Path

import pytest

from local import template
from local.template import ROOT
from shared.clock import sortable_now, utc_now
from shared.repository.courses import CourseRepository
from tests.support.api import Api, route_for

EVENT_FILES = sorted((ROOT / "events").rglob("*.json"))
COURSE_ID = re.compile(r"/api/courses/([0-9a-f-]{36})")


def test_there_is_an_event_for_every_route():
    covered = {json.loads(path.read_text())["routeKey"] for path in EVENT_FILES}
    routes = {f"{route.method} {route.path}" for route in template.routes()}

    assert routes <= covered


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_event_file_replays_through_its_handler(api: Api, path: Path) -> None:
    event = json.loads(path.read_text().replace("<token>", api.token()))
    if found := COURSE_ID.search(event["rawPath"]):
        repository = CourseRepository(api.tenant)
        repository.create(
            repository.new_course(
                found.group(1), sortable_now(), title="Seeded", alias="seeded", status="published",
                created_by=api.user, created_at=utc_now(),
            )
        )  # fmt: skip
    route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])

    response = api.send(route.function, event)

    assert response.status in (200, 201), response.body
    assert response.body["responseCode"] == response.status
    assert response.body["params"]["status"] == "successful"
