"""Commit benchmarks: commit_changes alone, 20 clients on one branch, 20 clients on a branch each.

Every figure is against plain PostgreSQL on the same server in the same run: one client's
commit against an INSERT round trip, 20 committing clients against 20 inserting clients.
The one-branch row counts what it made afterwards (``lost`` = commits missing or off the
one chain from the head); the branch-each row is the same load without the branch lock,
the ceiling that shortening the lock's critical section can reach.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import psycopg

from bench.harness import Result, connect, median_of
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

RUNS = 7
CLIENTS = 20
COMMITS_PER_CLIENT = 200


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


def parallel_rate(db: str, clients: int, per_client: int, statement: str,
                  params: Callable[[int, int], tuple]) -> float:
    """Run ``statement`` per_client times on each of ``clients`` new connections at once; operations/s."""
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


def lost_on(db: str, branch: str, expected: int) -> int:
    """Commits of ``branch`` missing from the expected count, plus those not on the one chain from its head."""
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
    return abs(expected - n) + (n - chain)


def plain_insert_rate(db: str) -> float:
    """Median of RUNS runs: CLIENTS clients inserting COMMITS_PER_CLIENT rows each into one table."""
    with connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_plain_parallel (id text PRIMARY KEY, message text)")
    return sorted(
        parallel_rate(db, CLIENTS, COMMITS_PER_CLIENT, "INSERT INTO bench_plain_parallel VALUES (%s, 'm')",
                      lambda w, i, r=r: (f"{r}-{w}-{i}",))
        for r in range(RUNS))[RUNS // 2]


def commit_throughput(db: str) -> tuple[Result, float]:
    """The one-branch row, and the plain rate measured after it (as before this module existed)."""
    samples: list[float] = []
    lost = 0
    for run in range(RUNS):
        branch = f"bench/throughput-{run}"
        samples.append(parallel_rate(db, CLIENTS, COMMITS_PER_CLIENT, "SELECT pggit.commit_changes(%s, 'm')",
                                     lambda w, i, b=branch: (b,)))
        lost += lost_on(db, branch, CLIENTS * COMMITS_PER_CLIENT)
    plain = plain_insert_rate(db)
    ours = statistics.median(samples)
    return Result(f"commit_changes, {CLIENTS} clients on one branch (lost: {lost})", "commits/s", ours, plain,
                  f"{CLIENTS} clients INSERT", ">= 0.4x, none lost", ours >= 0.4 * plain and lost == 0, samples), plain


def commit_throughput_branch_each(db: str, plain: float) -> Result:
    samples: list[float] = []
    lost = 0
    for run in range(RUNS):
        samples.append(parallel_rate(db, CLIENTS, COMMITS_PER_CLIENT, "SELECT pggit.commit_changes(%s, 'm')",
                                     lambda w, i, r=run: (f"bench/own-{r}/{w}",)))
        lost += sum(lost_on(db, f"bench/own-{run}/{w}", COMMITS_PER_CLIENT) for w in range(CLIENTS))
    ours = statistics.median(samples)
    return Result(f"commit_changes, {CLIENTS} clients on a branch each (lost: {lost})", "commits/s", ours, plain,
                  f"{CLIENTS} clients INSERT", "- (info)", None, samples)


def run(cluster: PggitServer) -> list[Result]:
    admin = cluster.conninfo("postgres")
    with connect(admin) as conn:
        conn.execute('DROP DATABASE IF EXISTS "bench_commits"')
        conn.execute('CREATE DATABASE "bench_commits"')
    db = cluster.conninfo("bench_commits")
    Migrator(db).migrate()
    latency = commit_latency(db)
    one_branch, plain = commit_throughput(db)
    return [latency, one_branch, commit_throughput_branch_each(db, plain)]
