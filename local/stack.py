"""The local stack's moving parts: environment, AWS stand-ins, resources and function hosts."""

import importlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import boto3

from local import issuer, template
from shared.clock import utc_now
from shared.repository.marks import mark_new_table

LOCAL_TABLE = "lms"
LOCAL_IDEMPOTENCY_TABLE = "lms-idempotency"
LOCAL_BUCKET = "lms-media"
LOCAL_EVENT_BUS = "lms-events"
LOCAL_REGION = "us-east-1"


def function_environment(jwks_url: str, dynamodb_endpoint: str | None, s3_endpoint: str | None) -> dict[str, str]:
    """The functions' variables as template.yaml sets them, with local values where AWS has resources."""
    document = template.load()
    parameters = document.get("Parameters", {})
    local_values = {
        "TABLE_NAME": LOCAL_TABLE,
        "IDEMPOTENCY_TABLE_NAME": LOCAL_IDEMPOTENCY_TABLE,
        "MEDIA_BUCKET": LOCAL_BUCKET,
        "EVENT_BUS_NAME": LOCAL_EVENT_BUS,
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
    if s3_endpoint:  # the moto server, which serves EventBridge beside S3
        environment["S3_ENDPOINT"] = environment["EVENTS_ENDPOINT"] = s3_endpoint
    return environment


def start_aws_stand_ins() -> tuple[str, str, Callable[[], None]]:
    """DynamoDB and S3 endpoints (an embedded moto server on a free port, unless DYNAMODB_ENDPOINT
    and S3_ENDPOINT already point elsewhere) and how to stop what was started."""
    dynamodb_endpoint = os.environ.get("DYNAMODB_ENDPOINT")
    s3_endpoint = os.environ.get("S3_ENDPOINT")
    if dynamodb_endpoint and s3_endpoint:
        return dynamodb_endpoint, s3_endpoint, lambda: None
    from local.moto_transactions import MotoServer, one_backup_per_table  # only the local stack needs moto

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise here
    transactions = one_backup_per_table()
    transactions.__enter__()  # the server runs in this process: its transactions copy a table once
    moto = MotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    def stop() -> None:
        moto.stop()
        transactions.__exit__(None, None, None)

    return dynamodb_endpoint or endpoint, s3_endpoint or endpoint, stop


def serve_jwks(document: Mapping[str, Any]) -> ThreadingHTTPServer:
    """A loopback server publishing `document` as the issuer's JWKS (its URL: `jwks_url(server)`),
    as it is at each request (a test rotates keys by changing it)."""

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(document).encode()
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


def create_tables(dynamodb_endpoint: str | None, names: Mapping[str, str]) -> set[str]:
    """Each table of the template (logical id → local name) from its own definition, unless it
    exists. The logical ids of those created."""
    dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name=LOCAL_REGION)
    existing = dynamodb.list_tables()["TableNames"]
    created = set()
    for logical_id, name in names.items():
        if name not in existing:
            dynamodb.create_table(TableName=name, **template.table_definition(logical_id))
            dynamodb.get_waiter("table_exists").wait(TableName=name)
            created.add(logical_id)
    return created


def create_resources(dynamodb_endpoint: str | None, s3_endpoint: str | None) -> str:
    """The tables, the media bucket and the event bus, unless they exist. Returns the URL of the
    queue that records the bus's events. A table made here holds nothing an earlier version
    wrote, so its lists are ready at once (a table that was there may need the backfill)."""
    created = create_tables(dynamodb_endpoint, {"LmsTable": LOCAL_TABLE, "IdempotencyTable": LOCAL_IDEMPOTENCY_TABLE})
    if "LmsTable" in created:
        mark_new_table(utc_now())
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name=LOCAL_REGION)
    if LOCAL_BUCKET not in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=LOCAL_BUCKET)
    return record_events(s3_endpoint, LOCAL_EVENT_BUS)


# How long a queue's consumer waits for a message before it asks again (SQS long polling).
LONG_POLL_SECONDS = 10


class Worker(threading.Thread):
    """A background loop of the local stack: `step` every `interval` seconds until stopped; a
    failed step is logged and tried again. A step that finds nothing to do (it returns False)
    doubles the wait before the next, up to `idle_interval`, so an idle stack stays quiet; one
    that finds work brings the wait back to `interval`."""

    interval = 0.2
    idle_interval = 0.2

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.stopping, self.waking = threading.Event(), threading.Event()
        self.wait = self.interval

    def step(self) -> bool | None:
        raise NotImplementedError

    def wake(self) -> None:
        """Step now rather than at the end of the wait: there may be work."""
        self.wait = self.interval
        self.waking.set()

    def run(self) -> None:
        failing = False
        while not self.stopping.is_set():
            self.waking.wait(self.wait)
            self.waking.clear()
            if not self.stopping.is_set():
                failing = self.attempt(failing)

    def _paced(self, busy: bool | None) -> None:
        self.wait = self.interval if busy is not False else min(max(self.wait, 0.05) * 2, self.idle_interval)

    def attempt(self, failing: bool) -> bool:
        """One step; whether it failed. A failure is logged when it starts, with its cause, and
        its end once a step works again: not once per try."""
        log = logging.getLogger(__name__)
        try:
            self._paced(self.step())
        except Exception:
            if self.stopping.is_set():  # its stand-in went away as the stack stopped
                return failing
            if not failing:
                log.exception("%s cannot go on; trying again every %.1f s", self.name, self.interval)
            return True
        if failing:
            log.warning("%s works again", self.name)
        return False

    def stop(self) -> None:
        """Stop it; a loop that is waiting on a long poll is not waited for (it ends with the process,
        or when its wait does)."""
        self.stopping.set()
        self.waking.set()
        self.join(timeout=5 if self.interval else 0.1)


