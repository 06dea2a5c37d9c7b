"""The course tree at 10×10, 50×20, 200×5 and 100×50 modules × lessons: the first read after a
write (the tree built from the course's structure and stored) and warm reads (the stored
document), in this process and over `make run`'s HTTP (plain and gzip), with the answer's size
plain and gzip, the DynamoDB requests and the capacity consumed; `GET /api/courses/{id}` is
measured alongside as the yardstick. Results go to bench/results/trees.json."""

import statistics
from typing import Any

from bench.http import Client, local_server
from bench.latency import Caller, Tenant, percentiles, seed_course
from bench.seeding import Seeder
from local import issuer
from local.stack import FunctionHost
from shared.repository.metering import CapacityMeter

SHAPES = ((10, 10), (50, 20), (200, 5), (100, 50))
WARM_SAMPLES, FIRST_SAMPLES, HTTP_SAMPLES = 40, 8, 20
# Target: the tree at 50×20 and at 200×5 costs at most this much more than one course by id.
TARGET, TARGET_SHAPES = 3.0, ((50, 20), (200, 5))


def _timed(caller: Caller, path: str, samples: int, before: Any = None) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for index in range(samples):
        if before:
            before(index)
        timing = caller.time("GET", path)
        walls.append(timing.wall_ms)
        cpus.append(timing.cpu_ms)
    return walls, cpus


def _metered(caller: Caller, path: str, before: Any = None) -> dict[str, Any]:
    if before:
        before(-1)
    with CapacityMeter() as meter:
        caller.time("GET", path)
    return {"requests": [operation for operation, _ in meter.calls], "capacity_units": meter.units}


def run() -> dict[str, Any]:
    host = FunctionHost()
    tenant = Tenant("bench-trees")
    admin = Caller(host, tenant.name, "admin", "bench-admin")
    rows: list[dict[str, Any]] = []
    courses: dict[tuple[int, int], str] = {}
    for modules, lessons in SHAPES:
        with Seeder(tenant.name) as seeder:
            courses[(modules, lessons)] = seed_course(tenant, modules, lessons, seeder)
    yardstick = f"/api/courses/{courses[SHAPES[0]]}"
    for _ in range(3):
        admin.time("GET", yardstick)
    walls, cpus = _timed(admin, yardstick, WARM_SAMPLES)
    by_id = {"case": "GET /api/courses/{id}", **percentiles(walls), **percentiles(cpus, "cpu_"),
             **_metered(admin, yardstick)}  # fmt: skip
    for (modules, lessons), course_id in courses.items():
        path = f"/api/courses/{course_id}/details"

        def changed(index: int, course_id: str = course_id) -> None:  # a write that marks the tree changed
            admin.time("PUT", f"/api/courses/{course_id}", body={"shortDescription": f"Revision {index}"})

        first_walls, first_cpus = _timed(admin, path, FIRST_SAMPLES, before=changed)
        first = _metered(admin, path, before=changed)
        for _ in range(3):
            admin.time("GET", path)
        walls, cpus = _timed(admin, path, WARM_SAMPLES)
        rows.append(
            {
                "case": f"details {modules}×{lessons}",
                "modules": modules,
                "lessons_per_module": lessons,
                "links": modules * lessons,
                **percentiles(walls),
                **percentiles(cpus, "cpu_"),
                **_metered(admin, path),
                "first_median_ms": round(statistics.median(first_walls), 2),
                "first_cpu_median_ms": round(statistics.median(first_cpus), 2),
                "first_requests": first["requests"],
                "first_capacity_units": first["capacity_units"],
            }
        )
    with local_server() as (address, port):
        client = Client(address, port, issuer.mint("admin", tenant.name, "bench-admin"))
        paths = [yardstick, *(f"/api/courses/{course_id}/details" for course_id in courses.values())]
        for gzip_ in (False, True):
            for path in paths:
                for _ in range(3):
                    client.get(path, gzip_=gzip_)
            # Round by round, every tree beside the yardstick: a drift of the machine's speed
            # during the run moves both sides of a ratio alike.
            answers: list[list[Any]] = [[] for _ in paths]
            for _ in range(HTTP_SAMPLES):
                for index, path in enumerate(paths):
                    answers[index].append(client.get(path, gzip_=gzip_))
            suffix = "gzip" if gzip_ else "plain"
            for row, found in zip([by_id, *rows], answers, strict=True):
                row[f"http_{suffix}_median_ms"] = round(statistics.median(a.milliseconds for a in found), 2)
                row[f"{suffix}_bytes"] = len(found[-1].body)
    keys = ("median_ms", "http_plain_median_ms", "http_gzip_median_ms")
    ratios = {
        row["case"]: {key.removesuffix("_ms"): round(row[key] / by_id[key], 2) for key in keys}
        for row in rows
        if (row["modules"], row["lessons_per_module"]) in TARGET_SHAPES
    }
    return {"by_id": by_id, "rows": rows, "ratios": ratios, "target": TARGET}
