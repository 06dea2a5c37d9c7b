"""What every benchmark runs against: the official DynamoDB Local engine (installed by `make test`),
a moto server for S3 and EventBridge, the local issuer's JWKS, the tables, bucket and bus from
template.yaml, and the environment template.yaml gives the functions. Nothing leaves 127.0.0.1."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from local import issuer, stack
from shared.observability import logger
from shared.repository.base import reset_connections
from tests.support.dynamodb_local import DynamoDBLocal


@dataclass(frozen=True)
class BenchStack:
    dynamodb_endpoint: str
    moto_endpoint: str
    environment: dict[str, str]


@contextmanager
def bench_stack() -> Iterator[BenchStack]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's line per request
    engine = DynamoDBLocal()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_endpoint = f"http://{host}:{port}"
    jwks = stack.serve_jwks(issuer.jwks())
    saved = dict(os.environ)
    try:
        environment = stack.function_environment(stack.jwks_url(jwks), engine.endpoint, moto_endpoint)
        environment["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        environment["POWERTOOLS_METRICS_DISABLED"] = "true"  # no EMF lines on stdout
        stack.apply_environment(environment)
        logger.setLevel("WARNING")  # built at import, before the environment said so
        reset_connections()
        stack.create_resources(engine.endpoint, moto_endpoint)
        yield BenchStack(engine.endpoint, moto_endpoint, environment)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        jwks.shutdown()
        moto.stop()
        engine.stop()


def stream_off(bench: BenchStack) -> None:
    """No more stream records for the table: the benchmarks that seed hundreds of thousands of
    items need none (their local server runs without its feed), and DynamoDB Local's writes slow
    as stream records pile up."""
    dynamodb = boto3.client("dynamodb", endpoint_url=bench.dynamodb_endpoint, region_name=stack.LOCAL_REGION)
    described = dynamodb.describe_table(TableName=stack.LOCAL_TABLE)["Table"]
    if described.get("StreamSpecification", {}).get("StreamEnabled"):
        dynamodb.update_table(TableName=stack.LOCAL_TABLE, StreamSpecification={"StreamEnabled": False})
