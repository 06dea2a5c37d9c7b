"""Each function's policy in template.yaml allows every DynamoDB action it takes on the table, as
IAM judges them: each part of a transaction by its own action, a Query of an index on the
index's ARN. Recorded while every event file runs through its function over a seeded world whose
course tree is stale (so reads build it), and while the scheduled, stream and backfill functions
run. A missing permission would first show in AWS as AccessDenied, answered as a 500."""

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from local import template
from local.template import ROOT
from shared.repository.base import snapshot, transaction
from shared.repository.courses import CourseRepository
from shared.repository.items import Keys
from shared.repository.lessons import LessonRepository
from shared.repository.trees import TreeRepository, mark_changed
from tests.conftest import Tables
from tests.support.api import Api, route_for
from tests.support.world import COURSE_ID, EVENT_FILES, LESSON_ID, event_from_file, seed

TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# What SAM's DynamoDB policy templates allow (on the table and `index/*`).
POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy": {
        "GetItem", "DeleteItem", "PutItem", "Scan", "Query", "UpdateItem", "BatchWriteItem", "BatchGetItem",
        "DescribeTable", "ConditionCheckItem",
    },
    "DynamoDBReadPolicy": {"GetItem", "Scan", "Query", "BatchGetItem", "DescribeTable"},
}  # fmt: skip
TABLE = "table"


def _resource(value: Any) -> str | None:
    """ "table" or "index/<name>" for a resource naming the LmsTable, None for anything else."""
    if value == {"Fn::GetAtt": "LmsTable.Arn"}:
        return TABLE
    text = value.get("Fn::Sub", "") if isinstance(value, dict) else ""
    return text.removeprefix("${LmsTable.Arn}/") if text.startswith("${LmsTable.Arn}/") else None


def allowed(function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the function's policy allows on the LmsTable."""
    pairs: set[tuple[str, str]] = set()
    for policy in template.resources("AWS::Serverless::Function")[function]["Properties"]["Policies"]:
        for name, granted in POLICY_TEMPLATES.items():
            if policy.get(name, {}).get("TableName") == {"Ref": "LmsTable"}:
                pairs |= {(action, where) for action in granted for where in (TABLE, "index/*")}
        for statement in policy.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for where in filter(None, map(_resource, resources)):
                pairs |= {(action.removeprefix("dynamodb:"), where) for action in actions}
    return pairs


def permitted(action: str, where: str, pairs: set[tuple[str, str]]) -> bool:
    return (action, where) in pairs or (where.startswith("index/") and (action, "index/*") in pairs)


class Recorder:
    """The (action, resource) pairs of each DynamoDB call, by the function making it."""

    def __init__(self) -> None:
        self.taken: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.function = ""

    @contextmanager
    def recording(self) -> Iterator[None]:
        make_api_call, recorder = Connection._make_api_call, self

        def recorded(connection: Connection, operation: str, params: dict[str, Any]) -> Any:
            recorder.record(operation, params)
            return make_api_call(connection, operation, params)

        setattr(Connection, "_make_api_call", recorded)  # noqa: B010 - a deliberate patch
        try:
            yield
        finally:
            setattr(Connection, "_make_api_call", make_api_call)  # noqa: B010

    def record(self, operation: str, params: dict[str, Any]) -> None:
        if not self.function:  # the test's own seeding
            return
        taken = self.taken[self.function]
        if operation == "TransactWriteItems":
            taken |= {(TRANSACTION_PARTS[part], TABLE) for item in params["TransactItems"] for part in item}
        elif operation == "TransactGetItems":
            taken.add(("GetItem", TABLE))
        else:
            taken.add((operation, f"index/{params['IndexName']}" if "IndexName" in params else TABLE))


def changes_the_projector_acts_on(api: Api) -> list[dict[str, Any]]:
    """Stream records of a course whose summary changed, a lesson whose summary changed and a
    course tree changed since it was built (the event file holds a completion)."""
    seed(api)
    with transaction() as writes:  # the stored tree is stale: the projector builds it again
        mark_changed(writes, Keys(api.tenant), COURSE_ID)
    courses, lessons = CourseRepository(api.tenant), LessonRepository(api.tenant)
    course, lesson = courses.get(COURSE_ID), lessons.get_partition(LESSON_ID).lesson
    head = TreeRepository(api.tenant).read_head(COURSE_ID)
    assert course is not None
    assert lesson is not None
    assert head is not None
    renamed_course, renamed_lesson, changed_head = snapshot(course), snapshot(lesson), snapshot(head)
    renamed_course.title, renamed_lesson.title, changed_head.revision = "Renamed", "Renamed", head.revision + 1
    pairs = [(course, renamed_course), (lesson, renamed_lesson), (head, changed_head)]
    return [
        {"eventID": str(number), "eventName": "MODIFY", "eventSource": "aws:dynamodb",
         "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/lms/stream/2024",
         "dynamodb": {"OldImage": old.serialize(), "NewImage": new.serialize(), "SequenceNumber": str(number)}}
        for number, (old, new) in enumerate(pairs, start=1)
    ]  # fmt: skip


@pytest.mark.parametrize("backend", ["moto"], indirect=True)
def test_every_function_is_allowed_the_dynamodb_actions_it_takes(api: Api, tables: Tables) -> None:
    recorder = Recorder()
    with recorder.recording():
        for path in EVENT_FILES:
            recorder.function = ""
            tables.make_afresh()  # moto reads a whole table on every Query: one world a table
            world = api.as_("admin", tenant=f"tenant-{path.stem}-{path.parent.name}")
            seed(world)
            with transaction() as writes:  # the tree changed since: a read builds and stores it
                mark_changed(writes, Keys(world.tenant), COURSE_ID)
            event = event_from_file(path, token=world.token(), tenant=world.tenant)
            route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])
            recorder.function = route.function
            assert world.send(route.function, event).status < 400, path
        recorder.function = ""
        tables.make_afresh()
        ending = api.create_course(status="published", endDatetime="2030-01-01T00:00:00Z")["courseId"]
        assert api.enroll(ending, "ends-in-2030").status == 201  # the expiry job marks it
        for function, event in (
            ("EnrollmentExpiryFunction", {"time": "2031-07-01T00:00:00Z"}),
            (
                "StreamProjectorFunction",
                event_from_file(ROOT / "events/stream_projector/course-completed.json", tenant=api.tenant),
            ),
            ("StreamProjectorFunction", {"Records": changes_the_projector_acts_on(api)}),
            ("BackfillFunction", {"name": "listings"}),
            ("BackfillFunction", {"name": "expiry-schedule"}),
        ):
            recorder.function = function
            api.host.invoke(function, event)

    missing = {
        function: sorted(pair for pair in taken if not permitted(*pair, allowed(function)))
        for function, taken in recorder.taken.items()
    }
    gaps = {function: pairs for function, pairs in missing.items() if pairs}
    assert not gaps, json.dumps(gaps)
    assert len(recorder.taken) == 10
