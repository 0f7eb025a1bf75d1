"""``pggit-sql``: every command, human and ``--json`` output, and every error path.

Most tests use small "toy" levels written to tmp_path (so they do not depend on the
content of the real levels) on a fresh level-0 database from the pggit plugin; the
tests on the real ``sql/migrations`` are skipped while it has no level.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog, devdb, install_db
from pggit_sql.levels import default_migrations_dir, discover, head
from pggit_sql.migrate import LOCK_KEY, Migrator

Run = Callable[..., tuple[int, str, str]]  # the `run` fixture of tests/cli/conftest.py

REAL_HEAD = head(discover(default_migrations_dir()))

TOY_LEVELS = {
    "0001_core": (
        "-- toy level 1\nCREATE SCHEMA pggit;\n{sleep}"
        "CREATE TABLE pggit.items (id int PRIMARY KEY, note text);\n"
        "CREATE FUNCTION pggit.answer() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 42 $$;\n"
        "COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n",
        "DROP SCHEMA pggit CASCADE;\n",
    ),
    "0002_more": (
        "CREATE TABLE pggit.more (id int PRIMARY KEY);\nSELECT 'rows are not printed' AS noise;\n"
        "COMMENT ON SCHEMA pggit IS 'pggit-sql level 2';\n",
        "DROP TABLE pggit.more;\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n",
    ),
    "0003_extra": (
        "CREATE TABLE pggit.extra (id int);\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 3';\n",
        "DROP TABLE pggit.extra;\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level 2';\n",
    ),
}


def toy_migrations(folder: Path, levels: int = 2, sleep: float = 0) -> Path:
    """``levels`` toy levels in ``folder``/migrations (level 1 sleeps ``sleep`` s inside its transaction)."""
    migrations = folder / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    for name, (up, down) in list(TOY_LEVELS.items())[:levels]:
        (migrations / f"{name}.sql").write_text(up.format(sleep=f"SELECT pg_sleep({sleep});\n" if sleep else ""))
        (migrations / f"{name}.rollback.sql").write_text(down)
    return migrations




@pytest.fixture
def db(pggit_new_database: Callable[[int], str]) -> str:
    """A fresh level-0 database."""
    return pggit_new_database(0)


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    return toy_migrations(tmp_path / "sql")


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pggit-sql: error: "), err
    assert "Traceback" not in err
    return lines[0]


def schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggit%'")}


# --------------------------------------------------------------------------- commands


def test_levels(run: Run, toy: Path) -> None:
    status, out, _ = run("--migrations", str(toy), "levels")
    assert status == 0
    assert "0001_core" in out and "0002_more" in out and "head: level 2" in out
    status, out, _ = run("levels", "--migrations", str(toy), "--json")
    data = json.loads(out)
    assert data["head"] == 2
    assert [lv["name"] for lv in data["levels"]] == ["0001_core", "0002_more"]
    assert len(data["levels"][0]["sha256"]) == 64


def test_levels_of_the_package(run: Run) -> None:
    status, out, _ = run("--json", "levels")
    assert status == 0
    assert json.loads(out)["head"] == REAL_HEAD


def test_migrate_status_rollback_round_trip(run: Run, db: str, toy: Path) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    status, out, _ = run(*base, "status")
    assert status == 0 and "catalog level: 0 (head: 2)" in out and "pending: 1, 2" in out

    status, out, _ = run(*base, "migrate", "--to", "1")
    assert status == 0 and "applied level 1 (0001_core)" in out and "now at level 1" in out

    status, out, _ = run(*base, "migrate")
    assert status == 0 and "applied level 2 (0002_more)" in out
    assert "rows are not printed" not in out  # yoyo's echo of returned rows is swallowed

    status, out, _ = run(*base, "migrate")
    assert status == 0 and out.startswith("nothing to do")

    status, out, _ = run(*base, "--json", "status")
    data = json.loads(out)
    assert data["catalog_level"] == 2 and data["recorded_levels"] == [1, 2] and data["pending"] == []
    assert [lv["checksum"] for lv in data["levels"]] == ["ok", "ok"]
    assert all(lv["applied_at"] for lv in data["levels"])

    status, out, _ = run(*base, "rollback", "--to", "1")
    assert status == 0 and "rolled back level 2 (0002_more)" in out
    assert schemas(db) == {"pggit", "pggit_meta"}

    status, out, _ = run(*base, "rollback", "--to", "0", "--json")
    assert status == 0 and json.loads(out)["rolled_back"] == ["0001_core"]
    assert schemas(db) == set()  # nothing of pggit remains, bookkeeping included


def test_bookkeeping_is_not_in_public(run: Run, db: str, toy: Path) -> None:
    assert run("--dsn", db, "--migrations", str(toy), "migrate")[0] == 0
    with psycopg.connect(db) as conn:
        public = conn.execute("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                              " WHERE n.nspname = 'public'").fetchall()
        meta = {r[0] for r in conn.execute("SELECT relname FROM pg_class c JOIN pg_namespace n"
                                           " ON n.oid = c.relnamespace WHERE n.nspname = 'pggit_meta'"
                                           " AND c.relkind = 'r'")}
    assert public == []
    assert {"_yoyo_migration", "level_checksums", "yoyo_lock"} <= meta


def test_dry_run_prints_sql_and_changes_nothing(run: Run, db: str, toy: Path) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    status, out, _ = run(*base, "migrate", "--dry-run")
    assert status == 0
    assert "-- pggit-sql: apply level 1 (0001_core)" in out and "CREATE TABLE pggit.items" in out
    assert "CREATE TABLE pggit.more" in out
    assert schemas(db) == set()  # not even the bookkeeping schema

    assert run(*base, "migrate")[0] == 0
    status, out, _ = run(*base, "rollback", "--to", "0", "--dry-run", "--json")
    data = json.loads(out)
    assert data["dry_run"] is True
    assert [(s["direction"], s["level"]) for s in data["plan"]] == [("rollback", 2), ("rollback", 1)]
    assert "DROP SCHEMA pggit CASCADE" in data["sql"] and "DROP SCHEMA IF EXISTS pggit_meta" in data["sql"]
    assert schemas(db) == {"pggit", "pggit_meta"}
    status, out, _ = run(*base, "migrate", "--dry-run")
    assert status == 0 and "nothing to do" in out


def test_verify_against_snapshots(run: Run, db: str, toy: Path, pggit_server) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    status, out, _ = run("--dsn", pggit_server.conninfo("postgres"), "--migrations", str(toy), "snapshot")
    assert status == 0, out
    catalog_dir = toy.parent / "catalog"
    assert sorted(p.name for p in catalog_dir.iterdir()) == ["0001_core.json", "0002_more.json"]

    status, out, _ = run(*base, "verify")  # level 0: nothing of pggit
    assert status == 0 and out.startswith("ok:")
    assert run(*base, "migrate", "--to", "1")[0] == 0
    status, out, _ = run(*base, "verify", "--json")
    assert status == 0 and json.loads(out)["ok"] is True
    assert json.loads(out)["snapshot"].endswith("0001_core.json")

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER FUNCTION pggit.answer() VOLATILE")
        conn.execute("CREATE TABLE pggit.sneaky (x int)")
        conn.execute("CREATE TABLE pggit_meta.stray (x int)")
        conn.execute("DELETE FROM pggit_meta._yoyo_migration")
    status, out, _ = run(*base, "verify")
    assert status == 1
    assert "changed: function pggit.answer()" in out
    assert "unexpected: table pggit.sneaky" in out
    assert "pggit_meta: stray" in out
    assert "yoyo has no record" in out
    status, out, _ = run(*base, "verify", "--json")
    assert status == 1 and len(json.loads(out)["differences"]) >= 4


def test_verify_real_head(run: Run, pggit_new_database: Callable[[int], str]) -> None:
    assert (default_migrations_dir().parent / "catalog").is_dir(), "sql/catalog missing: run pggit-sql snapshot"
    status, out, _ = run("--dsn", pggit_new_database(REAL_HEAD), "verify")
    assert status == 0, out


def test_install_db_with_database_url(db: str, toy: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("PGGIT_MIGRATIONS_DIR", str(toy))
    assert install_db.main() == 0
    out = capsys.readouterr().out
    assert "applied level 2" in out and "is at level 2" in out
    assert install_db.main() == 0
    assert "nothing to do" in capsys.readouterr().out


def test_dev_db_start_status_stop(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(tempfile.mkdtemp(prefix="pggit-devdb-"))
    root.chmod(0o711)  # the server account must be able to pass through when we are root
    monkeypatch.setattr(devdb, "project_dir", lambda: root)
    try:
        status, out, _ = run("dev-db", "status")
        assert status == 0 and "not created" in out
        status, out, _ = run("dev-db", "start")
        assert status == 0 and "running" in out and "psql" in out and "dbname=pggit_dev" in out
        data = json.loads(run("--json", "dev-db")[1])
        assert data["running"] is True
        with psycopg.connect(data["conninfo"]) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("pggit_dev",)
        status, out, _ = run("dev-db", "stop")
        assert status == 0 and "stopped" in out
    finally:
        devdb.stop(root / ".pggit")
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- error paths


def test_unreachable_server(run: Run, toy: Path) -> None:
    from pggit_sql.pgserver import free_port

    dsn = f"postgresql://someone:topsecret@127.0.0.1:{free_port()}/nowhere"
    status, _, err = run("--dsn", dsn, "--migrations", str(toy), "migrate")
    line = one_error_line(err)
    assert status == 1
    assert "cannot connect to database 'nowhere' on 127.0.0.1" in line
    assert "topsecret" not in line


@pytest.fixture
def password_role(pggit_server, db: str) -> Iterator[tuple[str, str]]:
    """A role that must give a password over TCP (a rule just for it in pg_hba.conf)."""
    role, password = "pggit_pw_test", "right-password"
    admin = psycopg.connect(pggit_server.conninfo("postgres"), autocommit=True)
    hba = Path(admin.execute("SHOW hba_file").fetchone()[0])
    original = hba.read_text()
    try:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n{original}")
        admin.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while True:  # the postmaster reloads asynchronously
            try:
                psycopg.connect(host="127.0.0.1", port=pggit_server.port, user=role, password="x",
                                dbname="postgres").close()
            except psycopg.OperationalError as exc:
                if "password authentication failed" in str(exc):
                    break
            if time.monotonic() > deadline:
                pytest.fail("pg_hba.conf reload did not take effect")
            time.sleep(0.1)
        yield role, password
    finally:
        hba.write_text(original)
        admin.execute("SELECT pg_reload_conf()")
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.close()


def test_wrong_password(run: Run, db: str, toy: Path, pggit_server, password_role: tuple[str, str]) -> None:
    role, password = password_role
    dbname = psycopg.conninfo.conninfo_to_dict(db)["dbname"]
    wrong = f"postgresql://{role}:not-{password}@127.0.0.1:{pggit_server.port}/{dbname}"
    status, _, err = run("--dsn", wrong, "--migrations", str(toy), "status")
    line = one_error_line(err)
    assert status == 1
    assert "password authentication failed" in line and f"database {dbname!r}" in line
    assert password not in line
    right = f"postgresql://{role}:{password}@127.0.0.1:{pggit_server.port}/{dbname}"
    assert run("--dsn", right, "--migrations", str(toy), "status")[0] == 0


@pytest.mark.parametrize("bad", ["nonsense=1", "postgresql://h/x?bogus=1", "dbname='unterminated"])
def test_bad_dsn(run: Run, bad: str) -> None:
    status, _, err = run("--dsn", bad, "status")
    assert status == 1 and "invalid DSN" in one_error_line(err)


def test_no_database_given(run: Run) -> None:
    status, _, err = run("status")
    assert status == 1 and "pass --dsn or set DATABASE_URL" in one_error_line(err)


def test_database_url_is_used(run: Run, db: str, toy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db)
    status, out, _ = run("--migrations", str(toy), "migrate")
    assert status == 0 and "now at level 2" in out


def test_unknown_level(run: Run, db: str, toy: Path) -> None:
    status, _, err = run("--dsn", db, "--migrations", str(toy), "migrate", "--to", "99")
    assert status == 1 and "unknown level 99: this package knows levels 0 to 2" in one_error_line(err)
    status, _, err = run("--dsn", db, "--migrations", str(toy), "rollback", "--to", "-1")
    assert status == 1 and "unknown level -1" in one_error_line(err)


def test_wrong_direction(run: Run, db: str, toy: Path) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    assert run(*base, "migrate", "--to", "1")[0] == 0
    status, _, err = run(*base, "rollback", "--to", "2")
    assert status == 2 and "run pggit-sql migrate --to 2" in one_error_line(err)
    assert run(*base, "migrate")[0] == 0
    status, _, err = run(*base, "migrate", "--to", "1")
    assert status == 2 and "run pggit-sql rollback --to 1" in one_error_line(err)


@pytest.mark.parametrize("argv", [["migrate", "--to", "abc"], ["frobnicate"], ["rollback"],
                                  ["new-level"], ["dev-db", "explode"]])
def test_usage_errors(run: Run, argv: list[str]) -> None:
    status, _, err = run(*argv)
    assert status == 2
    one_error_line(err)


def test_help(run: Run) -> None:
    status, out, _ = run("--help")
    assert status == 0 and "migrate" in out


def test_changed_file_is_refused(run: Run, db: str, toy: Path) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    assert run(*base, "migrate", "--to", "1")[0] == 0
    level1 = toy / "0001_core.sql"
    level1.write_text(level1.read_text().replace("note text", "note varchar"))
    for argv in (["migrate"], ["rollback", "--to", "0"], ["status"]):
        status, _, err = run(*base, *argv)
        line = one_error_line(err)
        assert status == 1
        assert "0001_core.sql changed since it was applied to this database" in line
        assert "recorded sha256" in line
    status, out, _ = run(*base, "verify")
    assert status == 1 and "0001_core.sql changed" in out
    assert schemas(db) == {"pggit", "pggit_meta"}
    with psycopg.connect(db) as conn:  # level 2 was not applied
        assert conn.execute("SELECT to_regclass('pggit.more')").fetchone() == (None,)


def test_changed_rollback_file_is_refused(run: Run, db: str, toy: Path) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    assert run(*base, "migrate")[0] == 0
    (toy / "0002_more.rollback.sql").write_text("SELECT 'something else';\n")
    status, _, err = run(*base, "rollback", "--to", "1")
    assert status == 1 and "0002_more.rollback.sql changed" in one_error_line(err)


def test_foreign_pggit_schema(run: Run, db: str, toy: Path) -> None:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA pggit")
        conn.execute("COMMENT ON SCHEMA pggit IS 'somebody else''s'")
    for argv in (["migrate"], ["status"], ["verify"]):
        status, _, err = run("--dsn", db, "--migrations", str(toy), *argv)
        line = one_error_line(err)
        assert status == 1 and "schema pggit exists but was not created by pggit-sql" in line
    assert schemas(db) == {"pggit"}  # no bookkeeping schema was created


def test_database_newer_than_package(run: Run, db: str, tmp_path: Path) -> None:
    newer = toy_migrations(tmp_path / "newer", levels=3)
    older = toy_migrations(tmp_path / "older", levels=2)
    assert run("--dsn", db, "--migrations", str(newer), "migrate")[0] == 0
    for argv in (["migrate"], ["status"], ["rollback", "--to", "1"]):
        status, _, err = run("--dsn", db, "--migrations", str(older), *argv)
        line = one_error_line(err)
        assert status == 1
        assert "database is at level 3 but this pggit-sql knows levels up to 2; upgrade pggit-sql" in line


def test_database_newer_than_real_levels(run: Run, db: str, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(default_migrations_dir(), migrations)
    extra = REAL_HEAD + 1
    (migrations / f"{extra:04d}_extra.sql").write_text(
        f"CREATE TABLE pggit.extra_for_test (x int);\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level {extra}';\n")
    (migrations / f"{extra:04d}_extra.rollback.sql").write_text(
        f"DROP TABLE pggit.extra_for_test;\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level {REAL_HEAD}';\n")
    assert run("--dsn", db, "--migrations", str(migrations), "migrate")[0] == 0
    status, _, err = run("--dsn", db, "migrate")
    assert status == 1
    assert (f"database is at level {extra} but this pggit-sql knows levels up to {REAL_HEAD}"
            in one_error_line(err))


def test_lock_timeout(run: Run, db: str, toy: Path) -> None:
    with psycopg.connect(db, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        started = time.monotonic()
        status, _, err = run("--dsn", db, "--migrations", str(toy), "migrate", "--lock-timeout", "0.5")
        assert status == 1 and "another pggit-sql is migrating" in one_error_line(err)
        assert time.monotonic() - started < 10
    assert run("--dsn", db, "--migrations", str(toy), "migrate")[0] == 0


def test_failing_level_is_one_line_and_rolled_back(run: Run, db: str, toy: Path) -> None:
    (toy / "0002_more.sql").write_text("CREATE TABLE pggit.more (id int);\nSELECT 1/0;\n"
                                       "COMMENT ON SCHEMA pggit IS 'pggit-sql level 2';\n")
    status, out, err = run("--dsn", db, "--migrations", str(toy), "migrate")
    line = one_error_line(err)
    assert status == 1 and "applying level 0002_more failed" in line and "division by zero" in line
    assert Migrator(db, toy).status().catalog_level == 1
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT to_regclass('pggit.more')").fetchone() == (None,)


def test_json_error_output(run: Run, toy: Path) -> None:
    status, out, err = run("--json", "--dsn", "nonsense=1", "status")
    assert status == 1
    assert "invalid DSN" in json.loads(out)["error"]
    one_error_line(err)


def test_reconcile_after_crash_between_commit_and_record(run: Run, db: str, toy: Path) -> None:
    base = ("--dsn", db, "--migrations", str(toy))
    assert run(*base, "migrate")[0] == 0
    with psycopg.connect(db, autocommit=True) as conn:  # as if the applier died before yoyo recorded level 2
        conn.execute("DELETE FROM pggit_meta._yoyo_migration WHERE migration_id = '0002_more'")
        conn.execute("DELETE FROM pggit_meta.level_checksums WHERE migration_id = '0002_more'")
    data = json.loads(run(*base, "--json", "status")[1])
    assert data["catalog_level"] == 2 and data["recorded_levels"] == [1]
    assert any("no record" in p for p in data["problems"])
    status, out, _ = run(*base, "migrate")
    assert status == 0 and out.startswith("nothing to do")
    data = json.loads(run(*base, "--json", "status")[1])
    assert data["recorded_levels"] == [1, 2] and data["problems"] == []
    assert [lv["checksum"] for lv in data["levels"]] == ["ok", "ok"]


# --------------------------------------------------------------------------- as a real process


def console_script() -> str:
    script = Path(sys.executable).parent / "pggit-sql"
    return str(script) if script.exists() else shutil.which("pggit-sql") or "pggit-sql"


def test_console_script_errors_without_traceback(db: str, toy: Path) -> None:
    from pggit_sql.pgserver import free_port

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PGGIT_DEBUG")}
    cases = [
        (["--dsn", f"postgresql://u:pw@127.0.0.1:{free_port()}/x", "status"], 1),
        (["--dsn", "nonsense=1", "migrate"], 1),
        (["--dsn", db, "--migrations", str(toy), "migrate", "--to", "7"], 1),
        (["migrate", "--to", "seven"], 2),
        (["status"], 1),
    ]
    for argv, expected in cases:
        result = subprocess.run([console_script(), *argv], capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == expected, (argv, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith("pggit-sql: error: ")
    result = subprocess.run([console_script(), "--dsn", db, "--migrations", str(toy), "--json", "migrate"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["applied"] == ["0001_core", "0002_more"]


def test_catalog_fingerprint_is_closed_after_commands(run: Run, db: str, toy: Path) -> None:
    """No connection of ours survives a command (the plugin clones databases right after)."""
    base = ("--dsn", db, "--migrations", str(toy))
    for argv in (["migrate"], ["status"], ["verify"], ["rollback", "--to", "1"], ["migrate", "--dry-run"]):
        run(*base, *argv)
    dbname = psycopg.conninfo.conninfo_to_dict(db)["dbname"]
    with psycopg.connect(db) as conn:
        others = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                              "pg_backend_pid()", (dbname,)).fetchone()
        assert others == (0,)
        assert catalog.pggit_schemas(conn) == ["pggit"]
