"""commit_changes v2 attaches exactly the pending changes of its branch; pggit.status lists them.

History rows come from :class:`treemodel.FakeCapture` (the capture contract), each on
an explicit branch, so the branch bookkeeping is tested without depending on DDL.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treemodel import FakeCapture, check_commit, commit, counts, head, live_registry

pytestmark = pytest.mark.pggit_level(min=2)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

BRANCHES = ["main", "feature/a", "fix-1", "ñ"]


def pending_ids(conn: psycopg.Connection, branch: str) -> list[int]:
    rows = conn.execute("SELECT id FROM pggit.history WHERE branch = %s AND commit_hash IS NULL ORDER BY id",
                        (branch,)).fetchall()
    return [r[0] for r in rows]


def attached_ids(conn: psycopg.Connection, commit_hash: str) -> list[int]:
    rows = conn.execute("SELECT id FROM pggit.history WHERE commit_hash = %s ORDER BY id", (commit_hash,)).fetchall()
    return [r[0] for r in rows]


def status_ids(conn: psycopg.Connection, branch: str | None = None) -> list[int]:
    rows = conn.execute("SELECT id FROM pggit.status(%s)", (branch,)).fetchall()
    return [r[0] for r in rows]


# --------------------------------------------------------------------------- attachment


Step = tuple[str, str]  # ("change", branch) or ("commit", branch)
steps = st.lists(st.tuples(st.sampled_from(["change", "change", "commit"]), st.sampled_from(BRANCHES)),
                 min_size=1, max_size=25)


@reuse_db
@given(plan=steps)
def test_commit_attaches_exactly_its_branchs_pending_rows(pggit_conn: psycopg.Connection, plan: list[Step]) -> None:
    with pggit_conn.transaction(force_rollback=True):
        already = {b: pending_ids(pggit_conn, b) for b in BRANCHES}  # e.g. capture's registrations on main
        model: dict[str, list[int]] = {b: list(ids) for b, ids in already.items()}
        cap = FakeCapture(pggit_conn)
        for n, (action, branch) in enumerate(plan):
            if action == "change":
                obj = cap.create("table", f"public.t{n}", f"t{n} on {branch}", branch=branch)
                model[branch].append(pggit_conn.execute(
                    "SELECT max(id) FROM pggit.history WHERE object_id = %s", (obj.id,)).fetchone()[0])
            else:
                tid = commit(pggit_conn, branch)
                assert attached_ids(pggit_conn, tid) == model[branch]
                model[branch] = []
                check_commit(pggit_conn, tid)
            for b in BRANCHES:
                assert pending_ids(pggit_conn, b) == model[b]
                assert status_ids(pggit_conn, b) == model[b]


def test_rolled_back_commit_attaches_nothing(pggit_conn: psycopg.Connection) -> None:
    cap = FakeCapture(pggit_conn)
    cap.create("table", "public.a", "a")
    commit(pggit_conn)
    obj = cap.create("table", "public.b", "b")
    cap.alter(obj, "b2")
    pending = pending_ids(pggit_conn, "main")
    before = counts(pggit_conn)
    main_head = head(pggit_conn)
    with pytest.raises(psycopg.errors.RaiseException, match="boom"), pggit_conn.transaction():
        commit(pggit_conn, message="rolled back")
        commit(pggit_conn, "new-branch", "rolled back too")
        pggit_conn.execute("DO $$ BEGIN RAISE EXCEPTION 'boom'; END $$")
    assert pending_ids(pggit_conn, "main") == pending == status_ids(pggit_conn, "main")
    assert counts(pggit_conn) == before
    assert head(pggit_conn) == main_head and head(pggit_conn, "new-branch") is None
    tid = commit(pggit_conn)
    assert attached_ids(pggit_conn, tid) == pending


def test_uncommitted_changes_of_another_session_wait_for_the_next_commit(pggit_conn, pggit_connect) -> None:
    other = pggit_connect()
    other.autocommit = False
    cap_other = FakeCapture(other)
    cap_other.create("table", "public.later", "later")  # not committed yet
    cap = FakeCapture(pggit_conn)
    mine = cap.create("table", "public.now", "now")
    first = commit(pggit_conn)
    assert attached_ids(pggit_conn, first) == pending_ids_of(pggit_conn, first, mine.id)
    assert ("table", "public.later") not in check_commit(pggit_conn, first)
    other.commit()
    (later_row,) = pending_ids(pggit_conn, "main")
    second = commit(pggit_conn)
    assert attached_ids(pggit_conn, second) == [later_row]
    assert check_commit(pggit_conn, second) == live_registry(pggit_conn)


def pending_ids_of(conn: psycopg.Connection, commit_hash: str, object_id: int) -> list[int]:
    """The rows attached to ``commit_hash``: they must include the object's create row."""
    ids = attached_ids(conn, commit_hash)
    (row,) = conn.execute("SELECT id FROM pggit.history WHERE object_id = %s", (object_id,)).fetchone()
    assert row in ids
    return ids


