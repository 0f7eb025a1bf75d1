"""A project's own migrations folder, migrated and tested with pggit-sql's tools.

Such a folder never touches schema ``pggit``: its level is the highest one yoyo
recorded, kept in the bookkeeping schema ``pggit_meta_<folder name>``, so pggit itself
can be installed in the same database without mixing records.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog, snapshot_writer
from pggit_sql.errors import ChecksumMismatch, LevelError
from pggit_sql.levels import default_migrations_dir, discover, head
from pggit_sql.migrate import Migrator, bookkeeping_schema, claim_source

NewDatabase = Callable[[int], str]

FOLDER = "accounts-migrations"  # not a valid identifier on purpose: the schema name is derived from it
META = "pggit_meta_accounts_migrations"
USER_LEVELS = {
    "0001_accounts": (
        "-- accounts\nCREATE TABLE public.accounts (id int PRIMARY KEY, name text NOT NULL);\n",
        "DROP TABLE public.accounts;\n",
    ),
    "0002_email": (
        "ALTER TABLE public.accounts ADD COLUMN email text UNIQUE;\n",
        "ALTER TABLE public.accounts DROP COLUMN email;\n",
    ),
}
COLUMNS = {0: None, 1: ["id", "name"], 2: ["id", "name", "email"]}

# Anything named pggit in a database: schemas, and relations, functions and types outside them.
PGGIT_NAMES = """
SELECT 'schema ' || nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 'pggit%%'
UNION ALL
SELECT 'relation ' || c.oid::regclass::text FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE 'pggit%%' AND n.nspname <> %(meta)s
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.proname LIKE 'pggit%%' AND n.nspname <> %(meta)s
UNION ALL
SELECT 'type ' || t.oid::regtype::text FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typname LIKE 'pggit%%' AND n.nspname <> %(meta)s
ORDER BY 1
"""


def user_levels(parent: Path, count: int = 2) -> Path:
    folder = parent / FOLDER
    folder.mkdir(parents=True)
    for name, (up, down) in list(USER_LEVELS.items())[:count]:
        (folder / f"{name}.sql").write_text(up)
        (folder / f"{name}.rollback.sql").write_text(down)
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return user_levels(tmp_path)


def columns(conn: psycopg.Connection) -> list[str] | None:
    if conn.execute("SELECT to_regclass('public.accounts')").fetchone()[0] is None:
        return None
    rows = conn.execute("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = 'public.accounts'::regclass"
                        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum").fetchall()
    return [row[0] for row in rows]


def pggit_names(conn: psycopg.Connection, meta: str = META) -> list[str]:
    return [row[0] for row in conn.execute(PGGIT_NAMES, {"meta": meta}).fetchall()]


def fingerprint(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return catalog.fingerprint(conn)


# --------------------------------------------------------------------------- the rule


def test_claim_source_is_decided_by_the_level_1_file(tmp_path: Path, folder: Path) -> None:
    assert claim_source(discover(default_migrations_dir())) == "catalog"
    copy = tmp_path / "copy" / "migrations"
    shutil.copytree(default_migrations_dir(), copy)
    assert claim_source(discover(copy)) == "catalog"  # a copy of pggit's levels is still pggit's
    assert bookkeeping_schema(copy, "catalog") == "pggit_meta"
    assert claim_source(discover(folder)) == "records"
    assert bookkeeping_schema(folder, "records") == META
    commented = tmp_path / "commented"
    commented.mkdir()
    (commented / "0001_a.sql").write_text("-- COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\nSELECT 1;\n")
    (commented / "0001_a.rollback.sql").write_text("SELECT 1;\n")
    assert claim_source(discover(commented)) == "records"  # only a statement counts, not a comment


# --------------------------------------------------------------------------- Migrator directly


def test_migrate_roll_back_to_one_and_to_zero(folder: Path, pggit_new_database: NewDatabase) -> None:
    empty = pggit_new_database(0)
    db = pggit_new_database(0)
    migrator = Migrator(db, folder)
    assert (migrator.claim_source, migrator.bookkeeping_schema) == ("records", META)
    assert migrator.status().catalog_level == 0

    assert [lv.number for lv in migrator.migrate()] == [1, 2]
    status = migrator.status()
    assert (status.catalog_level, status.recorded_levels, status.pending, status.problems) == (2, [1, 2], [], [])
    assert [lv.checksum for lv in status.levels] == ["ok", "ok"]
    assert (status.claim_source, status.bookkeeping_schema) == ("records", META)
    with psycopg.connect(db) as conn:
        assert columns(conn) == COLUMNS[2]
        assert pggit_names(conn) == [f"schema {META}"]
    assert migrator.migrate() == []  # nothing to do at head

    assert [lv.number for lv in migrator.rollback(to=1)] == [2]
    assert migrator.status().catalog_level == 1
    with psycopg.connect(db) as conn:
        assert columns(conn) == COLUMNS[1]

    assert [lv.number for lv in migrator.rollback(to=0)] == [1]
    assert migrator.status().catalog_level == 0
    with psycopg.connect(db) as conn:
        assert pggit_names(conn) == []  # no bookkeeping schema left
    assert catalog.diff(fingerprint(empty), fingerprint(db)) == []


def test_dry_run_names_the_user_bookkeeping_schema(folder: Path, pggit_new_database: NewDatabase) -> None:
    db = pggit_new_database(0)
    migrator = Migrator(db, folder)
    assert "ALTER TABLE public.accounts ADD COLUMN email" in migrator.dry_run_sql()
    with psycopg.connect(db) as conn:
        assert columns(conn) is None and pggit_names(conn) == []  # a dry run changes nothing
    migrator.migrate()
    text = migrator.dry_run_sql(to=0)
    assert "DROP TABLE public.accounts" in text and f"DROP SCHEMA IF EXISTS {META} CASCADE" in text


def test_a_changed_user_file_is_refused(folder: Path, pggit_new_database: NewDatabase) -> None:
    db = pggit_new_database(0)
    Migrator(db, folder).migrate(to=1)
    level_1 = folder / "0001_accounts.sql"
    level_1.write_text(level_1.read_text() + "CREATE INDEX ON public.accounts (name);\n")
    with pytest.raises(ChecksumMismatch, match=r"0001_accounts\.sql changed since it was applied"):
        Migrator(db, folder).migrate()
    with pytest.raises(ChecksumMismatch, match=r"0001_accounts\.sql changed"):
        Migrator(db, folder).rollback(to=0)
    with psycopg.connect(db) as conn:
        assert columns(conn) == COLUMNS[1]  # nothing ran


def test_a_database_newer_than_the_folder_is_refused(
    tmp_path: Path, folder: Path, pggit_new_database: NewDatabase
) -> None:
    db = pggit_new_database(0)
    Migrator(db, folder).migrate()
    older = user_levels(tmp_path / "older", count=1)  # same folder name, so the same bookkeeping schema
    with pytest.raises(LevelError, match=r"database is at level 2 but .*accounts-migrations knows levels up to 1"):
        Migrator(db, older).migrate()
    with pytest.raises(LevelError, match="database is at level 2"):
        Migrator(db, older).status()


def test_no_pggit_schema_checks_for_a_user_folder(folder: Path, pggit_new_database: NewDatabase) -> None:
    """Somebody else's schema pggit is none of a user folder's business."""
    db = pggit_new_database(0)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA pggit")
        conn.execute("COMMENT ON SCHEMA pggit IS 'somebody else''s'")
    migrator = Migrator(db, folder)
    assert [lv.number for lv in migrator.migrate()] == [1, 2]
    assert migrator.rollback(to=0)


def test_user_levels_and_pggit_share_a_database(folder: Path, pggit_new_database: NewDatabase) -> None:
    pggit_head = head(discover(default_migrations_dir()))
    assert pggit_head > 0, "sql/migrations has no level"
    db = pggit_new_database(pggit_head)
    pggit = Migrator(db)
    before = fingerprint(db)
    user = Migrator(db, folder)
    user.migrate()
    assert user.status().catalog_level == 2
    assert pggit.status().catalog_level == pggit_head and pggit.status().problems == []
    with psycopg.connect(db) as conn:
        assert META not in catalog.pggit_schemas(conn)
        assert not [key for key in catalog.fingerprint(conn) if "pggit_meta" in key]
    if (default_migrations_dir().parent / "catalog").is_dir():
        assert pggit.verify().differences == []
    differences = user.verify().differences  # the user's folder has no catalog/: verify says so, nothing else
    assert len(differences) == 1 and differences[0].startswith("no catalog snapshot ")
    user.rollback(to=0)
    assert pggit.status().catalog_level == pggit_head
    assert catalog.diff(before, fingerprint(db)) == []


def test_verify_a_user_folder(folder: Path, pggit_new_database: NewDatabase, pggit_admin_conninfo: str) -> None:
    db = pggit_new_database(0)
    migrator = Migrator(db, folder)
    migrator.migrate()
    report = migrator.verify()  # no snapshot: verify fails and names the file and the command
    assert (report.ok, report.snapshot, report.catalog_level) == (False, None, 2)
    assert report.differences == [f"no catalog snapshot {folder.parent / 'catalog' / '0002_email.json'} for level 2: "
                                  f"write it with pggit-sql snapshot --migrations {folder}"]
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.accounts ADD COLUMN sneaky int")

    written = snapshot_writer.write_snapshots(pggit_admin_conninfo, folder)
    assert [path.name for path in written] == ["0001_accounts.json", "0002_email.json"]
    assert all(path.parent == folder.parent / "catalog" for path in written)
    report = migrator.verify()
    assert report.snapshot is not None and report.snapshot.endswith("0002_email.json")
    assert "unexpected: column public.accounts.sneaky" in report.differences

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.accounts DROP COLUMN sneaky")
        conn.execute(f"CREATE TABLE {META}.stray (x int)")
        conn.execute(f"DELETE FROM {META}.level_checksums WHERE migration_id = '0001_accounts'")
    report = migrator.verify()
    assert any(f"bookkeeping schema {META}: stray" in d for d in report.differences)
    assert not [d for d in report.differences if "public.accounts" in d]


# --------------------------------------------------------------------------- the plugin


INNER_TESTS = f"""
import pytest

