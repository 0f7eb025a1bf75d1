"""``pggit-sql`` through a real PgBouncer in transaction mode (issue 17).

Behind ``pool_mode = transaction`` consecutive transactions of one client run on
different server connections and one server connection serves many clients.  What must
hold there (``pggit_pooler``: PgBouncer 1.18 with 2 server connections per database):

- concurrent ``migrate`` processes through the pooler on an empty database end with one
  complete, recorded install (every level recorded once in yoyo's table and in the
  checksum table, nothing of yoyo's outside ``pggit_meta``, ``status`` without problems),
  the others finding nothing to do; and no session setting (``search_path``,
  ``lock_timeout``) left behind on the pool's server connections for the next client;
- a ``rollback`` racing a ``migrate``, or another ``rollback``, ends consistent;
- a waiter with ``--lock-timeout`` gives the clear error, both behind an applier through
  the pooler and behind an older pggit-sql's session lock on a direct connection;
- the lock's open transaction outlives the database's ``idle_in_transaction_session_timeout``
  and ``transaction_timeout`` (17+); a lock lost mid-run stops the run before the next
  level; a SIGKILLed applier leaves no lock behind the pooler; statement pooling (no
  transaction blocks) is refused by name;
- every command that talks to a database works through the pooler with psycopg set to
  prepare every statement at once (``prepare_threshold=0`` as psycopg's default in this
  process): a connection pggit-sql opens without ``prepare_threshold=None`` leaves a
  prepared statement on a shared server connection, and the next client's fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pggit_sql import cli
from pggit_sql.levels import default_migrations_dir, discover, head
from pggit_sql.migrate import LOCK_KEY, Migrator
from pggit_sql.testing.pooler import Pooler

REAL_HEAD = head(discover(default_migrations_dir()))
LEVEL_NAMES = [level.name for level in discover(default_migrations_dir())]

pytestmark = pytest.mark.timeout(240)


def console_script() -> str:
    script = Path(sys.executable).parent / "pggit-sql"
    return str(script) if script.exists() else shutil.which("pggit-sql") or "pggit-sql"


def dbname(conninfo: str) -> str:
    return str(conninfo_to_dict(conninfo)["dbname"])


def start_cli(dsn: str, *argv: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGOPTIONS", "PGGIT_DEBUG")}
    return subprocess.Popen([console_script(), "--json", "--dsn", dsn, *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, dict[str, Any], str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=90)
        assert "Traceback" not in err, err
        results.append((proc.returncode, json.loads(out) if out.strip() else {}, err))
    return results


def server_settings(pooler: Pooler, name: str) -> set[tuple[str, str]]:
    """(search_path, lock_timeout) of every server connection of ``name``'s pool, as the next client sees them.

    As many clients as the pool has server connections each open a transaction at once,
    so each holds a different server connection while it reads the settings.
    """
    barrier = threading.Barrier(pooler.pool_size)
    seen: set[tuple[str, str]] = set()

    def look() -> None:
        with psycopg.connect(pooler.dsn(name), prepare_threshold=None) as conn:  # one transaction
            row = conn.execute("SELECT current_setting('search_path'), current_setting('lock_timeout')").fetchone()
            barrier.wait(timeout=30)
            seen.add((row[0], row[1]))

    threads = [threading.Thread(target=look) for _ in range(pooler.pool_size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return seen


DEFAULTS = {('"$user", public', "0")}


def assert_consistent(direct: str, level: int) -> None:
    """The database claims ``level`` and records exactly levels 1..level, once each, with checksums."""
    status = Migrator(direct).status()
    assert status.catalog_level == level
    assert status.problems == []
    assert status.recorded_levels == list(range(1, level + 1))
    with psycopg.connect(direct, autocommit=True) as conn:
        ids = [r[0] for r in conn.execute("SELECT migration_id FROM pggit_meta._yoyo_migration").fetchall()]
        assert sorted(ids) == LEVEL_NAMES[:level]  # no duplicates, none missing
        sums = conn.execute("SELECT migration_id FROM pggit_meta.level_checksums ORDER BY 1").fetchall()
        assert [r[0] for r in sums] == LEVEL_NAMES[:level]
        assert conn.execute("SELECT count(*) FROM pggit_meta.yoyo_lock").fetchone() == (0,)
        stray = conn.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname LIKE '%yoyo%' AND n.nspname <> 'pggit_meta'").fetchall()
        assert stray == []  # yoyo's tables only in pggit_meta (never in public)


# --------------------------------------------------------------------------- concurrent appliers


def test_three_migrates_at_once_through_the_pooler_install_once(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str]) -> None:
    direct = pggit_new_database(0)
    through = pggit_pooler.dsn(dbname(direct))

    results = finish([start_cli(through, "migrate") for _ in range(3)])

    assert [code for code, _, _ in results] == [0, 0, 0], [err for _, _, err in results]
    applied = sorted(len(data["applied"]) for _, data, _ in results)
    assert applied == [0, 0, REAL_HEAD]
    assert all(data["level"] == REAL_HEAD for _, data, _ in results)
    with psycopg.connect(direct, autocommit=True) as conn:
        applies = conn.execute("SELECT migration_id, count(*) FROM pggit_meta._yoyo_log WHERE operation = 'apply'"
                               " GROUP BY 1 HAVING count(*) <> 1").fetchall()
        assert applies == []  # each level ran once
    assert_consistent(direct, REAL_HEAD)
    [(code, data, err)] = finish([start_cli(through, "status")])
    assert code == 0 and data["problems"] == [] and data["catalog_level"] == REAL_HEAD, err
    assert server_settings(pggit_pooler, dbname(direct)) == DEFAULTS  # nothing leaked to the next client


def test_rollback_racing_migrate_and_two_rollbacks_end_consistent(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str]) -> None:
    direct = pggit_new_database(REAL_HEAD)
    through = pggit_pooler.dsn(dbname(direct))
    low = REAL_HEAD - 2

    results = finish([start_cli(through, "rollback", "--to", str(low), "--force"), start_cli(through, "migrate")])
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    rolled, migrated = results[0][1], results[1][1]
    assert len(rolled["rolled_back"]) == 2
    # either the migrate ran first (nothing to do, then the rollback) or after the rollback (back to head)
    final = REAL_HEAD if len(migrated["applied"]) == 2 else low
    assert migrated["applied"] in ([], LEVEL_NAMES[low:])
    assert_consistent(direct, final)

    results = finish([start_cli(through, "rollback", "--to", str(low - 1), "--force") for _ in range(2)])
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    assert sorted(len(data["rolled_back"]) for _, data, _ in results) == [0, final - (low - 1)]
    assert_consistent(direct, low - 1)
    assert server_settings(pggit_pooler, dbname(direct)) == DEFAULTS


@pytest.fixture
def held_lock(request: pytest.FixtureRequest, pggit_pooler: Pooler,
              pggit_new_database: Callable[[int], str]) -> Iterator[str]:
    """A database at head whose applier lock someone holds: through the pooler (an open
    transaction, as pggit-sql holds it now) or directly (an older pggit-sql's session lock)."""
    direct = pggit_new_database(REAL_HEAD)
    if request.param == "transaction-through-pooler":
        holder = psycopg.connect(pggit_pooler.dsn(dbname(direct)), prepare_threshold=None)
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    else:
        holder = psycopg.connect(direct, autocommit=True)
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        yield direct
    finally:
        holder.close()


@pytest.mark.parametrize("held_lock", ["transaction-through-pooler", "session-lock-direct"], indirect=True)
def test_a_waiter_with_a_lock_timeout_gives_the_clear_error(held_lock: str, pggit_pooler: Pooler) -> None:
    through = pggit_pooler.dsn(dbname(held_lock))
    started = time.monotonic()
    [(code, data, err)] = finish([start_cli(through, "rollback", "--to", "1", "--force", "--lock-timeout", "1")])
    waited = time.monotonic() - started
    assert code == 1
    assert data["error"] == (f"another pggit-sql is migrating database {dbname(held_lock)!r} on "
                             f"{pggit_pooler.host}:{pggit_pooler.port}; gave up waiting after 1 s")
    assert err.strip() == f"pggit-sql: error: {data['error']}"
    assert 1 <= waited < 10
    assert Migrator(held_lock).status().catalog_level == REAL_HEAD  # nothing done


# --------------------------------------------------------------------------- the lock's transaction


SLOW_LEVEL_1 = ("CREATE SCHEMA pggit;\nCREATE TABLE pggit.items (id int PRIMARY KEY);\nSELECT pg_sleep({sleep});\n"
                "COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n")
LEVEL_2 = "CREATE TABLE pggit.more (id int);\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 2';\n"


def toy_levels(folder: Path, sleep: float) -> Path:
    folder.mkdir()
    (folder / "0001_core.sql").write_text(SLOW_LEVEL_1.format(sleep=sleep))
    (folder / "0001_core.rollback.sql").write_text("DROP SCHEMA pggit CASCADE;\n")
    (folder / "0002_more.sql").write_text(LEVEL_2)
    (folder / "0002_more.rollback.sql").write_text(
        "DROP TABLE pggit.more;\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n")
    return folder


SLEEPING = "SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'"


def wait_for(conn: psycopg.Connection, query: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (row := conn.execute(query).fetchone()) or not row[0]:
        assert time.monotonic() < deadline, f"timed out waiting for: {query}"
        time.sleep(0.02)
    return row[0]


def test_the_lock_outlives_an_idle_in_transaction_timeout(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    """The lock's transaction sits idle longer than the database's idle_in_transaction_session_timeout and
    (PostgreSQL 17+) lasts longer than its transaction_timeout, which each level's own transaction stays within."""
    direct = pggit_new_database(0)
    with psycopg.connect(direct, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname(direct)}" SET idle_in_transaction_session_timeout = 200')
        if conn.execute("SELECT count(*) FROM pg_settings WHERE name = 'transaction_timeout'").fetchone() == (1,):
            conn.execute(f'ALTER DATABASE "{dbname(direct)}" SET transaction_timeout = 1500')
    folder = tmp_path / "m"
    folder.mkdir()
    for number in (1, 2, 3, 4):  # 0.6 s each: the run takes longer than 1.5 s before level 4, no level does
        create = "CREATE SCHEMA pggit;\n" if number == 1 else ""
        (folder / f"000{number}_l{number}.sql").write_text(
            f"{create}SELECT pg_sleep(0.6);\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level {number}';\n")
        (folder / f"000{number}_l{number}.rollback.sql").write_text(
            "DROP SCHEMA pggit;\n" if number == 1 else f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {number - 1}';\n")
    [(code, data, err)] = finish([start_cli(pggit_pooler.dsn(dbname(direct)), "--migrations", str(folder),
                                            "migrate")])
    assert code == 0 and data["applied"] == ["0001_l1", "0002_l2", "0003_l3", "0004_l4"], err


def test_a_lost_lock_stops_before_the_next_level(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    """The lock's server connection is terminated while level 1 runs: level 1 commits, level 2 never starts."""
    direct = pggit_new_database(0)
    through = pggit_pooler.dsn(dbname(direct))
    folder = toy_levels(tmp_path / "m", sleep=1)
    proc = start_cli(through, "--migrations", str(folder), "migrate")
    with psycopg.connect(direct, autocommit=True) as watcher:
        wait_for(watcher, SLEEPING)
        holder = wait_for(watcher, "SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction'"
                                   " AND query LIKE '%pg_try_advisory_xact_lock%'")
        watcher.execute("SELECT pg_terminate_backend(%s)", (holder,))
    [(code, data, err)] = finish([proc])
    assert code == 1
    assert data["error"].startswith(f"lost the migration lock on database {dbname(direct)!r}"), data
    assert data["error"].endswith("stopped before the next level: run the command again")
    status = Migrator(direct, folder).status()
    assert status.catalog_level == 1 and status.recorded_levels == [1]
    [(code, data, err)] = finish([start_cli(through, "--migrations", str(folder), "migrate")])
    assert code == 0 and data["applied"] == ["0002_more"], err


def test_a_killed_applier_through_the_pooler_leaves_no_lock(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str], tmp_path: Path) -> None:
    direct = pggit_new_database(0)
    through = pggit_pooler.dsn(dbname(direct))
    folder = toy_levels(tmp_path / "m", sleep=3)
    proc = start_cli(through, "--migrations", str(folder), "migrate")
    with psycopg.connect(direct, autocommit=True) as watcher:
        wait_for(watcher, SLEEPING)
        proc.kill()
        proc.communicate(timeout=30)
        # PgBouncer closes the server connections the killed client left in a transaction: the lock goes
        wait_for(watcher, "SELECT count(*) = 0 FROM pg_locks WHERE locktype = 'advisory'")
    toy_levels(tmp_path / "again", sleep=0)  # level 1 never committed: its file may still change
    shutil.rmtree(folder)
    (tmp_path / "again").rename(folder)
    started = time.monotonic()
    [(code, data, err)] = finish([start_cli(through, "--migrations", str(folder), "migrate", "--lock-timeout", "5")])
    assert code == 0 and data["applied"] == ["0001_core", "0002_more"], err
    assert time.monotonic() - started < 10


def test_statement_pooling_is_refused_by_name(
        pggit_pooler_factory: Callable[..., Pooler], pggit_new_database: Callable[[int], str]) -> None:
    """PgBouncer's statement mode allows no transaction block: migrate says to connect another way."""
    pooler = pggit_pooler_factory(pool_mode="statement")
    direct = pggit_new_database(0)
    [(code, data, err)] = finish([start_cli(pooler.dsn(dbname(direct)), "migrate")])
    assert code == 1
    assert data["error"] == (
        f"cannot take the migration lock on database {dbname(direct)!r} on {pooler.host}:{pooler.port}: "
        "transaction blocks not allowed in statement pooling mode; migrate and rollback hold a transaction open "
        "for the whole run: connect directly, or through a pool in transaction or session mode")
    assert Migrator(direct).status().catalog_level == 0


# --------------------------------------------------------------------------- every command, prepared at once


@pytest.fixture
def prepare_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg prepares every statement at its first execution unless the caller says otherwise."""
    real = psycopg.connect

    def eager(*args: Any, **kwargs: Any) -> psycopg.Connection:
        kwargs.setdefault("prepare_threshold", 0)
        return real(*args, **kwargs)

    monkeypatch.setattr(psycopg, "connect", eager)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    for name in ("DATABASE_URL", "PGGIT_DEBUG", "PGOPTIONS"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        status = cli.main(list(argv))
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return status, out + err

    return invoke


def test_every_command_works_through_the_pooler(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str], prepare_at_once: None,
        run: Callable[..., tuple[int, str]]) -> None:
    direct = pggit_new_database(REAL_HEAD)
    with psycopg.connect(direct, autocommit=True, prepare_threshold=None) as conn:  # several statements
        conn.execute("CREATE SCHEMA s; CREATE TABLE s.t (id int, gone text)")
        conn.execute("SELECT pggit.commit_changes('main', 'base')")
        conn.execute("SELECT pggit.tag('v1', 'main')")
        conn.execute("ALTER TABLE s.t DROP COLUMN gone; CREATE TABLE s.added (b text)")
        conn.execute("SELECT pggit.commit_changes('main', 'second')")
        conn.execute("CREATE TABLE s.uncommitted (c int)")
    through = pggit_pooler.dsn(dbname(direct))
    commands = [
        ("levels",), ("status",), ("status", "--branch", "main"), ("verify",),
        ("log",), ("log", "--graph", "--all"), ("show", "main"), ("show", "v1"),
        ("diff", "v1", "main"), ("diff", "main", "WORKING"), ("script", "v1", "main"), ("migration", "v1", "main"),
        ("script", "v1", "main", "--online"),
        ("migrate",), ("migrate", "--dry-run"), ("rollback", "--to", "1", "--dry-run"), ("fixtures", "list"),
    ]
    # fixtures load climbs a new database: test_fixtures_load_climbs_through_the_pooler
    assert {c[0] for c in commands} | {"new-level", "dev-db", "snapshot", "rollback"} >= set(cli.COMMANDS)
    for json_flag in ((), ("--json",)):  # every client lands on a server connection earlier ones used
        for command in commands:
            status, output = run("--dsn", through, *json_flag, *command)
            assert status == 0, (command, output)
    status, output = run("--dsn", through, "--json", "migrate")
    assert status == 0 and json.loads(output)["nothing_to_do"]
    # a real rollback and migrate back, each through the pooler, prepared at once too
    status, output = run("--dsn", through, "rollback", "--to", str(REAL_HEAD - 1), "--force")
    assert status == 0, output
    status, output = run("--dsn", through, "migrate")
    assert status == 0, output
    assert_consistent(direct, REAL_HEAD)
    assert server_settings(pggit_pooler, dbname(direct)) == DEFAULTS


def test_fixtures_load_climbs_through_the_pooler(
        pggit_pooler: Pooler, pggit_new_database: Callable[[int], str], prepare_at_once: None,
        run: Callable[..., tuple[int, str]]) -> None:
    """pggit's fixtures of levels 1 and 2, each loaded right after its level, all through PgBouncer."""
    direct = pggit_new_database(0)
    status, output = run("--dsn", pggit_pooler.dsn(dbname(direct)), "--json", "fixtures", "load", "--to", "2")
    assert status == 0, output
    report = json.loads(output)
    assert report["applied"] == ["0001_core", "0002_tracking"]
    assert report["loaded"] == ["0001_commits.sql", "0002_tracking.sql"]
    with psycopg.connect(direct, autocommit=True) as conn:
        assert conn.execute("SELECT fixture, level FROM pggit_meta.fixture_checksums ORDER BY 1").fetchall() == [
            ("0001_commits", 1), ("0002_tracking", 2)]
        assert Migrator(direct).status().catalog_level == 2
