"""Tracking under concurrency: complete history, exact versions, no lost bump, no torn read.

Every worker is a thread with its own connection (pggit.strict = on); a barrier starts
them together.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import psycopg
import pytest
from trackhelp import strict

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=2)

Connect = Callable[[], psycopg.Connection]


def run_workers(connect: Connect, workers: int, work: Callable[[int, psycopg.Connection], object]) -> list[object]:
    conns = [strict(connect()) for _ in range(workers)]
    return run_together([functools.partial(work, w, conns[w]) for w in range(workers)], name="ddl")


def test_ten_sessions_on_their_own_tables_while_committing(pggit_conn: psycopg.Connection,
                                                           pggit_connect: Connect) -> None:
    rounds = 6

    def work(worker: int, conn: psycopg.Connection) -> list[str]:
        table = f"own_{worker}"
        conn.execute(f"CREATE TABLE {table} (id int)")
        expected = ["create"]
        for i in range(rounds):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN c{i} int")  # minor
            expected.append("minor")
            if i % 2:
                conn.execute(f"ALTER TABLE {table} ALTER COLUMN c{i} SET NOT NULL")  # major
                expected.append("major")
            conn.execute("SELECT pggit.commit_changes('main', %s)", (f"worker {worker} round {i}",))
        conn.execute(f"COMMENT ON TABLE {table} IS 'done'")  # patch
        expected.append("patch")
        return expected

    expected = run_workers(pggit_connect, 10, work)
    for worker in range(10):
        got = [row[0] for row in pggit_conn.execute(
            "SELECT change FROM pggit.history WHERE object_identity = %s ORDER BY id", (f"public.own_{worker}",))]
        assert got == expected[worker]
        # rounds 0..5: minor, then major on odd rounds -> 4.0.0 after round 5, minor reset; then the comment
        (ver,) = pggit_conn.execute("SELECT version FROM pggit.get_version(%s)", (f"own_{worker}",)).fetchone()
        assert ver == "4.0.1"
    assert pggit_conn.execute("SELECT count(*) FROM pggit.history WHERE note LIKE 'tracking failed%'"
                              ).fetchone() == (0,)


def test_concurrent_alters_of_one_table_lose_no_bump(pggit_conn: psycopg.Connection, pggit_connect: Connect) -> None:
    pggit_conn.execute("CREATE TABLE shared (id int)")
    workers, per_worker = 8, 5

    def work(worker: int, conn: psycopg.Connection) -> None:
        for i in range(per_worker):
            if i % 2:
                # CREATE INDEX takes a SHARE lock: several run at once on one table
                conn.execute(f"CREATE INDEX shared_w{worker}_{i} ON shared (id)")
            else:
                conn.execute(f"ALTER TABLE shared ADD COLUMN w{worker}_{i} int")

    run_workers(pggit_connect, workers, work)
    (ver,) = pggit_conn.execute("SELECT version FROM pggit.get_version('shared')").fetchone()
    assert ver == f"1.{workers * per_worker}.0"  # every statement one minor bump
    changes = pggit_conn.execute("SELECT change, old_version, new_version FROM pggit.history"
                                 " WHERE object_identity = 'public.shared' ORDER BY id").fetchall()
    assert [c for c, _, _ in changes] == ["create"] + ["minor"] * workers * per_worker
    # a chain: each row starts where the one before ended
    assert all(changes[i][1] == changes[i - 1][2] for i in range(2, len(changes)))


def test_readers_never_see_a_torn_or_receding_version(pggit_conn: psycopg.Connection, pggit_connect: Connect) -> None:
    pggit_conn.execute("CREATE TABLE watched (id int)")
    stop = threading.Event()
    alters = 40

    def work(worker: int, conn: psycopg.Connection) -> object:
        if worker == 0:
            try:
                for i in range(alters):
                    if i % 3 == 2:
                        conn.execute(f"ALTER TABLE watched ALTER COLUMN c{i - 1} SET NOT NULL")
                    else:
                        conn.execute(f"ALTER TABLE watched ADD COLUMN c{i} int")
            finally:
                stop.set()
            return None
        seen = []
        while not stop.is_set() or len(seen) < 5:
            row = conn.execute("SELECT major, minor, patch, version FROM pggit.get_version('watched')").fetchone()
            assert row is not None
            major, minor, patch, text = row
            assert text == f"{major}.{minor}.{patch}"
            seen.append((major, minor, patch))
        return seen

    results = run_workers(pggit_connect, 4, work)
    for seen in results[1:]:
        assert seen == sorted(seen), "a version went backwards"
    (final,) = pggit_conn.execute("SELECT version FROM pggit.get_version('watched')").fetchone()
    majors = sum(1 for i in range(alters) if i % 3 == 2)
    assert final.startswith(f"{1 + majors}.")