META = {META!r}
COLUMNS = {COLUMNS!r}
PGGIT_NAMES = {PGGIT_NAMES!r}


def columns(conn):
    rows = conn.execute("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = 'public.accounts'::regclass"
                        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum").fetchall()
    return [row[0] for row in rows]


def test_tables_at_their_level(pggit_conn, pggit_level):
    assert columns(pggit_conn) == COLUMNS[pggit_level]
    recorded = pggit_conn.execute(f"SELECT migration_id FROM {{META}}._yoyo_migration ORDER BY 1").fetchall()
    assert [row[0] for row in recorded] == ["0001_accounts", "0002_email"][:pggit_level]


def test_nothing_named_pggit_but_the_bookkeeping_schema(pggit_conn):
    names = [row[0] for row in pggit_conn.execute(PGGIT_NAMES, {{"meta": META}}).fetchall()]
    assert names == [f"schema {{META}}"]


@pytest.mark.pggit_level(min=2)
def test_email_from_level_two(pggit_conn, pggit_level):
    pggit_conn.execute("INSERT INTO public.accounts VALUES (1, 'a', 'a@example.org')")
"""


def test_plugin_runs_a_user_migrations_folder(pytester: pytest.Pytester) -> None:
    folder = user_levels(pytester.path)
    pytester.makepyfile(test_inner=textwrap.dedent(INNER_TESTS))
    result = pytester.runpytest_subprocess(f"--pggit-migrations={folder}", "--pggit-level=all",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*pggit: templates built: L0 *, L1 *, L2 *; 5 test databases cloned*"])
