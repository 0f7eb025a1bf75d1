"""The SQL-first guard: ``sql/functions`` must define exactly the functions of the head level.

:func:`function_drift` runs on a database at head, inside a transaction that is always
rolled back: it fingerprints pggit's functions (definition, volatility, security,
``proconfig``, comment, ACL — see :func:`pggit_sql.catalog.fingerprint`), drops every
one of them, executes every file under ``sql/functions`` and fingerprints again.  Any
difference — a function only on one side, or any attribute differing — is drift.  The
database is left exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from pggit_sql import catalog
from pggit_sql.errors import PggitError
from pggit_sql.levels import functions_dir as default_functions_dir

ROUTINE_KEYS = ("function ", "procedure ", "aggregate ")
_DROP = {"f": "FUNCTION", "w": "FUNCTION", "p": "PROCEDURE", "a": "AGGREGATE"}


def function_files(directory: Path | None = None) -> list[Path]:
    """Every ``*.sql`` under ``directory`` (default ``sql/functions``), in path order."""
    directory = directory or default_functions_dir()
    if not directory.is_dir():
        raise PggitError(f"functions folder {directory} does not exist")
    return sorted(directory.rglob("*.sql"))


def function_fingerprint(conn: psycopg.Connection, schemas: list[str] | None = None) -> dict[str, str]:
    """Fingerprints of the functions, procedures and aggregates in pggit's schemas."""
    schemas = catalog.pggit_schemas(conn) if schemas is None else schemas
    return catalog.only(ROUTINE_KEYS, catalog.fingerprint(conn, schemas))


def drop_functions(conn: psycopg.Connection, schemas: list[str]) -> None:
    """Drop every routine in ``schemas`` (CASCADE: meant for a transaction that is rolled back)."""
    rows = conn.execute(
        "SELECT p.prokind, format('%%I.%%I(%%s)', n.nspname, p.proname,"
        " pg_catalog.pg_get_function_identity_arguments(p.oid))"
        " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
        "   WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')",
        (schemas,),
    ).fetchall()
    for kind, signature in rows:
        conn.execute(sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
            sql.SQL(_DROP[kind]), sql.SQL(signature)))


def run_file(conn: psycopg.Connection, path: Path) -> None:
    """Execute one functions file; PggitError naming the file when it fails."""
    try:
        conn.execute(path.read_text(encoding="utf-8").encode())
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PggitError(f"{path}: {message}") from None


@contextmanager
def rolled_back(conn: psycopg.Connection) -> Iterator[None]:
    """A transaction (or savepoint) that is always rolled back."""
    with conn.transaction(force_rollback=True):
        yield


def function_drift(conn: psycopg.Connection, functions_dir: Path | None = None) -> list[str]:
    """Differences between the database's pggit functions and ``sql/functions``; empty when none.

    Each line names the routine: ``only in the database: …``, ``only in sql/functions: …``,
    or ``differs: …`` followed by the differing attribute lines.
    """
    files = function_files(functions_dir)
    with rolled_back(conn):
        schemas = catalog.pggit_schemas(conn)
        if not schemas:
            raise PggitError("the database has no pggit schema: migrate it to head first")
        live = function_fingerprint(conn, schemas)
        drop_functions(conn, schemas)
        # as pg_dump does: files load in path order, and a SQL function may call one that a
        # later file defines (get_version -> version_in_transaction)
        conn.execute("SET LOCAL check_function_bodies = off")
        for path in files:
            run_file(conn, path)
        defined = function_fingerprint(conn, schemas)
    return describe_drift(live, defined)


def describe_drift(live: dict[str, str], defined: dict[str, str]) -> list[str]:
    """Human lines for the differences between database (``live``) and files (``defined``)."""
    lines: list[str] = []
    for line in catalog.diff(defined, live):
        head, _, rest = line.partition(": ")
        if head == "missing":
            lines.append(f"only in sql/functions: {rest}")
        elif head == "unexpected":
            lines.append(f"only in the database: {rest}")
        else:
            lines.append(f"differs (- sql/functions, + database): {rest}")
    return lines
