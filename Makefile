# Interzafra — the front door. `make run` and `make test` work on a fresh machine:
# they create .venv from requirements.lock, and use an embedded PostgreSQL unless
# DATABASE_URL is set.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)

.PHONY: otp run test test-production test-e2e e2e-browser deploy-check lint format typecheck bench lock messages install clean-db

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

## Start the app with demo data (embedded PostgreSQL + Celery worker + web server). Ctrl-C stops all.
run: install
	$(BIN)/python scripts/run.py

## The current two-factor code of a demo ministry user: make otp USER=revisora (local demo only).
otp: install
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py demo_otp "$(USER)"

## Run the whole test suite against real PostgreSQL (embedded unless DATABASE_URL is set); an
## embedded server the tests started is stopped afterwards, one already running is left running.
test: install
	$(BIN)/python -m config.embedded run -- $(BIN)/pytest $(PYTEST_ARGS)

## Production-like tests: system PostgreSQL and a real Celery worker on Redis (see .ci/run).
test-production: install
	$(BIN)/pytest -m production -p no:cacheprovider --create-db $(PYTEST_ARGS)

## Browser tests (Playwright driving Debian's Chromium, no browser download) against live_server.
test-e2e: install e2e-browser
	$(BIN)/pytest -m e2e -p no:cacheprovider $(PYTEST_ARGS)

## Install Debian's Chromium if it is missing (the e2e tests use /usr/bin/chromium).
e2e-browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## Exercise docs/deploy.md on this machine (system PostgreSQL on 127.0.0.1:5432, Redis if up).
deploy-check: install
	bash scripts/deploy_check.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

## Every benchmark at its full size (tens of minutes; each prints its figures and ratios).
bench: install
	@for b in import_bench batch_bench screening_bench screening_eval api_bench reports_bench year_bench; do \
	  test -f benchmarks/$$b.py || continue; echo "== $$b"; $(BIN)/python benchmarks/$$b.py || exit 1; done

## Re-resolve pinned versions from pyproject.toml into requirements.lock.
lock:
	$(BIN)/pip install --quiet uv && $(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

## Refresh the English catalogue from the code and compile the catalogues. The sources are in
## Spanish, so es_AR is written by hand: it only corrects libraries' Spanish.
messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=benchmarks
	$(BIN)/python manage.py compilemessages --ignore=.venv

## Stop the embedded PostgreSQL and delete its data.
clean-db: install
	$(BIN)/python -m config.embedded stop; rm -rf .pgdata