def test_commit_waiting_on_the_branch_lock_attaches_rows_committed_meanwhile(pggit_conn, pggit_connect) -> None:
    """Two committers on one branch: the second, after waiting for the first, attaches only what is left."""
    cap = FakeCapture(pggit_conn)
    first_rows = [cap.create("table", f"public.w{i}", "w") for i in range(3)]
    holder = pggit_connect()
    holder.autocommit = False
    held = commit(holder, "main", "holds the lock")  # branch row locked until holder commits
    waiter = pggit_connect()
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(commit(waiter, "main", "waits")))
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second committer should wait for the branch lock"
    late = FakeCapture(pggit_conn).create("table", "public.late", "late")  # committed while it waits
    holder.commit()
    thread.join(30)
    assert not thread.is_alive()
    (second,) = result
    held_rows = attached_ids(pggit_conn, held)
    assert all(pggit_conn.execute("SELECT id FROM pggit.history WHERE object_id = %s", (o.id,)).fetchone()[0]
               in held_rows for o in first_rows)
    (late_row,) = pggit_conn.execute("SELECT id FROM pggit.history WHERE object_id = %s", (late.id,)).fetchone()
    assert attached_ids(pggit_conn, second) == [late_row]
    assert pending_ids(pggit_conn, "main") == []
    (parent,) = pggit_conn.execute("SELECT parent_hash FROM pggit.commits WHERE hash = %s", (second,)).fetchone()
    assert parent == held
    assert check_commit(pggit_conn, second) == live_registry(pggit_conn)


# --------------------------------------------------------------------------- status


def test_status_lists_the_sessions_branch_only(pggit_conn: psycopg.Connection, pggit_level: int) -> None:
    commit(pggit_conn)  # attach whatever install registered
    if pggit_level >= 8:  # the setting must name a branch that exists
        pggit_conn.execute("INSERT INTO pggit.branches (name) VALUES ('feature/x')")
    cap = FakeCapture(pggit_conn)
    a = cap.create("table", "public.on_main", "m", branch="main")
    b = cap.create("table", "public.on_feature", "f", branch="feature/x")
    cap.alter(a, "m2", branch="main")
    cap.session_row("pause", branch="feature/x")
    rows = pggit_conn.execute("SELECT * FROM pggit.status()").fetchall()
    names = [d.name for d in pggit_conn.execute("SELECT * FROM pggit.status()").description]
    assert names == ["id", "branch", "object_kind", "object_identity", "old_identity", "subobject_identity",
                     "command_tag", "change", "old_version", "new_version", "statement", "role", "changed_at"]
    assert [(r[1], r[3], r[7]) for r in rows] == [("main", "public.on_main", "create"),
                                                  ("main", "public.on_main", "patch")]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    pggit_conn.execute("SET pggit.branch = 'feature/x'")
    feature = pggit_conn.execute("SELECT object_identity, change FROM pggit.status()").fetchall()
    assert feature == [("public.on_feature", "create"), (None, "pause")]
    assert status_ids(pggit_conn, "main") == pending_ids(pggit_conn, "main")  # the argument wins
    pggit_conn.execute("SET pggit.branch = ''")
    assert status_ids(pggit_conn) == pending_ids(pggit_conn, "main")
    pggit_conn.execute("RESET pggit.branch")
    assert status_ids(pggit_conn) == pending_ids(pggit_conn, "main")
    commit(pggit_conn, "feature/x")
    assert status_ids(pggit_conn, "feature/x") == []
    assert len(status_ids(pggit_conn, "main")) == 2
    assert b.id  # the feature row went to the feature commit, see attachment tests


def test_status_sees_its_own_transaction_and_not_uncommitted_others(pggit_conn, pggit_connect) -> None:
    commit(pggit_conn)
    other = pggit_connect()
    other.autocommit = False
    FakeCapture(other).create("table", "public.theirs", "t")
    with pggit_conn.transaction(force_rollback=True):
        FakeCapture(pggit_conn).create("table", "public.mine", "m")
        assert [r[0] for r in pggit_conn.execute("SELECT object_identity FROM pggit.status()")] == ["public.mine"]
    assert status_ids(pggit_conn) == []
    other.rollback()


@pytest.mark.parametrize("bad", ["a b", "x..y", "-x", "bad/", "@"])
def test_status_invalid_branch(pggit_conn: psycopg.Connection, bad: str, pggit_level: int) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid branch name"):
        pggit_conn.execute("SELECT * FROM pggit.status(%s)", (bad,))
    pggit_conn.execute("SELECT set_config('pggit.branch', %s, false)", (bad,))
    # level 8: the error names the setting (pggit.branch_setting)
    expected = "invalid setting pggit.branch" if pggit_level >= 8 else "invalid branch name"
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=expected):
        pggit_conn.execute("SELECT * FROM pggit.status()")


def test_status_of_a_branch_without_commits_is_not_an_error(pggit_conn: psycopg.Connection) -> None:
    assert status_ids(pggit_conn, "never-committed") == []
    FakeCapture(pggit_conn).create("table", "public.n", "n", branch="never-committed")
    assert len(status_ids(pggit_conn, "never-committed")) == 1
