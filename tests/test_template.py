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
    }
    assert definition["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
