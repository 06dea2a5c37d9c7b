"""Cold start: importing an HTTP function builds nothing it may not need. boto3 (S3, EventBridge,
the idempotency store) is imported on first use only; PynamoDB talks to DynamoDB through botocore."""

import subprocess
import sys

import pytest

from local import template

HTTP_FUNCTIONS = sorted({route.function for route in template.routes()})


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_importing_the_handler_does_not_import_boto3(function: str) -> None:
    module = template.functions()[function].module
    probe = f"import sys, {module}; print('boto3' in sys.modules)"

    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)  # noqa: S603

    assert imported.stdout.strip() == "False"
