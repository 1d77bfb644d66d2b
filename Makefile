# The two set-up commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?= -n 2
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install run web test lint messages check clean

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

clean:
	rm -rf $(VENV) var staticfiles
