"""sql/tables: the head definition of every relation in schema pggit, one file each, drift-tested.

In a database at head, inside a transaction that is always rolled back, every table,
standalone sequence and view of schema ``pggit`` is dropped and the files of sql/tables
are run instead (statement by statement, a statement that needs a relation not made yet
is tried again after the others: tables refer to each other in circles); then the
catalog fingerprint of those relations (columns, constraints, indexes, triggers,
sequences, policies, comments, grants) must equal the head's. After a level changes a
table: ``python tools/dump_tables.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pggit_sql import catalog
from pggit_sql.fixtures import Statement, split_statements
from pggit_sql.levels import sql_dir

TABLES_DIR = sql_dir() / "tables"
RELATION_KEYS = ("table pggit.", "column pggit.", "constraint pggit.", "index pggit.", "trigger pggit.",
                 "sequence pggit.", "view pggit.", "policy pggit.")

@pytest.fixture
def head_conn(pggit_head: int, pggit_new_database: Callable[[int], str]) -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(pggit_new_database(pggit_head), autocommit=True)
    yield conn
    conn.close()


def relation_fingerprint(conn: psycopg.Connection) -> dict[str, str]:
    return catalog.only(RELATION_KEYS, catalog.fingerprint(conn, ["pggit"]))


def build_from_files(conn: psycopg.Connection, directory: Path) -> list[str]:
    """Drop pggit's relations and run ``directory``'s files; the statements that never ran."""
    for (name,) in conn.execute("SELECT evtname FROM pg_catalog.pg_event_trigger").fetchall():
        conn.execute(sql.SQL("ALTER EVENT TRIGGER {} DISABLE").format(sql.Identifier(name)))
    for _, name, kind in catalog.standalone_relations(conn, "pggit"):
        what = {"v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}.get(kind, "TABLE")
        conn.execute(sql.SQL("DROP {} IF EXISTS {} CASCADE").format(sql.SQL(what), sql.Identifier("pggit", name)))
    todo: list[tuple[str, Statement]] = [(path.name, st) for path in sorted(directory.glob("*.sql"))
                                         for st in split_statements(path.read_text(encoding="utf-8"))]
    while todo:
        failed: list[tuple[str, Statement]] = []
        errors: list[str] = []
        for name, statement in todo:
            try:
                with conn.transaction():
                    conn.execute(statement.text.encode())
            except psycopg.Error as exc:
                failed.append((name, statement))
                errors.append(f"{name}: {statement.describe()}: {str(exc).splitlines()[0]}")
        if len(failed) == len(todo):
            return errors
        todo = failed
    return []


def test_every_pggit_relation_has_a_file(head_conn: psycopg.Connection) -> None:
    names = sorted(name for _, name, _ in catalog.standalone_relations(head_conn, "pggit"))
    files = sorted(path.stem for path in TABLES_DIR.glob("*.sql"))
    assert files == names
    assert len(names) >= 21  # the 21 tables of level 10, its two views and two sequences of their own


def test_the_files_build_the_head_relations(head_conn: psycopg.Connection) -> None:
    head = relation_fingerprint(head_conn)
    with head_conn.transaction(force_rollback=True):
        unrun = build_from_files(head_conn, TABLES_DIR)
        assert unrun == []
        built = relation_fingerprint(head_conn)
    assert catalog.diff(head, built) == []
    assert sum(key.startswith("table pggit.") for key in head) >= 21


def test_a_changed_file_is_noticed(head_conn: psycopg.Connection, tmp_path: Path) -> None:
    copy = tmp_path / "tables"
    copy.mkdir()
    for path in TABLES_DIR.glob("*.sql"):
        (copy / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    commits = copy / "commits.sql"
    commits.write_text(commits.read_text(encoding="utf-8").replace("    message text NOT NULL,\n",
                                                                   "    message text,\n"), encoding="utf-8")
    head = relation_fingerprint(head_conn)
    with head_conn.transaction(force_rollback=True):
        assert build_from_files(head_conn, copy) == []
        built = relation_fingerprint(head_conn)
    differences = catalog.diff(head, built)
    assert len(differences) == 1 and "column pggit.commits.message" in differences[0], differences
