"""The monthly bill for 100,000 active learners, from measured figures: each endpoint's warm handler
CPU time (bench/results/latency.json), its DynamoDB requests and capacity units (capacity.json),
the functions' cold starts (cold_start.json), a stated traffic mix, and published on-demand prices
(us-east-1, arm64). Memory sizes are compared by scaling the CPU time with the share of a vCPU
Lambda gives each size; the wait for DynamoDB does not scale. Results go to cost.json."""

import json
import statistics
from pathlib import Path
from typing import Any

LEARNERS = 100_000
SESSIONS_PER_LEARNER = 12  # a month: about three a week
# One session: (latency row, capacity route, calls).
SESSION = [
    ("GET /api/courses (100 courses)", "GET /api/courses", 1),
    ("GET /api/courses/{id}/details (10×20)", "GET /api/courses/{courseId}/details", 1),
    ("GET /api/courses/{id}/tracking", "GET /api/courses/{courseId}/tracking", 1),
    ("GET /api/lessons/{id}", "GET /api/lessons/{lessonId}", 3),
    ("GET /api/enrollments (own)", "GET /api/enrollments", 1),
    ("POST /api/lessons/{id}/tracking", "POST /api/lessons/{lessonId}/tracking", 3),
    ("GET /api/lessons/{id}/tracking", "GET /api/lessons/{lessonId}/tracking", 3),
    ("PUT /api/lessons/{id}/tracking/complete (passing)", "PUT /api/lessons/{lessonId}/tracking/complete", 3),
    ("GET /api/users/{u}/lessons/{l}/tracking", "GET /api/users/{userId}/lessons/{lessonId}/tracking", 1),
]
# Prices (USD, us-east-1, on demand, as published in 2026).
LAMBDA_GB_SECOND = 0.0000133334  # arm64
LAMBDA_REQUEST = 0.20 / 1_000_000
HTTP_API_REQUEST = 1.00 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_STORAGE_GB = 0.25
S3_STORAGE_GB = 0.023
S3_GET = 0.0004 / 1_000
DATA_OUT_GB = 0.09
# Stated assumptions beyond the measurements.
TABLE_GB = 5.0  # 100,000 learners' enrollments, tracks and attempts, and the catalogue
MEDIA_GB = 500.0  # documents and images in S3 (videos are external: YouTube, Vimeo)
DOWNLOADS_PER_SESSION = 1
DOWNLOAD_MB = 2.0
DYNAMODB_ROUND_TRIP_MS = 5.0  # in-region, per request: the wait added to the handler's CPU time
COLD_START_SHARE = 0.01  # of calls served by a new execution environment (its start is billed)
FULL_VCPU_MB = 1769  # Lambda gives a whole vCPU at this size, a proportional share below it
MEMORY_SIZES = (128, 256, 512, 768, 1024, 1536, 1769)
P95_TARGET_MS = 100.0


def duration_ms(cpu_ms: float, requests: int, memory: int) -> float:
    """A call's modelled duration at `memory`: its CPU time at that size's share of a vCPU, plus the
    round trips to DynamoDB (which no size shortens)."""
    return cpu_ms * max(1.0, FULL_VCPU_MB / memory) + requests * DYNAMODB_ROUND_TRIP_MS


def model(latency: list[dict[str, Any]], capacity: list[dict[str, Any]], cold: list[dict[str, Any]]) -> dict[str, Any]:
    by_name = {row["endpoint"]: row for row in latency}
    units = {row["route"]: row for row in capacity}
    calls_per_month = LEARNERS * SESSIONS_PER_LEARNER
    requests = sum(calls for _, _, calls in SESSION) * calls_per_month
    # A cold start is CPU-bound (imports): the functions' median, scaled like any CPU time.
    cold_start_ms = statistics.median(row["total_ms"] for row in cold if row["function"] != "Floor")
    reads = writes = 0.0
    for _, route, calls in SESSION:
        used = units[route]["capacity_units"] * calls * calls_per_month
        if route.startswith("GET"):
            reads += used
        else:
            writes += used
    sizes = []
    for memory in MEMORY_SIZES:
        seconds = requests * COLD_START_SHARE * duration_ms(cold_start_ms, 0, memory) / 1000
        worst_p95 = 0.0
        for name, route, calls in SESSION:
            trips = len(units[route]["requests"])
            seconds += duration_ms(by_name[name]["cpu_median_ms"], trips, memory) / 1000 * calls * calls_per_month
            worst_p95 = max(worst_p95, duration_ms(by_name[name]["cpu_p95_ms"], trips, memory))
        lambda_cost = seconds * memory / 1024 * LAMBDA_GB_SECOND + requests * LAMBDA_REQUEST
        sizes.append(
            {
                "memory_mb": memory,
                "lambda_usd": round(lambda_cost, 2),
                "worst_p95_ms": round(worst_p95, 1),
                "cold_start_ms": round(duration_ms(cold_start_ms, 0, memory)),
            }
        )
    within = [size for size in sizes if size["worst_p95_ms"] < P95_TARGET_MS]
    chosen = min(within, key=lambda size: size["lambda_usd"]) if within else None
    downloads_gb = calls_per_month * DOWNLOADS_PER_SESSION * DOWNLOAD_MB / 1000
    fixed = {
        "api_gateway_usd": round(requests * HTTP_API_REQUEST, 2),
        "dynamodb_requests_usd": round(reads * DYNAMODB_READ_UNIT + writes * DYNAMODB_WRITE_UNIT, 2),
        "dynamodb_storage_usd": round(TABLE_GB * DYNAMODB_STORAGE_GB, 2),
        "s3_usd": round(MEDIA_GB * S3_STORAGE_GB + calls_per_month * DOWNLOADS_PER_SESSION * S3_GET, 2),
        "data_out_usd": round(downloads_gb * DATA_OUT_GB, 2),
    }
    return {
        "requests_per_month": requests,
        "read_units": round(reads),
        "write_units": round(writes),
        "cold_start_ms": round(cold_start_ms),
        "memory_sizes": sizes,
        "chosen_memory_mb": chosen["memory_mb"] if chosen else None,
        **fixed,
        "total_usd": round(sum(fixed.values()) + (chosen or sizes[-1])["lambda_usd"], 2),
    }


def run(results: Path) -> dict[str, Any]:
    latency = json.loads((results / "latency.json").read_text())
    capacity = json.loads((results / "capacity.json").read_text())
    cold = json.loads((results / "cold_start.json").read_text())
    return model(latency, capacity, cold)
