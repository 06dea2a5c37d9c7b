"""A request on a kept-alive connection against one on a new connection, over `make run`'s HTTP:
`GET /api/courses?limit=1`, the two kinds alternating so that the machine's drift falls on both.
Before issue 14 the local server wrote a response's head and body apart with Nagle's algorithm
on, and every keep-alive response waited about 40 ms for the client's delayed ACK. Results go to
bench/results/keepalive.json."""

import statistics
import uuid
from typing import Any

from bench.http import Client, local_server
from local import issuer

SAMPLES = 60
TARGET = 1.0  # a kept-alive request is no slower than one on a new connection


def run() -> dict[str, Any]:
    tenant = f"bench-keepalive-{uuid.uuid4()}"
    token = issuer.mint("admin", tenant, "bench-admin")
    with local_server() as (address, port):
        kept, fresh = Client(address, port, token), Client(address, port, token)
        for _ in range(5):
            kept.get("/api/courses?limit=1")
            fresh.get("/api/courses?limit=1", keep_alive=False)
        timings: dict[str, list[float]] = {"keep_alive": [], "new_connection": []}
        for _ in range(SAMPLES):
            timings["keep_alive"].append(kept.get("/api/courses?limit=1").milliseconds)
            timings["new_connection"].append(fresh.get("/api/courses?limit=1", keep_alive=False).milliseconds)
    medians = {kind: round(statistics.median(samples), 2) for kind, samples in timings.items()}
    return {
        "samples": SAMPLES,
        "median_ms": medians,
        "ratio": round(medians["keep_alive"] / medians["new_connection"], 2),
        "target": TARGET,
    }
