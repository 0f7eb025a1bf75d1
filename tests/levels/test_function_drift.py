"""The SQL-first guard: a head database has exactly the functions sql/functions defines.

Planted differences — a changed definition in a copy of sql/functions, an extra
function in the database, a changed grant, volatility or ``proconfig`` — are each
reported, and the check leaves the database as it found it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog
from pggit_sql.functions_sync import function_drift, function_files
from pggit_sql.migrate import Migrator


@pytest.fixture
def functions_dir(pggit_migrations_dir: Path) -> Path:
    folder = pggit_migrations_dir.parent / "functions"
    assert folder.is_dir() and function_files(folder), f"{folder} has no function files"
    return folder


@pytest.fixture
def head_conn(pggit_head: int, pggit_new_database: Callable[[int], str]) -> psycopg.Connection:
    assert pggit_head > 0, "sql/migrations has no level"
    conn = psycopg.connect(pggit_new_database(pggit_head), autocommit=True)
    yield conn
    conn.close()


def some_function(conn: psycopg.Connection, volatility: str | None = None) -> tuple[str, str, str]:
    """(catalog key, signature for SQL, provolatile) of one plain pggit function."""
    row = conn.execute(
        "SELECT 'function ' || n.nspname || '.' || p.proname || '('"
        " || pg_get_function_identity_arguments(p.oid) || ')', p.oid::regprocedure::text, p.provolatile"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'pggit' AND p.prokind = 'f' AND (%s::text IS NULL OR p.provolatile = %s)"
        " ORDER BY p.proname LIMIT 1", (volatility, volatility)).fetchone()
    assert row is not None, f"pggit has no plain function (volatility {volatility})"
    return row[0], row[1], row[2]


def test_head_has_no_drift(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    drift = function_drift(head_conn, functions_dir)
    assert drift == [], "\n".join(drift)


def test_check_leaves_the_database_unchanged(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    before = catalog.fingerprint(head_conn)
    function_drift(head_conn, functions_dir)
    assert catalog.diff(before, catalog.fingerprint(head_conn)) == []


def test_changed_definition_in_files(head_conn: psycopg.Connection, functions_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "functions"
    shutil.copytree(functions_dir, copy)
    target = function_files(copy)[0]
    text = target.read_text()
    tag = re.search(r"\bAS\s+(\$[A-Za-z_]*\$)", text)
    assert tag, f"no dollar-quoted body in {target}"
    target.write_text(text[: tag.end()] + "\n-- planted change\n" + text[tag.end():])
    drift = function_drift(head_conn, copy)
    assert len(drift) == 1 and drift[0].startswith("differs"), drift
    assert "planted change" in drift[0]


def test_function_missing_from_files(head_conn: psycopg.Connection, functions_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "functions"
    shutil.copytree(functions_dir, copy)
    extra = copy / "zz_extra.sql"
    extra.write_text("CREATE FUNCTION pggit.planted_in_files() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n")
    assert function_drift(head_conn, copy) == ["only in sql/functions: function pggit.planted_in_files()"]


def test_extra_function_in_database(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    head_conn.execute("CREATE FUNCTION pggit.planted_extra(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$")
    assert function_drift(head_conn, functions_dir) == ["only in the database: function pggit.planted_extra(x integer)"]


def test_changed_acl(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    key, signature, _ = some_function(head_conn)
    head_conn.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO pg_monitor")
    drift = function_drift(head_conn, functions_dir)
    assert len(drift) == 1 and key in drift[0] and "acl=" in drift[0] and "pg_monitor" in drift[0]


def test_changed_volatility(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    key, signature, volatility = some_function(head_conn)
    other = "STABLE" if volatility != "s" else "VOLATILE"
    head_conn.execute(f"ALTER FUNCTION {signature} {other}")
    drift = function_drift(head_conn, functions_dir)
    assert len(drift) == 1 and key in drift[0] and "volatility=" in drift[0]


def test_changed_proconfig(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    key, signature, _ = some_function(head_conn)
    head_conn.execute(f"ALTER FUNCTION {signature} SET work_mem = '1234kB'")
    drift = function_drift(head_conn, functions_dir)
    assert len(drift) == 1 and key in drift[0] and "work_mem" in drift[0]


def test_changed_security(head_conn: psycopg.Connection, functions_dir: Path) -> None:
    key, signature, _ = some_function(head_conn)
    head_conn.execute(f"ALTER FUNCTION {signature} SECURITY DEFINER")
    drift = function_drift(head_conn, functions_dir)
    assert len(drift) == 1 and key in drift[0]


# --------------------------------------------------------------------------- without the real levels

TOY_FUNCTION = (
    "CREATE OR REPLACE FUNCTION pggit.toy(n int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT n + 1 $$;\n"
    "REVOKE ALL ON FUNCTION pggit.toy(int) FROM PUBLIC;\n"
    "COMMENT ON FUNCTION pggit.toy(int) IS 'toy';\n"
)


def test_toy_level_drift(pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    """The guard on a self-contained level (runs even before the real levels exist)."""
    migrations, functions = tmp_path / "sql" / "migrations", tmp_path / "sql" / "functions"
    migrations.mkdir(parents=True)
    functions.mkdir()
    (functions / "toy.sql").write_text(TOY_FUNCTION)
    (migrations / "0001_core.sql").write_text(
        f"CREATE SCHEMA pggit;\n{TOY_FUNCTION}COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n")
    (migrations / "0001_core.rollback.sql").write_text("DROP SCHEMA pggit CASCADE;\n")
    dsn = pggit_new_database(0)
    Migrator(dsn, migrations).migrate()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert function_drift(conn, functions) == []
        conn.execute("GRANT EXECUTE ON FUNCTION pggit.toy(int) TO PUBLIC")
        drift = function_drift(conn, functions)
        assert len(drift) == 1 and "function pggit.toy(n integer)" in drift[0]
        (functions / "toy.sql").write_text(TOY_FUNCTION.replace("n + 1", "n + 2"))
        conn.execute("REVOKE EXECUTE ON FUNCTION pggit.toy(int) FROM PUBLIC")
        drift = function_drift(conn, functions)
        assert len(drift) == 1 and "n + 2" in drift[0]
