"""Reserved ref names (level 8): HEAD, WORKING and refs/... are no new branch's or tag's name.

Every writer of pggit.branches and pggit.tags goes through the trigger ref_name_guard, so
each of them answers 42939 (reserved_name) and creates nothing. Refs a level-7 database
already has under such names are kept: the upgrade names them in a WARNING, and they go
on working (commits, refs, data branches, deletion).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import sqlparse

from pggit_sql.migrate import Migrator

pytestmark = pytest.mark.pggit_level(min=8)

RESERVED = ["HEAD", "WORKING", "refs/heads/x", "refs/tags/v1", "refs/x"]
REASON = {"HEAD": "HEAD is git's name for the checked-out commit",
          "WORKING": "WORKING is the ref of the live schema"}


def reason(name: str) -> str:
    return REASON.get(name, "refs/ starts a qualified ref")


def counts(conn: psycopg.Connection) -> tuple[int, int]:
    row = conn.execute("SELECT (SELECT count(*) FROM pggit.branches), (SELECT count(*) FROM pggit.tags)").fetchone()
    assert row is not None
    return row[0], row[1]


def refused(conn: psycopg.Connection, query: str, args: tuple[object, ...], message: str) -> None:
    before = counts(conn)
    with pytest.raises(psycopg.errors.ReservedName) as caught:
        conn.execute(query, args)
    assert caught.value.sqlstate == "42939"
    assert caught.value.diag.message_primary == message
    assert caught.value.diag.message_hint is not None
    assert counts(conn) == before


@pytest.mark.parametrize("name", RESERVED)
def test_every_writer_refuses_a_reserved_name(pggit_conn: psycopg.Connection, name: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    conn.execute("CREATE TABLE public.t (id int PRIMARY KEY)")
    why = reason(name)
    refused(conn, "SELECT pggit.create_branch(%s)", (name,), f'cannot create branch "{name}": {why}')
    refused(conn, "SELECT pggit.commit_changes(%s, 'm')", (name,), f'cannot create branch "{name}": {why}')
    refused(conn, "SELECT pggit.tag(%s, 'main')", (name,), f'cannot create tag "{name}": {why}')
    refused(conn, "SELECT pggit.create_data_branch('public.t', 'main', %s)", (name,),
            f'cannot create branch "{name}": {why}')
    # pggit's owner writing the tables directly meets the same trigger
    refused(conn, "INSERT INTO pggit.branches (name) VALUES (%s)", (name,), f'cannot create branch "{name}": {why}')
    conn.execute("SELECT pggit.create_branch('feature')")
    refused(conn, "UPDATE pggit.branches SET name = %s WHERE name = 'feature'", (name,),
            f'cannot rename branch "feature" to "{name}": {why}')
    assert conn.execute("SELECT count(*) FROM pggit.data_branches").fetchone() == (0,)


@pytest.mark.parametrize("name", ["head", "Head", "working", "Working", "HEADS", "my/HEAD", "WORKING2", "Refs/x"])
def test_reserved_names_are_exact_and_case_sensitive(pggit_conn: psycopg.Connection, name: str) -> None:
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'base')")
    assert pggit_conn.execute("SELECT pggit.create_branch(%s)", (name,)).fetchone() == (name,)
    assert pggit_conn.execute("SELECT pggit.resolve_ref(%s) = pggit.resolve_ref('main')", (name,)).fetchone() == (True,)
    assert pggit_conn.execute("SELECT pggit.reserved_ref_name(%s)", (name,)).fetchone() == (None,)


def level8_statements(migrations: Path) -> list[str]:
    text = (migrations / "0008_strict_refs.sql").read_text(encoding="utf-8")
    return [s for s in sqlparse.split(text) if s.strip()]


def test_upgrade_keeps_reserved_refs_working_and_names_them(pggit_new_database, pggit_migrations_dir: Path) -> None:
    dsn = pggit_new_database(7)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO public.t VALUES (1, 'a')")
        conn.execute("SELECT pggit.commit_changes('main', 'base')")
        head = conn.execute("SELECT pggit.commit_changes('HEAD', 'on HEAD')").fetchone()[0]  # type: ignore[index]
        working = conn.execute("SELECT pggit.commit_changes('WORKING', 'on WORKING')").fetchone()[0]  # type: ignore[index]
        conn.execute("SELECT pggit.create_branch('refs/heads/odd')")
    with psycopg.connect(dsn, autocommit=True) as conn:
        # the level's SQL run by hand (as psql would), to see its WARNING; then rolled back
        warnings: list[str] = []
        conn.add_notice_handler(lambda diag: warnings.append(diag.message_primary or "")
                                if diag.severity == "WARNING" else None)
        conn.execute("BEGIN")
        for statement in level8_statements(pggit_migrations_dir):
            conn.execute(statement)
        conn.execute("ROLLBACK")
        assert warnings == [
            'pggit level 8: refs with a reserved name (HEAD, WORKING, refs/...) are kept and work as before:'
            ' branch "HEAD", branch "WORKING", branch "refs/heads/odd"']
    Migrator(dsn, pggit_migrations_dir).migrate(to=8)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT obj_description('pggit'::regnamespace)").fetchone() == ("pggit-sql level 8",)
        assert conn.execute("SELECT pggit.resolve_ref('HEAD'), pggit.resolve_ref('refs/heads/WORKING')"
                            ).fetchone() == (head, working)
        assert conn.execute("SELECT pggit.resolve_ref('WORKING')").fetchone() == (None,)  # the live schema, as before
        newer = conn.execute("SELECT pggit.commit_changes('HEAD', 'still works')").fetchone()[0]  # type: ignore[index]
        assert conn.execute("SELECT parent_hash FROM pggit.commits WHERE hash = %s", (newer,)).fetchone() == (head,)
        conn.execute("SELECT pggit.create_data_branch('public.t', 'main', 'HEAD')")
        conn.execute('UPDATE "t__HEAD" SET v = \'b\'')
        conn.execute("SELECT pggit.merge_data_branch('public.t', 'HEAD')")
        assert conn.execute("SELECT v FROM public.t").fetchone() == ("b",)
        conn.execute("SELECT pggit.delete_branch('WORKING')")
        assert conn.execute("SELECT name, status FROM pggit.branches WHERE name IN ('HEAD', 'WORKING') ORDER BY 1"
                            ).fetchall() == [("HEAD", "active"), ("WORKING", "deleted")]
        # but no new one: the name of a kept branch stays taken, a new tag of it is refused
        with pytest.raises(psycopg.errors.ReservedName):
            conn.execute("SELECT pggit.tag('HEAD', 'main')")
        with pytest.raises(psycopg.errors.ReservedName, match='cannot rename branch "HEAD" to "WORKING"'):
            conn.execute("UPDATE pggit.branches SET name = 'WORKING' || '' WHERE name = 'HEAD'")


def test_upgrade_names_a_reserved_tag(pggit_new_database, pggit_migrations_dir: Path) -> None:
    dsn = pggit_new_database(7)
    with psycopg.connect(dsn, autocommit=True) as conn:
        base = conn.execute("SELECT pggit.commit_changes('main', 'base')").fetchone()[0]  # type: ignore[index]
        conn.execute("SELECT pggit.tag('HEAD', %s)", (base,))
        warnings: list[str] = []
        conn.add_notice_handler(lambda diag: warnings.append(diag.message_primary or "")
                                if diag.severity == "WARNING" else None)
        conn.execute("BEGIN")
        for statement in level8_statements(pggit_migrations_dir):
            conn.execute(statement)
        conn.execute("ROLLBACK")
        assert len(warnings) == 1 and warnings[0].endswith(': tag "HEAD"')
    Migrator(dsn, pggit_migrations_dir).migrate(to=8)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pggit.resolve_ref('HEAD'), pggit.resolve_ref('refs/tags/HEAD')"
                            ).fetchone() == (base, base)
        with pytest.raises(psycopg.errors.ReservedName, match='cannot create branch "HEAD"'):
            conn.execute("SELECT pggit.create_branch('HEAD')")