def record_events(endpoint: str | None, bus: str) -> str:
    """The event bus, with a rule sending every domain event to a queue where they can be read
    (locally there is no certificate issuer or mailer to receive them). Returns the queue URL."""
    events = boto3.client("events", endpoint_url=endpoint, region_name=LOCAL_REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=LOCAL_REGION)
    if bus not in {existing["Name"] for existing in events.list_event_buses()["EventBuses"]}:
        events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"{bus}-recorded")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="record-every-event", EventBusName=bus, EventPattern=json.dumps({"source": ["lms"]}))
    events.put_targets(Rule="record-every-event", EventBusName=bus, Targets=[{"Id": "recorder", "Arn": queue_arn}])
    return queue_url


class EventRecorder(Worker):
    """Keeps every event published on the local bus, in order (`make run` serves them at /local/events)."""

    interval = 0  # the receive itself waits: long polling, as an idle consumer of SQS does

    def __init__(self, endpoint: str | None, queue_url: str) -> None:
        super().__init__("event-recorder")
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=LOCAL_REGION)
        self.queue_url = queue_url
        self.events: list[dict[str, Any]] = []
        self._draining = threading.Lock()

    def drain(self) -> list[dict[str, Any]]:
        """Move what the queue holds into `events`; returns all recorded so far."""
        with self._draining:  # the server's readers and the loop, one at a time
            self._move_received()
        return list(self.events)

    def _move_received(self) -> None:
        while received := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            self._keep(received)

    def _keep(self, received: list[Any]) -> None:
        for message in received:
            self.events.append(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def step(self) -> bool:
        # The wait happens outside the lock, so a reader's drain is answered at once meanwhile.
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=LONG_POLL_SECONDS
        ).get("Messages", [])
        with self._draining:
            self._keep(received)
        return bool(received)


PROJECTOR_FUNCTION = "StreamProjectorFunction"


