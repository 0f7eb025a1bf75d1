"""``pggit-sql new-level NAME``: the generated level applies, its rollback restores the catalog
exactly, and after applying there is no drift between the database and sql/functions."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog, cli
from pggit_sql.functions_sync import function_drift, function_files
from pggit_sql.levels import default_migrations_dir, discover, head
from pggit_sql.migrate import Migrator

REAL_SQL = default_migrations_dir().parent
REAL_HEAD = head(discover(default_migrations_dir()))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def pggit_fingerprint(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return catalog.fingerprint(conn, catalog.pggit_schemas(conn))


def check_generated_level(sql_dir: Path, old_head: int, new_db: Callable[[int], str]) -> None:
    """Apply the new level on a fresh database, check no drift, roll back, compare catalogs."""
    migrations, functions = sql_dir / "migrations", sql_dir / "functions"
    db = new_db(0)
    migrator = Migrator(db, migrations)
    migrator.migrate(to=old_head)
    before = pggit_fingerprint(db)
    assert [lv.number for lv in migrator.migrate()] == [old_head + 1]
    assert migrator.status().catalog_level == old_head + 1
    with psycopg.connect(db, autocommit=True) as conn:
        drift = function_drift(conn, functions)
    assert drift == [], "\n".join(drift)
    migrator.rollback(to=old_head)
    after = pggit_fingerprint(db)
    differences = catalog.diff(before, after)
    assert differences == [], "\n".join(differences)


def test_new_level_from_a_changed_function(
    tmp_path: Path, pggit_server, pggit_new_database: Callable[[int], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(REAL_SQL / "migrations", sql_dir / "migrations")
    shutil.copytree(REAL_SQL / "functions", sql_dir / "functions")
    target = function_files(sql_dir / "functions")[0]
    text = target.read_text()
    tag = re.search(r"\bAS\s+(\$[A-Za-z_]*\$)", text)
    assert tag
    target.write_text(text[: tag.end()] + "\n-- changed for test_new_level\n" + text[tag.end():])

    status, out, err = run(capsys, "--dsn", pggit_server.conninfo("postgres"),
                           "--migrations", str(sql_dir / "migrations"), "--json", "new-level", "tweak")
    assert status == 0, err
    data = json.loads(out)
    number = REAL_HEAD + 1
    assert data["number"] == number
    assert [c["change"] for c in data["changes"]] == ["changed"]
    migration = sql_dir / "migrations" / f"{number:04d}_tweak.sql"
    rollback = sql_dir / "migrations" / f"{number:04d}_tweak.rollback.sql"
    up, down = migration.read_text(), rollback.read_text()
    assert "-- table changes for this level go here" in up.splitlines()[:10]
    assert "changed for test_new_level" in up
    assert up.rstrip().endswith(f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {number}';")
    assert down.rstrip().endswith(f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {REAL_HEAD}';")
    assert "changed for test_new_level" not in down
    check_generated_level(sql_dir, REAL_HEAD, pggit_new_database)


# --------------------------------------------------------------------------- a self-contained toy

OLD_FUNCTIONS = {
    "keep.sql": "CREATE OR REPLACE FUNCTION pggit.keep() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;\n",
    "change.sql": (
        "CREATE OR REPLACE FUNCTION pggit.change(a text) RETURNS text LANGUAGE plpgsql STABLE\n"
        "SET search_path = pg_catalog, pg_temp AS $function$\nBEGIN\n  RETURN a || '!';\nEND\n$function$;\n"
        "COMMENT ON FUNCTION pggit.change(text) IS 'old comment';\n"
    ),
    "acl.sql": (
        "CREATE OR REPLACE FUNCTION pggit.acl() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$;\n"
        "REVOKE ALL ON FUNCTION pggit.acl() FROM PUBLIC;\n"
    ),
    "gone.sql": (
        "CREATE OR REPLACE FUNCTION pggit.gone(x int) RETURNS int LANGUAGE sql AS $$ SELECT x $$;\n"
        "COMMENT ON FUNCTION pggit.gone(int) IS 'it''s going';\n"
        "GRANT EXECUTE ON FUNCTION pggit.gone(int) TO pg_monitor;\n"
    ),
    "ret.sql": "CREATE OR REPLACE FUNCTION pggit.ret() RETURNS int LANGUAGE sql AS $$ SELECT 3 $$;\n",
}
NEW_FUNCTIONS = {
    "keep.sql": OLD_FUNCTIONS["keep.sql"],
    "change.sql": OLD_FUNCTIONS["change.sql"].replace("'!'", "'?'").replace("old comment", "new comment"),
    "acl.sql": OLD_FUNCTIONS["acl.sql"] + "GRANT EXECUTE ON FUNCTION pggit.acl() TO pg_monitor;\n",
    "ret.sql": "CREATE OR REPLACE FUNCTION pggit.ret() RETURNS bigint LANGUAGE sql AS $$ SELECT 3::bigint $$;\n",
    "sub/fresh.sql": (
        "CREATE OR REPLACE FUNCTION pggit.fresh(b boolean DEFAULT true) RETURNS boolean LANGUAGE sql\n"
        "AS $$ SELECT NOT b $$;\n"
    ),
}


def toy_sql(folder: Path) -> Path:
    """A sql/ folder whose level 1 defines OLD_FUNCTIONS, and whose functions folder holds NEW_FUNCTIONS."""
    (folder / "migrations").mkdir(parents=True)
    body = "".join(OLD_FUNCTIONS.values())
    (folder / "migrations" / "0001_core.sql").write_text(
        "CREATE SCHEMA pggit;\nCREATE TABLE pggit.t (id int PRIMARY KEY);\n"
        f"{body}COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';\n")
    (folder / "migrations" / "0001_core.rollback.sql").write_text("DROP SCHEMA pggit CASCADE;\n")
    write_functions(folder / "functions", NEW_FUNCTIONS)
    return folder


def write_functions(folder: Path, files: dict[str, str]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_new_level_new_changed_removed_acl_and_result(
    tmp_path: Path, pggit_server, pggit_new_database: Callable[[int], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sql_dir = toy_sql(tmp_path / "sql")
    status, out, err = run(capsys, "--dsn", pggit_server.conninfo("postgres"),
                           "--migrations", str(sql_dir / "migrations"), "new-level", "reshape")
    assert status == 0, err
    assert "wrote" in out
    changes = {line.strip() for line in out.splitlines() if line.startswith("  ")}
    assert changes == {
        "changed: function pggit.acl()", "changed: function pggit.change(a text)",
        "new: function pggit.fresh(b boolean)", "removed: function pggit.gone(x integer)",
        "changed: function pggit.ret()",
    }
    up = (sql_dir / "migrations" / "0002_reshape.sql").read_text()
    down = (sql_dir / "migrations" / "0002_reshape.rollback.sql").read_text()
    assert "DROP FUNCTION pggit.gone(x integer);" in up
    assert "DROP FUNCTION pggit.ret();" in up  # result type changed: CREATE OR REPLACE cannot do it
    assert "DROP FUNCTION pggit.fresh(b boolean);" in down
    assert "IS 'it''s going';" in down and "TO pg_monitor" in down
    assert "pggit.keep" not in up
    check_generated_level(sql_dir, 1, pggit_new_database)


def test_new_level_with_nothing_changed_writes_the_skeleton(
    tmp_path: Path, pggit_server, pggit_new_database: Callable[[int], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sql_dir = toy_sql(tmp_path / "sql")
    write_functions(sql_dir / "functions", OLD_FUNCTIONS)
    status, out, err = run(capsys, "--dsn", pggit_server.conninfo("postgres"),
                           "--migrations", str(sql_dir / "migrations"), "new-level", "empty_one")
    assert status == 0, err
    assert "wrote the skeleton only" in out
    up = (sql_dir / "migrations" / "0002_empty_one.sql").read_text()
    assert "-- table changes for this level go here" in up
    assert "CREATE OR REPLACE" not in up and "DROP" not in up
    check_generated_level(sql_dir, 1, pggit_new_database)


@pytest.mark.parametrize("name", ["Bad", "has-dash", "spa ce", "", "ünï"])
def test_bad_level_name(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    sql_dir = toy_sql(tmp_path / "sql")
    status, _, err = run(capsys, "--dsn", "dbname=unused", "--migrations", str(sql_dir / "migrations"),
                         "new-level", name)
    assert status == 1
    assert err.startswith("pggit-sql: error: invalid level name") and len(err.splitlines()) == 1
    assert sorted(p.name for p in (sql_dir / "migrations").iterdir()) == ["0001_core.rollback.sql", "0001_core.sql"]


def test_existing_level_file_is_not_overwritten(
    tmp_path: Path, pggit_server, capsys: pytest.CaptureFixture[str]
) -> None:
    sql_dir = toy_sql(tmp_path / "sql")
    (sql_dir / "migrations" / "0002_taken.sql").write_text("-- mine\n")
    status, _, err = run(capsys, "--dsn", pggit_server.conninfo("postgres"),
                         "--migrations", str(sql_dir / "migrations"), "new-level", "taken")
    assert status == 1 and len(err.splitlines()) == 1
    assert (sql_dir / "migrations" / "0002_taken.sql").read_text() == "-- mine\n"
