"""docs/PERFORMANCE.md from the results in bench/results/ (written by `make bench`)."""

import json
from typing import Any

from bench import cold_start
from local.template import ROOT

RESULTS = ROOT / "bench" / "results"
DOCUMENT = ROOT / "docs" / "PERFORMANCE.md"
COLD_START_TARGET = cold_start.TARGET


def _cold_start_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| function | import (ms) | first request (ms) | total, median (ms) | min–max (ms) | × floor "
        "| compiling, without bytecode (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        mark = "" if row["ratio_to_floor"] <= COLD_START_TARGET else " ⚠"
        lines.append(
            f"| {row['function']} | {row['import_ms']:.0f} | {row['first_request_ms']:.0f} | {row['total_ms']:.0f} "
            f"| {row['total_min_ms']:.0f}–{row['total_max_ms']:.0f} | {row['ratio_to_floor']:.2f}{mark} "
            f"| {row['compile_ms']:.0f} |"
        )
    return "\n".join(lines)


def _capacity_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| endpoint (event file) | status | requests | capacity units |", "|---|---:|---|---:|"]
    for row in rows:
        requests = " + ".join(row["requests"]) or "–"
        lines.append(f"| `{row['route']}` ({row['file']}) | {row['status']} | {requests} | {row['capacity_units']} |")
    return "\n".join(lines)


def _latency_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| endpoint | median (ms) | p95 (ms) | p99 (ms) | CPU median (ms) | CPU p95 (ms) | samples |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['endpoint']} | {row['median_ms']} | {row['p95_ms']} | {row['p99_ms']} "
            f"| {row['cpu_median_ms']} | {row['cpu_p95_ms']} | {row['samples']} |"
        )
    return "\n".join(lines)


