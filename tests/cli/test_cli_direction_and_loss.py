"""Issue 14, the CLI's first hour: migrate only goes up, rollback only goes down, a rollback that
would delete data only pggit holds is refused without --force, verify needs a snapshot for every
folder, misnamed migration files are named, unknown branches answer alike, long input is cut,
``pggit-sql`` alone prints its usage, ``make help`` lists every target."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import rollback_loss
from pggit_sql.levels import default_migrations_dir, discover, head, project_root
from pggit_sql.migrate import Migrator
from tests.cli.test_cli import one_error_line, toy_migrations

Run = Callable[..., tuple[int, str, str]]
NewDatabase = Callable[[int], str]
REAL = default_migrations_dir()
REAL_LEVELS = discover(REAL)
REAL_HEAD = head(REAL_LEVELS)


def level_of(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace"
                           " WHERE nspname = 'pggit'").fetchone()
    return int(row[0].rsplit(" ", 1)[1]) if row else 0


def rows(dsn: str, *tables: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]


# --------------------------------------------------------------------------- direction


def test_migrate_only_goes_up_and_rollback_only_goes_down(run: Run, pggit_new_database: NewDatabase,
                                                          tmp_path: Path) -> None:
    toy = toy_migrations(tmp_path / "sql", levels=3)
    db = pggit_new_database(0)
    base = ("--dsn", db, "--migrations", str(toy))
    assert run(*base, "migrate", "--to", "2")[0] == 0
    for dry in ((), ("--dry-run",)):
        status, out, err = run(*base, "migrate", "--to", "1", *dry)
        assert (status, out) == (2, "")
        assert one_error_line(err) == ("pggit-sql: error: database is at level 2; migrate only goes up: "
                                       "to go down to level 1 run pggit-sql rollback --to 1")
        status, out, err = run(*base, "rollback", "--to", "3", *dry)
        assert (status, out) == (2, "")
        assert one_error_line(err) == ("pggit-sql: error: database is at level 2; rollback only goes down: "
                                       "to go up to level 3 run pggit-sql migrate --to 3")
        assert level_of(db) == 2  # nothing ran
    status, out, err = run(*base, "--json", "rollback", "--to", "3")
    assert status == 2 and json.loads(out)["error"].startswith("database is at level 2; rollback only goes down")
    for command in ("migrate", "rollback"):  # equal: nothing to do, exit 0
        status, out, err = run(*base, command, "--to", "2")
        assert (status, err) == (0, "") and out.startswith("nothing to do:") and "already at level 2" in out
        status, out, _ = run(*base, command, "--to", "2", "--dry-run")
        assert (status, out) == (0, "-- nothing to do\n")
    assert level_of(db) == 2


# --------------------------------------------------------------------------- rollback and data only pggit holds


def fill(dsn: str, level: int) -> None:
    """Commits on main and on a new branch; from level 3 a data branch with branch-only rows; from 4 a tag."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY, qty int)")
        conn.execute("INSERT INTO public.orders SELECT g, g FROM generate_series(1, 3) AS g")
        conn.execute("SELECT pggit.commit_changes('main', 'one')")
        conn.execute("SELECT pggit.commit_changes('feature', 'two')")
        if level >= 3:
            conn.execute("SELECT pggit.create_data_branch('public.orders', 'main', 'fix')")
            conn.execute("INSERT INTO public.orders__fix VALUES (10, 1), (11, 1)")  # 2 rows only on fix
            conn.execute("UPDATE public.orders__fix SET qty = 9 WHERE id = 1")  # 1 more
            conn.execute("DELETE FROM public.orders__fix WHERE id = 2")  # 1 deletion only on fix
            conn.execute("UPDATE public.orders SET qty = 7 WHERE id = 3")  # fix keeps the old row 3
        if level >= 4:
            conn.execute("SELECT pggit.tag('v1', 'main')")


LEVEL1 = ("rollback to 0 would delete: pggit.branches (1 row), pggit.commits (2 rows); "
          "run again with --force to delete them")
LEVEL3 = ("rollback to 2 would delete: pggit.data_branches (1 row), pggit.data_tables (1 row), 4 branch-only rows "
          "and 1 branch-only deletion of 1 data branch (public.orders__fix); run again with --force to delete them")
LEVEL4 = ("rollback to 3 would delete: pggit.object_details (1 row), pggit.tags (1 row); "
          "run again with --force to delete them")


