"""Level 10: the branch and the tracking pause belong to the client that chose them (issue 17).

Behind a transaction pooler one server session serves many clients in turn, so a
session-wide setting one client leaves behind is read by the next. With
``pggit.pool_mode = transaction`` pggit.checkout and pggit.pause_tracking hold for the
calling transaction only, and pggit reads only what it set in the running transaction.

These tests model the pooler exactly: clients' transactions interleaved on one server
session (one connection). tests/operations/test_pooler_sessions.py runs the same
story through a real PgBouncer.
"""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trackhelp import history_since, last_history_id, strict

pytestmark = pytest.mark.pggit_level(min=10)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@pytest.fixture
def conn(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    """One server session, as a pooler in transaction mode hands it to client after client."""
    strict(pggit_conn)
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'init')")
    for name in ("feat", "other"):
        pggit_conn.execute("SELECT pggit.create_branch(%s)", (name,))
    pggit_conn.execute("SET pggit.pool_mode = transaction")
    return pggit_conn


def recorded(conn: psycopg.Connection, after: int) -> dict[str, tuple[str, str]]:
    """object identity -> (change, branch) of the history rows after ``after``."""
    return {row["object_identity"]: (row["change"], row["branch"])
            for row in history_since(conn, after) if row["object_identity"]}


def test_checkout_in_a_transaction_records_that_transaction_only(conn: psycopg.Connection) -> None:
    start = last_history_id(conn)
    with conn.transaction():  # client A
        assert conn.execute("SELECT pggit.checkout('feat')").fetchone() == ("feat",)
        conn.execute("CREATE TABLE a1 (id int)")
        assert conn.execute("SELECT pggit.current_branch()").fetchone() == ("feat",)
    conn.execute("CREATE TABLE b1 (id int)")  # client B, next on the same server session
    assert conn.execute("SELECT pggit.current_branch()").fetchone() == ("main",)
    assert recorded(conn, start) == {"public.a1": ("create", "feat"), "public.b1": ("create", "main")}


def test_a_session_wide_set_left_by_another_client_is_not_read(conn: psycopg.Connection) -> None:
    start = last_history_id(conn)
    conn.execute("SET pggit.branch = 'feat'")  # client A, session-wide: stays on the server session
    conn.execute("SET pggit.tracking = off")
    conn.execute("CREATE TABLE b2 (id int)")  # client B
    assert conn.execute("SELECT pggit.current_branch(), pggit.tracking_paused()").fetchone() == ("main", False)
    # not even a value naming no branch disturbs B (at level 8 it fails the DDL)
    conn.execute("SET pggit.branch = 'no-such-branch'")
    conn.execute("CREATE TABLE b3 (id int)")
    assert recorded(conn, start) == {"public.b2": ("create", "main"), "public.b3": ("create", "main")}


def test_pause_in_a_transaction_pauses_that_transaction_only(conn: psycopg.Connection) -> None:
    start = last_history_id(conn)
    with conn.transaction():  # client A
        conn.execute("SELECT pggit.pause_tracking('maintenance')")
        conn.execute("CREATE TABLE a3 (id int)")
        assert conn.execute("SELECT pggit.tracking_paused()").fetchone() == (True,)
    for name in ("b4", "b5", "b6", "b7"):  # client B's next four CREATE TABLEs
        conn.execute(f"CREATE TABLE {name} (id int)")
    assert recorded(conn, start) == {"public.a3": ("untracked", "main"),
                                     **{f"public.{n}": ("create", "main") for n in ("b4", "b5", "b6", "b7")}}
    changes = [row["change"] for row in history_since(conn, start)]
    assert changes.count("pause") == 1


def test_a_call_that_is_its_own_transaction_warns_and_holds_for_it_only(conn: psycopg.Connection) -> None:
    notices: list[tuple[str, str]] = []
    conn.add_notice_handler(lambda d: notices.append((d.severity_nonlocalized or "", d.message_primary or "")))
    start = last_history_id(conn)
    conn.execute("SELECT pggit.checkout('feat')")
    conn.execute("SELECT pggit.pause_tracking()")
    conn.execute("CREATE TABLE b8 (id int)")
    assert notices == [
        ("WARNING", "pggit.branch = 'feat' holds until this transaction ends (pggit.pool_mode = transaction)"),
        ("WARNING", "pggit.tracking = 'off' holds until this transaction ends (pggit.pool_mode = transaction)"),
    ]
    assert recorded(conn, start) == {"public.b8": ("create", "main")}


