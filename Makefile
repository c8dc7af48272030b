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

.PHONY: run test venv lint typecheck pytest migrate demo bench clean

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

migrate: venv
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_local_admin

run: demo
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy .

pytest: venv
	$(BIN)/pytest

test: lint typecheck pytest

bench: venv
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_conditions.py
	$(BIN)/python benchmarks/bench_http.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
