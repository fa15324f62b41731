# The two commands: `make run` and `make test`. Both work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format messages migrate seed bench vendor clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## make run: web server + Celery worker + outbox relay + beat on http://$(HOST):$(PORT), then the
## demo logins again once all are up (the banner process); Ctrl-C stops all
# honcho gives each process a PORT of its own (web, the first, gets PORT itself): the banner is
# told the web's as WEB_PORT.
run: seed
	HOST=$(HOST) PORT=$(PORT) WEB_PORT=$(PORT) $(BIN)/honcho --procfile Procfile.dev start

## make test: the whole suite. PostgreSQL/Redis tests run when DATABASE_URL/REDIS_URL are set.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make messages: refresh the translation catalogues (needs GNU gettext) and compile them
messages: install
	$(PY) manage.py makemessages --locale zh_Hans --locale en --ignore ".venv/*" --ignore "static/*"
	$(PY) manage.py compilemessages --ignore ".venv/*"

bench: install
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) bench/run_all.py

vendor:
	scripts/vendor_static.sh

clean:
	rm -rf var .pytest_cache .ruff_cache
