"""The plots of docs/PERFORMANCE.md, from bench/results/ (matplotlib, no display needed)."""

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a build machine
import matplotlib.pyplot as plt

from bench.cold_start import TARGET as COLD_START_TARGET
from bench.cost import P95_TARGET_MS
from local.template import ROOT

DOCS = ROOT / "docs"


def _load(results: Path, name: str) -> Any:
    return json.loads((results / f"{name}.json").read_text())


def cold_start(results: Path) -> Path:
    rows = _load(results, "cold_start")
    names = [row["function"].removesuffix("Function") for row in rows]
    figure, axis = plt.subplots(figsize=(9, 4.5))
    axis.bar(names, [row["total_ms"] for row in rows], color=["#888"] + ["#3b7dd8"] * (len(rows) - 1))
    axis.errorbar(
        names,
        [row["total_ms"] for row in rows],
        yerr=[
            [row["total_ms"] - row["total_min_ms"] for row in rows],
            [row["total_max_ms"] - row["total_ms"] for row in rows],
        ],
        fmt="none",
        ecolor="black",
        capsize=3,
    )
    axis.axhline(
        rows[0]["total_ms"] * COLD_START_TARGET, color="#d33", linestyle="--", label=f"{COLD_START_TARGET} × floor"
    )
    axis.set_ylabel("import + first request (ms, median, min–max)")
    axis.set_title("Cold start per function against the floor")
    axis.legend()
    plt.setp(axis.get_xticklabels(), rotation=35, ha="right")
    return _save(figure, "performance-cold-start.png")


def latency(results: Path) -> Path:
    rows = _load(results, "latency")
    names = [row["endpoint"] for row in rows]
    figure, axis = plt.subplots(figsize=(9, 7))
    positions = range(len(rows))
    axis.barh(positions, [row["p99_ms"] for row in rows], color="#cfe0f7", label="p99")
    axis.barh(positions, [row["p95_ms"] for row in rows], color="#8db6ec", label="p95")
    axis.barh(positions, [row["median_ms"] for row in rows], color="#3b7dd8", label="median")
    axis.set_yticks(list(positions), names, fontsize=8)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.axvline(P95_TARGET_MS, color="#d33", linestyle="--", label=f"{P95_TARGET_MS:.0f} ms")
    axis.set_xlabel("warm handler time (ms, log scale)")
    axis.set_title("Warm latency per endpoint (DynamoDB Local)")
    axis.legend(loc="upper right")
    return _save(figure, "performance-latency.png")


def cost(results: Path) -> Path:
    model = _load(results, "cost")
    sizes = model["memory_sizes"]
    labels = [f"{size['memory_mb']} MB" for size in sizes]
    figure, cost_axis = plt.subplots(figsize=(8, 4.5))
    cost_axis.bar(labels, [size["lambda_usd"] for size in sizes], color="#3b7dd8", label="Lambda $ per month")
    cost_axis.set_ylabel("Lambda, USD per month")
    latency_axis = cost_axis.twinx()
    latency_axis.plot(labels, [size["worst_p95_ms"] for size in sizes], color="#d33", marker="o", label="worst p95")
    latency_axis.axhline(P95_TARGET_MS, color="#d33", linestyle="--", linewidth=0.8)
    latency_axis.set_ylabel("worst p95 of a session's endpoints (ms)")
    cost_axis.set_title("100,000 learners: Lambda cost and p95 by memory size")
    return _save(figure, "performance-cost.png")


def lists(results: Path) -> Path:
    rows = [row for row in _load(results, "lists")["rows"] if "page 10" not in row["case"]]
    figure, (time_axis, units_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
    for case in sorted({row["case"] for row in rows}):
        points = sorted((row for row in rows if row["case"] == case), key=lambda row: row["size"])
        sizes = [row["size"] for row in points]
        time_axis.plot(sizes, [row["median_ms"] for row in points], marker="o", label=case)
        units_axis.plot(sizes, [row["capacity_units"] for row in points], marker="o", label=case)
    for axis, label in ((time_axis, "median handler time (ms)"), (units_axis, "read capacity units per page")):
        axis.set_xscale("log")
        axis.set_xlabel("courses or enrollments in the tenant, or learners of the course (log scale)")
        axis.set_ylabel(label)
        axis.set_ylim(bottom=0)
    time_axis.set_title("A page's time against the tenant's size")
    units_axis.set_title("A page's capacity against the tenant's size")
    units_axis.legend(fontsize=7)
    return _save(figure, "performance-lists.png")


def trees(results: Path) -> Path:
    found = _load(results, "trees")
    rows = found["rows"]
    names = [row["case"].removeprefix("details ") for row in rows]
    positions = range(len(rows))
    figure, (time_axis, size_axis) = plt.subplots(1, 2, figsize=(11, 4.5))
    width = 0.4
    time_axis.bar([p - width / 2 for p in positions], [row["first_median_ms"] for row in rows], width,
                  color="#cfa24a", label="first read after a write")  # fmt: skip
    time_axis.bar([p + width / 2 for p in positions], [row["median_ms"] for row in rows], width,
                  color="#3b7dd8", label="warm read")  # fmt: skip
    time_axis.axhline(found["by_id"]["median_ms"] * found["target"], color="#d33", linestyle="--",
                      label=f"{found['target']:.0f} × a course by id")  # fmt: skip
    time_axis.set_yscale("log")
    time_axis.set_ylabel("median handler time (ms, log scale)")
    time_axis.set_title("The course tree: first and warm reads")
    size_axis.bar([p - width / 2 for p in positions], [row["plain_bytes"] / 1e6 for row in rows], width,
                  color="#8db6ec", label="plain")  # fmt: skip
    size_axis.bar([p + width / 2 for p in positions], [row["gzip_bytes"] / 1e6 for row in rows], width,
                  color="#3b7dd8", label="gzip")  # fmt: skip
    size_axis.set_ylabel("answer (MB)")
    size_axis.set_title("The answer, plain and gzip")
    for axis in (time_axis, size_axis):
        axis.set_xticks(list(positions), names)
        axis.set_xlabel("modules × lessons")
        axis.legend(fontsize=8)
    return _save(figure, "performance-trees.png")


def _save(figure: Any, name: str) -> Path:
    path = DOCS / name
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def run(results: Path) -> list[Path]:
    return [cold_start(results), latency(results), lists(results), trees(results), cost(results)]
