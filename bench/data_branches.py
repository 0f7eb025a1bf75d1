"""Data branches (level 3): copy-on-write data branches against plain PostgreSQL in the same run.

- ``create_data_branch`` on 100,000 and 1,000,000 rows (and the 1M/100k ratio), next to a
  physical copy (``CREATE TABLE ... AS``) of the same table;
- a primary-key read through the branch relation vs on the table: per read from a client
  (prepared statements, what an application sees) and server side (PL/pgSQL loop, no
  round trip: the pure executor cost);
- a full scan (``sum`` over every row) of the branch vs of the table;
- a single-row UPDATE on main while one branch exists vs with none (client side, autocommit);
- (``merge_data_branch`` and the storage per changed row: bench/data_branch_writes.py).

The branched table has 1,000,000 rows; the branch and main each changed 1,000 of them before
reads and scans are measured, so the branch relation really mixes three sources.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import psycopg

from bench.harness import Result, connect, median_of
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

RUNS = 7
READS = 2000
UPDATES = 1000
BIG = 1_000_000
SMALL = 100_000

_BRANCH_NUMBERS = iter(range(10**9))

COLUMNS = ("id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2),"
           " created timestamptz DEFAULT now(), flag boolean")


def _fresh_db(admin: str, name: str) -> None:
    with connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _make_table(conn: psycopg.Connection, name: str, rows: int) -> None:
    conn.execute(f"CREATE TABLE {name} ({COLUMNS})")
    conn.execute(f"INSERT INTO {name} (id, name, amount, flag) SELECT g, 'row ' || g, g % 1000, g % 2 = 0"
                 f" FROM generate_series(1, {rows}) g")
    conn.execute(f"VACUUM ANALYZE {name}")


def _timed(conn: psycopg.Connection, sql: str) -> float:
    start = time.perf_counter()
    conn.execute(sql)
    return (time.perf_counter() - start) * 1e3


def create_costs(conn: psycopg.Connection) -> list[Result]:
    out: dict[int, tuple[float, float, list[float]]] = {}
    for rows in (SMALL, BIG):
        table = f"bench_create_{rows}"
        _make_table(conn, table, rows)

        def create(table: str = table, counter: Iterator[int] = _BRANCH_NUMBERS) -> float:
            branch = f"bench/create-{next(counter)}"
            took = _timed(conn, f"SELECT pggit.create_data_branch('{table}', 'main', '{branch}')")
            conn.execute(f"SELECT pggit.drop_data_branch('{table}', '{branch}')")
            return took

        def copy(table: str = table) -> float:
            took = _timed(conn, f"CREATE TABLE {table}_copy AS SELECT * FROM {table}")
            conn.execute(f"DROP TABLE {table}_copy")
            return took

        create()
        ours, samples = median_of(RUNS, create)
        plain, _ = median_of(3, copy)
        out[rows] = (ours, plain, samples)
    results = [Result(f"create_data_branch, {rows:,} rows", "ms", ours, plain, "CREATE TABLE AS copy",
                      "< 50 ms", ours < 50, samples) for rows, (ours, plain, samples) in out.items()]
    growth = out[BIG][0] / out[SMALL][0]
    results.append(Result("create_data_branch 1M rows / 100k rows", "x", growth, None, "-", "<= 1.5",
                          growth <= 1.5))
    return results


def _prepare_branch(conn: psycopg.Connection) -> str:
    """The 1M-row table ``bench_t`` with branch ``bench/read``: 1,000 rows changed on each side."""
    _make_table(conn, "bench_t", BIG)
    view = conn.execute("SELECT pggit.create_data_branch('bench_t', 'main', 'bench/read')").fetchone()[0]
    conn.execute(f'UPDATE "{view}" SET amount = amount + 1 WHERE id % 1000 = 7')
    conn.execute("UPDATE bench_t SET amount = amount - 1 WHERE id % 1000 = 3")
    conn.execute("VACUUM ANALYZE bench_t")
    (branch_id,) = conn.execute("SELECT max(id) FROM pggit.data_branches").fetchone()
    conn.execute(f"ANALYZE pggit_data.d{branch_id}, pggit_data.b{branch_id}")
    return f'"{view}"'


def pk_reads(conn: psycopg.Connection, view: str) -> list[Result]:
    rng = random.Random(3)
    keys = [rng.randint(1, BIG) for _ in range(READS)]

    def client(relation: str) -> float:
        sql = f"SELECT * FROM {relation} WHERE id = %s"
        with conn.cursor() as cur:
            for key in keys[:20]:
                cur.execute(sql, (key,), prepare=True)
            start = time.perf_counter()
            for key in keys:
                cur.execute(sql, (key,), prepare=True)
                cur.fetchall()
            return (time.perf_counter() - start) / len(keys) * 1e3

    def server(relation: str) -> float:
        start = time.perf_counter()
        conn.execute(f"DO $$ DECLARE r record; BEGIN FOR i IN 1..{READS} LOOP"
                     f" SELECT * INTO r FROM {relation} WHERE id = (i * 7919) % {BIG} + 1; END LOOP; END $$")
        return (time.perf_counter() - start) / READS * 1e3

    results = []
    for name, measure in (("client, prepared", client), ("server side", server)):
        samples_b: list[float] = []
        samples_t: list[float] = []
        for _ in range(RUNS):
            samples_b.append(measure(view))
            samples_t.append(measure("bench_t"))
        samples_b.sort()
        samples_t.sort()
        ours, plain = samples_b[RUNS // 2], samples_t[RUNS // 2]
        target = "<= 2x" if name.startswith("client") else "- (info)"
        ok = ours <= 2 * plain if name.startswith("client") else None
        results.append(Result(f"primary-key read, branch vs table ({name})", "ms", ours, plain, "the table",
                              target, ok, samples_b))
    return results


def full_scan(conn: psycopg.Connection, view: str) -> Result:
    samples_b: list[float] = []
    samples_t: list[float] = []
    for _ in range(RUNS):
        samples_b.append(_timed(conn, f"SELECT sum(amount), count(name) FROM {view}"))
        samples_t.append(_timed(conn, "SELECT sum(amount), count(name) FROM bench_t"))
    samples_b.sort()
    samples_t.sort()
    ours, plain = samples_b[RUNS // 2], samples_t[RUNS // 2]
    return Result(f"full scan ({BIG:,} rows), branch vs table", "ms", ours, plain, "the table", "<= 2.5x",
                  ours <= 2.5 * plain, samples_b)


def update_on_main(conn: psycopg.Connection) -> Result:
    """Single-row UPDATEs of random rows of a 100k-row table, with one branch vs none (two tables)."""
    _make_table(conn, "bench_u_branched", SMALL)
    _make_table(conn, "bench_u_plain", SMALL)
    conn.execute("SELECT pggit.create_data_branch('bench_u_branched', 'main', 'bench/update')")
    rng = random.Random(5)

    def run(table: str) -> float:
        keys = [rng.randint(1, SMALL) for _ in range(UPDATES)]
        sql = f"UPDATE {table} SET amount = amount + 1 WHERE id = %s"
        with conn.cursor() as cur:
            start = time.perf_counter()
            for key in keys:
                cur.execute(sql, (key,), prepare=True)
            return (time.perf_counter() - start) / UPDATES * 1e3

    run("bench_u_branched")
    run("bench_u_plain")
    ours_s: list[float] = []
    plain_s: list[float] = []
    for _ in range(RUNS):
        ours_s.append(run("bench_u_branched"))
        plain_s.append(run("bench_u_plain"))
    ours_s.sort()
    plain_s.sort()
    ours, plain = ours_s[RUNS // 2], plain_s[RUNS // 2]
    return Result("single-row UPDATE on main, one branch vs none", "ms", ours, plain, "no branch", "<= 2x",
                  ours <= 2 * plain, ours_s)


def run(server: PggitServer) -> list[Result]:
    admin = server.conninfo("postgres")
    _fresh_db(admin, "bench_l3")
    Migrator(server.conninfo("bench_l3")).migrate()
    results: list[Result] = []
    with connect(server.conninfo("bench_l3")) as conn:
        results.extend(create_costs(conn))
        view = _prepare_branch(conn)
        results.extend(pk_reads(conn, view))
        results.append(full_scan(conn, view))
        results.append(update_on_main(conn))
    return results
