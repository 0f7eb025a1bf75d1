"""Trinity IDs and installing (level 1): generate_trinity_id, clone vs migrate.

(commit_changes is measured in bench/commits.py.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

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
    results = [trinity_rate(db)]
    results.extend(clone_vs_migrate(admin, cluster.conninfo))
    return results