@pytest.mark.parametrize(("level", "target", "message", "counted"), [
    (1, 0, LEVEL1, ("pggit.branches", "pggit.commits")),
    (3, 2, LEVEL3, ("pggit.data_branches", "pggit_data.d1", "public.orders__fix", "public.orders")),
    (4, 3, LEVEL4, ("pggit.tags", "pggit.commits", "pggit.data_branches", "public.orders__fix")),
])
def test_rollback_that_would_delete_pggit_data_is_refused_without_force(
        run: Run, pggit_new_database: NewDatabase, level: int, target: int, message: str,
        counted: tuple[str, ...]) -> None:
    db = pggit_new_database(level)
    fill(db, level)
    before = rows(db, *counted)
    status, out, err = run("--dsn", db, "rollback", "--to", str(target))
    assert (status, out) == (1, "")
    assert one_error_line(err) == f"pggit-sql: error: {message}"
    assert level_of(db) == level and rows(db, *counted) == before  # nothing changed

    status, out, err = run("--dsn", db, "rollback", "--to", str(target), "--dry-run")  # the same list
    assert (status, err) == (0, "") and out.startswith(f"-- pggit-sql: {message}\n-- pggit-sql: rollback level")
    status, out, _ = run("--dsn", db, "--json", "rollback", "--to", str(target), "--dry-run")
    data = json.loads(out)
    assert status == 0 and ", ".join(data["would_delete"]) in message
    assert level_of(db) == level and rows(db, *counted) == before

    status, out, _ = run("--dsn", db, "rollback", "--to", str(target), "--force")
    assert status == 0 and f"is now at level {target}" in out or "pggit removed" in out
    assert level_of(db) == target


def test_rollback_of_a_fresh_install_needs_no_force(run: Run, pggit_new_database: NewDatabase) -> None:
    """Only what installing writes itself ('main', the registration of objects that already existed): no refusal."""
    db = pggit_new_database(0)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY); CREATE VIEW public.v AS SELECT 1 AS one")
    assert run("--dsn", db, "migrate")[0] == 0
    status, out, _ = run("--dsn", db, "rollback", "--to", "0", "--dry-run")
    assert status == 0 and out.startswith("-- pggit-sql: rollback to 0 deletes no data only pggit holds\n")
    status, out, err = run("--dsn", db, "rollback", "--to", "0")
    assert (status, err) == (0, "") and "pggit removed from" in out
    assert level_of(db) == 0


def snapshot_tables(number: int) -> set[str]:
    keys = rollback_loss.snapshot_keys(REAL.parent / "catalog", REAL_LEVELS, number)
    return {key.split(" ", 1)[1] for key in keys if key.startswith("table ")}


@pytest.mark.parametrize("level", range(1, REAL_HEAD + 1))
def test_every_table_of_every_level_is_considered(pggit_new_database: NewDatabase, level: int) -> None:
    """Rolling level k back considers exactly the tables k's snapshot has and k-1's has not."""
    report = Migrator(pggit_new_database(level)).loss_report(level - 1)
    assert report is not None
    assert set(report.tables) == snapshot_tables(level) - snapshot_tables(level - 1)
    assert report.losses == []


