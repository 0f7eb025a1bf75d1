"""Level 1 benchmarks: Trinity IDs, commit_changes alone and under 20 clients, clone vs migrate."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import psycopg

from bench.harness import Result, connect, median_of, server_rate
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

RUNS = 7


def _create_db(admin: str, name: str, template: str | None = None) -> None:
    with connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def trinity_rate(db: str) -> Result:
    n = 1_000_000
    with connect(db) as conn:
        conn.execute("SELECT count(pggit.generate_trinity_id()) FROM generate_series(1, 1000)")
        ours, samples = median_of(RUNS, server_rate(
            conn, "SELECT count(pggit.generate_trinity_id()) FROM generate_series(1, %s)", n))
        plain, _ = median_of(RUNS, server_rate(conn, "SELECT count(gen_random_uuid()) FROM generate_series(1, %s)", n))
    return Result("generate_trinity_id, server side", "IDs/s", ours, plain, "gen_random_uuid()",
                  ">= 200,000 IDs/s", ours >= 200_000, samples)


def commit_latency(db: str) -> Result:
    n = 2000
    with connect(db) as conn:
        conn.execute(
            "CREATE TABLE bench_plain_commits (hash text PRIMARY KEY, branch_id bigint NOT NULL,"
            " parent_hash text, message text NOT NULL, author text NOT NULL DEFAULT session_user,"
            " committed_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
        counter = iter(range(10**9))

        def ours() -> float:
            start = time.perf_counter()
            for _ in range(n):
                conn.execute("SELECT pggit.commit_changes('bench/latency', 'a commit message')")
            return (time.perf_counter() - start) / n * 1e6

        def plain() -> float:
            start = time.perf_counter()
            for _ in range(n):
                conn.execute("INSERT INTO bench_plain_commits (hash, branch_id, parent_hash, message)"
                             " VALUES (%s, 1, NULL, 'a commit message')", (f"h{next(counter)}",))
            return (time.perf_counter() - start) / n * 1e6

        ours(), plain()  # warm up caches and plans
        mine, samples = median_of(RUNS, ours)
        base, _ = median_of(RUNS, plain)
    return Result("commit_changes, one client (per call)", "us", mine, base, "INSERT round trip",
                  "<= 3x", mine <= 3 * base, samples)


def _parallel(db: str, clients: int, per_client: int, statement: str, params: Callable[[int, int], tuple]) -> float:
    """Run ``statement`` per_client times on each of ``clients`` connections; return operations/s."""
    conns = [psycopg.connect(db, autocommit=True) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def work(worker: int, conn: psycopg.Connection) -> None:
        barrier.wait()
        try:
            for i in range(per_client):
                conn.execute(statement, params(worker, i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w, c)) for w, c in enumerate(conns)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    if errors:
        raise errors[0]
    return clients * per_client / elapsed


def commit_throughput(db: str) -> Result:
    clients, per_client = 20, 200
    with connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_plain_parallel (id text PRIMARY KEY, message text)")
    samples: list[float] = []
    lost = 0
    for run in range(RUNS):
        branch = f"bench/throughput-{run}"
        samples.append(_parallel(db, clients, per_client, "SELECT pggit.commit_changes(%s, 'm')",
                                 lambda w, i, b=branch: (b,)))
        with connect(db) as conn:
            n, chain = conn.execute(
                """WITH RECURSIVE b AS (SELECT id, head_commit_hash FROM pggit.branches WHERE name = %s),
                   chain AS (SELECT c.hash, c.parent_hash, 1 AS depth FROM pggit.commits c
                             JOIN b ON c.hash = b.head_commit_hash
                             UNION ALL SELECT p.hash, p.parent_hash, chain.depth + 1 FROM pggit.commits p
                             JOIN chain ON p.hash = chain.parent_hash
                             JOIN b ON p.branch_id = b.id)
                   SELECT (SELECT count(*) FROM pggit.commits WHERE branch_id = (SELECT id FROM b)),
                          (SELECT count(*) FROM chain)""", (branch,)).fetchone()
        lost += clients * per_client - n + (n - chain)
    plain = sorted(
        _parallel(db, clients, per_client, "INSERT INTO bench_plain_parallel VALUES (%s, 'm')",
                  lambda w, i, r=r: (f"{r}-{w}-{i}",))
        for r in range(RUNS))[RUNS // 2]
    ours = statistics.median(samples)
    return Result(f"commit_changes, {clients} clients on one branch (lost: {lost})", "commits/s", ours, plain,
                  "20 clients INSERT", ">= 2,000/s, none lost", ours >= 2000 and lost == 0, samples)


def clone_vs_migrate(admin: str, conninfo_for: Callable[[str], str]) -> tuple[Result, Result]:
    _create_db(admin, "bench_template")
    Migrator(conninfo_for("bench_template")).migrate()
    with connect(admin) as conn:
        conn.execute("ALTER DATABASE bench_template IS_TEMPLATE true")
    counter = iter(range(10**6))

    def clone() -> float:
        name = f"bench_clone_{next(counter)}"
        start = time.perf_counter()
        _create_db(admin, name, "bench_template")
        return time.perf_counter() - start

    def migrate_new() -> float:
        name = f"bench_migrated_{next(counter)}"
        start = time.perf_counter()
        _create_db(admin, name)
        Migrator(conninfo_for(name)).migrate()
        return time.perf_counter() - start

    def cli_migrate() -> float:
        name = f"bench_cli_{next(counter)}"
        _create_db(admin, name)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pggit_sql.cli", "--dsn", conninfo_for(name), "migrate"],
                       check=True, capture_output=True)
        return time.perf_counter() - start

    cloned, samples = median_of(RUNS, clone)
    migrated, _ = median_of(RUNS, migrate_new)
    cli, cli_samples = median_of(RUNS, cli_migrate)
    return (
        Result("test database cloned from a level template", "s", cloned, migrated, "CREATE + migrate to head",
               "<= 1/3 of migrating", cloned <= migrated / 3, samples),
        Result("pggit-sql migrate, new database to head", "s", cli, None, "-", "reported", None, cli_samples),
    )


def run(cluster: PggitServer) -> list[Result]:
    admin = cluster.conninfo("postgres")
    _create_db(admin, "bench_l1")
    Migrator(cluster.conninfo("bench_l1")).migrate()
    db = cluster.conninfo("bench_l1")
    results = [trinity_rate(db), commit_latency(db), commit_throughput(db)]
    results.extend(clone_vs_migrate(admin, cluster.conninfo))
    return results
