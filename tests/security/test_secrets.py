"""Secrets (issue 11, item 6): history keeps no text beyond the tracked command, and
statement text, definitions and row values are readable only by pggit_reader members.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sechelp import sqlstate_of

SECRET = "s3cr3t-pw"


@pytest.mark.pggit_level(min=5)
def test_a_password_sent_beside_ddl_never_reaches_history(
        admin: psycopg.Connection, make_role: Callable[..., str]) -> None:
    victim = make_role()
    admin.execute(f"ALTER ROLE {victim} PASSWORD '{SECRET}'; CREATE TABLE public.sec_t (id int);"
                  f" ALTER ROLE {victim} PASSWORD '{SECRET}2'")
    admin.execute(f"/* x; */ CREATE TABLE public.sec_u (id int); COMMENT ON TABLE public.sec_u IS 'c';"
                  f" DO $$ BEGIN EXECUTE 'ALTER ROLE {victim} PASSWORD ''{SECRET}3'''; END $$")
    admin.execute(f"DROP TABLE public.sec_t; ALTER ROLE {victim} PASSWORD '{SECRET}4'")
    admin.execute("CREATE TABLE public.sec_v (id int);")  # one statement: kept as it is
    rows = admin.execute("SELECT object_identity, command_tag, statement FROM pggit.history"
                         " WHERE object_identity LIKE 'public.sec\\__' ORDER BY id").fetchall()
    assert [r for r in rows if r[2] is not None and SECRET in r[2]] == []
    assert rows == [("public.sec_t", "CREATE TABLE", "CREATE TABLE public.sec_t (id int)"),
                    ("public.sec_u", "CREATE TABLE", "/* x; */ CREATE TABLE public.sec_u (id int)"),
                    ("public.sec_u", "COMMENT", "COMMENT ON TABLE public.sec_u IS 'c'"),
                    ("public.sec_t", "DROP TABLE", "DROP TABLE public.sec_t"),
                    ("public.sec_v", "CREATE TABLE", "CREATE TABLE public.sec_v (id int);")]
    # DDL run by a DO block among other statements: no statement of the command itself
    admin.execute(f"ALTER ROLE {victim} PASSWORD '{SECRET}5';"
                  " DO $$ BEGIN EXECUTE 'CREATE TABLE public.sec_w (id int)'; END $$")
    assert admin.execute("SELECT statement FROM pggit.history WHERE object_identity = 'public.sec_w'"
                         ).fetchall() == [(None,)]


@pytest.mark.pggit_level(min=5)
def test_statements_and_definitions_are_readable_only_by_pggit_reader(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    admin.execute("CREATE SCHEMA vault")
    admin.execute("CREATE FUNCTION vault.key() RETURNS text LANGUAGE sql AS $$SELECT 'api-key-123'$$")
    admin.execute("CREATE TABLE vault.t (id int PRIMARY KEY, v text)")
    admin.execute("INSERT INTO vault.t VALUES (1, 'row-secret')")
    admin.execute("CREATE TABLE public.open_t (id int)")
    head = admin.execute("SELECT pggit.commit_changes('main', 'vault')").fetchone()[0]  # type: ignore[index]
    admin.execute("CREATE OR REPLACE FUNCTION vault.key() RETURNS text LANGUAGE sql AS $$SELECT 'api-key-456'$$")
    mallory, reader = make_role(), make_role("pggit_reader")
    m = connect_as(mallory)
    assert sqlstate_of(m, "SELECT 1 FROM vault.t") == "42501"  # no USAGE on vault
    for statement in ("SELECT statement FROM pggit.history", "SELECT definition FROM pggit.blobs",
                      "SELECT definition FROM pggit.objects", "SELECT structure FROM pggit.objects",
                      "SELECT * FROM pggit.object_details", "SELECT * FROM pggit.merge_conflicts",
                      "SELECT * FROM pggit.data_conflicts", "SELECT statements FROM pggit.checkouts",
                      "SELECT * FROM pggit.schema_at('main')", "SELECT * FROM pggit.status('main')",
                      f"SELECT pggit.show('{head}')", "SELECT * FROM pggit.diff('WORKING', 'main')",
                      "SELECT * FROM pggit.generate_migration('main', 'WORKING')"):
        assert sqlstate_of(m, statement) == "42501", statement
    # metadata stays readable by everyone
    assert m.execute("SELECT count(*) FROM pggit.log('main', 5)").fetchone()[0] >= 1  # type: ignore[index]
    assert m.execute("SELECT version FROM pggit.get_version('public.open_t')").fetchone() == ("1.0.0",)
    assert m.execute("SELECT count(*) > 0 FROM pggit.history WHERE commit_hash = %s", (head,)).fetchone() == (True,)
    assert m.execute("SELECT count(*) FROM pggit.commits").fetchone()[0] >= 1  # type: ignore[index]
    # a pggit_reader member reads them
    r = connect_as(reader)
    defs = [row[2] for row in r.execute("SELECT * FROM pggit.schema_at('main')")]
    assert any("api-key-123" in d for d in defs)
    assert r.execute("SELECT count(*) FROM pggit.history WHERE statement IS NOT NULL").fetchone()[0] > 0  # type: ignore[index]


@pytest.mark.pggit_level(min=5)
def test_merge_never_hands_definitions_to_a_role_without_the_read_grant(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    """merge and merge_continue return a migration: the merged objects' definitions.

    At level 4 they were SECURITY DEFINER, so anyone allowed to merge read every
    definition through them. Now the bookkeeping runs as pggit's owner and the migration
    is read as the caller: 42501 and nothing merged without pggit_reader.
    """
    admin.execute("SELECT pggit.commit_changes('main', 'base')")
    admin.execute("SELECT pggit.create_branch('feat')")
    admin.execute("SELECT pggit.checkout('feat')")
    admin.execute("CREATE SCHEMA vault2")
    admin.execute("CREATE FUNCTION vault2.key() RETURNS text LANGUAGE sql AS $$SELECT 'api-key-789'$$")
    admin.execute("SELECT pggit.commit_changes('feat', 'secret function')")
    admin.execute("SELECT pggit.checkout('main')")
    heads = admin.execute("SELECT name, head_commit_hash FROM pggit.branches ORDER BY name").fetchall()
    mallory, reader = make_role(), make_role("pggit_reader")
    m = connect_as(mallory)
    for call in ("SELECT * FROM pggit.merge('feat', 'main')", "SELECT * FROM pggit.merge_continue(1)"):
        try:
            m.execute(call)
        except psycopg.errors.InsufficientPrivilege as exc:
            assert "returns the definitions" in str(exc), call
        else:
            raise AssertionError(f"{call} succeeded without the read grant")
    assert admin.execute("SELECT name, head_commit_hash FROM pggit.branches ORDER BY name").fetchall() == heads
    row = connect_as(reader).execute("SELECT status, migration FROM pggit.merge('feat', 'main')").fetchone()
    assert row is not None and row[0] == "fast-forward" and "api-key-789" in row[1]