def _lists_section(lists: dict[str, Any]) -> str:
    table = [
        "| list | size | requests | capacity units | median (ms) | CPU median (ms) | over HTTP, median (ms) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in sorted(lists["rows"], key=lambda row: (row["case"].split(",")[0], row["case"], row["size"])):
        table.append(
            f"| {row['case']} | {row['size']:,} | {' + '.join(row['requests'])} | {row['capacity_units']} "
            f"| {row['median_ms']} | {row['cpu_median_ms']} | {row['http_median_ms']} |"
        )
    ratios = [
        "| list | largest ÷ smallest: median | over HTTP | capacity units |",
        "|---|---:|---:|---:|",
    ]
    over = []
    for case, ratio in lists["ratios"].items():
        worst = max(ratio["median"], ratio["http_median"])
        mark = "" if worst <= lists["target"] else " ⚠"
        if mark:
            over.append(case)
        ratios.append(f"| {case} | {ratio['median']}{mark} | {ratio['http_median']} | {ratio['capacity']} |")
    verdict = (
        f"Every first page at the largest size is within {lists['target']}× of the same at the smallest."
        if not over
        else f"Over {lists['target']}× in this run: {', '.join(over)}."
    )
    return "\n".join(table) + "\n\n" + "\n".join(ratios) + "\n\n" + verdict


def _trees_section(trees: dict[str, Any]) -> str:
    by_id = trees["by_id"]
    table = [
        "| read | links | warm: median, p95 (ms) | CPU (ms) | requests, units | first read after a write: median (ms) "
        "| CPU (ms) | requests, units | over HTTP, plain / gzip (ms) | answer, plain / gzip |",
        "|---|---:|---:|---:|---|---:|---:|---|---:|---:|",
        f"| `GET /api/courses/{{id}}` | – | {by_id['median_ms']}, {by_id['p95_ms']} | {by_id['cpu_median_ms']} "
        f"| {' + '.join(by_id['requests'])}, {by_id['capacity_units']} | – | – | – "
        f"| {by_id['http_plain_median_ms']} / {by_id['http_gzip_median_ms']} | {_size(by_id['plain_bytes'])} |",
    ]
    for row in trees["rows"]:
        table.append(
            f"| {row['case']} | {row['links']:,} | {row['median_ms']}, {row['p95_ms']} | {row['cpu_median_ms']} "
            f"| {' + '.join(row['requests'])}, {row['capacity_units']} | {row['first_median_ms']} "
            f"| {row['first_cpu_median_ms']} | {' + '.join(row['first_requests'])}, {row['first_capacity_units']} "
            f"| {row['http_plain_median_ms']} / {row['http_gzip_median_ms']} "
            f"| {_size(row['plain_bytes'])} / {_size(row['gzip_bytes'])} |"
        )
    ratios = ["| tree | ÷ by id: median | over HTTP, plain | over HTTP, gzip |", "|---|---:|---:|---:|"]
    over = []
    for case, ratio in trees["ratios"].items():
        mark = "" if max(ratio.values()) <= trees["target"] else " ⚠"
        if mark:
            over.append(case)
        http = f"{ratio['http_plain_median']} | {ratio['http_gzip_median']}"
        ratios.append(f"| {case} | {ratio['median']}{mark} | {http} |")
    verdict = (
        f"The warm tree at {' and '.join(trees['ratios'])} is within {trees['target']}× of a course by id."
        if not over
        else f"Over {trees['target']}× in this run: {', '.join(over)}."
    )
    return "\n".join(table) + "\n\n" + "\n".join(ratios) + "\n\n" + verdict


def _keepalive_summary(keepalive: dict[str, Any]) -> str:
    medians = keepalive["median_ms"]
    verdict = "no slower than" if keepalive["ratio"] <= keepalive["target"] else "slower than ⚠"
    return (
        f"{keepalive['samples']} of each, alternating: on a kept-alive connection {medians['keep_alive']} ms, "
        f"on a new connection {medians['new_connection']} ms (median): a kept-alive request is {verdict} one on "
        f"a new connection (ratio {keepalive['ratio']})."
    )


def _load_summary(load: dict[str, Any]) -> str:
    alone, overall, inside = load["alone"], load["overall"], load["in_function"]
    environments = ", ".join(f"{name} {count}" for name, count in sorted(load["environments"].items()))
    lines = [
        f"{load['users']} learners for {load['seconds']} s: {load['requests']} requests "
        f"({load['requests_per_second']} per second), {load['journeys']} complete passes over the course's "
        f"lessons, **{load['error_count']} errors**, **{len(load['lost_updates'])} lost updates**.",
        "",
        "| requests | count | median (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|",
        f"| one learner alone (baseline) | {alone['requests']} | {alone['median_ms']} | {alone['p95_ms']} | "
        f"{alone['p99_ms']} |",
    ]
    for kind, row in [("all, 50 at once", overall), *load["by_kind"].items()]:
        lines.append(f"| {kind} | {row['requests']} | {row['median_ms']} | {row['p95_ms']} | {row['p99_ms']} |")
    lines.append(
        f"| in the function (REPORT Duration), 50 at once | {inside['requests']} | {inside['median_ms']} | "
        f"{inside['p95_ms']} | {inside['p99_ms']} |"
    )
    lines += [
        "",
        f"Median with 50 at once against one alone: **{overall['median_ms'] / alone['median_ms']:.1f}×**. "
        f"Environments started (at most {load['concurrency_limit']} per function): {environments}; "
        f"{load['cold_starts']} cold starts among the 50 learners' requests.",
    ]
    return "\n".join(lines)


def _package_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| artifact | unzipped | zipped | Python files with bytecode |", "|---|---:|---:|---:|"]
    for row in rows:
        lines.append(
            f"| {row['artifact']} | {_size(row['unzipped_bytes'])} | {_size(row['zipped_bytes'])} "
            f"| {row['precompiled']} of {row['sources']} |"
        )
    return "\n".join(lines)


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1_000:.1f} KB"


