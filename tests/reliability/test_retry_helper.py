"""pggit_sql.retry.run_transaction: retries 40001/40P01, nothing else; restores the isolation level."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from pggit_sql.retry import RetryStats, is_retryable, run_transaction


def flaky(failures: list[BaseException]):  # type: ignore[no-untyped-def]
    def work(conn: psycopg.Connection) -> str:
        conn.execute("CREATE TABLE IF NOT EXISTS tries (n int)")
        conn.execute("INSERT INTO tries VALUES (1)")
        if failures:
            raise failures.pop(0)
        return "done"
    return work


@pytest.mark.pggit_level(min=1)
def test_retries_serialization_failures_and_deadlocks(pggit_conn: psycopg.Connection) -> None:
    stats = RetryStats()
    work = flaky([errors.SerializationFailure("conflict"), errors.DeadlockDetected("cycle")])
    assert run_transaction(pggit_conn, work, isolation="serializable", base_delay=0, stats=stats) == "done"
    assert stats.attempts == 3 and stats.retried == ["40001", "40P01"]
    assert pggit_conn.execute("SELECT count(*) FROM tries").fetchone() == (1,)  # failed tries rolled back
    assert pggit_conn.isolation_level is None  # restored


@pytest.mark.pggit_level(min=1)
def test_other_errors_propagate_at_once_and_attempts_are_bounded(pggit_conn: psycopg.Connection) -> None:
    stats = RetryStats()
    with pytest.raises(errors.UniqueViolation):
        run_transaction(pggit_conn, flaky([errors.UniqueViolation("dup")]), stats=stats)
    assert stats.attempts == 1
    stats = RetryStats()
    with pytest.raises(errors.SerializationFailure):
        run_transaction(pggit_conn, flaky([errors.SerializationFailure("x")] * 3), attempts=3, base_delay=0,
                        stats=stats)
    assert stats.attempts == 3
    assert is_retryable(errors.DeadlockDetected("x")) and not is_retryable(ValueError("x"))
    pggit_conn.autocommit = False
    with pytest.raises(ValueError, match="autocommit"):
        run_transaction(pggit_conn, flaky([]))
