"""Test set-up: one test issuer with its JWKS on real loopback HTTP, and the table on two engines.

Integration tests take the `api` fixture, which runs each of them twice: on moto (in-process
mock_aws) and on the official DynamoDB Local engine. Every test gets a fresh tenant."""

import os
from collections.abc import Iterator

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from local import issuer, template
from local.stack import LOCAL_REGION, LOCAL_TABLE, FunctionHost, jwks_url, serve_jwks
from shared.repository.base import reset_connections
from tests.support.api import Api
from tests.support.dynamodb_local import DynamoDBLocal

TEST_ENVIRONMENT = {
    "AWS_REGION": LOCAL_REGION,
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "TABLE_NAME": LOCAL_TABLE,
    "MEDIA_BUCKET": "lms-media-test",
    "JWT_ISSUER": issuer.ISSUER,
    "JWT_AUDIENCE": issuer.AUDIENCE,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session", autouse=True)
def environment(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The functions' environment, with the test issuer's JWKS served on a loopback port."""
    server = serve_jwks(issuer.jwks(signing_key))
    saved = dict(os.environ)
    os.environ.update(TEST_ENVIRONMENT, JWKS_URL=jwks_url(server))
    os.environ.pop("DYNAMODB_ENDPOINT", None)
    reset_connections()
    yield jwks_url(server)
    server.shutdown()
    os.environ.clear()
    os.environ.update(saved)


def create_table(endpoint: str | None) -> None:
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=LOCAL_REGION)
    client.create_table(TableName=LOCAL_TABLE, **template.table_definition())


@pytest.fixture(scope="session", params=["moto", "dynamodb-local"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The table on moto, then on DynamoDB Local: every integration test runs on both."""
    if request.param == "moto":
        with mock_aws():
            reset_connections()
            create_table(None)
            yield "moto"
    else:
        engine = DynamoDBLocal()
        os.environ["DYNAMODB_ENDPOINT"] = engine.endpoint
        reset_connections()
        try:
            create_table(engine.endpoint)
            yield "dynamodb-local"
        finally:
            os.environ.pop("DYNAMODB_ENDPOINT", None)
            reset_connections()
            engine.stop()


@pytest.fixture(scope="session")
def host() -> FunctionHost:
    return FunctionHost()


@pytest.fixture
def api(backend: str, host: FunctionHost, signing_key: rsa.RSAPrivateKey) -> Api:
    """An admin of a fresh tenant; `api.as_("learner")` for other callers."""
    return Api(host=host, key=signing_key)
