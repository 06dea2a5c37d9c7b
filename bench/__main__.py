"""`make bench`: every benchmark against DynamoDB Local, results in bench/results/ and the tables
and plots of docs/PERFORMANCE.md."""

import json
import uuid

from bench import capacity, cold_start, cost, latency, load, package, plots, report
from bench.stack import bench_stack
from local import issuer
from local.stack import FunctionHost
from local.template import ROOT
from tests.support.api import Api
from tests.support.world import seed

RESULTS = ROOT / "bench" / "results"


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
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
        rows, trees = latency.run()
        (RESULTS / "latency.json").write_text(json.dumps(rows, indent=2) + "\n")
        (RESULTS / "tree.json").write_text(json.dumps(trees, indent=2) + "\n")
    (RESULTS / "package.json").write_text(json.dumps(package.run(), indent=2) + "\n")
    (RESULTS / "cost.json").write_text(json.dumps(cost.run(RESULTS), indent=2) + "\n")
    plots.run(RESULTS)
    report.main()
    print(f"wrote {report.DOCUMENT.relative_to(ROOT)} and bench/results/")


if __name__ == "__main__":
    main()
