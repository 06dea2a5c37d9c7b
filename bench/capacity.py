"""The DynamoDB requests of every endpoint and the capacity they consume, as DynamoDB Local
reports it: each file in events/ is replayed through its real handler over a freshly seeded
world, with every request asked to return its consumed capacity (CapacityMeter). Results go to
bench/results/capacity.json."""

import uuid
from typing import Any

from local import issuer
from local.stack import FunctionHost
from shared.repository.metering import CapacityMeter
from tests.support.api import Api, route_for
from tests.support.world import EVENT_FILES, event_from_file, seed


def run() -> list[dict[str, Any]]:
    host = FunctionHost()
    key = issuer.signing_key()
    results: list[dict[str, Any]] = []
    for path in EVENT_FILES:
        api = Api(host=host, key=key, tenant=f"bench-{uuid.uuid4()}", user="bench-admin")
        seed(api)
        event = event_from_file(path, token=api.token())
        route, _ = route_for(event["requestContext"]["http"]["method"], event["rawPath"])
        with CapacityMeter() as meter:
            response = api.send(route.function, event)
        results.append(
            {
                "file": str(path.relative_to(path.parents[1])),
                "route": event["routeKey"],
                "status": response.status,
                "requests": [name for name, _ in meter.calls],
                "capacity_units": meter.units,
            }
        )
    return results