def test_resume_and_revert_keep_to_their_transaction(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("SELECT pggit.checkout('feat')")
        conn.execute("CREATE TABLE r1 (id int)")
        conn.execute("SELECT pggit.commit_changes('feat', 'r1')")
        head = conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = 'feat'").fetchone()[0]
    start = last_history_id(conn)
    with conn.transaction():
        conn.execute("SELECT pggit.revert(%s)", (head,))  # on feat, whose head it is
        assert conn.execute("SELECT pggit.current_branch()").fetchone() == ("main",)
        conn.execute("SELECT pggit.pause_tracking()")
        conn.execute("SELECT pggit.resume_tracking()")
        assert conn.execute("SELECT pggit.tracking_paused()").fetchone() == (False,)
    rows = [(r["object_identity"], r["change"], r["branch"]) for r in history_since(conn, start)
            if r["object_identity"] == "public.r1"]
    assert rows == [("public.r1", "drop", "feat")]
    assert conn.execute("SELECT pggit.current_branch(), pggit.tracking_paused()").fetchone() == ("main", False)


@pytest.mark.parametrize("mode", ["bogus", "transactions"])
def test_an_unknown_pool_mode_is_refused(conn: psycopg.Connection, mode: str) -> None:
    conn.execute("SELECT set_config('pggit.pool_mode', %s, false)", (mode,))
    with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
        conn.execute("SELECT pggit.checkout('feat')")
    assert err.value.diag.message_primary == (
        f'invalid setting pggit.pool_mode = "{mode}": expected session, transaction or statement')


def test_set_scoped_setting_refuses_other_names(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT pggit.set_scoped_setting('search_path', 'evil')")
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("SELECT pggit.set_scoped_setting(NULL, 'x')")


def test_session_mode_keeps_the_session_wide_branch(conn: psycopg.Connection) -> None:
    """Direct connections (pool_mode unset or session): the behaviour of levels 1 to 9."""
    conn.execute("RESET pggit.pool_mode")
    start = last_history_id(conn)
    conn.execute("SELECT pggit.checkout('feat')")
    conn.execute("CREATE TABLE s1 (id int)")
    conn.execute("SET pggit.pool_mode = session")
    conn.execute("CREATE TABLE s2 (id int)")
    assert recorded(conn, start) == {"public.s1": ("create", "feat"), "public.s2": ("create", "feat")}


# A client's transaction: the branch it checks out (None: none), whether it pauses, how
# many tables it creates; plus a session-wide SET it leaves behind (a careless client).
TRANSACTION = st.tuples(st.sampled_from([None, "main", "feat", "other"]), st.booleans(),
                        st.integers(0, 2), st.sampled_from([None, "feat", "other"]))


@reuse_db
@given(transactions=st.lists(TRANSACTION, min_size=1, max_size=8))
def test_interleaved_clients_never_record_for_each_other(conn: psycopg.Connection,
                                                          transactions: list[tuple]) -> None:
    """Whatever clients run on one server session, each statement is recorded as its own client chose."""
    start = last_history_id(conn)
    expected: dict[str, tuple[str, str]] = {}
    for number, (branch, pause, tables, leftover) in enumerate(transactions):
        with conn.transaction():
            if branch is not None:
                conn.execute("SELECT pggit.checkout(%s)", (branch,))
            if pause:
                conn.execute("SELECT pggit.pause_tracking()")
            for index in range(tables):
                name = f"x{start}_{number}_{index}"
                conn.execute(f"CREATE TABLE {name} (id int)")
                expected[f"public.{name}"] = ("untracked" if pause else "create", branch or "main")
        if leftover is not None:
            conn.execute("SELECT set_config('pggit.branch', %s, false)", (leftover,))
            conn.execute("SET pggit.tracking = off")
    assert recorded(conn, start) == expected
