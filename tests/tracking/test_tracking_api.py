"""pggit.get_version, pggit.table_versions and the privileges around the tracking tables."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from trackhelp import last_history_id, strict, version

pytestmark = pytest.mark.pggit_level(min=2)


@pytest.fixture
def conn(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    strict(pggit_conn)
    pggit_conn.execute('CREATE SCHEMA "My S"')
    pggit_conn.execute('CREATE TABLE "My S"."T" (id int)')
    pggit_conn.execute('ALTER TABLE "My S"."T" ADD COLUMN x int')  # 1.1.0
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.orders (id int)")
    pggit_conn.execute("CREATE TABLE public.orders (id int, x int)")
    pggit_conn.execute("ALTER TABLE public.orders DROP COLUMN x")  # 2.0.0
    pggit_conn.execute("CREATE FUNCTION app.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a'")
    pggit_conn.execute("CREATE FUNCTION app.f(a text) RETURNS int LANGUAGE sql AS 'SELECT 1'")
    pggit_conn.execute("CREATE FUNCTION app.g() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    pggit_conn.execute("CREATE OR REPLACE FUNCTION app.g() RETURNS int LANGUAGE sql AS 'SELECT 2'")  # 1.0.1
    pggit_conn.execute("CREATE TYPE app.mood AS ENUM ('ok')")
    pggit_conn.execute("CREATE SEQUENCE app.counter")
    return pggit_conn


def rows(conn: psycopg.Connection, name: str | None) -> list[tuple]:
    return conn.execute("SELECT major, minor, patch, version, kind, identity FROM pggit.get_version(%s)",
                        (name,)).fetchall()


def test_resolution_follows_search_path_and_quoting(conn: psycopg.Connection) -> None:
    assert rows(conn, "orders") == [(2, 0, 0, "2.0.0", "table", "public.orders")]
    assert rows(conn, "public.orders") == rows(conn, "PUBLIC.ORDERS") == rows(conn, ' public . "orders" ')
    assert rows(conn, "app.orders") == [(1, 0, 0, "1.0.0", "table", "app.orders")]
    conn.execute("SET search_path = app, public")
    assert rows(conn, "orders") == [(1, 0, 0, "1.0.0", "table", "app.orders")]
    assert rows(conn, "mood") == [(1, 0, 0, "1.0.0", "type", "app.mood")]
    assert rows(conn, "counter") == [(1, 0, 0, "1.0.0", "sequence", "app.counter")]
    conn.execute("RESET search_path")
    assert rows(conn, '"My S"."T"') == [(1, 1, 0, "1.1.0", "table", '"My S"."T"')]
    assert rows(conn, '"my s"."t"') == [] and rows(conn, "My S.T") == []
    assert rows(conn, '"My S"') == [(1, 0, 0, "1.0.0", "schema", '"My S"')]
    assert rows(conn, "app") == [(1, 0, 0, "1.0.0", "schema", "app")]


def test_routines_by_signature_or_unambiguous_name(conn: psycopg.Connection) -> None:
    assert rows(conn, "app.f(integer)") == [(1, 0, 0, "1.0.0", "function", "app.f(integer)")]
    assert rows(conn, "app.f(int4)") == rows(conn, "app.f(integer)")
    # the identity as pg_identify_object prints it
    assert rows(conn, "app.f(text)") == [(1, 0, 0, "1.0.0", "function", "app.f(pg_catalog.text)")]
    assert rows(conn, "app.f") == []  # ambiguous: two overloads
    assert rows(conn, "app.g") == [(1, 0, 1, "1.0.1", "function", "app.g()")]
    assert rows(conn, "app.g()") == rows(conn, "app.g")


@pytest.mark.parametrize("name", [None, "", "nope", "public.nope", "app.f(bigint)", "a.b.c.d", "x.y.z", '"open',
                                  "f(int", "pg_catalog.pg_class", "pggit.objects", "integer", "1 + 1", "app.",
                                  "public.orders_pkey"])
def test_zero_rows_for_anything_not_tracked(conn: psycopg.Connection, name: str | None) -> None:
    assert rows(conn, name) == []


def test_zero_rows_once_dropped(conn: psycopg.Connection) -> None:
    conn.execute("DROP TABLE app.orders")
    assert rows(conn, "app.orders") == []
    conn.execute("CREATE TABLE app.orders (id int)")
    assert rows(conn, "app.orders") == [(1, 0, 0, "1.0.0", "table", "app.orders")]


def test_more_columns(conn: psycopg.Connection) -> None:
    (hash_, updated_at, identity) = conn.execute(
        "SELECT hash, updated_at, identity FROM pggit.get_version('public.orders')").fetchone()
    assert hash_ == conn.execute("SELECT pggit.calculate_schema_hash('public.orders')").fetchone()[0]
    assert updated_at is not None and identity == "public.orders"


def test_table_versions(conn: psycopg.Connection) -> None:
    got = conn.execute("SELECT schema_name, table_name, major, minor, patch, version FROM pggit.table_versions"
                       " ORDER BY 1, 2").fetchall()
    assert got == [("My S", "T", 1, 1, 0, "1.1.0"), ("app", "orders", 1, 0, 0, "1.0.0"),
                   ("public", "orders", 2, 0, 0, "2.0.0")]
    conn.execute("DROP TABLE app.orders")
    conn.execute("CREATE VIEW app.not_a_table AS SELECT 1")
    assert conn.execute("SELECT count(*) FROM pggit.table_versions WHERE schema_name = 'app'").fetchone() == (0,)


def test_get_version_is_inlined_into_the_callers_query(conn: psycopg.Connection) -> None:
    """get_version is a plain SQL function the planner inlines: no function call per row.

    The speed itself (>= 20,000 calls/s) is measured by `make bench`, not asserted here.
    """
    plan = "\n".join(row[0] for row in conn.execute(
        "EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM generate_series(1, 10) g,"
        " pggit.get_version(CASE WHEN g > 0 THEN 'public.orders' END)"))
    assert "get_version" not in plan, plan
    (count,) = conn.execute("SELECT count(*) FROM generate_series(1, 100) g,"
                            " pggit.get_version(CASE WHEN g > 0 THEN 'public.orders' END)").fetchone()
    assert count == 100


# --------------------------------------------------------------------------- privileges


@pytest.fixture
def ordinary(conn: psycopg.Connection, pggit_dsn: str) -> psycopg.Connection:
    """A connection as an ordinary role that owns a schema (created in the test's database)."""
    role = "tracking_user_" + conn.execute("SELECT substr(md5(random()::text), 1, 8)").fetchone()[0]
    conn.execute(f"CREATE ROLE {role} LOGIN")
    conn.execute(f"CREATE SCHEMA owned_by_user AUTHORIZATION {role}")
    user = psycopg.connect(pggit_dsn, user=role, autocommit=True)
    yield user
    user.close()
    conn.execute("DROP SCHEMA owned_by_user CASCADE")
    conn.execute(f"DROP OWNED BY {role}")
    conn.execute(f"DROP ROLE {role}")


def test_ordinary_role_ddl_is_tracked(conn: psycopg.Connection, ordinary: psycopg.Connection) -> None:
    strict(ordinary)
    (role,) = ordinary.execute("SELECT current_user").fetchone()
    before = last_history_id(conn)
    ordinary.execute("CREATE TABLE owned_by_user.mine (id int)")
    ordinary.execute("ALTER TABLE owned_by_user.mine ADD COLUMN note text")
    ordinary.execute("CREATE INDEX ON owned_by_user.mine (note)")
    ordinary.execute("DROP TABLE owned_by_user.mine")
    got = conn.execute("SELECT object_identity, change, role FROM pggit.history WHERE id > %s ORDER BY id",
                       (before,)).fetchall()
    assert got == [("owned_by_user.mine", "create", role), ("owned_by_user.mine", "minor", role),
                   ("owned_by_user.mine", "minor", role), ("owned_by_user.mine", "drop", role)]
    assert version(ordinary, "owned_by_user.mine") is None
    ordinary.execute("CREATE TABLE owned_by_user.again (id int)")
    assert version(ordinary, "owned_by_user.again") == "1.0.0"  # readable by the ordinary role


def test_set_role_is_recorded(conn: psycopg.Connection, ordinary: psycopg.Connection) -> None:
    (role,) = ordinary.execute("SELECT current_user").fetchone()
    conn.execute(f"SET ROLE {role}")
    conn.execute("CREATE TABLE owned_by_user.via_set_role (id int)")
    conn.execute("RESET ROLE")
    assert conn.execute("SELECT role FROM pggit.history WHERE object_identity = 'owned_by_user.via_set_role'"
                        ).fetchone() == (role,)


@pytest.mark.parametrize("statement", [
    "INSERT INTO pggit.history (command_tag, change, role, branch) VALUES ('x', 'none', 'me', 'main')",
    "UPDATE pggit.history SET note = 'forged'",
    "DELETE FROM pggit.history",
    "INSERT INTO pggit.blobs (hash, definition) VALUES (repeat('a', 64), 'x')",
    "UPDATE pggit.objects SET major = 99",
    "DELETE FROM pggit.objects",
    "DELETE FROM pggit.blobs",
    "SELECT pggit.track_object('pg_class'::regclass, 'pggit.objects'::regclass, 'X')",
    "SELECT pggit.reconcile('X')",
])
def test_ordinary_role_cannot_write_tracking_tables(
    conn: psycopg.Connection, ordinary: psycopg.Connection, statement: str
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        ordinary.execute(statement)


def test_ordinary_role_reads_and_pauses(ordinary: psycopg.Connection, pggit_connect: Callable) -> None:
    assert ordinary.execute("SELECT count(*) > 0 FROM pggit.history").fetchone() == (True,)
    ordinary.execute("SELECT pggit.pause_tracking('mine')")
    ordinary.execute("CREATE TABLE owned_by_user.paused (id int)")
    ordinary.execute("SELECT pggit.resume_tracking()")
    got = ordinary.execute("SELECT change FROM pggit.history WHERE object_identity = 'owned_by_user.paused'"
                           " ORDER BY id").fetchall()
    assert got == [("untracked",), ("register",)]
