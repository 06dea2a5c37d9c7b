"""Test set-up: one test issuer with its JWKS on real loopback HTTP, and the table on two engines.

Integration tests take the `api` fixture, which runs each of them twice: on moto (in-process
mock_aws) and on the official DynamoDB Local engine. Every test gets a fresh tenant."""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws
from moto.server import ThreadedMotoServer

from local import issuer, template
from local.moto_transactions import one_backup_per_table
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
from shared.clock import utc_now
from shared.observability import logger
from shared.repository.base import reset_connections
from shared.repository.marks import mark_new_table
from tests.support.api import Api
from tests.support.dynamodb_local import DynamoDBLocal
from tests.support.stream import Stream

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

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


ENGINES = ("moto", "dynamodb-local")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine", choices=ENGINES, help="run the integration tests on this engine only (default: on both)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--engine`: leave out the tests that run on the other engine."""
    engine = config.getoption("engine")
    if engine is None:
        return
    other = [item for item in items if _engine_of(item) not in (None, engine)]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if _engine_of(item) in (None, engine)]


def _engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec else None


@pytest.fixture(scope="session", params=ENGINES)
def backend(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The engine, moto then DynamoDB Local: every integration test runs on both. Yields the
    DynamoDB endpoint (None for moto, which intercepts the SDK in-process). S3 is moto's in both:
    in-process, or a moto server on a free port beside DynamoDB Local."""
    if request.param == "moto":
        with mock_aws(), one_backup_per_table():
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


@dataclass(frozen=True)
class Tables:
    """The functions' table on one engine, always under the same name, so the clients the
    functions made for the engine serve every table of the session."""

    client: "DynamoDBClient"

    def make_afresh(self) -> str:
        """The table from template.yaml's definition, empty. Its stream is switched on only for
        the tests that read it (`switch_stream_on`): DynamoDB Local keeps every stream record of
        the run, a deleted table's too, and each write grows slower as they pile up (1,000 writes
        took 1.7 s on a fresh engine, 4.0 s after 7,000 records)."""
        with contextlib.suppress(self.client.exceptions.ResourceNotFoundException):
            self.client.delete_table(TableName=LOCAL_TABLE)
        definition = template.table_definition()
        del definition["StreamSpecification"]
        self.client.create_table(TableName=LOCAL_TABLE, **definition)
        mark_new_table(utc_now())  # a new table holds nothing an earlier version wrote
        return LOCAL_TABLE

    def switch_stream_on(self) -> None:
        """The template's stream on the table, unless it is on already."""
        described = self.client.describe_table(TableName=LOCAL_TABLE)["Table"]
        if not described.get("StreamSpecification", {}).get("StreamEnabled"):
            stream = template.table_definition()["StreamSpecification"]
            self.client.update_table(TableName=LOCAL_TABLE, StreamSpecification=stream)


@pytest.fixture(scope="session")
def tables(backend: str | None) -> Tables:
    return Tables(boto3.client("dynamodb", endpoint_url=backend, region_name=LOCAL_REGION))


@pytest.fixture(scope="module")
def module_table(tables: Tables) -> str:
    return tables.make_afresh()


@pytest.fixture
def table(backend: str | None, tables: Tables, request: pytest.FixtureRequest) -> str:
    """The table a test writes to. On DynamoDB Local, one per test module (making one takes about
    45 ms there, and no module's data, a 1,000-lesson course say, slows another's queries). On
    moto, one per test (about 20 ms): a moto transaction deep-copies the tables it names, so
    its cost grows with all the data the table holds."""
    if backend is None:
        return tables.make_afresh()
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
def stream(api: Api, backend: str | None, tables: Tables, host: FunctionHost) -> Stream:
    """The table's stream fed to the real StreamProjector on demand, and the events it published."""
    tables.switch_stream_on()
    endpoint = os.environ.get("EVENTS_ENDPOINT")
    recorder = EventRecorder(endpoint, record_events(endpoint, TEST_ENVIRONMENT["EVENT_BUS_NAME"]))
    return Stream(StreamFeed(host, backend, os.environ["TABLE_NAME"]), recorder, api.tenant)
