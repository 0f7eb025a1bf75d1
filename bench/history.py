"""History (level 2): DDL overhead of tracking, history growth, get_version, schema hash, commit trees.

Every DDL figure is the median of per-statement means, measured on a database at head
(tracking on) and on a database without pggit on the same server in the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from bench.harness import Result, connect, median_of, server_ms_per_call, server_rate
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

RUNS = 7
STATEMENTS = 100
LEVEL = 2

FIVE_COLUMNS = ("id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2),"
                " created timestamptz DEFAULT now(), flag boolean")


def _fresh_db(admin: str, name: str) -> None:
    with connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _per_statement(conn: psycopg.Connection, statements: list[str], setup: list[str] | None = None) -> float:
    """Mean seconds per statement (each its own transaction) after running ``setup``."""
    for sql in setup or []:
        conn.execute(sql)
    start = time.perf_counter()
    for sql in statements:
        conn.execute(sql)
    return (time.perf_counter() - start) / len(statements)


class DdlCase:
    """One kind of DDL statement, run STATEMENTS times per sample on fresh tables."""

    def __init__(self, name: str, target: float, make: Callable[[int, int], tuple[list[str], list[str], list[str]]]):
        self.name, self.target, self.make = name, target, make

    def sample(self, conn: psycopg.Connection, run: int) -> float:
        setup, statements, cleanup = self.make(run, STATEMENTS)
        took = _per_statement(conn, statements, setup)
        for sql in cleanup:
            conn.execute(sql)
        return took


def _create(run: int, n: int) -> tuple[list[str], list[str], list[str]]:
    return ([], [f"CREATE TABLE bench_c_{run}_{i} ({FIVE_COLUMNS})" for i in range(n)],
            [f"DROP TABLE bench_c_{run}_{i}" for i in range(n)])


def _add_column(run: int, n: int) -> tuple[list[str], list[str], list[str]]:
    return ([f"CREATE TABLE bench_a_{run}_{i} ({FIVE_COLUMNS})" for i in range(n)],
            [f"ALTER TABLE bench_a_{run}_{i} ADD COLUMN note text" for i in range(n)],
            [f"DROP TABLE bench_a_{run}_{i}" for i in range(n)])


def _create_index(run: int, n: int) -> tuple[list[str], list[str], list[str]]:
    return ([f"CREATE TABLE bench_i_{run}_{i} ({FIVE_COLUMNS})" for i in range(n)],
            [f"CREATE INDEX bench_i_{run}_{i}_name ON bench_i_{run}_{i} (name)" for i in range(n)],
            [f"DROP TABLE bench_i_{run}_{i}" for i in range(n)])


def _drop(run: int, n: int) -> tuple[list[str], list[str], list[str]]:
    return ([f"CREATE TABLE bench_d_{run}_{i} ({FIVE_COLUMNS})" for i in range(n)],
            [f"DROP TABLE bench_d_{run}_{i}" for i in range(n)], [])


CASES = [
    DdlCase("CREATE TABLE (5 columns, primary key)", 1.5, _create),
    DdlCase("ALTER TABLE ADD COLUMN", 2.0, _add_column),
    DdlCase("CREATE INDEX", 2.0, _create_index),
    DdlCase("DROP TABLE", 2.0, _drop),
]


def _ddl_overheads(tracked: psycopg.Connection, plain: psycopg.Connection, label: str) -> dict[str, Result]:
    results = {}
    for case in CASES:
        # alternate the two databases sample by sample, so drift in machine load hits both
        ours: list[float] = []
        base: list[float] = []
        for run in range(RUNS):
            ours.append(case.sample(tracked, run))
            base.append(case.sample(plain, run))
        ours.sort()
        base.sort()
        mine, theirs = ours[RUNS // 2], base[RUNS // 2]
        results[case.name] = Result(f"{case.name}{label}", "ms", mine * 1e3, theirs * 1e3, "no pggit",
                                    f"<= {case.target}x", mine <= case.target * theirs, [s * 1e3 for s in ours])
    return results


def _grow_history(conn: psycopg.Connection, rows: int) -> int:
    """Make at least ``rows`` history rows through real DDL (4 statements per table), server side."""
    per_batch = 250
    for batch in range(0, rows // 4 + 1, per_batch):
        conn.execute(
            f"""DO $$ BEGIN FOR i IN {batch}..{batch + per_batch - 1} LOOP
                   EXECUTE format('CREATE TABLE hist_%s (id int PRIMARY KEY, v text)', i);
                   EXECUTE format('ALTER TABLE hist_%s ADD COLUMN w int', i);
                   EXECUTE format('CREATE INDEX ON hist_%s (v)', i);
                   EXECUTE format('DROP TABLE hist_%s', i);
                 END LOOP; END $$"""
        )
    (count,) = conn.execute("SELECT count(*) FROM pggit.history").fetchone()
    return int(count)


def get_version_rate(conn: psycopg.Connection) -> Result:
    conn.execute("CREATE TABLE IF NOT EXISTS bench_versioned (id int PRIMARY KEY)")
    n = 100_000

    # the name is a per-row expression, so the planner cannot resolve it once for all rows
    ours, samples = median_of(RUNS, server_rate(
        conn, "SELECT count(v.version) FROM generate_series(1, %s) g,"
        " LATERAL pggit.get_version(CASE WHEN g > 0 THEN 'bench_versioned' END) v", n))
    plain, _ = median_of(RUNS, server_rate(
        conn, "SELECT count(to_regclass(CASE WHEN g > 0 THEN 'bench_versioned' END)) FROM generate_series(1, %s) g", n))
    return Result("get_version, server side", "calls/s", ours, plain, "to_regclass()", ">= 20,000 calls/s",
                  ours >= 20_000, samples)


def schema_hash_cost(conn: psycopg.Connection) -> Result:
    columns = ", ".join(f"c{i} {'text' if i % 3 else 'integer'}{' NOT NULL' if i % 5 == 0 else ''}"
                        for i in range(1, 50))
    conn.execute(f"CREATE TABLE bench_wide (id bigint PRIMARY KEY, {columns})")
    for i in range(1, 5):
        conn.execute(f"CREATE INDEX ON bench_wide (c{i}, c{i + 10})")
    loops = 1000

    ours, samples = median_of(RUNS, server_ms_per_call(
        conn, "SELECT count(pggit.calculate_schema_hash('bench_wide')) FROM generate_series(1, %s)", loops))
    plain, _ = median_of(RUNS, server_ms_per_call(
        conn, "SELECT count(*) FROM generate_series(1, %s) g, LATERAL (SELECT string_agg(attname || atttypid, ',')"
        " FROM pg_attribute WHERE attrelid = 'bench_wide'::regclass) a", loops))
    return Result("calculate_schema_hash, 50 columns, 5 indexes", "ms", ours, plain,
                  "reading its pg_attribute rows", "<= 1 ms", ours <= 1.0, samples)


def commit_after_alter(conn: psycopg.Connection) -> Result:
    conn.execute(
        "DO $$ BEGIN FOR i IN 1..1000 LOOP EXECUTE format("
        "'CREATE TABLE wide_schema_%s (id bigint PRIMARY KEY, name text, amount numeric,"
        " at timestamptz, flag boolean)', i); END LOOP; END $$")
    conn.execute("SELECT pggit.commit_changes('main', 'schema of 1,000 tables')")
    counter = iter(range(10**6))

    def run() -> float:
        i = next(counter)
        conn.execute(f"ALTER TABLE wide_schema_{i % 1000 + 1} ADD COLUMN extra_{i} integer")
        start = time.perf_counter()
        conn.execute("SELECT pggit.commit_changes('main', 'one ALTER')")
        return (time.perf_counter() - start) * 1e3

    for _ in range(3):
        run()
    ours, samples = median_of(RUNS * 3, run)
    return Result("commit_changes after one ALTER, 1,000 tables", "ms", ours, None, "-", "<= 50 ms",
                  ours <= 50, samples)


def run(server: PggitServer) -> list[Result]:
    admin = server.conninfo("postgres")
    _fresh_db(admin, "bench_l2")
    _fresh_db(admin, "bench_plain")
    Migrator(server.conninfo("bench_l2")).migrate()
    results: list[Result] = []
    with connect(server.conninfo("bench_l2")) as tracked, connect(server.conninfo("bench_plain")) as plain:
        empty = _ddl_overheads(tracked, plain, "")
        results.extend(empty.values())
        history = _grow_history(tracked, 10_000)
        grown = _ddl_overheads(tracked, plain, f", {history:,} history rows")
        results.extend(grown.values())
        for name, before in empty.items():
            after = grown[name]
            growth = (after.ratio or 0) / (before.ratio or 1)
            results.append(Result(f"{name}: overhead with {history:,} history rows vs empty", "x", growth, None,
                                  "-", "<= 1.1", growth <= 1.1))
        results.append(get_version_rate(tracked))
        results.append(schema_hash_cost(tracked))
        results.append(commit_after_alter(tracked))
    return results
