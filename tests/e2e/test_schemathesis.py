"""schemathesis drives `make run`'s server from docs/openapi.json: for every operation, a bounded
number of generated requests from an authenticated admin; no answer may be a 5xx, and every
answer must be what the document says (status, content type, body schema, headers)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local import openapi
from tests.support.local_server import Server

# Under pytest-xdist (make test) this module runs on one worker, so on one server: its tests
# share the module's server.
pytestmark = pytest.mark.xdist_group("schemathesis")

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_path(openapi.DOCUMENT)


@pytest.fixture(scope="module")
def admin_token(server: Server) -> str:
    return server.token(tenant="schemathesis")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same cases every run: a finding is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, server: Server, admin_token: str) -> None:
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
