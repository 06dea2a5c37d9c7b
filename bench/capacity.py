"""The DynamoDB requests of every endpoint and the capacity they consume, as DynamoDB Local
reports it: each file in events/ is replayed through its real handler over a freshly seeded
world, with every request asked to return its consumed capacity (a botocore hook on PynamoDB's
client). Results go to bench/results/capacity.json."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection.base import Connection

from local import issuer
from local.stack import FunctionHost
from tests.support.api import Api, route_for
from tests.support.world import EVENT_FILES, event_from_file, seed

CAPACITY_OPERATIONS = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
}  # fmt: skip


@dataclass
class CapacityMeter:
    """Records each DynamoDB call and the capacity units it consumed. PynamoDB keeps a botocore
    client per model class and thread, so the meter wraps the one funnel they all share,
    PynamoDB's `Connection._make_api_call` (in the benchmark only)."""

    calls: list[tuple[str, float]] = field(default_factory=list)

    def install(self) -> None:
        make_api_call = Connection._make_api_call
        meter = self

        def metered(connection: Connection, operation: str, params: dict[str, Any]) -> Any:
            if operation in CAPACITY_OPERATIONS:
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            parsed = make_api_call(connection, operation, params)
            meter.record(operation, parsed)
            return parsed

        setattr(Connection, "_make_api_call", metered)  # noqa: B010 - a deliberate patch

    def record(self, operation: str, parsed: dict[str, Any]) -> None:
        consumed = parsed.get("ConsumedCapacity") or []
        entries = consumed if isinstance(consumed, list) else [consumed]
        self.calls.append((operation, sum(float(entry.get("CapacityUnits", 0)) for entry in entries)))


def run() -> list[dict[str, Any]]:
    host, meter = FunctionHost(), CapacityMeter()
    key = issuer.signing_key()
    meter.install()
    results: list[dict[str, Any]] = []
    for path in EVENT_FILES:
        api = Api(host=host, key=key, tenant=f"bench-{uuid.uuid4()}", user="bench-admin")
        seed(api)
        event = event_from_file(path, token=api.token())
        route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])
        meter.calls.clear()
        response = api.send(route.function, event)
        results.append(
            {
                "file": str(path.relative_to(path.parents[1])),
                "route": event["routeKey"],
                "status": response.status,
                "requests": [name for name, _ in meter.calls],
                "capacity_units": round(sum(units for _, units in meter.calls), 2),
            }
        )
    return results
