"""pggit.checkout(branch, apply => true) and pggit.revert(commit) (level 4).

checkout with apply makes the live schema the branch head's (diff(WORKING, branch) is
empty), refuses uncommitted changes and data loss without force, and leaves nothing
behind when it fails; checkout(branch) and checkout(branch, false) are level 2's.
revert of a head brings the live schema back to the parent's and records
'Revert "<message>"'; its refusals.
"""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.pggit_level(min=4)


def commit(conn: psycopg.Connection, branch: str, message: str = "") -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, %s)", (branch, message)).fetchone()[0]


def diff(conn: psycopg.Connection, a: str, b: str) -> list[tuple]:
    return conn.execute("SELECT object_identity, change FROM pggit.diff(%s, %s)", (a, b)).fetchall()


def branch(conn: psycopg.Connection) -> str:
    return conn.execute("SELECT pggit.current_branch()").fetchone()[0]


def fork(conn: psycopg.Connection) -> None:
    """main: app.t(id, a) with a row; feature: t gains b, new table u, view v; main then gains app.m."""
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    conn.execute("INSERT INTO app.t VALUES (1, 'x')")
    commit(conn, "main", "base")
    conn.execute("SELECT pggit.create_branch('feature')")
    conn.execute("SELECT pggit.checkout('feature')")
    conn.execute("ALTER TABLE app.t ADD COLUMN b int DEFAULT 7")
    conn.execute("CREATE TABLE app.u (id int PRIMARY KEY)")
    conn.execute("CREATE VIEW app.v AS SELECT id, b FROM app.t")
    commit(conn, "feature", "feature work")
    conn.execute("SELECT pggit.checkout('main')")
    # the live schema is feature's: bring it back to main by hand, then commit main's own change
    conn.execute("DROP VIEW app.v")
    conn.execute("DROP TABLE app.u")
    conn.execute("ALTER TABLE app.t DROP COLUMN b")
    conn.execute("CREATE TABLE app.m (id int)")
    commit(conn, "main", "m")
    assert diff(conn, "WORKING", "main") == []


def test_checkout_without_apply_is_level_2(pggit_conn: psycopg.Connection) -> None:
    fork(pggit_conn)
    assert pggit_conn.execute("SELECT pggit.checkout('feature')").fetchone() == ("feature",)
    assert branch(pggit_conn) == "feature"
    assert pggit_conn.execute("SELECT pggit.checkout('main', false)").fetchone() == ("main",)
    assert branch(pggit_conn) == "main"
    assert pggit_conn.execute("SELECT pggit.checkout('feature', apply => false)").fetchone() == ("feature",)
    assert diff(pggit_conn, "WORKING", "main") == []  # nothing applied
    with pytest.raises(psycopg.errors.UndefinedObject):
        pggit_conn.execute("SELECT pggit.checkout('nope', false)")
    with pytest.raises(psycopg.errors.UndefinedObject):
        pggit_conn.execute("SELECT pggit.checkout('nope')")


