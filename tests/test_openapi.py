"""docs/openapi.json is what the functions' routes describe, and describes all of the contract."""

import json

from local import openapi, template

DOCUMENT = json.loads(openapi.DOCUMENT.read_text())
BEYOND_THE_CONTRACT = {
    "api.course.tracking.details",
    "api.course.tracking.next",
    "api.course.structure.update",
    "api.course.report",
    "api.course.clone",
}


def test_the_committed_document_is_current():
    assert openapi.DOCUMENT.read_text() == openapi.render(openapi.build()), "run `make openapi` and commit it"


def test_every_route_of_the_template_is_one_operation_with_its_contract_id():
    operations = {
        (method.upper(), path): operation["operationId"]
        for path, methods in DOCUMENT["paths"].items()
        for method, operation in methods.items()
    }

    assert set(operations) == {(route.method, route.path) for route in template.routes()}
    # The contract's 38, and those beside it (docs/DECISIONS.md: Beyond the contract).
    assert len(operations) == len(set(operations.values())) == 38 + len(BEYOND_THE_CONTRACT)
    assert set(operations.values()) >= BEYOND_THE_CONTRACT
    assert operations["GET", "/api/users/{userId}/lessons/{lessonId}/tracking"] == "api.user.lesson.tracking.history"


def test_every_answer_is_the_envelope_and_every_operation_needs_a_token():
    for methods in DOCUMENT["paths"].values():
        for operation in methods.values():
            assert operation["security"][0].keys() == {"bearerAuth"}
            assert {"400", "401", "403", "404", "409", "413", "415", "500"} <= set(operation["responses"])
            assert "422" not in operation["responses"]
            for status, response in operation["responses"].items():
                envelope = response["content"]["application/json"]["schema"]
                assert envelope["required"] == ["id", "ver", "ts", "params", "responseCode", "result"]
                assert envelope["properties"]["id"] == {"const": operation["operationId"]}
                assert envelope["properties"]["responseCode"] == {"const": int(status)}
    assert DOCUMENT["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_operation_is_documented_as_the_contract_shows_it() -> None:
    """Grouped by the contract's seven groups (tags, in its order), each operation with a summary
    of its own (not its method and path), a description, the example of its success answer and,
    when it takes a body, of its request (docs/api-examples.json)."""
    document = json.loads(openapi.DOCUMENT.read_text())
    assert [tag["name"] for tag in document["tags"]] == list(openapi.GROUPS)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert len(operation["tags"]) == 1, where
            assert operation["tags"][0] in openapi.GROUPS, where
            assert operation["summary"], where
            assert operation["summary"] != where, where
            assert operation["description"], where
            successes = [status for status in operation["responses"] if status.startswith("2")]
            assert successes, where
            for status in successes:
                example = operation["responses"][status]["content"]["application/json"]["example"]
                assert example["id"] == operation["operationId"], where
            for content in operation.get("requestBody", {}).get("content", {}).values():
                assert content.get("example"), where
