# relief: two commands for a new user — `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-quick test-busy bench lint format lock clean i18n vendor screenshots

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## run: install, migrate ./var/relief.db, load the demo data, serve on 127.0.0.1:8000 with the worker
## inside. The demo ends the public notice as it opens (RELIEF_NOTICE_DAYS=0 unless set in the
## environment), so a case goes from submission to paid in one sitting; RELIEF_NOTICE_DAYS=7 make run
## shows notices and objections as production runs them.
run: $(STAMP)
	$(BIN)/relief db upgrade
	$(BIN)/relief seed-demo
	RELIEF_WORKER_IN_PROCESS=true RELIEF_NOTICE_DAYS=$${RELIEF_NOTICE_DAYS:-0} $(BIN)/relief serve

## test: the whole suite, on SQLite and on PostgreSQL, on pytest-xdist workers (one per core, each
## with its own databases and servers; TEST_WORKERS=0 runs it in one process)
TEST_WORKERS ?= $(shell nproc)
test: $(STAMP)
	$(BIN)/ruff check service tests alembic bench harness
	$(BIN)/mypy service
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

## test-quick: the loop while you work, in under 3 minutes: SQLite only, without the browser
## journeys and the slow tests (markers browser, postgres, slow), on pytest-xdist workers.
## The unit tests of the pure rules alone (seconds): .venv/bin/python -m pytest -q tests/unit
QUICK_WORKERS ?= $(shell nproc)
test-quick: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not postgres and not slow" -n $(QUICK_WORKERS) --dist loadfile

## test-busy: the suite as on a busy machine: one more pytest worker than there are cores, each
## with its own databases and servers, so every test runs while others compete for the CPU.
## The suite must be as green here as under `make test` (issue 16).
test-busy: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $$(( $$(nproc) + 1 )) --dist loadfile

## bench: load (8 clients, both databases) and query cost as cases grow; prints the figures
## of docs/benchmarks.md. BENCH_SIZES=10000,100000,1000000 for the full run (about 30 min).
BENCH_SECONDS ?= 30
BENCH_SIZES ?= 10000,100000
bench: $(STAMP)
	$(BIN)/python bench/load.py --backend both --clients 8 --duration $(BENCH_SECONDS)
	$(BIN)/python bench/scale.py --backend postgres --sizes $(BENCH_SIZES)

## screenshots: the README's pictures of the main pages (docs/img/), taken by the browser
## journeys on SQLite. Install a CJK font first (fonts-noto-cjk) or Chinese shows as boxes.
screenshots: $(STAMP)
	RELIEF_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q tests/web/browser -k sqlite -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check service tests alembic bench harness
	$(BIN)/ruff format --check service tests bench harness
	$(BIN)/mypy service
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format service tests bench harness
	$(BIN)/ruff check --fix service tests bench harness

## i18n: collect the console's messages and merge them into the Chinese catalogue (then
## translate the new entries in service/web/locale/zh_CN/LC_MESSAGES/messages.po)
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o service/web/locale/messages.pot .
	test -f service/web/locale/zh_CN/LC_MESSAGES/messages.po \
	  || $(BIN)/pybabel init -i service/web/locale/messages.pot -d service/web/locale -l zh_CN
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i service/web/locale/messages.pot -d service/web/locale -l zh_CN

## lock: re-pin every dependency (maintainers; needs uv)
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

## vendor: re-fetch the pinned front-end libraries (npm pack) into service/web/static/vendor
vendor:
	bash tools/vendor.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
