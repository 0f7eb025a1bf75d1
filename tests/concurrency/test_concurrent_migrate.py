"""Two ``pggit-sql migrate`` processes at once: one applies, the other waits and finds nothing to do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql.levels import default_migrations_dir, discover, head
from pggit_sql.migrate import LOCK_KEY, Migrator

REAL_HEAD = head(discover(default_migrations_dir()))

SLOW_LEVEL = (
    "CREATE SCHEMA pggit;\n"
    "CREATE TABLE pggit.applied_once (id int PRIMARY KEY);\n"
    "INSERT INTO pggit.applied_once VALUES (1);\n"
    "SELECT pg_sleep(2);\n"
    "COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n"
)


def console_script() -> str:
    script = Path(sys.executable).parent / "pggit-sql"
    return str(script) if script.exists() else shutil.which("pggit-sql") or "pggit-sql"


def start_migrate(dsn: str, migrations: Path, name: str = "pggit-race") -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PGAPPNAME"] = name  # its sessions' application_name, to tell the appliers apart
    return subprocess.Popen([console_script(), "--json", "--dsn", dsn, "--migrations", str(migrations), "migrate"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


# An applier waits by trying the lock in short transactions (each rolled back): a waiter is an
# applier's session whose last statement was such a try or its ROLLBACK while another holds the lock.
WAITING_WHILE_HELD = """
SELECT EXISTS (
  SELECT FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS h ON h.pid = l.pid
   WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = %s
     AND EXISTS (SELECT FROM pg_catalog.pg_stat_activity AS w
                  WHERE w.application_name LIKE 'pggit-race-%%' AND w.application_name <> h.application_name
                    AND (w.query LIKE '%%pg_try_advisory_xact_lock%%' OR w.query = 'ROLLBACK')))
"""


def waiting_while_held(conn: psycopg.Connection) -> bool:
    row = conn.execute(WAITING_WHILE_HELD, (LOCK_KEY,)).fetchone()
    return bool(row and row[0])


def run_two(dsn: str, migrations: Path, watch_for_waiter: bool) -> list[dict[str, object]]:
    first, second = start_migrate(dsn, migrations, "pggit-race-1"), start_migrate(dsn, migrations, "pggit-race-2")
    saw_waiter = False
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while first.poll() is None or second.poll() is None:
            saw_waiter = saw_waiter or waiting_while_held(watcher)
            time.sleep(0.05)
    results = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out))
    if watch_for_waiter:
        assert saw_waiter, "the second applier never waited for the advisory lock"
    return results


@pytest.mark.timeout(180)
def test_two_appliers_on_a_fresh_database(pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_core.sql").write_text(SLOW_LEVEL)
    (migrations / "0001_core.rollback.sql").write_text("DROP SCHEMA pggit CASCADE;\n")
    dsn = pggit_new_database(0)

    results = run_two(dsn, migrations, watch_for_waiter=True)

    assert sorted(r["nothing_to_do"] for r in results) == [False, True]
    assert sorted(len(r["applied"]) for r in results) == [0, 1]  # type: ignore[arg-type]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pggit.applied_once").fetchone() == (1,)
        applies = conn.execute("SELECT count(*) FROM pggit_meta._yoyo_log WHERE operation = 'apply'"
                               " AND migration_id = '0001_core'").fetchone()
        assert applies == (1,)
        assert conn.execute("SELECT count(*) FROM pggit_meta.yoyo_lock").fetchone() == (0,)
    assert Migrator(dsn, migrations).status().catalog_level == 1


@pytest.mark.timeout(300)
def test_two_appliers_with_the_real_levels(pggit_new_database: Callable[[int], str]) -> None:
    dsn = pggit_new_database(0)
    results = run_two(dsn, default_migrations_dir(), watch_for_waiter=False)
    assert sorted(r["nothing_to_do"] for r in results) == [False, True]
    applied = [r["applied"] for r in results if not r["nothing_to_do"]][0]
    assert len(applied) == REAL_HEAD  # type: ignore[arg-type]
    status = Migrator(dsn).status()
    assert status.catalog_level == REAL_HEAD and status.recorded_levels == list(range(1, REAL_HEAD + 1))
