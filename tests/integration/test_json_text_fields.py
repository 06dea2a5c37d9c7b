"""Every field that carries JSON (params, certificateTerm, eligibilityCriteria, mediaContent), in
every route that takes it, sent as JSON text nested too deep: 401 without a token, 400 naming the
field with one, in a JSON body and in a form. Before one parser served them all, text nested
deeper than Python's recursion limit raised RecursionError: a 500, before the token was checked."""

import importlib
import re
import types
import uuid
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from local import template
from shared.json_input import MAX_VALUE_DEPTH
from shared.schemas.common import RequestModel
from tests.support.api import Api, FormValue

BEYOND_RECURSION = '{"a":' * 100_000 + "{}" + "}" * 100_000  # json.loads raises RecursionError on it
BEYOND_THE_LIMIT = '{"a":' * MAX_VALUE_DEPTH + "{}" + "}" * MAX_VALUE_DEPTH  # parses, one level too deep
# Values for the required fields of each body, so the nested field is the first problem reported.
REQUIRED = {
    "title": "T",
    "format": "video",
    "courseId": str(uuid.uuid4()),
    "userId": "u",
    "lessonId": str(uuid.uuid4()),
}


def _carries_json(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _carries_json(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_carries_json(each) for each in get_args(annotation))
    return (
        annotation is dict
        or get_origin(annotation) is dict
        or (isinstance(annotation, type) and issubclass(annotation, BaseModel))
    )


def json_fields() -> list[tuple[str, str, str]]:
    """(method, path, field) for every body field of every route that holds a JSON value."""
    found = []
    functions = template.functions()
    for name in sorted({route.function for route in template.routes()}):
        app = importlib.import_module(functions[name].module).app
        for route in [*app._static_routes, *app._dynamic_routes]:
            for body in route.dependant.body_params:
                model = body.field_info.annotation
                assert isinstance(model, type)
                assert issubclass(model, RequestModel)
                path = re.sub(r"<[^>]+>", lambda _: str(uuid.uuid4()), route.path)
                found += [
                    (route.method, path, field.alias or field_name)
                    for field_name, field in model.model_fields.items()
                    if _carries_json(field.annotation)
                ]
    return found


FIELDS = json_fields()
CASES = [(*field, depth) for field in FIELDS for depth in ("beyond recursion", "beyond the limit")]


def test_every_json_field_is_covered() -> None:
    by_field = {field for _, _, field in FIELDS}
    assert by_field == {"params", "certificateTerm", "eligibilityCriteria", "mediaContent"}
    assert len(FIELDS) >= 12  # courses, modules, lessons, links, media and enrollments: create and update


def body_with(method: str, path: str, field: str, value: str) -> dict[str, FormValue]:
    fields = {name: sample for name, sample in REQUIRED.items() if method == "POST" and name in _required(path)}
    return {**fields, field: value}


def _required(path: str) -> set[str]:
    """The fields a create route cannot do without (REQUIRED names them all)."""
    if path == "/api/courses":
        return {"title"}
    if path == "/api/modules":
        return {"title", "courseId"}
    if path == "/api/lessons":
        return {"title", "format"}
    if path == "/api/media":
        return {"format"}
    if path == "/api/enrollments":
        return {"courseId", "userId"}
    return {"lessonId"} if path.endswith("/lessons") else set()


@pytest.mark.parametrize(
    ("method", "path", "field", "depth"), CASES, ids=[f"{m} {p.split('/')[2]} {f} {d}" for m, p, f, d in CASES]
)
def test_over_deep_json_text_is_401_without_a_token_and_400_with_one(api: Api, method, path, field, depth) -> None:
    value = BEYOND_RECURSION if depth == "beyond recursion" else BEYOND_THE_LIMIT
    body = body_with(method, path, field, value)

    anonymous = api.call(method, path, json_body=body, token=None)
    refused = api.call(method, path, json_body=body)
    as_form = api.call(method, path, form=body)

    assert (anonymous.status, anonymous.err) == (401, "UNAUTHORIZED")
    for response in (refused, as_form):
        assert (response.status, response.err) == (400, "INVALID_REQUEST"), response.body
        assert response.errmsg.startswith(f"The field '{field}' must not be nested more than {MAX_VALUE_DEPTH} levels")


def test_a_json_body_nested_too_deep_is_400_naming_the_body(api: Api) -> None:
    deep = api.call(
        "POST", "/api/courses", body=("[" * 50_000 + "]" * 50_000).encode(), content_type="application/json"
    )
    params = api.call("POST", "/api/courses", json_body={"title": "T", "params": {"a": [[[[{"b": {}}]]]]}})

    assert (deep.status, deep.err) == (400, "INVALID_REQUEST")
    assert "nested more than" in deep.errmsg
    assert params.status == 201  # ordinary nesting is fine
