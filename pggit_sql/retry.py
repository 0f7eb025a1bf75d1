"""Retry a transaction that PostgreSQL aborted with a serialization failure or a deadlock.

pggit's SQL API lets both conflicts propagate with their own SQLSTATE (never wrapped):
``40001`` serialization_failure (REPEATABLE READ / SERIALIZABLE snapshots that a
concurrent commit invalidated) and ``40P01`` deadlock_detected.  Both mean "nothing of
this transaction happened; run it again".  :func:`run_transaction` does that::

    from pggit_sql.retry import run_transaction

    with psycopg.connect(dsn, autocommit=True) as conn:
        commit_id = run_transaction(
            conn,
            lambda c: c.execute("SELECT pggit.commit_changes(%s, %s)", ("main", "msg")).fetchone()[0],
            isolation="serializable",
        )

The work function gets the connection, runs inside one transaction (started by
``conn.transaction()``, so the connection must be in autocommit mode and not inside a
transaction), and is called again from the start after a retryable error, after a
jittered exponential back-off.  Any other error propagates at once; after ``attempts``
tries the last retryable error propagates.  The work must not have effects outside the
database that cannot be repeated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import psycopg
from psycopg import errors

T = TypeVar("T")

#: SQLSTATEs after which a transaction can simply be run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

Isolation = Literal["read committed", "repeatable read", "serializable"]
_ISOLATION = {
    "read committed": psycopg.IsolationLevel.READ_COMMITTED,
    "repeatable read": psycopg.IsolationLevel.REPEATABLE_READ,
    "serializable": psycopg.IsolationLevel.SERIALIZABLE,
}


def is_retryable(exc: BaseException) -> bool:
    """True for a database error whose SQLSTATE is 40001 or 40P01."""
    return isinstance(exc, psycopg.Error) and getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES


@dataclass
class RetryStats:
    """What :func:`run_transaction` did: attempts made and the SQLSTATEs retried."""

    attempts: int = 0
    retried: list[str] | None = None

    def note(self, sqlstate: str) -> None:
        if self.retried is None:
            self.retried = []
        self.retried.append(sqlstate)


def run_transaction(
    conn: psycopg.Connection,
    work: Callable[[psycopg.Connection], T],
    *,
    isolation: Isolation | None = None,
    attempts: int = 50,
    base_delay: float = 0.005,
    max_delay: float = 0.5,
    stats: RetryStats | None = None,
) -> T:
    """Run ``work(conn)`` in one transaction; run it again after 40001 / 40P01.

    ``isolation``: the transaction's isolation level (default: the connection's).
    ``attempts``: how many times to try in all (>= 1).  The delay before try ``n+1``
    is uniform in ``[0, min(max_delay, base_delay * 2**n)]`` ("full jitter").
    ``stats``, if given, records the attempts and retried SQLSTATEs.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    if not conn.autocommit:
        raise ValueError("run_transaction needs a connection in autocommit mode (it opens the transaction)")
    previous = conn.isolation_level
    if isolation is not None:
        conn.isolation_level = _ISOLATION[isolation]
    try:
        for attempt in range(attempts):
            if stats is not None:
                stats.attempts += 1
            try:
                with conn.transaction():
                    return work(conn)
            except (errors.SerializationFailure, errors.DeadlockDetected) as exc:
                if stats is not None and exc.sqlstate:
                    stats.note(exc.sqlstate)
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0, min(max_delay, base_delay * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        if isolation is not None:
            conn.isolation_level = previous
