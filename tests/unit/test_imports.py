"""Cold start: importing an HTTP function builds nothing it may not need. boto3 (S3, EventBridge,
the idempotency store) and puremagic (uploads) are imported on first use only; PynamoDB talks to
DynamoDB through botocore; request and response models are built by the first request that uses
them (pydantic's defer_build), not at import."""

import json
import subprocess
import sys

import pytest

from local import template

HTTP_FUNCTIONS = sorted({route.function for route in template.routes()})
NOT_AT_IMPORT = ("boto3", "puremagic", "pydantic_settings")
PROBE = """
import json, sys, importlib
importlib.import_module(sys.argv[1])
from shared.schemas.common import RequestModel, ResponseModel

def models(base):
    for model in base.__subclasses__():
        yield model
        yield from models(model)

built = [m.__name__ for base in (RequestModel, ResponseModel) for m in models(base) if m.__pydantic_complete__]
print(json.dumps({"imported": [name for name in sys.argv[2:] if name in sys.modules], "built": built}))
"""


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_importing_the_handler_imports_and_builds_only_what_every_request_needs(function: str) -> None:
    module = template.functions()[function].module

    completed = subprocess.run(  # noqa: S603 - our own probe on our own modules
        [sys.executable, "-c", PROBE, module, *NOT_AT_IMPORT], capture_output=True, text=True, check=True, timeout=60
    )

    assert json.loads(completed.stdout) == {"imported": [], "built": []}
