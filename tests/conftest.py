"""Test set-up: one test issuer with its JWKS on real loopback HTTP, and the table on two engines.

Integration tests take the `api` fixture, which runs each of them twice: on moto (in-process
mock_aws) and on the official DynamoDB Local engine. Every test gets a fresh tenant."""

import contextlib
import os
from collections.abc import Iterator

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws
from moto.server import ThreadedMotoServer

from local import issuer, template
from local.stack import (
    LOCAL_REGION,
    LOCAL_TABLE,
    EventRecorder,
    FunctionHost,
    StreamFeed,
    create_tables,
    jwks_url,
    record_events,
    serve_jwks,
)
from shared import events, idempotency, storage
from shared.observability import logger
from shared.repository.base import reset_connections
from tests.support.api import Api
from tests.support.dynamodb_local import DynamoDBLocal
from tests.support.stream import Stream

TEST_ENVIRONMENT = {
    "AWS_REGION": LOCAL_REGION,
    "AWS_DEFAULT_REGION": LOCAL_REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "TABLE_NAME": LOCAL_TABLE,
    "IDEMPOTENCY_TABLE_NAME": "lms-idempotency-test",
    "MEDIA_BUCKET": "lms-media-test",
    "EVENT_BUS_NAME": "lms-events-test",
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
    logger.setLevel(TEST_ENVIRONMENT["POWERTOOLS_LOG_LEVEL"])  # the logger was built before this ran
    os.environ.pop("DYNAMODB_ENDPOINT", None)
    reset_connections()
    yield jwks_url(server)
    server.shutdown()
    os.environ.clear()
    os.environ.update(saved)


def reset_aws_clients() -> None:
    """Make the next request build its clients from the environment again."""
    reset_connections()
    storage.s3.cache_clear()
    events.reset_clients()
    idempotency.reset()


def create_session_resources(dynamodb_endpoint: str | None, endpoint: str | None) -> None:
    """What every test module shares: the media bucket, the idempotency table, the event bus."""
    boto3.client("s3", endpoint_url=endpoint, region_name=LOCAL_REGION).create_bucket(
        Bucket=TEST_ENVIRONMENT["MEDIA_BUCKET"]
    )
    create_tables(dynamodb_endpoint, {"IdempotencyTable": TEST_ENVIRONMENT["IDEMPOTENCY_TABLE_NAME"]})
    record_events(endpoint, TEST_ENVIRONMENT["EVENT_BUS_NAME"])


@pytest.fixture(scope="session", params=["moto", "dynamodb-local"])
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The engine, moto then DynamoDB Local: every integration test runs on both. Yields the
    DynamoDB endpoint (None for moto, which intercepts the SDK in-process). S3 is moto's in both:
    in-process, or a moto server on a free port beside DynamoDB Local."""
    if request.param == "moto":
        with mock_aws():
            reset_aws_clients()
            create_session_resources(None, None)
            yield None
        return
    engine, s3_server = DynamoDBLocal(), ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3_server.start()
    host, port = s3_server.get_host_and_port()
    moto_endpoint = f"http://{host}:{port}"
    os.environ.update(DYNAMODB_ENDPOINT=engine.endpoint, S3_ENDPOINT=moto_endpoint, EVENTS_ENDPOINT=moto_endpoint)
    reset_aws_clients()
    try:
        create_session_resources(engine.endpoint, moto_endpoint)
        yield engine.endpoint
    finally:
        for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "EVENTS_ENDPOINT"):
            os.environ.pop(name, None)
        reset_aws_clients()
        s3_server.stop()
        engine.stop()


def fresh_table(endpoint: str | None) -> None:
    """The functions' table, empty: made again from template.yaml's definition under the same
    name, so the clients made for the engine serve every table of the session. Its stream is
    switched on only for the tests that read it (the `stream` fixture): DynamoDB Local keeps
    every stream record of the run, a deleted table's too, and each write grows slower as they
    pile up (1,000 writes took 1.7 s on a fresh engine, 4.0 s after 7,000 records)."""
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=LOCAL_REGION)
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=LOCAL_TABLE)
    definition = template.table_definition()
    del definition["StreamSpecification"]
    client.create_table(TableName=LOCAL_TABLE, **definition)


def switch_stream_on(endpoint: str | None) -> None:
    """The template's stream on the functions' table, if it is not on already."""
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=LOCAL_REGION)
    if not client.describe_table(TableName=LOCAL_TABLE)["Table"].get("StreamSpecification", {}).get("StreamEnabled"):
        client.update_table(
            TableName=LOCAL_TABLE, StreamSpecification=template.table_definition()["StreamSpecification"]
        )


@pytest.fixture(scope="module")
def module_table(backend: str | None) -> str:
    fresh_table(backend)
    return LOCAL_TABLE


@pytest.fixture
def table(backend: str | None, request: pytest.FixtureRequest) -> str:
    """The table a test writes to. On DynamoDB Local, one per test module (making one takes about
    45 ms there, and no module's data, a 1,000-lesson course say, slows another's queries). On
    moto, one per test: moto backs up every table a transaction names, by a deep copy, once per
    item of the transaction, so a transaction's cost grows with all the data the table holds."""
    if backend is None:
        fresh_table(backend)
        return LOCAL_TABLE
    name: str = request.getfixturevalue("module_table")
    return name


@pytest.fixture(scope="session")
def host() -> FunctionHost:
    return FunctionHost()


@pytest.fixture
def api(table: str, host: FunctionHost, signing_key: rsa.RSAPrivateKey) -> Api:
    """An admin of a fresh tenant; `api.as_("learner")` for other callers."""
    return Api(host=host, key=signing_key)


@pytest.fixture
def stream(api: Api, backend: str | None, host: FunctionHost) -> Stream:
    """The table's stream fed to the real StreamProjector on demand, and the events it published."""
    switch_stream_on(backend)
    endpoint = os.environ.get("EVENTS_ENDPOINT")
    recorder = EventRecorder(endpoint, record_events(endpoint, TEST_ENVIRONMENT["EVENT_BUS_NAME"]))
    return Stream(StreamFeed(host, backend, os.environ["TABLE_NAME"]), recorder, api.tenant)
