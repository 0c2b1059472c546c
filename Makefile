# Store Claims Portal. `make run` serves the portal on the embedded defaults;
# `make test` runs every check CI runs. Each target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 0.0.0.0
PORT ?= 8000
SANDBOX_PORT ?= 8100
# Under `make run`, nginx (the buffering front, claims_portal/front.py) listens on PORT and
# passes requests to gunicorn on APP_PORT, and the files OrderProtection fetches to a second
# gunicorn pool on MEDIA_PORT, so they never queue behind requests that wait on the API.
APP_PORT ?= 8001
MEDIA_PORT ?= 8002
# The portal's own address in the links it emails (password reset), never the request's Host.
PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
# `make run` writes the emails it sends (password resets, customers' copies) here, one file
# per connection, instead of printing them in the server log.
OUTBOX ?= $(CURDIR)/outbox
# The portal and the sandbox it talks to share a bearer token and a webhook secret, generated
# once into .env (SANDBOX_TOKEN, SANDBOX_WEBHOOK_SECRET) by claims_portal/env_file.py.
env_get = $$($(PY) -m claims_portal.env_file get $(1))
SANDBOX_SECRETS = ORDERPROTECTION_API_TOKEN="$(call env_get,SANDBOX_TOKEN)" \
	ORDERPROTECTION_WEBHOOK_SECRET="$(call env_get,SANDBOX_WEBHOOK_SECRET)"
DEV_ENV = DEBUG=true PUBLIC_MEDIA_BASE_URL=http://127.0.0.1:$(PORT) PORTAL_BASE_URL=$(PORTAL_BASE_URL)
# Background delivery workers started by `make run`.
WORKERS ?= 2
# `make run` keeps the terminal for its start-up lines and the banner (the addresses to open,
# the demo logins): each request's line goes to ACCESS_LOG (`make run ACCESS_LOG=-` prints
# them), the sandbox's own log to RUN_LOGS/sandbox.log.
RUN_LOGS ?= $(CURDIR)/log
comma := ,
ACCESS_LOG ?= $(RUN_LOGS)/access.log

# The newest Python 3.12+ on this machine: a working python3.X on PATH, or a pyenv build.
find_python = $(shell for v in 3.14 3.13 3.12; do \
	  if python$$v -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then echo python$$v; exit; fi; \
	  for p in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v; do [ -x "$$p" ] && { echo "$$p"; exit; }; done; \
	done)

.PHONY: help
help:
	@echo "make run     serve the portal as production does (gunicorn, DEBUG off) on port $(PORT) of this machine, with the sandbox API, $(WORKERS) delivery workers and demo logins"
	@echo "make dev     the same with DEBUG on and runserver's autoreloader"
	@echo "make demo-remove  remove the demo logins (make run creates them once, and never resets them)"
	@echo "make test    lint, Django checks, the test suite on SQLite and PostgreSQL at once (what CI runs)"
	@echo "make bench   benchmarks under bench/"
	@echo "make clean   remove the venv, node_modules, the dev database, media and the outbox"

$(VENV)/.python-ok:
	@python="$(find_python)"; \
	if [ -z "$$python" ]; then echo "Python 3.12 or newer is needed (Django 6.1). Install python3.12 or python3.13." >&2; exit 1; fi; \
	echo "Using $$python ($$($$python --version))"; \
	rm -rf $(VENV) && $$python -m venv $(VENV)
	@touch $@

# pip warns about this machine's unused local indexes; the warnings are noise. --no-compile:
# Python compiles what it imports, once; compiling every installed file doubled pip's time.
PIP_INSTALL = set -o pipefail; $(PY) -m pip install -q --no-compile $(1) 2>&1 | { grep -v "is ignored: it is neither" || true; }

$(VENV)/.installed-run: $(VENV)/.python-ok requirements.txt
	$(call PIP_INSTALL,-r requirements.txt)
	@touch $@

# requirements-dev.txt includes requirements.txt: one pip run installs both.
$(VENV)/.installed-dev: $(VENV)/.python-ok requirements.txt requirements-dev.txt
	$(call PIP_INSTALL,-r requirements-dev.txt)
	@touch $@ $(VENV)/.installed-run

node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "Bootstrap, signature_pad, idb and the barcode decoder come from the npm registry: install Node.js and npm ('sudo apt-get install nodejs npm')." >&2; exit 1; fi; \
	fi
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# $(call apt_package,CHECK,PACKAGE,WHO NEEDS IT): when the shell test CHECK fails, install
# Debian's PACKAGE if we are root; otherwise print the apt-get line and stop.
define apt_package
@if ! { $(1); }; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "Installing Debian's $(2) for $(3)"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
  else \
    echo "Debian's $(2) is missing, and $(3) need it: run 'sudo apt-get install $(2)'." >&2; exit 1; \
  fi; \