def _cost_section(model: dict[str, Any]) -> str:
    chosen_lambda = next(s["lambda_usd"] for s in model["memory_sizes"] if s["memory_mb"] == model["chosen_memory_mb"])
    lines = [
        "| memory | Lambda per month | worst p95 of the session's endpoints | a cold start |",
        "|---:|---:|---:|---:|",
    ]
    for size in model["memory_sizes"]:
        chosen = " ← chosen" if size["memory_mb"] == model["chosen_memory_mb"] else ""
        lines.append(
            f"| {size['memory_mb']} MB | ${size['lambda_usd']:,.2f} | {size['worst_p95_ms']} ms{chosen} "
            f"| {size['cold_start_ms']:,} ms |"
        )
    lines += [
        "",
        "| item | per month |",
        "|---|---:|",
        f"| Lambda at {model['chosen_memory_mb']} MB | ${chosen_lambda:,.2f} |",
        f"| API Gateway HTTP API ({model['requests_per_month']:,} requests) | ${model['api_gateway_usd']:,.2f} |",
        f"| DynamoDB on demand ({model['read_units']:,} read and {model['write_units']:,} write units) "
        f"| ${model['dynamodb_requests_usd']:,.2f} |",
        f"| DynamoDB storage | ${model['dynamodb_storage_usd']:,.2f} |",
        f"| S3 storage and GETs | ${model['s3_usd']:,.2f} |",
        f"| Data out (media downloads) | ${model['data_out_usd']:,.2f} |",
        f"| **total** | **${model['total_usd']:,.2f}** |",
    ]
    return "\n".join(lines)


SUITE_RUNS = {  # the runs of bench/suite.py, oldest first, with how each was made
    "before": "before issue 13, serial",
    "serial": "now, serial",
    "parallel": "now, `make test`",
    "quick": "now, `make quick`",
}


