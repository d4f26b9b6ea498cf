# relief: two commands for a new user — `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## run: install, migrate ./var/relief.db, load the demo data, serve on 127.0.0.1:8000 with the worker inside
run: $(STAMP)
	$(BIN)/relief db upgrade
	$(BIN)/relief seed-demo
	RELIEF_WORKER_IN_PROCESS=true $(BIN)/relief serve

## test: the whole suite, on SQLite and on PostgreSQL
test: $(STAMP)
	$(BIN)/ruff check service tests alembic bench
	$(BIN)/mypy service
	$(BIN)/python -m pytest -q

## bench: load (8 clients, both databases) and query cost as cases grow; prints the figures
## of docs/benchmarks.md. BENCH_SIZES=10000,100000,1000000 for the full run (about 30 min).
BENCH_SECONDS ?= 30
BENCH_SIZES ?= 10000,100000
bench: $(STAMP)
	$(BIN)/python bench/load.py --backend both --clients 8 --duration $(BENCH_SECONDS)
	$(BIN)/python bench/scale.py --backend postgres --sizes $(BENCH_SIZES)

lint: $(STAMP)
	$(BIN)/ruff check service tests alembic bench
	$(BIN)/ruff format --check service tests bench
	$(BIN)/mypy service

format: $(STAMP)
	$(BIN)/ruff format service tests
	$(BIN)/ruff check --fix service tests

## lock: re-pin every dependency (maintainers; needs uv)
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
