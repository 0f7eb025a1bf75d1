"""Data branches under concurrency: writers on main and on a branch at once, parallel creation."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

import psycopg
import pytest
from psycopg import errors

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=3)

Connect = Callable[[], psycopg.Connection]
ROWS = 30
WRITES = 150


def run_threads(work: list[Callable[[], None]]) -> None:
    run_together(work)


def retrying(conn: psycopg.Connection, statement: str, params: tuple[object, ...]) -> int:
    """Run ``statement`` until it does not fail with a serialization failure; its row count."""
    while True:
        try:
            return conn.execute(statement, params).rowcount
        except errors.SerializationFailure:
            continue


def test_writers_on_main_and_on_a_branch_lose_nothing_and_stay_isolated(pggit_connect: Connect) -> None:
    setup = pggit_connect()
    setup.execute("CREATE TABLE t (id int PRIMARY KEY, m int NOT NULL DEFAULT 0, b int NOT NULL DEFAULT 0)")
    setup.execute(f"INSERT INTO t (id) SELECT generate_series(1, {ROWS})")
    setup.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    main_hits: Counter[int] = Counter()
    branch_hits: Counter[int] = Counter()
    lock = threading.Lock()

    def writer(relation: str, column: str, hits: Counter[int], seed: int) -> Callable[[], None]:
        conn = pggit_connect()
        rng = random.Random(seed)

        def job() -> None:
            for _ in range(WRITES):
                key = rng.randint(1, ROWS)
                done = retrying(conn, f"UPDATE {relation} SET {column} = {column} + 1 WHERE id = %s", (key,))
                assert done == 1
                with lock:
                    hits[key] += 1
        return job

    def inserter(relation: str, base: int) -> Callable[[], None]:
        conn = pggit_connect()

        def job() -> None:
            for i in range(40):
                conn.execute(f"INSERT INTO {relation} (id) VALUES (%s)", (base + i,))
        return job

    run_threads([
        writer("t", "m", main_hits, 1), writer("t", "m", main_hits, 2),
        writer("t__f", "b", branch_hits, 3), writer("t__f", "b", branch_hits, 4),
        inserter("t", 1000), inserter("t__f", 2000),
    ])
    main = {r[0]: r[1:] for r in setup.execute("SELECT id, m, b FROM t")}
    branch = {r[0]: r[1:] for r in setup.execute("SELECT id, m, b FROM t__f")}
    assert {k: main[k] for k in range(1, ROWS + 1)} == {k: (main_hits[k], 0) for k in range(1, ROWS + 1)}
    assert {k: branch[k] for k in range(1, ROWS + 1)} == {k: (0, branch_hits[k]) for k in range(1, ROWS + 1)}
    assert set(main) == set(range(1, ROWS + 1)) | set(range(1000, 1040))
    assert set(branch) == set(range(1, ROWS + 1)) | set(range(2000, 2040))
    merged = setup.execute("SELECT inserted, updated, deleted, conflicts FROM pggit.merge_data_branch('t', 'f',"
                           " strategy => 'theirs')").fetchone()
    touched = len([k for k in branch_hits if branch_hits[k]])
    assert merged == (40, touched, 0, len([k for k in branch_hits if branch_hits[k] and main_hits[k]]))


def test_ten_workers_branch_ten_tables_at_once(pggit_connect: Connect) -> None:
    setup = pggit_connect()
    for i in range(10):
        setup.execute(f"CREATE TABLE t{i} (id int PRIMARY KEY, v int)")
        setup.execute(f"INSERT INTO t{i} SELECT g, {i} FROM generate_series(1, 100) g")
    names: dict[int, str] = {}

    def worker(i: int) -> Callable[[], None]:
        conn = pggit_connect()

        def job() -> None:
            names[i] = conn.execute(f"SELECT pggit.create_data_branch('t{i}', 'main', 'feature/{i % 3}')"
                                    ).fetchone()[0]
            conn.execute(f'UPDATE "{names[i]}" SET v = v + 100 WHERE id <= 10')
            conn.execute(f"UPDATE t{i} SET v = -1 WHERE id > 90")
        return job

    run_threads([worker(i) for i in range(10)])
    assert names == {i: f"t{i}__feature/{i % 3}" for i in range(10)}
    for i in range(10):
        assert setup.execute(f'SELECT count(*) FILTER (WHERE v = {i} + 100), count(*) FILTER (WHERE v = {i})'
                             f' FROM "{names[i]}"').fetchone() == (10, 90)
        assert setup.execute(f"SELECT count(*) FILTER (WHERE v = -1), count(*) FILTER (WHERE v = {i})"
                             f" FROM t{i}").fetchone() == (10, 90)
    assert setup.execute("SELECT count(*) FROM pggit.branches WHERE name LIKE 'feature/%'").fetchone()[0] == 3


def test_concurrent_branches_of_one_table(pggit_connect: Connect) -> None:
    setup = pggit_connect()
    setup.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    setup.execute("INSERT INTO t SELECT g, 0 FROM generate_series(1, 50) g")

    def worker(i: int) -> Callable[[], None]:
        conn = pggit_connect()

        def job() -> None:
            conn.execute(f"SELECT pggit.create_data_branch('t', 'main', 'b{i}')")
            conn.execute(f"UPDATE t__b{i} SET v = {i} WHERE id % 5 = {i % 5}")
            # main's writes take a value no branch writes (100): a branch created after another
            # worker's main write rightly reads it, and must not mistake it for its own
            conn.execute(f"UPDATE t SET v = v + 100 WHERE id = {i + 1}")
        return job

    run_threads([worker(i) for i in range(5)])
    for i in range(5):
        rows = dict(setup.execute(f"SELECT id, v FROM t__b{i}").fetchall())
        assert {k for k, v in rows.items() if v == i and i} == ({k for k in rows if k % 5 == i % 5} if i else set())
        assert rows[i + 1] == 0  # main's write after this branch was made (by its own worker) never shows
        assert all(v in (0, 100, i) for v in rows.values())
    assert dict(setup.execute("SELECT id, v FROM t WHERE id <= 5").fetchall()) == {k: 100 for k in range(1, 6)}


@pytest.mark.pggit_level(min=5)
def test_add_column_against_branch_writers_never_deadlocks_and_loses_no_write(pggit_connect: Connect) -> None:
    """ALTER TABLE .. ADD COLUMN while others write through the branch view (issue 11 item 10).

    Readers and writers of the view lock the view before the table; ALTER TABLE now locks
    the view first too (event trigger pggit_data_branch_ddl_start), so no 40P01.
    """
    setup = pggit_connect()
    setup.execute("CREATE TABLE t (id int PRIMARY KEY, b int NOT NULL DEFAULT 0)")
    setup.execute(f"INSERT INTO t (id) SELECT generate_series(1, {ROWS})")
    setup.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    deadlocks: Counter[str] = Counter()
    hits: Counter[int] = Counter()
    lock = threading.Lock()
    alters = 8

    def writer(seed: int) -> Callable[[], None]:
        conn = pggit_connect()
        rng = random.Random(seed)

        def job() -> None:
            for _ in range(60):
                key = rng.randint(1, ROWS)
                while True:
                    try:
                        done = conn.execute("UPDATE t__f SET b = b + 1 WHERE id = %s", (key,)).rowcount
                        break
                    except errors.SerializationFailure:
                        continue
                    except errors.DeadlockDetected:
                        with lock:
                            deadlocks["writer"] += 1
                assert done == 1
                with lock:
                    hits[key] += 1
        return job

    def alterer() -> Callable[[], None]:
        conn = pggit_connect()

        def job() -> None:
            for i in range(alters):
                while True:
                    try:
                        conn.execute(f"ALTER TABLE t ADD COLUMN c{i} int DEFAULT {i}")
                        break
                    except errors.DeadlockDetected:
                        with lock:
                            deadlocks["alter"] += 1
        return job

    run_threads([writer(1), writer(2), alterer()])
    assert deadlocks == Counter(), f"deadlocks: {dict(deadlocks)}"
    got = dict(setup.execute("SELECT id, b FROM t__f WHERE b > 0").fetchall())
    assert got == dict(hits)
    assert setup.execute("SELECT count(*) FROM t WHERE b <> 0").fetchone() == (0,)
    assert setup.execute(f"SELECT count(*) FROM t__f WHERE c{alters - 1} = {alters - 1}").fetchone() == (ROWS,)
