# The two set-up commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?= -n 2
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install run web test lint messages check clean bench

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Run the app with demo data on the embedded default (SQLite, no Redis):
## web server, Celery worker and scheduler; Ctrl-C stops them all.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	bash scripts/run-dev.sh

## Run every check and test (PostgreSQL and Redis when DATABASE_URL and
## CELERY_BROKER_URL are set, SQLite otherwise).
test: install check lint
	$(PY) -m pytest $(PYTEST_ARGS)

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Re-extract and compile the translations (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py makemessages -d djangojs -l zh_Hans --no-location --ignore '.venv/*' --ignore 'var/*' --ignore 'static/vendor/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

## Benchmark at city scale on PostgreSQL (built if absent, which takes
## minutes): one table, printed and written to docs/bench-latest.md.
## `make bench SCALE=province` does the same at ten times city, in its own
## database, and writes docs/bench-province.md (not part of CI).
SCALE ?= city
ifeq ($(SCALE),province)
BENCH_DB ?= party_province
BENCH_ARGS ?= --runs 3 --recipients 120000 --concurrency 2 --sweep-runs 1 --sweep-timeout 900
BENCH_OUTPUT ?= docs/bench-province.md
else
BENCH_DB ?= party_bench
BENCH_ARGS ?= --runs 5
BENCH_OUTPUT ?= docs/bench-latest.md
endif
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
bench: install
	bash bench/services.sh
	psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB)'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres $(BENCH_DB)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py seed_demo --scale $(SCALE)
	$(PY) -m bench.run --database-url $(BENCH_DATABASE_URL) \
		--member bench_member --secretary bench_secretary --leader bench_leader \
		--output $(BENCH_OUTPUT) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
