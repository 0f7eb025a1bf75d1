"""A SIGKILLed ``pggit-sql migrate`` leaves no stale lock and no half level behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql.migrate import LOCK_KEY, Migrator

LEVEL_1 = (
    "CREATE SCHEMA pggit;\n"
    "CREATE TABLE pggit.items (id int PRIMARY KEY);\n"
    "SELECT pg_sleep({sleep});\n"
    "COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n"
)
LEVEL_2 = "CREATE TABLE pggit.more (id int);\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 2';\n"


def migrations(folder: Path, sleep: float) -> Path:
    folder.mkdir()
    (folder / "0001_core.sql").write_text(LEVEL_1.format(sleep=sleep))
    (folder / "0001_core.rollback.sql").write_text("DROP SCHEMA pggit CASCADE;\n")
    (folder / "0002_more.sql").write_text(LEVEL_2)
    (folder / "0002_more.rollback.sql").write_text(
        "DROP TABLE pggit.more;\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n")
    return folder


def console_script() -> str:
    script = Path(sys.executable).parent / "pggit-sql"
    return str(script) if script.exists() else shutil.which("pggit-sql") or "pggit-sql"


def _argv(dsn: str, folder: Path) -> list[str]:
    return [console_script(), "--dsn", dsn, "--migrations", str(folder), "migrate"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}


def start_migrate(dsn: str, folder: Path, to: int | None = None, name: str = "pggit-killed") -> subprocess.Popen[bytes]:
    """A migrate process in the background (to be killed: its output is not kept); ``name``: its application_name."""
    argv = _argv(dsn, folder) + ([] if to is None else ["--to", str(to)])
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(_env(), PGAPPNAME=name))


def run_migrate(dsn: str, folder: Path, to: int | None = None) -> subprocess.CompletedProcess[str]:
    argv = _argv(dsn, folder) + ([] if to is None else ["--to", str(to)])
    return subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120)


def wait_for(conn: psycopg.Connection, query: str, params: tuple[object, ...] = (), timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not conn.execute(query, params).fetchone()[0]:  # type: ignore[index]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for: {query}")
        time.sleep(0.05)


def assert_clean_at(dsn: str, folder: Path, level: int) -> None:
    status = Migrator(dsn, folder).status()
    assert status.catalog_level == level
    assert status.recorded_levels == list(range(1, level + 1))
    assert status.problems == []
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pggit_meta.yoyo_lock").fetchone() == (0,)
        held = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                            " AND ((classid::bigint << 32) | objid::bigint) = %s", (LOCK_KEY,)).fetchone()
        assert held == (0,)


@pytest.mark.timeout(120)
def test_killed_while_waiting_for_the_lock(pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    dsn = pggit_new_database(0)
    folder = migrations(tmp_path / "m", sleep=0)
    with psycopg.connect(dsn, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        proc = start_migrate(dsn, folder, name="pggit-killed-waiter")
        # a waiter tries the lock in short transactions, each rolled back
        wait_for(holder, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'pggit-killed-waiter'"
                         " AND (query LIKE '%%pg_try_advisory_xact_lock%%' OR query = 'ROLLBACK'))")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        holder.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    result = run_migrate(dsn, folder)
    assert result.returncode == 0, result.stderr
    assert_clean_at(dsn, folder, 2)


@pytest.mark.timeout(120)
def test_killed_in_the_middle_of_a_level(pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    dsn = pggit_new_database(0)
    folder = migrations(tmp_path / "m", sleep=3)
    proc = start_migrate(dsn, folder)
    with psycopg.connect(dsn, autocommit=True) as watcher:
        wait_for(watcher, "SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%'"
                          " AND state = 'active'")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # the half level was never committed: nothing of it is visible
        assert watcher.execute("SELECT to_regnamespace('pggit')").fetchone() == (None,)
    result = run_migrate(dsn, folder)  # waits for the orphaned transaction to end, then applies cleanly
    assert result.returncode == 0, result.stderr
    assert "applied level 1" in result.stdout and "applied level 2" in result.stdout
    assert_clean_at(dsn, folder, 2)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pggit_meta._yoyo_log WHERE operation = 'apply'").fetchone() == (2,)


@pytest.mark.timeout(120)
def test_stale_yoyo_lock_row_does_not_block(pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    """A yoyo_lock row left by a killed yoyo holder is cleared under the advisory lock."""
    dsn = pggit_new_database(0)
    folder = migrations(tmp_path / "m", sleep=0)
    Migrator(dsn, folder).migrate(to=1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO pggit_meta.yoyo_lock (locked, ctime, pid) VALUES (1, now(), 999999)")
    started = time.monotonic()
    assert [lv.number for lv in Migrator(dsn, folder).migrate()] == [2]
    assert time.monotonic() - started < 5  # yoyo's own lock would have waited 10 s and failed
    assert_clean_at(dsn, folder, 2)


# a table each level alters after some of its statements ran (default: pggit.commits);
# None: the schema pggit, which every level comments on as its last statement
LOCKED_MID_LEVEL: dict[int, str | None] = {5: "pggit.objects"}
SCHEMA_FROM_LEVEL = 6


@pytest.mark.timeout(180)
@pytest.mark.pggit_level(min=3)
def test_killed_in_the_middle_of_a_real_level(pggit_new_database: Callable[[int], str], pggit_level: int) -> None:
    """pggit's own levels: the applier is SIGKILLed while level ``pggit_level`` waits for a lock mid-way.

    A session holds ROW EXCLUSIVE on a table the level alters part-way through
    (``LOCKED_MID_LEVEL``: levels 3 and 4 add foreign keys to pggit.commits, level 5 replaces
    a trigger on pggit.objects), or, for a level that alters none of them (6 and later),
    has commented on schema pggit in its open transaction, which makes the level's own
    closing ``COMMENT ON SCHEMA pggit`` wait; so the level waits there after its earlier
    statements ran (uncommitted); the applier is killed there. The next migrate applies
    the level cleanly and verify finds nothing.
    """
    from pggit_sql.levels import default_migrations_dir

    folder = default_migrations_dir()
    dsn = pggit_new_database(pggit_level - 1)
    with psycopg.connect(dsn, autocommit=True) as holder:
        holder.execute("BEGIN")
        table = LOCKED_MID_LEVEL.get(pggit_level, None if pggit_level >= SCHEMA_FROM_LEVEL else "pggit.commits")
        if table is None:
            holder.execute(f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {pggit_level - 1}'")
        else:
            holder.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
        proc = start_migrate(dsn, folder, to=pggit_level)  # this level only, whatever head is
        with psycopg.connect(dsn, autocommit=True) as watcher:
            if table is None:
                wait_for(watcher, "SELECT count(*) > 0 FROM pg_locks l WHERE NOT l.granted AND l.locktype = 'object'"
                                  " AND l.classid = 'pg_namespace'::regclass AND l.objid = 'pggit'::regnamespace")
            else:
                wait_for(watcher, "SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                                  " WHERE NOT l.granted AND l.relation = %s::regclass", (table,))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        holder.execute("ROLLBACK")
    result = run_migrate(dsn, folder, to=pggit_level)
    assert result.returncode == 0, result.stderr
    assert f"applied level {pggit_level}" in result.stdout
    migrator = Migrator(dsn, folder)
    status = migrator.status()
    assert status.catalog_level == pggit_level and status.problems == []
    assert migrator.verify().differences == []
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pggit_meta.yoyo_lock").fetchone() == (0,)