fi
endef

# The translations: locale/<language>/LC_MESSAGES/django.po compiled to .mo files, which are
# built here and never committed (docs/languages.md). Debian's gettext has msgfmt.
.PHONY: messages
messages: $(VENV)/.installed-run
	$(call apt_package,command -v msgfmt >/dev/null,gettext,the translations (compilemessages))
	@DEBUG=true $(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=node_modules --ignore=staticfiles

.PHONY: chromium
chromium:
	$(call apt_package,command -v chromium >/dev/null,chromium,the browser tests)

# `make run` serves the way production does: DEBUG off, static files collected,
# compressed and cached by WhiteNoise, gunicorn. A tablet on the store network reaches it
# over plain HTTP, so the HTTPS-only settings are turned off here, and said so. Emails go
# to the OUTBOX folder, not to the log.
RUN_ENV = DEBUG=false ALLOWED_HOSTS='*' TRUSTED_PROXY_COUNT=1 $(SANDBOX_SECRETS) \
	PUBLIC_MEDIA_BASE_URL=http://127.0.0.1:$(PORT) PORTAL_BASE_URL=$(PORTAL_BASE_URL) \
	EMAIL_URL=filemail:///$(OUTBOX) \
	SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0 SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false \
	ORDERPROTECTION_API_URL=$${ORDERPROTECTION_API_URL:-http://127.0.0.1:$(SANDBOX_PORT)}

# The secret key and the sandbox's token and webhook secret are generated once into .env
# (never committed): each one missing from it is appended, none is ever changed.
.PHONY: env-secrets
env-secrets: $(VENV)/.installed-run
	@$(PY) -m claims_portal.env_file secrets

# $(call serve,ENV,CONFIG,NOTE): supervisord (claims_portal/supervisord/CONFIG, with its programs.conf)
# runs the sandbox, the workers, the maintenance loop and the portal, restarts whichever dies,
# and stops them all on Ctrl-C; once the portal answers, a framed banner
# (claims_portal/run_banner.py) with the addresses a tablet can open, the demo logins and
# NOTE. ENV holds secrets: no line here is echoed. The config files read the variables
# exported here (%(ENV_PORT)s). As root, supervisord is told so (--user root); otherwise it
# prints a CRIT line that it dropped no privileges.
define serve
@mkdir -p $(RUN_LOGS)
@$(1) $(PY) manage.py migrate --noinput -v0
@export $(1) PY=$(CURDIR)/$(PY) PROJECT_DIR=$(CURDIR) HOST=$(HOST) PORT=$(PORT) \
  SANDBOX_PORT=$(SANDBOX_PORT) APP_PORT=$(APP_PORT) MEDIA_PORT=$(MEDIA_PORT) WORKERS=$(WORKERS) RUN_LOGS=$(RUN_LOGS) ACCESS_LOG=$(ACCESS_LOG) \
  RUN_NOTE="$(3)" PYTHONUNBUFFERED=1; \
exec $(PY) -m supervisor.supervisord --configuration claims_portal/supervisord/$(2)$(if $(filter 0,$(shell id -u)), --user root)
endef

.PHONY: run
run: $(VENV)/.installed-run node_modules/.installed env-secrets messages nginx
	@$(RUN_ENV) $(PY) manage.py collectstatic --noinput -v0
	@echo "Plain HTTP on the store network: secure cookies, HTTPS redirect and HSTS are OFF (see docs/operations.md for production)."
	@echo "Emails (password resets, customers' copies) are written to $(OUTBOX)/, not sent."
	$(call serve,$(RUN_ENV),run.conf,Requests are logged to $(ACCESS_LOG)$(comma) the sandbox API to $(RUN_LOGS)/sandbox.log.)

# Removes the demo logins `make run` created; they are not created again.
.PHONY: demo-remove
demo-remove: $(VENV)/.installed-run env-secrets
	@$(RUN_ENV) $(PY) manage.py seed_demo --remove

# For developers: DEBUG on, runserver with its autoreloader.
.PHONY: dev
dev: $(VENV)/.installed-run node_modules/.installed env-secrets messages
	$(call serve,$(DEV_ENV) $(SANDBOX_SECRETS) ORDERPROTECTION_API_URL=$${ORDERPROTECTION_API_URL:-http://127.0.0.1:$(SANDBOX_PORT)},dev.conf,The sandbox API logs to $(RUN_LOGS)/sandbox.log.)

# The buffering front `make run` puts before gunicorn (claims_portal/front.py renders
# claims_portal/nginx.conf.template into a run folder and starts it; docs/operations.md).
.PHONY: nginx
nginx:
	$(call apt_package,command -v nginx >/dev/null || [ -x /usr/sbin/nginx ],nginx,the buffering front (make run and its tests))

.PHONY: redis-server
redis-server:
	$(call apt_package,command -v redis-server >/dev/null,redis-server,the Redis backend's tests)

# The tests start their own throwaway PostgreSQL cluster (tests/postgres_cluster.py) from
# the server binaries: Debian's are in /usr/lib/postgresql/<version>/bin.
.PHONY: postgresql
postgresql:
	$(call apt_package,[ -n "$$PG_BINDIR" ] || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null,postgresql,the tests on PostgreSQL)

# The suite runs in four passes at the same time: much of it waits (on sockets, worker
# processes, Chromium, sleeps), so on 2 cores passes at once finish far sooner than one
# after the other. The passes share no port (each server binds a free one), no database and
# no file:
# - SQLite: every test but the browser tests;
# - a throwaway PostgreSQL cluster under /tmp: the tests that can reach the database
#   (--database-tests-only, tests/conftest.py) but the browser tests;
# - two more clusters: the browser tests, which run only on PostgreSQL, the production
#   database, in two shares dealt out in turn (--shard, tests/conftest.py): they are the
#   longest pass, and the other passes end long before them.
# A test that touches no database runs once, and every other test on both databases but the
# browser tests. The PostgreSQL passes' output goes to test-artifacts/ and is shown at the end.
PG_LOG := test-artifacts/pytest-postgresql.log
BROWSER_LOG = test-artifacts/pytest-browser-$(1).log
SQLITE_PASS = DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 $(PY) -m pytest -m "not browser"
POSTGRESQL = $(PY) -m tests.postgres_cluster -- $(PY) -m pytest --database-tests-only -p no:cacheprovider
POSTGRESQL_PASS = $(POSTGRESQL) -m "not browser"
BROWSER_PASS = $(POSTGRESQL) -m browser --shard=$(1)/2 --output=test-artifacts/playwright-$(1)

# $(call pytest_status,NAME,STATUS): say how a pass ended; pytest's 5 means it collected no tests.
pytest_status = if [ $(2) -eq 5 ]; then echo "$(1): pytest collected no tests" >&2; \
	elif [ $(2) -ne 0 ]; then echo "$(1): failed (exit status $(2))" >&2; fi

.PHONY: test
test: $(VENV)/.installed-dev messages node_modules/.installed chromium redis-server postgresql nginx
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(DEV_ENV) $(PY) manage.py check
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	@echo "== The test suite on SQLite; at the same time on PostgreSQL ($(PG_LOG)) and the browser tests in two shares ($(call BROWSER_LOG,1), $(call BROWSER_LOG,2))"
	@mkdir -p $(dir $(PG_LOG)); \
	$(POSTGRESQL_PASS) >$(PG_LOG) 2>&1 & postgresql=$$!; \
	$(call BROWSER_PASS,1) >$(call BROWSER_LOG,1) 2>&1 & browser1=$$!; \
	$(call BROWSER_PASS,2) >$(call BROWSER_LOG,2) 2>&1 & browser2=$$!; \
	$(SQLITE_PASS); sqlite_status=$$?; \
	wait $$postgresql; postgresql_status=$$?; \
	wait $$browser1; browser1_status=$$?; \
	wait $$browser2; browser2_status=$$?; \
	echo "== The test suite on PostgreSQL (a throwaway cluster under /tmp)"; cat $(PG_LOG); \
	echo "== The browser tests, on PostgreSQL, share 1"; cat $(call BROWSER_LOG,1); \
	echo "== The browser tests, on PostgreSQL, share 2"; cat $(call BROWSER_LOG,2); \
	$(call pytest_status,SQLite,$$sqlite_status); $(call pytest_status,PostgreSQL,$$postgresql_status); \
	$(call pytest_status,Browser share 1,$$browser1_status); $(call pytest_status,Browser share 2,$$browser2_status); \
	[ $$sqlite_status -eq 0 ] && [ $$postgresql_status -eq 0 ] && [ $$browser1_status -eq 0 ] && [ $$browser2_status -eq 0 ]

.PHONY: bench
bench: $(VENV)/.installed-dev node_modules/.installed redis-server postgresql
	$(PY) -m bench

.PHONY: clean
clean:
	rm -rf $(VENV) node_modules staticfiles media outbox db.sqlite3 test-artifacts locale/*/LC_MESSAGES/*.mo
