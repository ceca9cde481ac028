# Lobby: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
PYTEST_ARGS ?= -n auto

.PHONY: run test lint format bench prod-check install migrate messages clean

# The settings default to production (issue #15). The demo and the commands a
# developer runs here switch development mode on, with a random key made once
# per checkout in var/secret_key (var/ is never committed). Values already in
# the environment win. `make test` gets the same from tests/environment.py.
run migrate messages: export DEBUG ?= 1
run migrate messages: export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key
run: export SITE_URL ?= http://127.0.0.1:$(PORT)

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Lobby needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

# A fresh machine -> the demo on SQLite at http://127.0.0.1:$(PORT), with the
# background worker (notifications, escalations) running beside it.
run: migrate
	$(BIN)/python manage.py seed_demo
	@# Queue the recurring background work once (each is idempotent): the daily
	@# retention purge (R4.1), the morning report when the night ends (R6.8)
	@# and the monthly insights report on the 1st (issue #20).
	$(BIN)/python manage.py purge_expired
	$(BIN)/python manage.py send_morning_report --schedule
	$(BIN)/python manage.py send_monthly_report --schedule
	$(BIN)/python manage.py customer_care --schedule
	@echo "Starting the task worker and the server on http://127.0.0.1:$(PORT) (Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py db_worker & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite: SQLite by default, PostgreSQL when DATABASE_URL points at one.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The desk's speed at scale on the production stack (gunicorn + PostgreSQL on
# loopback, DEBUG off), measured with wrk; never part of `make test`. Writes
# var/bench/latest.{json,md}. BENCH_VISITS=100000 for a quicker run;
# docs/performance.md lists the other variables and how to aim it at a deployment.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get install -y -qq wrk; } || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run

# The deployment kit (deploy/) run as written on loopback: nginx with TLS in
# front of gunicorn and the worker on a fresh PostgreSQL database, smoke-checked
# over HTTPS, then stopped. SCALE=2: two app servers behind one nginx, sharing
# Redis. Installs Debian's nginx when run as root; see docs/deployment.md.
prod-check: install
	$(BIN)/python -m deploy.prod_check --instances $(or $(SCALE),1)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the translation catalogue (needs GNU gettext); the compiled .mo files
# are committed so that a fresh machine needs no gettext.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -e html,txt,py,md --ignore=.venv --ignore=var --ignore=bench --no-obsolete
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) var