def test_checkout_apply_reaches_the_branch_and_back(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    assert diff(conn, "WORKING", "feature") != []
    assert conn.execute("SELECT pggit.checkout('feature', apply => true)").fetchone() == ("feature",)
    assert branch(conn) == "feature"
    assert diff(conn, "WORKING", "feature") == []
    assert conn.execute("SELECT id, a, b FROM app.t").fetchall() == [(1, "x", 7)]
    # the applied DDL is recorded pending on feature; its commit changes nothing in the tree
    assert conn.execute("SELECT count(*) FROM pggit.status('feature')").fetchone()[0] > 0
    settle = commit(conn, "feature", "after checkout")
    assert diff(conn, settle, conn.execute("SELECT parent_hash FROM pggit.commits WHERE hash = %s",
                                           (settle,)).fetchone()[0]) == []
    # back to main: app.t.b holds values (the default 7), so that needs force
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data"):
        conn.execute("SELECT pggit.checkout('main', apply => true)")
    assert branch(conn) == "feature" and diff(conn, "WORKING", "feature") == []  # nothing left
    conn.execute("SELECT pggit.checkout('main', apply => true, force => true)")
    assert branch(conn) == "main"
    assert diff(conn, "WORKING", "main") == []
    assert conn.execute("SELECT id, a FROM app.t").fetchall() == [(1, "x")]


def test_checkout_apply_drops_empty_tables_without_force(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    commit(conn, "feature")
    conn.execute("UPDATE app.t SET b = NULL")  # b holds no value any more; app.u has no row
    conn.execute("SELECT pggit.checkout('main', apply => true)")
    assert diff(conn, "WORKING", "main") == []


def test_checkout_apply_refuses_a_table_with_rows(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    commit(conn, "feature")
    conn.execute("UPDATE app.t SET b = NULL")
    conn.execute("INSERT INTO app.u VALUES (1)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data") as err:
        conn.execute("SELECT pggit.checkout('main', apply => true)")
    assert "app.u" in err.value.diag.message_detail and "app.t" not in err.value.diag.message_detail
    assert diff(conn, "WORKING", "feature") == []
    assert conn.execute("SELECT count(*) FROM app.u").fetchone() == (1,)


def test_checkout_apply_refuses_uncommitted_changes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("CREATE TABLE app.pending (id int)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match='branch "main" has 1 uncommitted') as err:
        conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert "app.pending" in err.value.diag.message_detail
    assert branch(conn) == "main"
    assert conn.execute("SELECT to_regclass('app.u')").fetchone() == (None,)
    commit(conn, "main")
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert diff(conn, "WORKING", "feature") == []


def test_checkout_apply_is_one_transaction(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("BEGIN")
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert diff(conn, "WORKING", "feature") == []
    conn.execute("ROLLBACK")
    assert branch(conn) == "main"
    assert diff(conn, "WORKING", "main") == []
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("SELECT pggit.checkout('feature', NULL)")


def test_revert_of_the_head(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    parent = commit(conn, "main", "base")
    conn.execute("ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 'd'")
    conn.execute("CREATE TABLE app.n (id int)")
    conn.execute("CREATE INDEX t_a ON app.t (a)")
    head = commit(conn, "main", "add n")
    new = conn.execute("SELECT pggit.revert(%s)", (head,)).fetchone()[0]
    assert diff(conn, parent, "WORKING") == []
    assert diff(conn, parent, new) == []
    row = conn.execute("SELECT parent_hash, message FROM pggit.commits WHERE hash = %s", (new,)).fetchone()
    assert row == (head, 'Revert "add n"')
    assert conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'").fetchone() == (new,)
    assert conn.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
    # reverting the revert brings the change back
    again = conn.execute("SELECT pggit.revert('main')").fetchone()[0]
    assert diff(conn, head, again) == [] and diff(conn, head, "WORKING") == []


def test_revert_refusals(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    root = commit(conn, "main", "base")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY)")
    first = commit(conn, "main", "t")
    conn.execute("INSERT INTO app.t VALUES (1)")
    with pytest.raises(psycopg.errors.UndefinedObject):
        conn.execute("SELECT pggit.revert('nope')")
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("SELECT pggit.revert(NULL)")
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT pggit.revert('WORKING')")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="root commit"):
        conn.execute("SELECT pggit.revert(%s)", (root,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data"):
        conn.execute("SELECT pggit.revert(%s)", (first,))
    assert conn.execute("SELECT count(*) FROM app.t").fetchone() == (1,)
    conn.execute("CREATE TABLE app.x (id int)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="uncommitted"):
        conn.execute("SELECT pggit.revert(%s)", (first,))
    second = commit(conn, "main", "x")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="not the head"):
        conn.execute("SELECT pggit.revert(%s)", (first,))
    conn.execute("SELECT pggit.revert(%s, force => true)", (second,))
    assert diff(conn, first, "WORKING") == []
    conn.execute("SELECT pggit.revert('main')")  # reverting the revert re-creates app.x: nothing lost
    assert diff(conn, second, "WORKING") == []


def test_checkout_apply_other_lossy_steps_need_force(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TYPE app.e AS ENUM ('a', 'b', 'c')")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, n bigint)")
    commit(conn, "main", "base")
    conn.execute("SELECT pggit.create_branch('narrow')")
    conn.execute("SELECT pggit.checkout('narrow')")
    conn.execute("ALTER TABLE app.t ALTER COLUMN n TYPE integer")
    conn.execute("DROP TYPE app.e")
    conn.execute("CREATE TYPE app.e AS ENUM ('a', 'b')")
    commit(conn, "narrow", "narrow")
    conn.execute("SELECT pggit.checkout('main', apply => true)")  # widening and new labels: nothing lost
    assert diff(conn, "WORKING", "main") == []
    commit(conn, "main")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data") as err:
        conn.execute("SELECT pggit.checkout('narrow', apply => true)")  # empty table, but a narrowing and an enum
    assert "app.t" in err.value.diag.message_detail and "app.e" in err.value.diag.message_detail
    conn.execute("SELECT pggit.checkout('narrow', apply => true, force => true)")
    assert diff(conn, "WORKING", "narrow") == []
