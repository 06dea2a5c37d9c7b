"""`make bench`: every benchmark against DynamoDB Local, results in bench/results/ and the tables
and plots of docs/PERFORMANCE.md. `python -m bench lists trees keepalive load` runs only those (the
others' results are kept) and writes the document again; `python -m bench idle` the stack at rest
(it starts stacks of its own)."""

import json
import sys
import uuid

from bench import capacity, cold_start, cost, idle, keepalive, latency, lists, load, package, plots, report, trees
from bench.stack import bench_stack, stream_off
from local import issuer
from local.stack import FunctionHost
from local.template import ROOT
from tests.support.api import Api
from tests.support.world import seed

RESULTS = ROOT / "bench" / "results"


# Those that need only the stack and no stream, run after the others (they seed the most).
ALONE = {"lists": lists.run, "trees": trees.run, "keepalive": keepalive.run}
# Those that need the stream on (the local server feeds it to the projector).
WITH_STREAM = {"load": load.run}


def main(chosen: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    if chosen == ["idle"]:
        (RESULTS / "idle.json").write_text(json.dumps(idle.run(), indent=2) + "\n")
        report.main()
        return
    unknown = set(chosen) - set(ALONE) - set(WITH_STREAM)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; choose among {sorted({*ALONE, *WITH_STREAM})}")
    if chosen:
        with bench_stack() as bench:
            for name in [name for name in chosen if name in WITH_STREAM]:
                (RESULTS / f"{name}.json").write_text(json.dumps(WITH_STREAM[name](), indent=2) + "\n")
            stream_off(bench)
            for name in [name for name in chosen if name in ALONE]:
                (RESULTS / f"{name}.json").write_text(json.dumps(ALONE[name](), indent=2) + "\n")
        plots.run(RESULTS)
        report.main()
        return
    with bench_stack() as bench:
        tenant = f"bench-{uuid.uuid4()}"
        seed(Api(host=FunctionHost(), key=issuer.signing_key(), tenant=tenant, user="bench-admin"))
        cold = cold_start.run(bench, tenant)
        (RESULTS / "cold_start.json").write_text(json.dumps(cold, indent=2) + "\n")
        requests = capacity.run()
        (RESULTS / "capacity.json").write_text(json.dumps(requests, indent=2) + "\n")
        # Load before the realistic tenant: the local server feeds the table's stream to the
        # projector from its start, and 66,000 seeded items would queue ahead of the learners.
        (RESULTS / "load.json").write_text(json.dumps(load.run(), indent=2) + "\n")
        (RESULTS / "latency.json").write_text(json.dumps(latency.run(), indent=2) + "\n")
        stream_off(bench)
        for name, run in ALONE.items():
            (RESULTS / f"{name}.json").write_text(json.dumps(run(), indent=2) + "\n")
    (RESULTS / "idle.json").write_text(json.dumps(idle.run(), indent=2) + "\n")
    (RESULTS / "package.json").write_text(json.dumps(package.run(), indent=2) + "\n")
    (RESULTS / "cost.json").write_text(json.dumps(cost.run(RESULTS), indent=2) + "\n")
    plots.run(RESULTS)
    report.main()
    print(f"wrote {report.DOCUMENT.relative_to(ROOT)} and bench/results/")


if __name__ == "__main__":
    main(sys.argv[1:])
