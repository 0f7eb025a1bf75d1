"""Install and pggit's own schemas (issue 11, item 9) and data-branch relations (item 10).

- a role with CREATE on the database that creates ``pggit_meta`` or ``pggit_data``
  before install: install refuses, naming the schema and its owner, and adopts nothing;
- DDL in a user schema whose name merely starts with ``pggit`` is tracked like any other
  (it used to leave no history row at all);
- the view ``<table>__<branch>`` create_data_branch makes is pggit's, not the user's
  schema change: no history row, not in commits, does not block checkout(apply).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sechelp import assert_not_escalated, role_state

from pggit_sql.errors import ForeignSchema
from pggit_sql.migrate import Migrator


def empty_database(pggit_new_database: Callable[[int], str], admin: psycopg.Connection, role: str) -> str:
    dsn = pggit_new_database(0)
    with psycopg.connect(dsn, autocommit=True) as conn:
        dbname = conn.info.dbname
        conn.execute(f'GRANT CREATE ON DATABASE "{dbname}" TO {role}')
    return dsn


@pytest.mark.pggit_level(min=5)
@pytest.mark.parametrize("schema", ["pggit_meta", "pggit_data", "pggit"])
def test_install_refuses_a_pggit_schema_another_role_created(
        schema: str, admin: psycopg.Connection, make_role: Callable[..., str],
        pggit_new_database: Callable[[int], str]) -> None:
    mallory = make_role()
    dsn = empty_database(pggit_new_database, admin, mallory)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET ROLE {mallory}")
        conn.execute(f"CREATE SCHEMA {schema}")
        if schema == "pggit":
            conn.execute("COMMENT ON SCHEMA pggit IS 'pggit-sql level 4'")  # a forged claim
        conn.execute("RESET ROLE")
        before = role_state(conn, mallory)
    with pytest.raises(ForeignSchema) as refused:
        Migrator(dsn).migrate()
    message = str(refused.value)
    assert f'schema {schema} exists but is owned by role "{mallory}"' in message
    assert f"DROP SCHEMA {schema} CASCADE" in message and "\n" not in message
    with psycopg.connect(dsn, autocommit=True) as conn:
        installed = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname IN ('pggit', 'pggit_meta',"
                                 " 'pggit_data') ORDER BY 1").fetchall()
        assert installed == [(schema,)]  # nothing else created, nothing adopted
        assert_not_escalated(conn, mallory, before)
        conn.execute(f"DROP SCHEMA {schema}")
    Migrator(dsn).migrate()  # once the schema is gone, install goes through
    with psycopg.connect(dsn, autocommit=True) as conn:
        owners = conn.execute("SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"
                              " WHERE nspname IN ('pggit', 'pggit_meta', 'pggit_data')").fetchall()
        assert all(owner == conn.info.user for _, owner in owners), owners


@pytest.mark.pggit_level(min=5)
def test_ddl_in_a_user_schema_named_pggit_something_is_tracked(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    admin.execute(f"GRANT CREATE ON DATABASE {admin.info.dbname} TO {mallory}")
    m = connect_as(mallory)
    for schema in ("pggit_x", "pggitx", "pggit_meta_mine", '"pggit_data "'):
        m.execute(f"CREATE SCHEMA {schema}")
        m.execute(f"CREATE TABLE {schema}.hidden (id int)")
        m.execute(f"ALTER TABLE {schema}.hidden ADD COLUMN secret text")
    rows = admin.execute("SELECT object_identity, command_tag FROM pggit.history"
                         " WHERE role = %s AND object_kind = 'table' ORDER BY id", (mallory,)).fetchall()
    assert rows == [(f"{s}.hidden", tag) for s in ("pggit_x", "pggitx", "pggit_meta_mine", '"pggit_data "')
                    for tag in ("CREATE TABLE", "ALTER TABLE")]
    assert admin.execute("SELECT pggit.is_tracked_schema(x) FROM unnest(ARRAY['pggit', 'pggit_data', 'pggit_meta',"
                         " 'pggit_x', 'pggit_meta_mine', 'pg_catalog']::name[]) AS x").fetchall() == [
        (False,), (False,), (False,), (True,), (True,), (False,)]


@pytest.mark.pggit_level(min=5)
def test_data_branch_relations_are_not_the_users_schema_changes(admin: psycopg.Connection) -> None:
    admin.execute("CREATE TABLE public.acct (id int PRIMARY KEY, n numeric)")
    admin.execute("INSERT INTO public.acct VALUES (1, 1.0)")
    admin.execute("SELECT pggit.commit_changes('main', 'base')")
    first = admin.execute("SELECT max(id) FROM pggit.history").fetchone()[0]  # type: ignore[index]
    relation = admin.execute("SELECT pggit.create_data_branch('acct', 'main', 'dev')").fetchone()[0]  # type: ignore[index]
    admin.execute("ALTER TABLE public.acct ADD COLUMN note text")  # re-installs the branch view
    assert admin.execute("SELECT object_identity, command_tag FROM pggit.history WHERE id > %s ORDER BY id",
                         (first,)).fetchall() == [("public.acct", "ALTER TABLE")]
    admin.execute("SELECT pggit.commit_changes('main', 'note')")
    assert admin.execute("SELECT count(*) FROM pggit.objects WHERE object_name = %s", (relation,)).fetchone() == (0,)
    assert [r[1] for r in admin.execute("SELECT * FROM pggit.schema_at('main')")
            if relation in r[1]] == []
    # nothing pending: checkout with apply is not blocked by "uncommitted changes"
    assert admin.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
    admin.execute("SELECT pggit.checkout('main', apply => true)")
    admin.execute("SELECT pggit.drop_data_branch('acct', 'dev')")
    assert admin.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
    # a later migration never re-creates the view over dropped storage
    steps = [r[0] for r in admin.execute("SELECT statement FROM pggit.generate_migration("
                                         "(SELECT hash FROM pggit.commits ORDER BY committed_at LIMIT 1), 'main')")]
    assert not any(relation in s for s in steps), steps
