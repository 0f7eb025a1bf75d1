"""Level 3 branches: create_branch, delete_branch, branch_list, and their races.

Races are made deterministic where it matters: one session holds its transaction open
while the other runs into the lock, then the first commits.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from psycopg import errors

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=3)

Connect = Callable[[], psycopg.Connection]


def branch_row(conn: psycopg.Connection, name: str) -> tuple[str | None, str | None, str] | None:
    """(head, parent name, status) of a branch, None when there is none."""
    return conn.execute(
        "SELECT b.head_commit_hash, p.name, b.status FROM pggit.branches b"
        " LEFT JOIN pggit.branches p ON p.id = b.parent_branch_id WHERE b.name = %s", (name,)).fetchone()


def test_create_branch_starts_at_the_from_branch_head(pggit_conn: psycopg.Connection) -> None:
    head = pggit_conn.execute("SELECT pggit.commit_changes('main', 'm1')").fetchone()[0]
    assert pggit_conn.execute("SELECT pggit.create_branch('feature/x-1')").fetchone()[0] == "feature/x-1"
    assert branch_row(pggit_conn, "feature/x-1") == (head, "main", "active")
    on_feature = pggit_conn.execute("SELECT pggit.commit_changes('feature/x-1', 'f1')").fetchone()[0]
    pggit_conn.execute("SELECT pggit.create_branch('sub', 'feature/x-1')")
    assert branch_row(pggit_conn, "sub") == (on_feature, "feature/x-1", "active")
    parent = pggit_conn.execute("SELECT parent_hash FROM pggit.commits WHERE hash = %s", (on_feature,)).fetchone()[0]
    assert parent == head


def test_create_branch_errors(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SELECT pggit.create_branch('x')")
    with pytest.raises(errors.UniqueViolation, match='branch "x" already exists'):
        pggit_conn.execute("SELECT pggit.create_branch('x')")
    with pytest.raises(errors.UniqueViolation, match='branch "main" already exists'):
        pggit_conn.execute("SELECT pggit.create_branch('main')")
    with pytest.raises(errors.UndefinedObject, match='branch "nope" does not exist'):
        pggit_conn.execute("SELECT pggit.create_branch('y', 'nope')")
    with pytest.raises(errors.InvalidParameterValue, match="invalid branch name"):
        pggit_conn.execute("SELECT pggit.create_branch('a..b')")
    with pytest.raises(errors.NullValueNotAllowed):
        pggit_conn.execute("SELECT pggit.create_branch(NULL)")
    pggit_conn.execute("SELECT pggit.delete_branch('x')")
    with pytest.raises(errors.UniqueViolation, match='branch "x" already exists') as info:
        pggit_conn.execute("SELECT pggit.create_branch('x')")
    assert "deleted" in (info.value.diag.message_detail or "")
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="deleted"):
        pggit_conn.execute("SELECT pggit.create_branch('z', 'x')")


def test_delete_branch_rules(pggit_conn: psycopg.Connection) -> None:
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match='cannot delete branch "main"'):
        pggit_conn.execute("SELECT pggit.delete_branch('main')")
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match='cannot delete branch "main"'):
        pggit_conn.execute("SELECT pggit.delete_branch('main', true)")
    with pytest.raises(errors.UndefinedObject, match='branch "ghost" does not exist'):
        pggit_conn.execute("SELECT pggit.delete_branch('ghost')")
    pggit_conn.execute("SELECT pggit.commit_changes('gone', 'c')")
    pggit_conn.execute("SELECT pggit.delete_branch('gone')")
    assert branch_row(pggit_conn, "gone")[2] == "deleted"
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="already deleted"):
        pggit_conn.execute("SELECT pggit.delete_branch('gone')")
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="deleted branch"):
        pggit_conn.execute("SELECT pggit.commit_changes('gone', 'after')")


def test_delete_branch_with_unmerged_data_branch_needs_force(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t VALUES (1, 1)")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'clean')")
    pggit_conn.execute("UPDATE t__f SET v = 2")
    with pytest.raises(errors.DependentObjectsStillExist, match=r"unmerged data branches: public\.t__f"):
        pggit_conn.execute("SELECT pggit.delete_branch('f')")
    assert branch_row(pggit_conn, "f")[2] == "active"
    pggit_conn.execute("SELECT pggit.delete_branch('clean')")  # nothing written on it: no force needed
    pggit_conn.execute("SELECT pggit.delete_branch('f', force => true)")
    views = pggit_conn.execute("SELECT count(*) FROM pg_class WHERE relname IN ('t__f', 't__clean')").fetchone()[0]
    assert views == 0
    assert pggit_conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 't'::regclass").fetchone()[0] == 0
    assert pggit_conn.execute("SELECT v FROM t").fetchone()[0] == 1


def test_merged_data_branch_does_not_need_force(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    pggit_conn.execute("INSERT INTO t__f VALUES (1, 1)")
    pggit_conn.execute("SELECT * FROM pggit.merge_data_branch('t', 'f')")
    pggit_conn.execute("SELECT pggit.delete_branch('f')")
    assert pggit_conn.execute("SELECT v FROM t").fetchone()[0] == 1


def test_branch_list_ahead_and_behind(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'm1')")
    pggit_conn.execute("SELECT pggit.create_branch('f')")
    for i in range(3):
        pggit_conn.execute("SELECT pggit.commit_changes('f', %s)", (f"f{i}",))
    for i in range(2):
        pggit_conn.execute("SELECT pggit.commit_changes('main', %s)", (f"m{i}",))
    pggit_conn.execute("SELECT pggit.create_branch('gone')")
    pggit_conn.execute("SELECT pggit.delete_branch('gone')")
    rows = {r[0]: r[1:] for r in pggit_conn.execute(
        "SELECT name, head IS NOT NULL, parent, created IS NOT NULL, ahead, behind FROM pggit.branch_list")}
    assert rows == {"main": (True, None, True, 0, 0), "f": (True, "main", True, 3, 2)}


def test_concurrent_create_branch_exactly_one_wins(pggit_connect: Connect) -> None:
    workers = 10
    conns = [pggit_connect() for _ in range(workers)]

    def create(conn: psycopg.Connection) -> str:
        try:
            conn.execute("SELECT pggit.create_branch('contested')")
            return "ok"
        except errors.UniqueViolation as exc:
            assert 'branch "contested" already exists' in str(exc)
            return "exists"

    outcomes = run_together([functools.partial(create, c) for c in conns])
    assert sorted(outcomes) == ["exists"] * (workers - 1) + ["ok"]
    assert conns[0].execute("SELECT count(*) FROM pggit.branches WHERE name = 'contested'").fetchone()[0] == 1


def _blocked(conn: psycopg.Connection, pid: int) -> bool:
    state = conn.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return state is not None and state[0] == "Lock"


def _wait_until_blocked(observer: psycopg.Connection, pid: int) -> None:
    deadline = time.monotonic() + 30
    while not _blocked(observer, pid):
        assert time.monotonic() < deadline, "the second session never waited for the lock"
        time.sleep(0.01)


def test_commit_waiting_on_a_delete_fails(pggit_connect: Connect) -> None:
    deleter, committer, observer = pggit_connect(), pggit_connect(), pggit_connect()
    observer.execute("SELECT pggit.create_branch('race')")
    result: list[object] = []
    with deleter.transaction():
        deleter.execute("SELECT pggit.delete_branch('race')")

        def commit() -> None:
            try:
                committer.execute("SELECT pggit.commit_changes('race', 'late')")
                result.append("committed")
            except errors.ObjectNotInPrerequisiteState as exc:
                result.append(exc)

        thread = threading.Thread(target=commit)
        thread.start()
        _wait_until_blocked(observer, committer.info.backend_pid)
    thread.join(timeout=30)
    assert len(result) == 1 and isinstance(result[0], errors.ObjectNotInPrerequisiteState)
    assert "deleted branch" in str(result[0])
    assert observer.execute("SELECT count(*) FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id"
                            " WHERE b.name = 'race'").fetchone()[0] == 0


def test_delete_waiting_on_a_commit_lands_after_it(pggit_connect: Connect) -> None:
    deleter, committer, observer = pggit_connect(), pggit_connect(), pggit_connect()
    observer.execute("SELECT pggit.create_branch('race')")
    done: list[str] = []
    with committer.transaction():
        tid = committer.execute("SELECT pggit.commit_changes('race', 'first')").fetchone()[0]

        def delete() -> None:
            deleter.execute("SELECT pggit.delete_branch('race')")
            done.append("deleted")

        thread = threading.Thread(target=delete)
        thread.start()
        _wait_until_blocked(observer, deleter.info.backend_pid)
        assert done == []  # the delete waits for the commit's transaction
    thread.join(timeout=30)
    assert done == ["deleted"]
    head, _, status = branch_row(observer, "race")
    assert (head, status) == (tid, "deleted")


def test_racing_commits_and_deletes_never_commit_after_the_delete(pggit_connect: Connect) -> None:
    """Free races: whenever a commit succeeds, it is the branch's head and precedes the delete."""
    a, b = pggit_connect(), pggit_connect()
    for i in range(15):
        name = f"free-race-{i}"
        a.execute("SELECT pggit.create_branch(%s)", (name,))
        barrier = threading.Barrier(2)
        outcome: dict[str, object] = {}

        def commit(name: str = name, barrier: threading.Barrier = barrier, outcome: dict = outcome) -> None:
            barrier.wait(timeout=30)
            try:
                outcome["commit"] = a.execute("SELECT pggit.commit_changes(%s, 'c')", (name,)).fetchone()[0]
            except errors.ObjectNotInPrerequisiteState:
                outcome["commit"] = None

        def delete(name: str = name, barrier: threading.Barrier = barrier, outcome: dict = outcome) -> None:
            barrier.wait(timeout=30)
            b.execute("SELECT pggit.delete_branch(%s)", (name,))
            outcome["delete"] = True

        threads = [threading.Thread(target=commit), threading.Thread(target=delete)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert outcome.get("delete") is True
        head, _, status = branch_row(a, name)
        assert status == "deleted"
        assert head == outcome["commit"]  # a commit that succeeded landed before the delete; else none
