# Two commands for a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
BIN := $(VENV)/bin
# The first interpreter >= 3.12 on PATH; pyenv honours .python-version (3.13) inside the repo.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)

HOST ?= 127.0.0.1
PORT ?= 8000
# The edge worker (workerd) that `make run` starts in front of the origin.
EDGE_PORT ?= 8787

# The TypeScript SDK: an npm package (sdk/dist, esbuild + tsc), copied into a static folder
# Django serves (git-ignored).
SDK := sdk
SDK_BUILD := personalization/static/tactful/index.js
NPM ?= npm
NEED_NODE := command -v node >/dev/null 2>&1 && command -v $(NPM) >/dev/null 2>&1 \
	&& node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
	|| { echo "Tactful's TypeScript SDK needs Node.js 20 or newer and npm, and they were not found on PATH." >&2; \
	     echo "Install them (e.g. 'apt-get install nodejs npm', or from https://nodejs.org) and run make again." >&2; \
	     exit 1; }

# The TypeScript engine (shared by the edge worker and the SDK) and the edge worker: built with
# tsc, with workerd's configuration (git-ignored).
EDGE := edge
EDGE_BUILD := $(EDGE)/dist/engine.js
WORKERD := $(EDGE)/node_modules/.bin/workerd

.PHONY: run test venv lint typecheck pytest migrate demo bench clean sdk sdk-test edge edge-test axe

$(BIN)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "Tactful needs Python 3.12 or newer, and none was found on PATH (tried python3.13, python3.12, python3, python)." >&2; \
		echo "Install one (e.g. 'apt-get install python3.13' or 'pyenv install 3.13') and run make again." >&2; \
		exit 1; fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed

$(SDK)/node_modules/.installed: $(SDK)/package.json $(SDK)/package-lock.json
	@$(NEED_NODE)
	cd $(SDK) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SDK_BUILD): $(SDK)/node_modules/.installed $(wildcard $(SDK)/src/*.ts) $(SDK)/tsconfig.json $(SDK)/tsconfig.build.json
	@$(NEED_NODE)
	cd $(SDK) && $(NPM) run --silent build:django
	@touch $@

sdk: $(SDK_BUILD)

# axe-core, which the browser tests inject into admin pages to check their accessibility.
AXE := tests/browser/node_modules/.installed
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@$(NEED_NODE)
	cd tests/browser && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

axe: $(AXE)

sdk-test: $(SDK)/node_modules/.installed
	@$(NEED_NODE)
	cd $(SDK) && $(NPM) test --silent

$(EDGE)/node_modules/.installed: $(EDGE)/package.json $(EDGE)/package-lock.json
	@$(NEED_NODE)
	cd $(EDGE) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

$(EDGE_BUILD): $(EDGE)/node_modules/.installed $(shell find $(EDGE)/src -name '*.ts') $(EDGE)/tsconfig.json $(EDGE)/tsconfig.build.json
	@$(NEED_NODE)
	cd $(EDGE) && $(NPM) run --silent build
	@touch $@

edge: $(EDGE_BUILD)

# The TypeScript engine against the shared fixtures of contracts/engine/ (as pytest holds the
# Python engine to them).
edge-test: $(EDGE)/node_modules/.installed
	@$(NEED_NODE)
	cd $(EDGE) && $(NPM) test --silent

migrate: venv
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_local_admin

# The origin in the foreground, the edge worker beside it (stopped with it).
run: demo sdk edge
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@echo "Demo shop: http://$(HOST):$(PORT)/   Admin: http://$(HOST):$(PORT)/admin/   Privacy center: http://$(HOST):$(PORT)/privacy/"
	@echo "Edge worker (workerd, decide and OFREP at the edge; the rest passed to the origin): http://$(HOST):$(EDGE_PORT)/"
	@key=$$($(BIN)/python manage.py ensure_local_edge_key) || exit 1; \
	EDGE_KEY=$$key ORIGIN_URL=http://$(HOST):$(PORT) $(WORKERD) serve $(EDGE)/dist/workerd.capnp \
		--socket-addr http=$(HOST):$(EDGE_PORT) & edge=$$!; \
	trap 'kill $$edge 2>/dev/null' EXIT; \
	$(BIN)/python -m config.serve --host $(HOST) --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy .

# The browser tests load the built SDK, and axe-core on admin pages; the edge tests run the
# built worker under workerd.
pytest: venv sdk edge axe
	$(BIN)/pytest

test: lint typecheck sdk-test edge edge-test pytest

bench: venv edge
	$(BIN)/python benchmarks/bench_engine.py
	node benchmarks/bench_engine_ts.mjs
	$(BIN)/python benchmarks/bench_conditions.py
	$(BIN)/python benchmarks/bench_http.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_push.py
	$(BIN)/python benchmarks/bench_ws_memory.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_edge.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis \
		$(SDK)/node_modules $(SDK)/build $(SDK)/dist personalization/static/tactful artifacts \
		$(EDGE)/node_modules $(EDGE)/dist $(EDGE)/build \
		tests/browser/node_modules