def _suite_section(suite: dict[str, Any]) -> str:
    runs = [run for run in SUITE_RUNS if run in suite]
    parts = sorted({part for run in runs for part in suite[run]["parts"]})
    table = [
        "| part of the suite | " + " | ".join(f"{SUITE_RUNS[run]}: tests, s" for run in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for part in parts:
        figures = [suite[run]["parts"].get(part) for run in runs]
        cells = [f"{f['tests']}, {f['seconds']:.0f}" if f else "–" for f in figures]
        table.append(f"| {part} | " + " | ".join(cells) + " |")
    walls = [f"**{suite[run]['wall_seconds']:.0f}**" for run in runs]
    table.append("| **pytest's wall time** | " + " | ".join(walls) + " |")
    commands = [
        f"- {SUITE_RUNS[run]}: `{suite[run]['command']}`"
        + (f", {suite[run]['date']}, load average {suite[run]['load_average']}" if "date" in suite[run] else "")
        for run in runs
    ]
    latest = "parallel" if "parallel" in runs else runs[-1]
    slowest = [f"| s | slowest tests, {SUITE_RUNS[latest]} |", "|---:|---|"]
    slowest += [f"| {row['seconds']:.1f} | `{row['test']}` |" for row in suite[latest]["slowest"]]
    return "\n\n".join("\n".join(block) for block in (table, commands, slowest))


def _idle_section(idle: dict[str, Any]) -> str:
    table = [
        "| engine | `make run`'s server (% of a core) | its worker processes (% of a core) "
        "| DynamoDB Local (% of a core) | in all | within target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in idle["rows"]:
        engine = "–" if row["engine_percent"] is None else row["engine_percent"]
        within = "yes" if row["total_percent"] < idle["target_percent"] else "no ⚠"
        table.append(
            f"| {row['engine']} | {row['server_percent']} | {row['worker_processes_percent']} "
            f"({row['worker_processes']}) | {engine} | {row['total_percent']} | {within} |"
        )
    return "\n".join(table)


def render() -> str:
    cold = json.loads((RESULTS / "cold_start.json").read_text())
    capacity = json.loads((RESULTS / "capacity.json").read_text())
    latency = json.loads((RESULTS / "latency.json").read_text())
    trees = json.loads((RESULTS / "trees.json").read_text())
    lists = json.loads((RESULTS / "lists.json").read_text())
    keepalive = json.loads((RESULTS / "keepalive.json").read_text())
    load = json.loads((RESULTS / "load.json").read_text())
    package = json.loads((RESULTS / "package.json").read_text())
    model = json.loads((RESULTS / "cost.json").read_text())
    suite = json.loads((RESULTS / "suite.json").read_text())
    idle = json.loads((RESULTS / "idle.json").read_text())
    over = [row["function"] for row in cold if row["ratio_to_floor"] > COLD_START_TARGET]
    verdict = (
        f"Every function is within {COLD_START_TARGET}× of the floor."
        if not over
        else f"Over {COLD_START_TARGET}× of the floor in this run: {', '.join(over)} (see the gaps below)."
    )
    return TEMPLATE.format(
        target=COLD_START_TARGET,
        runs=cold_start.RUNS,
        cold_start=_cold_start_table(cold),
        floor=cold[0]["total_ms"],
        verdict=verdict,
        capacity=_capacity_table(capacity),
        latency=_latency_table(latency),
        lists=_lists_section(lists),
        trees=_trees_section(trees),
        keepalive=_keepalive_summary(keepalive),
        load=_load_summary(load),
        package=_package_table(package),
        cost=_cost_section(model),
        suite=_suite_section(suite),
        idle=_idle_section(idle),
    )


TEMPLATE = """# Performance

Generated by `make bench` from `bench/results/*.json` (do not edit by hand; the prose lives in
`bench/report.py`). Every figure comes from this machine, against the official DynamoDB Local
engine and a moto server for S3 and EventBridge, all on 127.0.0.1: absolute times are this
machine's, ratios and request counts carry over to AWS.

## Cold start

`bench/cold_start.py`: for each function, {runs} fresh interpreters each import the handler module
and serve one first request (its file in `events/`, over the world those files name), timed from
inside the process (Python's own start-up excluded); the functions take turns, round after round,
so that the machine's drift falls on all alike. The floor (`bench/floor.py`) is the least a
function of this design can do: the Powertools HTTP resolver with validation, one PynamoDB model,
boto3, and one GetItem answered with a pydantic model; it is measured in the same run.
Target: every function within {target}× of the floor. Every module is loaded from bytecode, as
the layers ship it; the last column is what compiling the modules a function loads would add to
each of its cold starts without that.

{cold_start}

Floor: {floor:.0f} ms. {verdict}

![Cold start per function against the floor](performance-cold-start.png)

What was done, biggest first:

- The layers ship their bytecode. `sam build`'s Python builder unpacks wheels without compiling
  them, and Lambda's `/opt` is read-only, so Python compiled every module of pydantic, Powertools,
  botocore and the rest again at each cold start: the last column above, over a second a function
  on this machine, more than the whole cold start measured here. Both layers are now built by a
  Makefile (`layers/dependencies/Makefile`, `shared/Makefile`) that compiles them with
  `--invalidation-mode unchecked-hash`, so the bytecode is used whatever timestamps the zip gives
  the sources; `tests/test_build.py` runs `sam build` and fails when a layer's file lacks it.
- The Powertools Tracer is gone (it imported the X-Ray SDK and botocore's session machinery at
  import, 0.3–0.6 s; Lambda's Active tracing stays).
- Request and response models are built by the first request that uses them (pydantic's
  `defer_build`), not all at import: the courses function built the whole course tree's models
  for its `details` route (about 0.25 s).
- Settings are a plain pydantic model over the environment; pydantic-settings (with its dotenv,
  CLI and cloud-vault sources, about 50 ms) left the dependency layer. puremagic (file
  recognition) is imported by uploads only (about 20 ms).
- Download URLs (media, course and lesson images) and upload forms are signed by botocore's SigV4
  signers themselves, with no S3 client: a client loads S3's service model and endpoint rules,
  about 2 MB of JSON and 0.1–0.3 s of the media function's first request, which a signature does
  not need (tests check each URL and form equals what an S3 client presigns). The S3 client (an
  upload sent inline, deletes, registration), EventBridge and idempotency-record clients are built
  on first use, from the botocore session PynamoDB already holds, which has botocore's endpoint
  data loaded.
- The tracking functions do not import the lesson catalogue's services and models (about 0.2 s).

`tests/unit/test_imports.py` fails when importing an HTTP function imports boto3, puremagic or
pydantic-settings, or builds a request or response model.

What is left: the functions' own code (two small files each) is not precompiled: a layer can be
built by a Makefile, a function's handler is left to SAM's builder. Runs on this machine spread by
±20 % (see min–max); the ratios come from medians of interleaved runs.

## DynamoDB requests and capacity per endpoint

`bench/capacity.py`: every file in `events/` replayed through its real handler over a freshly
seeded world, each DynamoDB request asked for its consumed capacity (`ReturnConsumedCapacity`),
as DynamoDB Local reports it. Reads are one request; writes read what their rules need, then
write once (a transaction where several items change together); the fan-outs (course and module
deletes, a lesson in many places) are stated in docs/DATA-MODEL.md. The request counts are kept
from regressing by tests (`tests/integration/test_request_budget.py`, `test_tracking_budget.py`).

{capacity}

Notes: capacity units are read units for reads (0.5 for an eventually consistent read of up to
4 KB, 1 for a strongly consistent one) and write units for writes, both summed over the request;
a transaction costs twice its items' units. Enrollment writes are the dearest single-item writes
(about 8 units): the item carries its course's summary and appears in four indexes.

## Warm latency

`bench/latency.py`: the real handler in this process, after a first call, timed around the
handler alone, against DynamoDB Local, over a realistic tenant: 100 courses of 10 modules with
20 lessons each (20,000 lesson links), 1,000 learners each enrolled with a course track and three
attempts. 60 samples per endpoint after 3 warm-up calls. (moto scans on Query, so its figures are
not used.) Two clocks: wall-clock time, and the CPU time of the thread that runs the handler,
which is the service's own work (parsing, validation, PynamoDB and botocore, the answer) without
the wait for DynamoDB Local, a Java process of its own that is slower per request than DynamoDB
(single-digit milliseconds in AWS). The wall-clock figures are upper bounds; the CPU figures
feed the cost model.

{latency}

![Warm latency per endpoint](performance-latency.png)

## Lists against the tenant's size

`bench/lists.py`: page 1 and page 10 (10 a page) of the tenant's courses at 100, 1,000 and 10,000
courses, of its enrollments at 1,000, 10,000 and 100,000 (over 100 courses; a third each
active, completed and pending), and of one course's report (`GET /api/courses/{{id}}/report`, as
an instructor) at 100, 1,000 and 10,000 learners (enrolled as above, two in three with a course
track, of each status in turn), each in this process (the real handler, 40 samples after 20
warm-up calls) and over `make run`'s HTTP on a kept-alive connection (30 samples), with the
DynamoDB requests and the capacity DynamoDB Local reports for one call. The tenant grows between
sizes, seeded as the create paths write it (list entries and counters included: `bench/seeding.py`),
so every size is measured in one run on one engine. Target: page 1 at the largest size within 1.5×
of the same at the smallest. Before issue 14, a list read every match of the tenant, and page 1 of
10 at 1,000 courses took 31 times what a NestJS + PostgreSQL implementation took (issue 14).

{lists}

![Lists against the tenant's size](performance-lists.png)

The requests and capacity of a page do not move with the tenant's size; what moves the wall time
a little is DynamoDB Local itself, whose in-memory engine slows as the table holds more (several
hundred thousand items here). Page 10 reads 100 entries to cut its 10; enrollment pages read the
page's enrollments by one BatchGetItem (1 unit each); `active` also reads the due list. A report
page is the course's enrollment page and one BatchGetItem more, of the course and the rows' tracks;
filtered by `trackStatus`, it is a page of the course's list of tracks of that status and one
BatchGetItem of the course, the rows' tracks and their enrollments.

## The course tree

`bench/trees.py`: the course tree at 10×10, 50×20, 200×5 and 100×50 modules × lessons (each lesson
with a 500-character summary), read as an admin: the first read after a write (a course update
marks the tree changed; the read builds both views from the course's structure and stores them; 8
samples) and warm reads of the stored document (40 samples), in this process and over `make run`'s
HTTP, plain and with `Accept-Encoding: gzip` (20 samples each), with `GET /api/courses/{{id}}` measured
alongside as the yardstick. Over HTTP the local server runs without its stream feed, so the
StreamProjector does not build the tree between the write and the read (in AWS it mostly has).
Target: the warm tree at 50×20 and at 200×5 within 3× of a course by id.

{trees}

![The course tree: warm and first reads](performance-trees.png)

Before issue 14 every read built the tree from the course's items: 50×20 took 375 ms (median, in
this process) and 407 ms over HTTP. Now only the first read after a change pays for a build. A
warm read is one Query of the stored document (deflated, about 4 % of the JSON), which a gzip
answer sends as it is: the largest tree here, about 4 MB of JSON, goes out as 160 KB.

## The local stack at rest

`bench/idle.py` (`.venv/bin/python -m bench idle`): `make run` started as a process of its own, one
request (an environment of the courses function started and left warm), 5 seconds to settle,
then the CPU time (user and system, from /proc) the server, its worker processes (the warm
environment, and multiprocessing's resource tracker) and DynamoDB Local use over 30 seconds
without a request. Target: under 2 % of a core. Before issue 18 the queue and
stream loops asked every 0.2 s: about 12 % of a core on the embedded stand-ins, measured the same
way. Now the queues are read by long polling (10 s), and the stream feed is woken by each
invocation and otherwise looks every 10 s.

{idle}

## Keep-alive

`bench/keepalive.py`: `GET /api/courses?limit=1` over `make run`'s HTTP, on one kept-alive connection
and on a new connection each time, alternating. Before issue 14 the local server wrote a response's
head and body apart with Nagle's algorithm on, so each kept-alive response waited about 40 ms for
the client's delayed ACK (52.4 ms against 13.1 ms on new connections); it now sends each response in
one write with TCP_NODELAY. Target: a kept-alive request no slower than one on a new connection.

{keepalive}

## Load

`bench/load.py` (`.venv/bin/python -m bench load`): `make run`'s server over real HTTP on DynamoDB
Local; 50 learners at once for 60 seconds, each browsing, enrolling itself, starting the course,
then over and over starting, updating and completing every lesson (failing, then passing,
alternately); before them, in the same run, one learner alone for 15 seconds on warm
environments, the baseline. Afterwards each learner's stored figures (`completedLessons`,
attempts per lesson) are compared with what it sent.

{load}

Each function runs in execution environments of its own (worker processes, one request at a
time each, up to 8 per function), as Lambda runs it, so requests are served side by side. Before
issue 18 one lock queued every request of every function: the same run served 43 requests a
second, and its median request took 1132 ms (p95 1379 ms), nearly all of it waiting in line.
Two things remain between the rows above and AWS. This machine has two cores for 50 learners
who never pause, the environments, the server and DynamoDB Local: the time a request spends in
its function under load (the last row) is CPU shared out, where each Lambda environment has its
own. And a closed loop of 50 callers with no pause between requests measures throughput as much
as latency (each waits for the others on the cores). The baseline row is the per-request
latency; the ratio is what sharing two cores costs. The writes include the learners' first
requests, which met the cold starts. What the load run proves beside it is correctness under
real concurrency: no errors and no lost update.

## Package size

`bench/package.py`: `sam build` (arm64, python3.13, no Docker), each artifact's size unzipped
and zipped (what Lambda stores and loads), and how many of its Python files ship with bytecode.
Function code is a few KB; the shared code layer and the dependency layer are shared by every
function. No test or development dependency is in a layer (the layer is built from
`layers/dependencies/requirements.txt`, the run-time pins only; `tests/test_build.py` checks).

{package}

The dependency layer is mostly botocore and cryptography (for RS256 tokens); its bytecode adds
about a fifth to its size and takes over a second off every cold start (above). The Lambda runtime
already has a boto3/botocore; leaving them out of the layer would halve it, at the price of
running on whatever SDK version the runtime carries.

## Cost for 100,000 active learners

`bench/cost.py`, from the figures above. Traffic assumed: 100,000 learners, 12 sessions a month
each; a session lists courses, opens a course tree (10×20) and its tracking, reads 3 lessons and
their tracking, starts and passes 3 attempts, lists its enrollments and reads one history: 17
calls, 20.4 million requests a month (about 8 a second on average). Each session downloads one
2 MB document; videos are external (YouTube, Vimeo); 500 GB of media and 5 GB of table are kept.
Prices: AWS on-demand, us-east-1, arm64 (Lambda $0.0000133334 per GB-s and $0.20 per million
requests; HTTP API $1.00 per million; DynamoDB $0.125 per million read and $0.625 per million
write units, $0.25 per GB-month; S3 $0.023 per GB-month and $0.0004 per 1,000 GETs; data out $0.09
per GB).

Lambda time per call is modelled from the measured CPU time of each endpoint (above), taken as
the time at one full vCPU, which Lambda gives at 1,769 MB, and stretched for smaller sizes by
their share of a vCPU; plus 5 ms per DynamoDB request in-region, which no size shortens. One call
in a hundred is assumed to start a new execution environment, whose start (the functions' median
cold start, stretched the same way) is billed too. The worst p95 is the slowest session
endpoint's CPU p95 so stretched, plus its round trips.

{cost}

![Lambda cost and p95 by memory size](performance-cost.png)

The chosen size is the cheapest whose worst p95 stays under 100 ms; template.yaml gives it to
every function (Globals: MemorySize), and `tests/test_template.py` fails while the two differ. At
sizes below one vCPU a CPU-bound call (or cold start) runs slower in proportion and so costs
about the same, while the waits for DynamoDB cost more at larger sizes: the cheapest size is the
smallest the latency target allows. The model takes one core of this machine for Lambda's vCPU
(an arm64 Graviton core may be slower); a measurement in AWS (Lambda Power Tuning) would settle
the size, and the p95 margin at the chosen size says how much slower it may be.

The whole backend is a few hundred dollars a month, most of it the bandwidth of media downloads
(a CDN in front of the bucket would lower that per GB); the service's own compute and database
are well under $100.

## The test suite

`bench/suite.py` (`make test-durations`; `MODE=serial` for one process, `MODE=quick` for
`make quick`'s tests) runs pytest with a JUnit report and sums each part's test times (setup,
call and teardown); the parts' sums of a parallel run add both workers' time, so they exceed its
wall time. "Before" is the suite at e9785b8, run
serially as `make test` then ran it. A busy machine stretches every figure (the load average at
the end of each run is given): compare runs made one after the other.

{suite}

Where the time went, and what was done (issue 13):
- **moto**: a transaction deep-copies every table it names, once per item of the transaction, so
  its cost grew with everything the table held. Tests on moto now get a table each (about 20 ms to
  make), and `local/moto_transactions.py` has moto take one backup per table, which is the
  same backup.
- **Client construction**: PynamoDB gave each of the 14 item classes its own connection, each with
  its own botocore session and client, loading DynamoDB's service model again (90–160 ms each on
  this machine), after every change of table. `LmsItem` now shares one connection: the tests
  build one client per engine, and a Lambda cold start builds one, not one per kind of item it
  saves or reads by its own class.
- **DynamoDB Local's streams**: it keeps every stream record of the run, a deleted table's too,
  and writes grew slower as they piled up (the 1,000-lesson tree test took 34 s late in the run,
  8 s on a fresh engine). Tables carry the template's stream only where a test reads it.
- **The authorization matrix** shares one seeded world among its refusals and reads, each checked
  to have had no write carried out; the other cases seed their own.
- **Two cores**: `make test` runs pytest-xdist on every core; each worker has its own DynamoDB
  Local (a JVM start, about 3 s, instead of a coordinating controller), and a module that shares a
  server keeps to one worker.
- **Budgets**: hypothesis runs 40 derandomized cases per route and kind of input; schemathesis 12
  fuzzed cases per operation plus its coverage phase (every documented constraint's boundary cases
  and unexpected methods, about 3,600 requests in all, the same every run; its finding, the 501
  for an unknown method, came from the latter).
- The slowest tests do real work: `sam build` and `sam validate --lint`, the engine's start in a
  worker's first test on DynamoDB Local, 8 threads racing through the function host, a
  1,000-lesson course, a course deleted past one transaction, `make seed`'s catalogue over HTTP.
  None waits on a fixed sleep: the end-to-end journey polls for a later learner's event, which the
  stream delivers in order.
"""


def main() -> None:
    DOCUMENT.write_text(render())


if __name__ == "__main__":
    main()
