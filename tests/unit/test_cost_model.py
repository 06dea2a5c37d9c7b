"""The cost model of docs/PERFORMANCE.md (bench/cost.py): CPU time scales with a size's share of a
vCPU, the wait for DynamoDB does not, and the chosen size is the cheapest within the p95 target."""

from typing import Any

import pytest

from bench import cost


def figures(
    cpu_ms: float, cpu_p95_ms: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    latency = [{"endpoint": name, "cpu_median_ms": cpu_ms, "cpu_p95_ms": cpu_p95_ms} for name, _, _ in cost.SESSION]
    capacity = [{"route": route, "requests": ["GetItem"], "capacity_units": 1.0} for _, route, _ in cost.SESSION]
    cold = [{"function": "Floor", "total_ms": 100.0}, {"function": "CoursesFunction", "total_ms": 800.0}]
    return latency, capacity, cold


def test_cpu_time_scales_with_the_share_of_a_vcpu_and_round_trips_do_not():
    assert cost.duration_ms(10, 2, cost.FULL_VCPU_MB) == 10 + 2 * cost.DYNAMODB_ROUND_TRIP_MS
    assert cost.duration_ms(10, 2, 3008) == 10 + 2 * cost.DYNAMODB_ROUND_TRIP_MS  # no more than one vCPU's speed
    assert cost.duration_ms(10, 0, 128) == pytest.approx(10 * cost.FULL_VCPU_MB / 128)


@pytest.mark.parametrize(("cpu_p95_ms", "chosen"), [(2.0, 128), (20.0, 512), (90.0, 1769), (200.0, None)])
def test_the_cheapest_size_within_the_p95_target_is_chosen(cpu_p95_ms, chosen):
    model = cost.model(*figures(cpu_ms=cpu_p95_ms / 2, cpu_p95_ms=cpu_p95_ms))

    assert model["chosen_memory_mb"] == chosen
    costs = [size["lambda_usd"] for size in model["memory_sizes"]]
    assert costs == sorted(costs)  # a CPU-bound call costs about the same; the waits cost more at larger sizes


def test_cold_starts_are_billed_from_the_functions_not_the_floor():
    model = cost.model(*figures(cpu_ms=1.0, cpu_p95_ms=2.0))

    assert model["cold_start_ms"] == 800
    assert (
        next(size for size in model["memory_sizes"] if size["memory_mb"] == cost.FULL_VCPU_MB)["cold_start_ms"] == 800
    )
