"""Form values arrive as text: typed booleans, JSON text, timestamps, and the messages for mistakes."""

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.schemas.courses import CourseCreate, CourseUpdate
from shared.validation import describe_validation_errors


def errors_of(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return describe_validation_errors([{**error, "loc": ("body", *error["loc"])} for error in caught.value.errors()])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("0", False),
        (True, True),
        (0, False),
    ],
)
def test_form_booleans_accept_true_false_one_zero_in_any_case(text, expected):
    assert CourseCreate.model_validate({"title": "t", "featured": text}).featured is expected


@pytest.mark.parametrize("text", ["yes", "no", "on", "", "2", "t", 2.0])
def test_any_other_boolean_spelling_is_refused_naming_the_field(text):
    assert errors_of(CourseCreate, {"title": "t", "free": text}) == (
        "The field 'free' must be true or false (1 or 0 are accepted too)."
    )


def test_params_as_json_text_becomes_an_object():
    course = CourseCreate.model_validate({"title": "t", "params": '{"difficulty": "beginner", "hours": 20}'})

    assert course.params == {"difficulty": "beginner", "hours": 20}


@pytest.mark.parametrize("params", ["[1, 2]", "not json", '"text"', 5])
def test_params_that_are_not_a_json_object_are_refused(params):
    assert "field 'params' must be a JSON object" in errors_of(CourseCreate, {"title": "t", "params": params})


def test_params_over_16_kb_are_refused():
    params = json.dumps({"blob": "x" * 16_400})

    assert (
        errors_of(CourseCreate, {"title": "t", "params": params}) == "The field 'params' must be at most 16 KB of JSON."
    )


def test_certificate_term_is_text_or_a_json_object():
    assert CourseCreate.model_validate({"title": "t", "certificateTerm": "PASS_ALL"}).certificate_term == "PASS_ALL"
    as_object = CourseCreate.model_validate({"title": "t", "certificateTerm": '{"minScore": 80}'})
    assert as_object.certificate_term == {"minScore": 80}


def test_timestamps_are_normalised_to_utc_with_z():
    course = CourseCreate.model_validate(
        {"title": "t", "startDatetime": "2024-06-01T02:00:00+02:00", "endDatetime": "2024-12-31T23:59:59"}
    )

    assert (course.start_datetime, course.end_datetime) == ("2024-06-01T00:00:00Z", "2024-12-31T23:59:59Z")


def test_start_after_end_is_refused():
    message = errors_of(CourseCreate, {"title": "t", "startDatetime": "2025-01-02", "endDatetime": "2025-01-01"})

    assert message == "The request body startDatetime must not be after endDatetime."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "The field 'title' is required."),
        ({"title": "   "}, "The field 'title' must not be empty."),
        ({"title": "x" * 256}, "The field 'title' must be at most 255 characters."),
        ({"title": "t", "description": "d" * 20_001}, "The field 'description' must be at most 20000 characters."),
        ({"title": "t", "shortDescription": "d" * 501}, "The field 'shortDescription' must be at most 500 characters."),
        (
            {"title": "t", "status": "live"},
            "The field 'status' must be one of 'published', 'unpublished', 'draft' or 'archived'.",
        ),
        (
            {"title": "t", "alias": "Not A Slug"},
            "The field 'alias' must be a lowercase slug of letters, digits and single hyphens, such as intro-to-ml.",
        ),
        ({"title": "t", "tagline": "x"}, "The field 'tagline' is not a field this endpoint accepts."),
        (
            {"title": "t", "startDatetime": "next monday"},
            "The field 'startDatetime' must be an ISO-8601 date-time between the years 1900 and 9999, such as "
            "2024-06-01T00:00:00Z.",
        ),
        ({"title": 5}, "The field 'title' must be text."),
        (
            {"title": "t", "free": "maybe", "featured": "perhaps"},
            "The field 'featured' must be true or false (1 or 0 are accepted too) (and 1 more problem).",
        ),
    ],
)
def test_each_mistake_is_named_in_one_sentence(data, message):
    assert errors_of(CourseCreate, data) == message


def test_an_update_may_not_null_a_required_field():
    assert "title cannot be null" in errors_of(CourseUpdate, {"title": None})
    assert CourseUpdate.model_validate({"description": None}).model_dump(exclude_unset=True) == {"description": None}