def test_a_new_level_s_table_is_covered(run: Run, pggit_new_database: NewDatabase, tmp_path: Path) -> None:
    """A level added later (here 0008 with a table and a column) is covered without touching the code."""
    sql = tmp_path / "sql"
    shutil.copytree(REAL, sql / "migrations")
    shutil.copytree(REAL.parent / "catalog", sql / "catalog")
    new = f"{REAL_HEAD + 1:04d}_extra"
    (sql / "migrations" / f"{new}.sql").write_text(
        "CREATE TABLE pggit.extra (id int PRIMARY KEY);\nALTER TABLE pggit.commits ADD COLUMN review text;\n"
        f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {REAL_HEAD + 1}';\n")
    (sql / "migrations" / f"{new}.rollback.sql").write_text(
        "DROP TABLE pggit.extra;\nALTER TABLE pggit.commits DROP COLUMN review;\n"
        f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {REAL_HEAD}';\n")
    snapshot = json.loads((sql / "catalog" / f"{REAL_LEVELS[-1].name}.json").read_text())
    snapshot.update({"table pggit.extra": "", "column pggit.extra.id": "", "column pggit.commits.review": ""})
    (sql / "catalog" / f"{new}.json").write_text(json.dumps(snapshot))
    db = pggit_new_database(REAL_HEAD)
    base = ("--dsn", db, "--migrations", str(sql / "migrations"))
    assert run(*base, "migrate")[0] == 0
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO pggit.extra VALUES (1), (2)")
    status, _, err = run(*base, "rollback", "--to", str(REAL_HEAD))
    assert status == 1 and one_error_line(err) == (
        f"pggit-sql: error: rollback to {REAL_HEAD} would delete: pggit.extra (2 rows); "
        "run again with --force to delete them")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("SELECT pggit.commit_changes('main', 'reviewed')")
        conn.execute("UPDATE pggit.commits SET review = 'ok'")
    status, _, err = run(*base, "rollback", "--to", str(REAL_HEAD))
    assert status == 1 and one_error_line(err) == (
        f"pggit-sql: error: rollback to {REAL_HEAD} would delete: pggit.commits.review (1 value), "
        "pggit.extra (2 rows); run again with --force to delete them")
    assert level_of(db) == REAL_HEAD + 1


# --------------------------------------------------------------------------- verify, files, branches, input


def user_levels(folder: Path) -> Path:
    migrations = folder / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "0001_items.sql").write_text("CREATE SCHEMA app;\nCREATE TABLE app.items (id int PRIMARY KEY);\n")
    (migrations / "0001_items.rollback.sql").write_text("DROP SCHEMA app CASCADE;\n")
    return migrations


def test_verify_without_snapshot_is_an_error_for_a_user_folder(run: Run, pggit_new_database: NewDatabase,
                                                               pggit_server, tmp_path: Path) -> None:
    migrations = user_levels(tmp_path / "project")
    db = pggit_new_database(0)
    base = ("--dsn", db, "--migrations", str(migrations))
    assert run(*base, "migrate")[0] == 0
    status, out, err = run(*base, "verify")
    assert (status, err) == (1, "")
    assert out.splitlines()[1:] == [
        f"- no catalog snapshot {tmp_path}/project/catalog/0001_items.json for level 1: "
        f"write it with pggit-sql snapshot --migrations {migrations}"]
    status, out, _ = run("--dsn", pggit_server.conninfo("postgres"), "--migrations", str(migrations), "snapshot")
    assert status == 0 and out == f"wrote {tmp_path}/project/catalog/0001_items.json\n"
    status, out, _ = run(*base, "verify")
    assert status == 0 and out.startswith("ok:")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DROP TABLE app.items")
    status, out, _ = run(*base, "verify")
    assert status == 1 and "missing: table app.items" in out


def test_verify_without_snapshot_is_an_error_for_pggit_s_levels(run: Run, pggit_new_database: NewDatabase,
                                                                tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(REAL, sql / "migrations")
    db = pggit_new_database(1)
    status, out, _ = run("--dsn", db, "--migrations", str(sql / "migrations"), "verify")
    assert status == 1 and out.splitlines()[1:] == [
        f"- no catalog snapshot {sql}/catalog/0001_core.json for level 1: "
        f"write it with pggit-sql snapshot --migrations {sql}/migrations"]
    status, out, _ = run("--dsn", db, "--migrations", str(sql / "migrations"), "--json", "verify")
    assert status == 1 and json.loads(out)["ok"] is False


def test_misnamed_migration_files_are_named(run: Run, tmp_path: Path) -> None:
    toy = toy_migrations(tmp_path / "sql")
    (toy / "0003_Add-Phone.sql").write_text("SELECT 1;")
    (toy / "3_x.sql").write_text("SELECT 1;")
    status, out, err = run("--migrations", str(toy), "levels")
    assert (status, out) == (1, "")
    assert one_error_line(err) == (
        f"pggit-sql: error: misnamed migration files in {toy}: 0003_Add-Phone.sql, 3_x.sql; level files must be "
        "named NNNN_slug.sql and NNNN_slug.rollback.sql (NNNN: 4 digits; slug: a-z, 0-9, _)")


@pytest.mark.parametrize("level", [2, REAL_HEAD])
def test_unknown_branch_is_the_same_error_for_status_and_log(run: Run, pggit_new_database: NewDatabase,
                                                             level: int) -> None:
    db = pggit_new_database(level)
    answers = {tuple(argv): run("--dsn", db, *argv) for argv in (["status", "--branch", "nosuch"],
                                                                  ["log", "--branch", "nosuch"])}
    for status, out, err in answers.values():
        assert (status, out) == (1, "")
        assert one_error_line(err) == 'pggit-sql: error: branch "nosuch" does not exist'
    status, out, _ = run("--dsn", db, "status", "--branch", "main")  # a known branch: its pending changes
    assert status == 0 and "uncommitted changes on branch main: 1" in out


@pytest.mark.parametrize("argv", [["log", "--branch", "b" * 10_000], ["status", "--branch", "b" * 10_000],
                                  ["show", "r" * 10_000], ["diff", "r" * 10_000, "main"],
                                  ["--migrations", "/" + "d" * 10_000, "levels"],
                                  ["migrate", "--to", "9" * 10_000 + "x"], ["dev-db", "x" * 10_000]])
def test_long_input_is_cut_in_errors(run: Run, pggit_new_database: NewDatabase, argv: list[str]) -> None:
    status, out, err = run("--dsn", pggit_new_database(REAL_HEAD), *argv)
    line = one_error_line(err)
    assert status in (1, 2) and out == ""
    assert len(line) < 400 and line.count("...") == 1, line


def test_bare_invocation_prints_usage(run: Run) -> None:
    status, out, err = run()
    assert (status, out) == (2, "")
    assert err.startswith("usage: pggit-sql ") and re.search(r"^\s+rollback\s", err, re.MULTILINE)


def test_make_help_lists_every_target() -> None:
    makefile = project_root() / "Makefile"
    documented = re.findall(r"^([a-zA-Z0-9_.-]+):.*## ", makefile.read_text(), re.MULTILINE)
    targets = re.findall(r"^([a-zA-Z0-9_.-]+):(?!=)", makefile.read_text(), re.MULTILINE)
    assert set(targets) - {".PHONY"} == set(documented)  # every target has its ## description
    out = subprocess.run(["make", "-s", "-C", str(project_root()), "help"], capture_output=True, text=True,
                         check=True).stdout
    assert [line.split()[0] for line in out.splitlines()] == documented
    default = subprocess.run(["make", "-n", "-p", "-C", str(project_root()), "-f", "Makefile", "help"],
                             capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\.DEFAULT_GOAL := install$", default, re.MULTILINE)
