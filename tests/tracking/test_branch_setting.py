"""The setting pggit.branch is checked wherever it is read (level 8).

``SET pggit.branch = 'bad name'`` (or a valid name with no such branch, or a deleted
branch) used to record DDL under that name without a word. Now the statement fails with
an error naming the setting and its (clipped) value, with a HINT, and leaves no history
row; every other reader of the setting answers the same way.
"""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.pggit_level(min=8)

CASES = [
    ("bad name", "22023", 'invalid setting pggit.branch = "bad name": must not contain a space'),
    ("nosuch", "42704", 'setting pggit.branch = "nosuch" names no branch'),
    ("gone", "55000", 'setting pggit.branch = "gone" names a deleted branch'),
    ("x" * 10_000, "22023", 'invalid setting pggit.branch = "' + "x" * 61 + '...": must be at most 255 bytes'),
]
HINT = "RESET pggit.branch (the session then records on main), or switch with SELECT pggit.checkout('<branch>')."


def history_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0]  # type: ignore[index]


def setup(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    conn.execute("SELECT pggit.create_branch('gone')")
    conn.execute("SELECT pggit.delete_branch('gone')")
    conn.execute("CREATE TABLE public.kept (id int)")


def assert_refused(conn: psycopg.Connection, statement: str, sqlstate: str, message: str) -> None:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(statement)
    assert caught.value.sqlstate == sqlstate
    assert caught.value.diag.message_primary == message
    assert caught.value.diag.message_hint == HINT


@pytest.mark.parametrize(("value", "sqlstate", "message"), CASES, ids=["invalid", "missing", "deleted", "long"])
def test_ddl_on_a_bad_branch_setting_fails_and_records_nothing(
        pggit_conn: psycopg.Connection, value: str, sqlstate: str, message: str) -> None:
    conn = pggit_conn
    setup(conn)
    before = history_count(conn)
    conn.execute("SELECT set_config('pggit.branch', %s, false)", (value,))
    for ddl in ("CREATE TABLE public.t (id int)", "ALTER TABLE public.kept ADD COLUMN v text",
                "DROP TABLE public.kept", "CREATE VIEW public.v AS SELECT 1 AS one"):
        assert_refused(conn, ddl, sqlstate, message)
    assert history_count(conn) == before
    assert conn.execute("SELECT count(*) FROM pggit.history WHERE branch = %s", (value,)).fetchone() == (0,)
    assert conn.execute("SELECT to_regclass('public.t'), to_regclass('public.kept') IS NOT NULL").fetchone() == (
        None, True)
    # paused tracking records 'untracked' rows on the session's branch: refused the same way
    assert_refused(conn, "SELECT pggit.pause_tracking('maintenance')", sqlstate, message)
    assert history_count(conn) == before
    conn.execute("RESET pggit.branch")
    conn.execute("CREATE TABLE public.t (id int)")
    assert conn.execute("SELECT branch FROM pggit.history ORDER BY id DESC LIMIT 1").fetchone() == ("main",)


@pytest.mark.parametrize(("value", "sqlstate", "message"), CASES, ids=["invalid", "missing", "deleted", "long"])
def test_every_reader_of_the_setting_answers_the_same(
        pggit_conn: psycopg.Connection, value: str, sqlstate: str, message: str) -> None:
    conn = pggit_conn
    setup(conn)
    conn.execute("SELECT set_config('pggit.branch', %s, false)", (value,))
    for query in ("SELECT pggit.current_branch()", "SELECT * FROM pggit.status()",
                  "SELECT pggit.pause_tracking('x')", "SELECT pggit.resume_tracking()",
                  "SELECT pggit.checkout('main', true)"):
        assert_refused(conn, query, sqlstate, message)
    assert len(message) <= 300
    # an explicit branch does not read the setting; level 2's checkout switches away from it
    assert [r[0] for r in conn.execute("SELECT object_identity FROM pggit.status('main')")] == ["public.kept"]
    assert conn.execute("SELECT pggit.commit_changes('main', 'fine')").fetchone() is not None
    assert conn.execute("SELECT pggit.checkout('main')").fetchone() == ("main",)
    assert conn.execute("SELECT pggit.current_branch()").fetchone() == ("main",)


def test_a_live_branch_in_the_setting_is_recorded_on(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    setup(conn)
    conn.execute("SELECT pggit.create_branch('feature')")
    conn.execute("SET pggit.branch = 'feature'")
    conn.execute("CREATE TABLE public.f (id int)")
    assert conn.execute("SELECT branch FROM pggit.history ORDER BY id DESC LIMIT 1").fetchone() == ("feature",)
    assert [r[0] for r in conn.execute("SELECT object_identity FROM pggit.status()")] == ["public.f"]
    for empty in ("''", "main"):
        conn.execute(f"SET pggit.branch = {empty}")
        assert conn.execute("SELECT pggit.current_branch()").fetchone() == ("main",)
