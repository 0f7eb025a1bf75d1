"""Helpers shared by the tracking tests (tests/tracking has no package: imported by name)."""

from __future__ import annotations

from typing import Any

import psycopg

HISTORY_COLUMNS = ("id, object_id, object_kind, object_identity, old_identity, subobject_identity, command_tag,"
                   " change, statement, old_version, new_version, old_hash, new_hash, role, txid, branch,"
                   " commit_hash, note")


def strict(conn: psycopg.Connection) -> psycopg.Connection:
    """Make tracking errors raise instead of becoming a WARNING (pggit.strict)."""
    conn.execute("SET pggit.strict = on")
    return conn


def settle(conn: psycopg.Connection) -> None:
    """From level 9, finish the transaction's pending DDL before reading pggit's tables directly.

    Tracked DDL leaves 'pending' history rows that pggit describes at the end of the
    transaction or at the first pggit function that reads them; a test reading the
    tables themselves inside the transaction asks for that first, as a user would.
    """
    if conn.execute("SELECT to_regprocedure('pggit.settle_pending()') IS NOT NULL").fetchone()[0]:
        conn.execute("SELECT pggit.settle_pending()")


def last_history_id(conn: psycopg.Connection) -> int:
    settle(conn)
    return conn.execute("SELECT coalesce(max(id), 0) FROM pggit.history").fetchone()[0]


def history_since(conn: psycopg.Connection, after: int) -> list[dict[str, Any]]:
    """History rows with id > after, oldest first, as dicts."""
    settle(conn)
    cur = conn.execute(f"SELECT {HISTORY_COLUMNS} FROM pggit.history WHERE id > %s ORDER BY id", (after,))
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def changes_since(conn: psycopg.Connection, after: int) -> list[tuple[str | None, str]]:
    """(object_identity, change) of the history rows after ``after``."""
    return [(row["object_identity"], row["change"]) for row in history_since(conn, after)]


def version(conn: psycopg.Connection, name: str) -> str | None:
    """pggit.get_version(name).version, or None for zero rows."""
    rows = conn.execute("SELECT version FROM pggit.get_version(%s)", (name,)).fetchall()
    assert len(rows) <= 1, rows
    return rows[0][0] if rows else None


def registry(conn: psycopg.Connection, identity: str) -> list[tuple[Any, ...]]:
    """(id, kind, version, dropped) of every registry row with this identity, oldest first."""
    settle(conn)
    return conn.execute(
        "SELECT id, kind, major || '.' || minor || '.' || patch, dropped_at IS NOT NULL, objid"
        " FROM pggit.objects WHERE identity = %s ORDER BY id", (identity,)).fetchall()


def schema_hash(conn: psycopg.Connection, table: str) -> str | None:
    return conn.execute("SELECT pggit.calculate_schema_hash(%s)", (table,)).fetchone()[0]


def failed_rows(conn: psycopg.Connection) -> list[str]:
    """Notes of history rows recording a tracking failure (must stay empty)."""
    settle(conn)
    return [row[0] for row in conn.execute(
        "SELECT note FROM pggit.history WHERE note LIKE 'tracking failed%'").fetchall()]
