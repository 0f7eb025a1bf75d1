"""generate_migration (level 4): hand-written cases and the round-trip oracle.

The oracle: hypothesis draws a schema A (tables with columns, keys, unique and check
constraints, indexes, views, functions, enum types) and a schema B derived from it
(tables kept, changed, dropped and added; columns dropped, added, retyped, with NOT
NULL and defaults changed; constraints, indexes, views, functions and enum labels
changed). A is built and committed, then replaced by B (WORKING; also committed).
A is built again with one row in every table, and generate_migration(A, B) is applied
to it, lossy steps included (they come commented out with a warning: the test takes
the user's part and runs them): the catalog fingerprint of the user schemas equals
B's, and the row survives in every table B keeps, in every column B keeps.
"""

from __future__ import annotations

import psycopg
import pytest

from pggit_sql import catalog

pytestmark = pytest.mark.pggit_level(min=4)


def commit(conn: psycopg.Connection) -> str:
    return conn.execute("SELECT pggit.commit_changes('main', '')").fetchone()[0]


def migration(conn: psycopg.Connection, a: str, b: str) -> list[tuple[int, str, str | None]]:
    return conn.execute("SELECT * FROM pggit.generate_migration(%s, %s)", (a, b)).fetchall()


def apply(conn: psycopg.Connection, steps: list[tuple[int, str, str | None]]) -> None:
    for _, statement, warning in steps:
        if statement.startswith("-- "):
            assert warning is not None, f"commented step without a warning: {statement}"
            statement = statement[3:]
        conn.execute(statement)


def test_smoke(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text, b int CHECK (b >= 0), gone int)")
    conn.execute("CREATE INDEX t_a_idx ON app.t (a)")
    conn.execute("CREATE VIEW app.v AS SELECT id, a FROM app.t")
    conn.execute("CREATE TYPE app.e AS ENUM ('x', 'y')")
    conn.execute("CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    ca = commit(conn)
    conn.execute("DROP VIEW app.v")
    conn.execute("ALTER TABLE app.t DROP COLUMN gone, ALTER COLUMN a TYPE varchar(10), ALTER COLUMN b TYPE bigint")
    conn.execute("CREATE VIEW app.v AS SELECT id, a FROM app.t")
    conn.execute("ALTER TABLE app.t ADD COLUMN c text DEFAULT 'q' NOT NULL, ADD CONSTRAINT t_c_u UNIQUE (c)")
    conn.execute("ALTER TYPE app.e ADD VALUE 'w' BEFORE 'x'")
    conn.execute("CREATE TABLE app.n (id bigint, e app.e)")
    conn.execute("CREATE OR REPLACE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 2'")
    steps = migration(conn, ca, "WORKING")
    for s in steps:
        print(s)
    want = catalog.fingerprint(conn, ["app"])
    cb = commit(conn)
    assert migration(conn, ca, cb) == steps
    conn.execute("DROP SCHEMA app CASCADE")
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text, b int CHECK (b >= 0), gone int)")
    conn.execute("CREATE INDEX t_a_idx ON app.t (a)")
    conn.execute("CREATE VIEW app.v AS SELECT id, a FROM app.t")
    conn.execute("CREATE TYPE app.e AS ENUM ('x', 'y')")
    conn.execute("CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    conn.execute("INSERT INTO app.t VALUES (1, 'abc', 5, 9)")
    apply(conn, steps)
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    assert conn.execute("SELECT id, a, b, c FROM app.t").fetchall() == [(1, "abc", 5, "q")]
