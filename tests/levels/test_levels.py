"""Every level goes up and down cleanly: the heart of the level layer.

For each level k in 1..head (whatever ``--pggit-level`` says):

- a database at k rolled back to k-1 has the catalog of a fresh database at k-1;
- rolled back and re-applied, it has the catalog of a fresh database at k;
- rolled back to 0, no pggit object is left at all;
- commits made at level k survive migrating to head, and history continues from them.

"A fresh database at k" is a clone of the plugin's template for k, which was built by
migrating a clone of k-1: the chain itself is what is being checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog
from pggit_sql.migrate import Migrator
from pggit_sql.testing.plugin import settings_of


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "k" in metafunc.fixturenames:
        settings = settings_of(metafunc.config)
        settings.check()
        levels = list(range(1, settings.head + 1))
        metafunc.parametrize("k", levels, ids=[f"level{k}" for k in levels])


NewDatabase = Callable[[int], str]


def fingerprint(conninfo: str) -> dict[str, str]:
    with psycopg.connect(conninfo) as conn:
        return catalog.fingerprint(conn)


def assert_same_catalog(expected: dict[str, str], actual: dict[str, str], what: str) -> None:
    differences = catalog.diff(expected, actual)
    assert not differences, f"{what}: {len(differences)} difference(s)\n" + "\n".join(differences)


def claimed_level(conninfo: str, migrations_dir: Path) -> int:
    return Migrator(conninfo, migrations_dir).status().catalog_level


def test_rollback_returns_to_the_previous_level(
    k: int, pggit_new_database: NewDatabase, pggit_migrations_dir: Path
) -> None:
    db = pggit_new_database(k)
    undone = Migrator(db, pggit_migrations_dir).rollback(to=k - 1)
    assert [level.number for level in undone] == [k]
    assert claimed_level(db, pggit_migrations_dir) == k - 1
    assert_same_catalog(
        fingerprint(pggit_new_database(k - 1)), fingerprint(db), f"level {k} rolled back to {k - 1}"
    )


def test_rollback_then_reapply_equals_a_fresh_database(
    k: int, pggit_new_database: NewDatabase, pggit_migrations_dir: Path
) -> None:
    db = pggit_new_database(k)
    migrator = Migrator(db, pggit_migrations_dir)
    migrator.rollback(to=k - 1)
    applied = migrator.migrate(to=k)
    assert [level.number for level in applied] == [k]
    assert claimed_level(db, pggit_migrations_dir) == k
    assert_same_catalog(
        fingerprint(pggit_new_database(k)), fingerprint(db), f"level {k} rolled back and re-applied"
    )


_PGGIT_LEFTOVERS = """
SELECT 'schema ' || nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 'pggit%'
UNION ALL
SELECT 'event trigger ' || evtname FROM pg_catalog.pg_event_trigger
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proname LIKE '%pggit%' OR n.nspname LIKE 'pggit%'
UNION ALL
SELECT 'relation ' || c.oid::regclass::text FROM pg_catalog.pg_class c
    WHERE c.relname LIKE '%yoyo%' OR c.relname LIKE 'pggit%'
UNION ALL
SELECT 'type ' || t.oid::regtype::text FROM pg_catalog.pg_type t WHERE t.typname LIKE 'pggit%'
ORDER BY 1
"""


def test_rollback_to_zero_leaves_no_pggit_object(
    k: int, pggit_new_database: NewDatabase, pggit_migrations_dir: Path
) -> None:
    db = pggit_new_database(k)
    undone = Migrator(db, pggit_migrations_dir).rollback(to=0)
    assert [level.number for level in undone] == list(range(k, 0, -1))
    with psycopg.connect(db) as conn:
        leftovers = [row[0] for row in conn.execute(_PGGIT_LEFTOVERS).fetchall()]
    assert leftovers == []  # pggit_meta (yoyo's bookkeeping) included: fingerprints leave it out
    assert_same_catalog(fingerprint(pggit_new_database(0)), fingerprint(db), f"level {k} rolled back to 0")


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        (table,),
    ).fetchall()
    return [row[0] for row in rows]


def _rows(conn: psycopg.Connection, table: str, columns: list[str], key: str) -> list[tuple[object, ...]]:
    select = ", ".join(f'"{column}"' for column in columns)
    return [tuple(row) for row in conn.execute(f"SELECT {select} FROM {table} ORDER BY {key}").fetchall()]


def test_commits_made_at_a_level_survive_migrating_to_head(
    k: int, pggit_new_database: NewDatabase, pggit_migrations_dir: Path, pggit_head: int
) -> None:
    db = pggit_new_database(k)
    with psycopg.connect(db, autocommit=True) as conn:
        on_main = conn.execute("SELECT pggit.commit_changes('main', 'm')").fetchone()[0]
        on_branch = conn.execute("SELECT pggit.commit_changes('feature/x-1_y.z', 'on a branch')").fetchone()[0]
        commit_columns = _columns(conn, "pggit.commits")
        branch_columns = _columns(conn, "pggit.branches")
        commits = _rows(conn, "pggit.commits", commit_columns, "hash")
        branches = _rows(conn, "pggit.branches", branch_columns, "name")
    assert {on_main, on_branch} <= {row[commit_columns.index("hash")] for row in commits}

    applied = Migrator(db, pggit_migrations_dir).migrate()
    assert [level.number for level in applied] == list(range(k + 1, pggit_head + 1))

    with psycopg.connect(db, autocommit=True) as conn:
        assert _rows(conn, "pggit.commits", commit_columns, "hash") == commits
        assert _rows(conn, "pggit.branches", branch_columns, "name") == branches
        after = conn.execute("SELECT pggit.commit_changes('main', 'after the upgrade')").fetchone()[0]
        parent = conn.execute("SELECT parent_hash FROM pggit.commits WHERE hash = %s", (after,)).fetchone()[0]
    assert parent == on_main