class StreamFeed(Worker):
    """Feeds the table's stream to the StreamProjector's real handler, as Lambda's event source
    mapping does: every shard from its oldest record, a batch at a time, and a batch whose record
    failed is offered again from that record.

    Each pump asks for a fresh iterator after the last record it handled, rather than keeping
    one: moto replaces a table's stream shard by a copy when it cancels a transaction, and an
    iterator kept from before would read the old shard, empty, for ever."""

    def __init__(self, host: "Host", dynamodb_endpoint: str | None, table: str) -> None:
        super().__init__("stream-feed")
        self.host, self.table = host, table
        self.dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name=LOCAL_REGION)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=dynamodb_endpoint, region_name=LOCAL_REGION)
        self.handled: dict[str, str] = {}  # shard id -> sequence number of the last record handled
        self.filters = template.stream_filters(PROJECTOR_FUNCTION)  # read once, not per record

    def _iterator(self, stream_arn: str, shard_id: str) -> str | None:
        last = self.handled.get(shard_id)
        if last is None:
            found = self.streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        else:
            found = self.streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=last
            )
        return found.get("ShardIterator")

    def pump(self) -> int:
        """Hand every record not yet handled to the projector; how many were handled."""
        stream_arn = self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        handled = 0
        for shard in self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"].get("Shards", []):
            shard_id = shard["ShardId"]
            iterator = self._iterator(stream_arn, shard_id)
            while iterator and not self.stopping.is_set():  # a stack stopping leaves the rest
                page = self.streams.get_records(ShardIterator=iterator, Limit=100)
                records = [_lambda_record(record, stream_arn) for record in page["Records"]]
                if not records:
                    break
                # Lambda drops the records no filter of the template admits (they count as handled).
                delivered = [record for record in records if self._admitted(record)]
                answer = self.host.invoke(PROJECTOR_FUNCTION, {"Records": delivered}) if delivered else {}
                failures = answer.get("batchItemFailures")
                sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
                # Those before the first failure are done; it is offered again at the next pump.
                done = sequence_numbers.index(failures[0]["itemIdentifier"]) if failures else len(records)
                if done:
                    self.handled[shard_id] = sequence_numbers[done - 1]
                    handled += done
                if failures:
                    break
                iterator = page.get("NextShardIterator")
        return handled

    def _admitted(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(matches_filter(pattern, record) for pattern in self.filters)

    # Every pump asks DynamoDB for the table, its stream and each shard. The functions' host wakes
    # the feed after each invocation (a write's records are handed on at once); otherwise an idle
    # feed looks every 10 s, for writes of another process (`make invoke` on the stack's data).
    idle_interval = 10.0

    def step(self) -> bool:
        return self.pump() > 0


def matches_filter(pattern: Any, value: Any) -> bool:
    """Lambda's event filtering, as far as the template's patterns go: each key of an object must
    be there and match, and a list names the values allowed. A construct beyond that (`exists`,
    `prefix`, numbers) is refused rather than guessed at."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and matches_filter(part, value[key]) for key, part in pattern.items()
        )
    if isinstance(pattern, list) and not any(isinstance(allowed, dict | list) for allowed in pattern):
        return value in pattern
    raise ValueError(f"The local stack does not understand the filter pattern {pattern!r}.")


def _lambda_record(record: Any, stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it (the SDK gives the creation time as a datetime)."""
    change = dict(record["dynamodb"])
    if isinstance(change.get("ApproximateCreationDateTime"), datetime):
        change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
    return {**record, "dynamodb": change, "eventSourceARN": stream_arn}


class Schedule(Worker):
    """Runs a scheduled function as its Schedule event does in AWS, with EventBridge's scheduled
    event, every `every` seconds (the template's rate, or SCHEDULE_EVERY): the first run one
    interval after the start. `make invoke` runs it at once."""

    def __init__(self, host: "Host", function: str, every: float) -> None:
        self.interval = self.idle_interval = every  # before the first wait is set from it
        super().__init__(f"schedule-{function}")
        self.host, self.function = host, function

    def step(self) -> None:
        answer = self.host.invoke(self.function, scheduled_event(self.function, utc_now()))
        logging.getLogger(__name__).info("%s ran on its schedule: %s", self.function, json.dumps(answer))


def scheduled_event(function: str, at: str) -> dict[str, Any]:
    """EventBridge's event for a scheduled rule, at `at`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": at,
        "region": LOCAL_REGION,
        "resources": [f"arn:aws:events:{LOCAL_REGION}:000000000000:rule/lms-{function}"],
        "detail": {},
    }


def schedules(host: "Host", every: float | None) -> list[Schedule]:
    """A Schedule for each function the template schedules, at its rate unless `every` is given."""
    return [
        Schedule(host, name, every or template.rate_seconds(spec.schedule))
        for name, spec in host.functions.items()
        if spec.schedule
    ]


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


class MediaEventBridge(Worker):
    """Hands each S3 event from the queue to the registration function's real handler, as the
    S3 trigger does in AWS; a failed event stays in the queue and comes back."""

    interval = 0  # the receive itself waits for messages

    def __init__(self, host: "Host", endpoint: str, queue_url: str) -> None:
        super().__init__("media-event-bridge")
        self.host, self.queue_url = host, queue_url
        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=LOCAL_REGION)

    def step(self) -> None:
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=LONG_POLL_SECONDS
        )
        for message in received.get("Messages", []):
            event = json.loads(message["Body"])
            if "Records" in event:  # not S3's "s3:TestEvent"
                try:
                    self.host.invoke(REGISTRATION_FUNCTION, event)
                except Exception:
                    logging.getLogger(__name__).exception("Media registration failed; the event will come back")
                    continue
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass(frozen=True)
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads, with the function's own memory
    size and a clock running down from its timeout, as template.yaml sets them."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str = ""
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


class Host(Protocol):
    """What runs the functions' handlers: a FunctionHost in this process, or `make run`'s
    execution environments (local.environments)."""

    functions: Mapping[str, template.Function]
    # Told after each invocation but the projector's own (it may have written: the stream feed).
    after_invocation: list[Callable[[], None]]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class FunctionHost:
    """Imports each function's real handler on first use and runs it in this process, one event
    at a time across all functions: the tests' host and `make invoke`'s (`make run` gives each
    function processes of its own, local.environments). Not one at a time per function:
    Powertools keeps the current event on a class attribute every resolver in the process shares
    (`BaseRouter.current_event`), so two functions running at once in one process would read each
    other's requests (found by the load benchmark: a caller answered with another's identity)."""

    functions: Mapping[str, template.Function] = field(default_factory=template.functions)
    _handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = field(default_factory=dict)
    _serving: threading.Lock = field(default_factory=threading.Lock)
    after_invocation: list[Callable[[], None]] = field(default_factory=list)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        spec = self.functions[logical_id]
        request_id = event.get("requestContext", {}).get("requestId") or str(uuid.uuid4())
        try:
            with self._serving:
                context = LambdaContext(logical_id, request_id, spec.memory_size, spec.timeout)
                if logical_id not in self._handlers:
                    self._handlers[logical_id] = getattr(importlib.import_module(spec.module), spec.attribute)
                return self._handlers[logical_id](event, context)
        finally:
            tell_after_invocation(logical_id, self.after_invocation)


def tell_after_invocation(logical_id: str, listeners: list[Callable[[], None]]) -> None:
    """A host's listeners, after an invocation of any function but the projector (whose own
    writes the stream feed need not look for)."""
    if logical_id != PROJECTOR_FUNCTION:
        for listener in listeners:
            listener()


def apply_environment(environment: Mapping[str, str]) -> None:
    os.environ.update(environment)
