"""Every API function under READ COMMITTED, REPEATABLE READ and SERIALIZABLE; conflicts as 40001/40P01.

- a scenario calls each API function of the level inside one transaction at each
  isolation level and checks the outcome;
- conflicts surface as 40001 (serialization_failure) or 40P01 (deadlock_detected)
  exactly: the SQLSTATE of the error the client gets, not wrapped in another;
- with :func:`pggit_sql.retry.run_transaction`, 20 SERIALIZABLE committers to one
  branch all succeed and form one chain;
- a commit that cannot get its branch lock within lock_timeout fails with 55P03 and
  leaves nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest
from psycopg import errors

from pggit_sql.retry import RETRYABLE_SQLSTATES, RetryStats, run_transaction
from pggit_sql.testing import invariants
from pggit_sql.testing.together import run_together

Connect = Callable[[], psycopg.Connection]
ISOLATIONS = ["read committed", "repeatable read", "serializable"]
_LEVEL = {
    "read committed": psycopg.IsolationLevel.READ_COMMITTED,
    "repeatable read": psycopg.IsolationLevel.REPEATABLE_READ,
    "serializable": psycopg.IsolationLevel.SERIALIZABLE,
}


def has(conn: psycopg.Connection, signature: str) -> bool:
    return conn.execute("SELECT to_regprocedure(%s) IS NOT NULL", (signature,)).fetchone()[0]  # type: ignore[index]


def one(conn: psycopg.Connection, query: str, params: tuple[object, ...] = ()) -> object:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.pggit_level(min=1)
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_every_api_function_works_at_each_isolation_level(pggit_conn: psycopg.Connection, isolation: str) -> None:
    conn = pggit_conn
    conn.execute("CREATE TABLE iso_t (id int PRIMARY KEY, v text)")
    conn.execute("INSERT INTO iso_t VALUES (1, 'a'), (2, 'b')")
    conn.isolation_level = _LEVEL[isolation]
    with conn.transaction():
        assert one(conn, "SELECT current_setting('transaction_isolation')") == isolation
        first = one(conn, "SELECT pggit.commit_changes('main', 'first')")
        assert one(conn, "SELECT pggit.is_valid_trinity_id(pggit.generate_trinity_id())") is True
        assert one(conn, "SELECT version FROM pggit.increment_version(1, 2, 3, 'minor')") == "1.3.0"
        assert one(conn, "SELECT pggit.is_valid_branch_name('feature/x')") is True
        second = one(conn, "SELECT pggit.commit_changes('feature/x', 'on a new branch')")
        assert one(conn, "SELECT parent_hash FROM pggit.commits WHERE hash = %s", (second,)) == first
        if has(conn, "pggit.get_version(text)"):
            conn.execute("ALTER TABLE iso_t ADD COLUMN w int")
            assert one(conn, "SELECT version FROM pggit.get_version('iso_t')") is not None
            assert len(str(one(conn, "SELECT pggit.calculate_schema_hash('iso_t')"))) == 64
            assert conn.execute("SELECT * FROM pggit.status('main')").fetchall()
            third = one(conn, "SELECT pggit.commit_changes('main', 'after alter')")
            assert one(conn, "SELECT pggit.show(%s)", (third,)) is not None
            assert conn.execute("SELECT * FROM pggit.commit_tree(%s)", (third,)).fetchall()
            assert [r[0] for r in conn.execute("SELECT hash FROM pggit.log('main', 10)")][:1] == [third]
            conn.execute("SELECT pggit.pause_tracking('iso test')")
            conn.execute("SELECT pggit.resume_tracking()")
            assert one(conn, "SELECT pggit.checkout('feature/x')") == "feature/x"
            assert one(conn, "SELECT pggit.current_branch()") == "feature/x"
            conn.execute("SELECT pggit.checkout('main')")
        if has(conn, "pggit.create_branch(text,text)"):
            assert one(conn, "SELECT pggit.create_branch('b2')") == "b2"
            relation = one(conn, "SELECT pggit.create_data_branch('iso_t', 'main', 'b2')")
            conn.execute(f'UPDATE "{relation}" SET v = %s WHERE id = 1', ("branch",))
            conn.execute(f'INSERT INTO "{relation}" (id, v) VALUES (3, %s)', ("new",))
            assert len(conn.execute("SELECT * FROM pggit.diff_data_branch('iso_t', 'b2')").fetchall()) == 2
            merged = conn.execute("SELECT * FROM pggit.merge_data_branch('iso_t', 'b2')").fetchone()
            assert merged is not None and merged[:4] == (1, 1, 0, 0)
            assert conn.execute("SELECT v FROM iso_t ORDER BY id").fetchall() == [("branch",), ("b",), ("new",)]
            assert one(conn, "SELECT count(*) FROM pggit.branch_list WHERE name = 'b2'") == 1
            conn.execute("SELECT pggit.drop_data_branch('iso_t', 'b2')")
            conn.execute("SELECT pggit.delete_branch('b2')")
            assert one(conn, "SELECT status FROM pggit.branches WHERE name = 'b2'") == "deleted"
        assert invariants.problems(conn) == []
    conn.isolation_level = None


def _snapshot_then(conn: psycopg.Connection, isolation: str) -> None:
    conn.isolation_level = _LEVEL[isolation]
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM pggit.commits")  # the snapshot is taken here


@pytest.mark.pggit_level(min=1)
@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_commit_after_a_concurrent_commit_fails_with_plain_40001(pggit_connect: Connect, isolation: str) -> None:
    late, other = pggit_connect(), pggit_connect()
    late.autocommit = False
    _snapshot_then(late, isolation)
    other.execute("SELECT pggit.commit_changes('main', 'in between')")
    with pytest.raises(psycopg.Error) as caught:
        late.execute("SELECT pggit.commit_changes('main', 'too late')")
    assert caught.value.sqlstate == "40001", caught.value
    assert isinstance(caught.value, errors.SerializationFailure)
    late.rollback()
    assert one(other, "SELECT count(*) FROM pggit.commits WHERE message = 'too late'") == 0


@pytest.mark.pggit_level(min=3)
@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_create_branch_and_merge_conflicts_are_plain_40001(pggit_connect: Connect, isolation: str) -> None:
    setup = pggit_connect()
    setup.execute("CREATE TABLE c_t (id int PRIMARY KEY, v int)")
    setup.execute("INSERT INTO c_t VALUES (1, 0)")
    relation = one(setup, "SELECT pggit.create_data_branch('c_t', 'main', 'f')")
    setup.execute(f'UPDATE "{relation}" SET v = 1')
    for statement in ("SELECT pggit.create_branch('late')", "SELECT * FROM pggit.merge_data_branch('c_t', 'f')"):
        late = pggit_connect()
        late.autocommit = False
        _snapshot_then(late, isolation)
        setup.execute("SELECT pggit.commit_changes('main', 'moves main')")
        with pytest.raises(psycopg.Error) as caught:
            late.execute(statement)
        assert caught.value.sqlstate == "40001", (statement, caught.value)
        late.rollback()
        late.close()
    assert one(setup, "SELECT count(*) FROM pggit.branches WHERE name = 'late'") == 0
    assert one(setup, "SELECT v FROM c_t") == 0


@pytest.mark.pggit_level(min=1)
def test_deadlock_between_committers_is_plain_40P01(pggit_connect: Connect) -> None:
    """Two transactions commit to branches a and b in opposite orders: one gets 40P01, unwrapped."""
    setup = pggit_connect()
    setup.execute("SELECT pggit.commit_changes('a', 'a0'), pggit.commit_changes('b', 'b0')")
    first, second = pggit_connect(), pggit_connect()
    both_hold = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def job(conn: psycopg.Connection, mine: str, theirs: str) -> Callable[[], None]:
        def run() -> None:
            conn.autocommit = False
            conn.execute("SET deadlock_timeout = '50ms'")
            conn.execute("SELECT pggit.commit_changes(%s, 'x')", (mine,))
            both_hold.wait(timeout=30)
            try:
                conn.execute("SELECT pggit.commit_changes(%s, 'y')", (theirs,))
                conn.commit()
                outcome[mine] = "committed"
            except psycopg.Error as exc:
                outcome[mine] = str(exc.sqlstate)
                conn.rollback()
        return run

    run_together([job(first, "a", "b"), job(second, "b", "a")])
    assert sorted(outcome.values()) == ["40P01", "committed"], outcome
    assert invariants.problems(setup) == []
    assert one(setup, "SELECT count(*) FROM pggit.commits") == 4  # a0, b0 and the survivor's two


@pytest.mark.pggit_level(min=1)
def test_twenty_serializable_committers_all_succeed_with_retry(pggit_connect: Connect) -> None:
    workers = 20
    conns = [pggit_connect() for _ in range(workers)]
    stats = [RetryStats() for _ in range(workers)]

    def job(i: int) -> Callable[[], str]:
        def run() -> str:
            return str(run_transaction(
                conns[i], lambda c: one(c, "SELECT pggit.commit_changes('main', %s)", (f"worker {i}",)),
                isolation="serializable", attempts=200, stats=stats[i]))
        return run

    ids = run_together([job(i) for i in range(workers)])
    check = conns[0]
    assert len(set(ids)) == workers
    assert one(check, "SELECT count(*) FROM pggit.commits WHERE hash = ANY(%s)", (ids,)) == workers
    assert invariants.problems(check) == []
    chain = one(check, """WITH RECURSIVE w AS (SELECT hash, parent_hash FROM pggit.commits
                             WHERE hash = (SELECT head_commit_hash FROM pggit.branches WHERE name = 'main')
                           UNION ALL SELECT c.hash, c.parent_hash FROM pggit.commits c JOIN w ON c.hash = w.parent_hash)
                         SELECT count(*) FROM w""")
    assert chain == workers
    retried = [state for s in stats for state in (s.retried or [])]
    assert set(retried) <= RETRYABLE_SQLSTATES


@pytest.mark.pggit_level(min=1)
def test_commit_that_cannot_get_the_branch_lock_fails_with_55P03_and_leaves_nothing(pggit_connect: Connect) -> None:
    holder, waiter = pggit_connect(), pggit_connect()
    holder.execute("SELECT pggit.commit_changes('main', 'base')")
    head = one(holder, "SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'")
    commits = one(holder, "SELECT count(*) FROM pggit.commits")
    holder.autocommit = False
    holder.execute("SELECT pggit.commit_changes('main', 'holds the lock')")
    waiter.execute("SET lock_timeout = '200ms'")
    with pytest.raises(psycopg.Error) as caught:
        waiter.execute("SELECT pggit.commit_changes('main', 'timed out')")
    assert caught.value.sqlstate == "55P03", caught.value
    holder.rollback()
    assert one(waiter, "SELECT count(*) FROM pggit.commits") == commits
    assert one(waiter, "SELECT count(*) FROM pggit.commits WHERE message IN ('timed out', 'holds the lock')") == 0
    assert one(waiter, "SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'") == head
    assert invariants.problems(waiter) == []
