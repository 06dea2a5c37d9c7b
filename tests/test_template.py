"""template.yaml is a valid SAM template, and the local stack reads the same routes from it."""

import os
import subprocess
import sys
from pathlib import Path

from local import template


def test_sam_validate_lint_passes():
    sam = Path(sys.executable).with_name("sam")
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}

    result = subprocess.run(  # noqa: S603 - our own virtualenv's sam on our own template
        [str(sam), "validate", "--lint", "--template-file", str(template.TEMPLATE)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


def test_the_courses_function_serves_the_six_courses_routes():
    courses = sorted((route.method, route.path) for route in template.routes() if route.function == "CoursesFunction")

    assert courses == [
        ("DELETE", "/api/courses/{courseId}"),
        ("GET", "/api/courses"),
        ("GET", "/api/courses/{courseId}"),
        ("GET", "/api/courses/{courseId}/details"),
        ("POST", "/api/courses"),
        ("PUT", "/api/courses/{courseId}"),
    ]


def test_the_local_table_is_the_templates_table():
    definition = template.table_definition()

    assert [key["AttributeName"] for key in definition["KeySchema"]] == ["PK", "SK"]
    assert {index["IndexName"] for index in definition["GlobalSecondaryIndexes"]} == {
        "ListIndex",
        "LookupIndex",
        "UserIndex",
        "ExpiryIndex",
    }
    assert definition["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_every_route_of_the_contract_has_its_function():
    functions: dict[str, list[str]] = {}
    for route in template.routes():
        functions.setdefault(route.function, []).append(f"{route.method} {route.path}")

    assert {name: len(paths) for name, paths in functions.items()} == {
        "CoursesFunction": 6,
        "ModulesFunction": 6,
        "LessonsFunction": 8,
        "MediaFunction": 4,
        "EnrollmentsFunction": 5,
        "CourseTrackingFunction": 4,
        "LessonTrackingFunction": 5,
    }


def test_every_asynchronous_function_has_a_failure_destination():
    functions = template.resources("AWS::Serverless::Function")
    for name in ("MediaRegistrationFunction", "EnrollmentExpiryFunction"):
        assert functions[name]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    stream = functions["StreamProjectorFunction"]["Properties"]["Events"]["TableChanges"]["Properties"]
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": "StreamProjectorFailures.Arn"}
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
