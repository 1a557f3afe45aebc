# The two commands of the README: `make demo` and `make test`.
# Everything else is a step they use, or a helper for developers.

VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
SHELL := /bin/bash

.PHONY: demo test install lint format check-deploy lock messages clean e2e

$(PY):
	"$$(scripts/find-python.sh)" -m venv $(VENV)

$(INSTALLED): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $(INSTALLED)

install: $(INSTALLED) messages

# French is the source language; the English catalogue is compiled when gettext is there.
messages: | $(PY)
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; \
	else echo "msgfmt not found (apt-get install -y gettext): the English interface will show French."; fi

## make demo: SQLite, demo organisation, web app + Celery worker and beat, no Redis/PostgreSQL needed.
demo: install
	$(PY) manage.py demo

## make test: ruff, mypy and the whole pytest suite on real PostgreSQL and Redis.
test: install
	$(PY) scripts/services.py -- $(MAKE) --no-print-directory _test

# Two processes (pytest-xdist), each with its own test database, Redis database and media folder
# (recouvrement/settings/test.py); one test file stays on one process, the longest files start first
# (tests/conftest.py). PYTEST_ARGS=-n0 runs serially.
PYTEST_PROCESSES ?= 2

_test: lint
	DJANGO_SETTINGS_MODULE=recouvrement.settings.test $(PY) -m pytest -n $(PYTEST_PROCESSES) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: | $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: | $(PY)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make lock: re-pin requirements.lock from pyproject.toml (needs the package registry).
lock: | $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --generate-hashes --allow-unsafe -o requirements.lock pyproject.toml

clean:
	rm -rf var/demo.sqlite3* var/broker var/mails var/media staticfiles
