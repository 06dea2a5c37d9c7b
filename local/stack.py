"""The local stack's moving parts: environment, AWS stand-ins, resources and function hosts."""

import importlib
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from local import issuer, template

LOCAL_TABLE = "lms"
LOCAL_BUCKET = "lms-media"
LOCAL_REGION = "us-east-1"


def function_environment(jwks_url: str, dynamodb_endpoint: str | None, s3_endpoint: str | None) -> dict[str, str]:
    """The functions' variables as template.yaml sets them, with local values where AWS has resources."""
    document = template.load()
    parameters = document.get("Parameters", {})
    local_values = {
        "TABLE_NAME": LOCAL_TABLE,
        "MEDIA_BUCKET": LOCAL_BUCKET,
        "JWT_ISSUER": issuer.ISSUER,
        "JWT_AUDIENCE": issuer.AUDIENCE,
        "JWKS_URL": jwks_url,
    }
    environment: dict[str, str] = {}
    for name, value in document["Globals"]["Function"]["Environment"]["Variables"].items():
        if name in local_values:
            environment[name] = local_values[name]
        elif isinstance(value, dict) and "Ref" in value and "Default" in parameters.get(value["Ref"], {}):
            environment[name] = str(parameters[value["Ref"]]["Default"])
        elif isinstance(value, str):
            environment[name] = value
        else:
            raise ValueError(f"template.yaml sets {name} to {value}, which has no local value")
    environment.update(
        AWS_REGION=LOCAL_REGION,
        AWS_DEFAULT_REGION=LOCAL_REGION,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - the stand-ins accept any credentials
        POWERTOOLS_TRACE_DISABLED="true",
    )
    if dynamodb_endpoint:
        environment["DYNAMODB_ENDPOINT"] = dynamodb_endpoint
    if s3_endpoint:
        environment["S3_ENDPOINT"] = s3_endpoint
    return environment


def start_aws_stand_ins() -> tuple[str, str, Callable[[], None]]:
    """DynamoDB and S3 endpoints (an embedded moto server on a free port, unless DYNAMODB_ENDPOINT
    and S3_ENDPOINT already point elsewhere) and how to stop what was started."""
    dynamodb_endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    s3_endpoint = os.environ.get("S3_ENDPOINT")
    if dynamodb_endpoint and s3_endpoint:
        return dynamodb_endpoint, s3_endpoint, lambda: None
    from moto.server import ThreadedMotoServer  # only the local stack needs moto

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise here
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    return dynamodb_endpoint or endpoint, s3_endpoint or endpoint, moto.stop


def serve_jwks(document: Mapping[str, Any]) -> ThreadingHTTPServer:
    """A loopback server publishing `document` as the issuer's JWKS (its URL: `jwks_url(server)`)."""
    body = json.dumps(document).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def jwks_url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"


def create_resources(dynamodb_endpoint: str | None, s3_endpoint: str | None) -> None:
    """The table (from the template's own definition) and the media bucket, unless they exist."""
    dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name=LOCAL_REGION)
    if LOCAL_TABLE not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(TableName=LOCAL_TABLE, **template.table_definition())
        dynamodb.get_waiter("table_exists").wait(TableName=LOCAL_TABLE)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=LOCAL_REGION)
    if LOCAL_BUCKET not in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=LOCAL_BUCKET)


MEDIA_EVENTS_QUEUE = "lms-media-events"
REGISTRATION_FUNCTION = "MediaRegistrationFunction"


def s3_event_rules(function: str = REGISTRATION_FUNCTION) -> tuple[list[str], list[dict[str, str]]]:
    """The S3 events and key filter rules template.yaml subscribes the function to."""
    properties = template.load()["Resources"][function]["Properties"]
    trigger = next(event["Properties"] for event in properties["Events"].values() if event["Type"] == "S3")
    events = trigger["Events"] if isinstance(trigger["Events"], list) else [trigger["Events"]]
    rules = trigger.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    return events, [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]


def subscribe_media_events(endpoint: str) -> str:
    """moto cannot invoke a Lambda without Docker, but it can notify an SQS queue: subscribe one
    to the bucket as template.yaml subscribes the registration function. Returns the queue URL."""
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=LOCAL_REGION)
    queue_url = sqs.create_queue(QueueName=MEDIA_EVENTS_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events, rules = s3_event_rules()
    boto3.client("s3", endpoint_url=endpoint, region_name=LOCAL_REGION).put_bucket_notification_configuration(
        Bucket=LOCAL_BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": queue_arn, "Events": events, "Filter": {"Key": {"FilterRules": rules}}}  # type: ignore[list-item,misc]
            ]
        },
    )
    return queue_url


class MediaEventBridge(threading.Thread):
    """Hands each S3 event from the queue to the registration function's real handler, as the
    S3 trigger does in AWS; a failed event stays in the queue and comes back."""

    def __init__(self, host: "FunctionHost", endpoint: str, queue_url: str) -> None:
        super().__init__(name="media-event-bridge", daemon=True)
        self.host, self.queue_url = host, queue_url
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=LOCAL_REGION)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                event = json.loads(message["Body"])
                if "Records" in event:  # not S3's "s3:TestEvent"
                    try:
                        self.host.invoke(REGISTRATION_FUNCTION, event)
                    except Exception:
                        logging.getLogger(__name__).exception("Media registration failed; the event will come back")
                        continue
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


@dataclass(frozen=True)
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass
class FunctionHost:
    """Imports each function's real handler on first use and runs one event at a time per function,
    as one Lambda execution environment does (handlers keep per-request state on the resolver)."""

    functions: Mapping[str, template.Function] = field(default_factory=template.functions)
    _handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        with self._guard:
            if logical_id not in self._handlers:
                spec = self.functions[logical_id]
                self._handlers[logical_id] = getattr(importlib.import_module(spec.module), spec.attribute)
                self._locks[logical_id] = threading.Lock()
        context = LambdaContext(
            function_name=logical_id, aws_request_id=event.get("requestContext", {}).get("requestId", "")
        )
        with self._locks[logical_id]:
            return self._handlers[logical_id](event, context)


def apply_environment(environment: Mapping[str, str]) -> None:
    os.environ.update(environment)
