"""A level's RAISE WARNING reaches the user of ``pggit-sql migrate``, not only the server log.

yoyo's connection drops notices; the Migrator keeps each WARNING with the level that raised
it and the CLI prints it on stderr (stdout stays the result). Level 8 warns when it keeps
refs whose names it reserves from then on (docs/STRICT_REFS.md)."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg

from pggit_sql.migrate import Migrator

Run = Callable[..., tuple[int, str, str]]


def test_migrate_prints_the_warning_of_the_level_that_raised_it(run: Run, pggit_new_database) -> None:
    dsn = pggit_new_database(7)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pggit.create_branch('HEAD')")
    status, out, err = run("--dsn", dsn, "migrate", "--to", "8")
    assert status == 0 and out.splitlines()[0] == "applied level 8 (0008_strict_refs)"
    assert err.splitlines() == [
        "pggit-sql: warning: level 8 (0008_strict_refs): pggit level 8: refs with a reserved name"
        ' (HEAD, WORKING, refs/...) are kept and work as before: branch "HEAD"']


def test_no_warning_no_line_and_json_stdout_stays_json(run: Run, pggit_new_database) -> None:
    dsn = pggit_new_database(7)
    status, out, err = run("--dsn", dsn, "--json", "migrate", "--to", "8")
    assert status == 0 and err == "" and json.loads(out)["applied"] == ["0008_strict_refs"]


def test_the_migrator_keeps_them_per_run(pggit_new_database) -> None:
    dsn = pggit_new_database(7)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pggit.create_branch('WORKING')")
    migrator = Migrator(dsn)
    migrator.migrate(to=8)
    assert len(migrator.warnings) == 1 and migrator.warnings[0].endswith('branch "WORKING"')
    migrator.migrate(to=8)  # nothing to do: nothing raised this time
    assert migrator.warnings == []
