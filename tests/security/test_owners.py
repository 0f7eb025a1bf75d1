"""Re-created objects get their recorded owner and grants back (issue 11 item 5).

``checkout(.., apply => true)``, ``revert`` and the generated migration re-create
objects as the role that runs them. At level 4 a SECURITY DEFINER function an ordinary
role committed on a branch became superuser-owned when a superuser checked the branch
out: its author then called it and became superuser. At level 5 every tracked state
records its owner and privileges by role name, the script gives them back right after
each CREATE, and an object whose owner is not recorded or no longer exists is refused
(a SECURITY DEFINER routine is then not created at all).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sechelp import assert_not_escalated, plant_escalator, ran_as, role_state, sqlstate_of

pytestmark = pytest.mark.pggit_level(min=5)

ESCALATE = """CREATE FUNCTION app.esc() RETURNS int LANGUAGE plpgsql SECURITY DEFINER
              AS $$BEGIN
                  BEGIN EXECUTE 'ALTER ROLE {role} SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
                  RETURN 1;
              END$$"""


def owner(admin: psycopg.Connection, regobj: str, catalog: str = "pg_proc", col: str = "proowner") -> str:
    return admin.execute(f"SELECT pg_catalog.pg_get_userbyid({col})::text FROM pg_catalog.{catalog}"
                         f" WHERE oid = %s::{'regprocedure' if catalog == 'pg_proc' else 'regclass'}",
                         (regobj,)).fetchone()[0]


def branch_with_mallorys_function(admin: psycopg.Connection, connect_as: Callable[[str], psycopg.Connection],
                                  mallory: str) -> None:
    """main: schema app (mallory may create in it); branch f: mallory's SECURITY DEFINER function (EXECUTE
    revoked from PUBLIC), a view and a table (SELECT for herself only); the live schema back at main."""
    admin.execute("CREATE SCHEMA app")
    admin.execute(f"GRANT USAGE, CREATE ON SCHEMA app TO {mallory}")
    admin.execute("SELECT pggit.commit_changes('main', 'base')")
    admin.execute("SELECT pggit.create_branch('f')")
    m = connect_as(mallory)
    m.execute("SET pggit.branch = 'f'")
    m.execute(ESCALATE.format(role=mallory))
    m.execute("REVOKE EXECUTE ON FUNCTION app.esc() FROM PUBLIC")  # GRANT/REVOKE: no registry change
    m.execute("CREATE VIEW app.v AS SELECT 1 AS one")
    m.execute("CREATE TABLE app.t (id int)")
    m.execute("REVOKE ALL ON app.t FROM PUBLIC")
    m.execute(f"GRANT SELECT ON app.t TO {mallory}")
    m.close()
    admin.execute("SELECT pggit.commit_changes('f', 'mallory''s work')")
    admin.execute("SELECT pggit.checkout('main', apply => true)")
    assert admin.execute("SELECT pg_catalog.to_regprocedure('app.esc()')").fetchone() == (None,)


def test_checkout_gives_a_definer_function_its_author_back(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    branch_with_mallorys_function(admin, connect_as, mallory)
    before = role_state(admin, mallory)
    assert admin.execute("SELECT pggit.checkout('f', apply => true)").fetchone()[0] >= 3
    assert owner(admin, "app.esc()") == mallory
    assert owner(admin, "app.v", "pg_class", "relowner") == mallory
    assert owner(admin, "app.t", "pg_class", "relowner") == mallory
    # mallory calls her function: it runs as mallory, not as the superuser that checked it out
    connect_as(mallory).execute("SELECT app.esc()")
    assert_not_escalated(admin, mallory, before, owned_may_change=True)


def test_checkout_gives_the_recorded_grants_back(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory, eve = make_role(), make_role()
    branch_with_mallorys_function(admin, connect_as, mallory)
    admin.execute("SELECT pggit.checkout('f', apply => true)")
    assert admin.execute("SELECT pg_catalog.has_function_privilege(%s, 'app.esc()', 'EXECUTE')",
                         (eve,)).fetchone() == (False,)
    assert admin.execute("SELECT pg_catalog.has_table_privilege(%s, 'app.t', 'SELECT')",
                         (eve,)).fetchone() == (False,)
    acl = admin.execute("SELECT relacl::text FROM pg_catalog.pg_class WHERE oid = 'app.t'::regclass").fetchone()[0]
    assert acl is not None and f"{mallory}=" in acl


def test_generated_script_sets_owner_and_grants(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    branch_with_mallorys_function(admin, connect_as, mallory)
    steps = [s for (s,) in admin.execute(
        "SELECT statement FROM pggit.generate_migration('main', 'f') ORDER BY step")]
    create = next(i for i, s in enumerate(steps) if s.startswith("CREATE OR REPLACE FUNCTION app.esc()"))
    assert steps[create + 1] == f"ALTER FUNCTION app.esc() OWNER TO {mallory};"
    assert f"ALTER VIEW app.v OWNER TO {mallory};" in steps
    assert f"ALTER TABLE app.t OWNER TO {mallory};" in steps
    assert "REVOKE ALL ON TABLE app.t FROM PUBLIC;" in steps
    assert any(s.startswith("GRANT ") and s.endswith(f" ON TABLE app.t TO {mallory};") and "SELECT" in s
               for s in steps)
    assert "REVOKE ALL ON FUNCTION app.esc() FROM PUBLIC;" in steps
    assert not any(s.startswith("GRANT") and "app.esc()" in s and "PUBLIC" in s for s in steps)


def test_an_owner_that_no_longer_exists_is_refused(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    branch_with_mallorys_function(admin, connect_as, mallory)
    admin.execute(f"REVOKE ALL ON SCHEMA app FROM {mallory}")
    admin.execute(f"DROP ROLE {mallory}")
    with pytest.raises(psycopg.errors.FeatureNotSupported) as err:
        admin.execute("SELECT pggit.checkout('f', apply => true)")
    detail = err.value.diag.message_detail or ""
    assert "function app.esc()" in detail and f"its recorded owner {mallory} does not exist" in detail
    assert admin.execute("SELECT pg_catalog.to_regprocedure('app.esc()')").fetchone() == (None,)
    steps = [s for (s,) in admin.execute("SELECT statement FROM pggit.generate_migration('WORKING', 'f')")]
    assert any(s.startswith("-- CREATE OR REPLACE FUNCTION app.esc()") for s in steps)  # never created as caller
    assert not any(s.startswith("CREATE OR REPLACE FUNCTION app.esc()") for s in steps)


def test_revert_gives_the_owner_back(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    admin.execute("CREATE SCHEMA app")
    admin.execute(f"GRANT USAGE, CREATE ON SCHEMA app TO {mallory}")
    connect_as(mallory).execute(ESCALATE.format(role=mallory))
    admin.execute("SELECT pggit.commit_changes('main', 'function')")
    before = role_state(admin, mallory)
    admin.execute("DROP FUNCTION app.esc()")
    admin.execute("SELECT pggit.commit_changes('main', 'drop it')")
    admin.execute("SELECT pggit.revert('main')")
    assert owner(admin, "app.esc()") == mallory
    connect_as(mallory).execute("SELECT app.esc()")
    assert_not_escalated(admin, mallory, before)


def test_owner_steps_need_the_rights_postgres_demands(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    """An ordinary role cannot check out another role's objects as their owner (42501, PostgreSQL's rule)."""
    mallory, eve = make_role(), make_role()
    branch_with_mallorys_function(admin, connect_as, mallory)
    admin.execute(f"GRANT USAGE, CREATE ON SCHEMA app TO {eve}")
    e = connect_as(eve)
    e.execute("SET pggit.branch = 'main'")
    assert sqlstate_of(e, "SELECT pggit.checkout('f', apply => true)") == "42501"
    assert admin.execute("SELECT pg_catalog.to_regprocedure('app.esc()')").fetchone() == (None,)


def test_a_materialized_view_is_populated_as_its_owner(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    """CREATE MATERIALIZED VIEW .. AS runs the query as the caller: the script creates it WITH NO DATA,
    gives it its owner, then REFRESHes it (which PostgreSQL runs as the owner)."""
    mallory = make_role()
    admin.execute("CREATE SCHEMA app")
    admin.execute(f"GRANT USAGE, CREATE ON SCHEMA app TO {mallory}")
    m = connect_as(mallory)
    plant_escalator(m, mallory, "app.mesc")  # on main (the generator drops functions before views)
    admin.execute("SELECT pggit.commit_changes('main', 'base')")
    admin.execute("SELECT pggit.create_branch('f')")
    m.execute("SET pggit.branch = 'f'")
    m.execute("CREATE MATERIALIZED VIEW app.m AS SELECT app.mesc() AS x")
    m.close()
    admin.execute("SELECT pggit.commit_changes('f', 'matview')")
    admin.execute("SELECT pggit.checkout('main', apply => true)")
    before = role_state(admin, mallory)
    admin.execute("DELETE FROM public.sec_log")
    admin.execute("SELECT pggit.checkout('f', apply => true)")
    assert ran_as(admin, "app.mesc") == [mallory]  # the refresh, as its owner
    assert admin.execute("SELECT x FROM app.m").fetchone() == (1,)
    assert_not_escalated(admin, mallory, before, owned_may_change=True)


def test_grants_and_revokes_are_recorded_in_savepoints_and_for_every_kind(admin: psycopg.Connection) -> None:
    """GRANT and REVOKE re-record the ACL of exactly the objects they changed (the catalog rows this
    transaction wrote), subtransactions included, for tables, functions, types and schemas."""
    admin.execute("CREATE SCHEMA gr")
    admin.execute("CREATE TABLE gr.t (id int)")
    admin.execute("CREATE TABLE gr.u (id int)")
    admin.execute("CREATE FUNCTION gr.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    admin.execute("CREATE TYPE gr.e AS ENUM ('a')")
    admin.execute("SELECT pggit.commit_changes('main', 'grants')")

    def acl(identity: str) -> list[list[str]] | None:
        row = admin.execute("SELECT details -> 'own' -> 'a' FROM pggit.object_details AS d"
                            " JOIN pggit.objects AS o ON o.identity = d.identity AND o.hash = d.blob_hash"
                            " WHERE o.identity = %s AND o.dropped_at IS NULL ORDER BY o.id DESC LIMIT 1",
                            (identity,)).fetchone()
        assert row is not None, identity
        return row[0]

    assert acl("gr.t") is None and acl("gr.u") is None
    with admin.transaction():
        admin.execute("SAVEPOINT a")
        admin.execute("GRANT SELECT ON gr.t TO PUBLIC")
        admin.execute("SAVEPOINT b")
        admin.execute("GRANT UPDATE ON gr.t TO PUBLIC")
        admin.execute("RELEASE SAVEPOINT b")
        admin.execute("SAVEPOINT c")
        admin.execute("GRANT SELECT ON gr.u TO PUBLIC")
        admin.execute("ROLLBACK TO SAVEPOINT c")  # undone: nothing recorded for gr.u
        admin.execute("RELEASE SAVEPOINT a")
    assert ["", "SELECT,UPDATE", ""] in (acl("gr.t") or [])
    assert acl("gr.u") is None
    admin.execute("REVOKE UPDATE ON gr.t FROM PUBLIC")
    assert ["", "SELECT", ""] in (acl("gr.t") or [])
    admin.execute("REVOKE EXECUTE ON FUNCTION gr.f() FROM PUBLIC")
    assert [g for g in (acl("gr.f()") or []) if g[0] == ""] == []
    admin.execute("GRANT USAGE ON TYPE gr.e TO PUBLIC")  # types have USAGE for PUBLIC by default: explicit now
    assert acl("gr.e") is not None
    admin.execute("GRANT USAGE ON SCHEMA gr TO PUBLIC")
    assert ["", "USAGE", ""] in (acl("gr") or [])
