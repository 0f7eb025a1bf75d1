"""Adversarial probes of data branches (issue 11 items 1, 2, 8, 10): docs/security/data-branches.md.

An ordinary table owner plants escalators (trigger, CHECK, index expression, default,
domain check) on its own table; the owner and a superuser then use data branches. The
owner's code must only ever run as the owner, and nobody gains a right.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sechelp import assert_not_escalated, plant_escalator, ran_as, role_state, sqlstate_of

pytestmark = pytest.mark.pggit_level(min=5)


def _escalating_table(conn: psycopg.Connection, owner: str, name: str = "t") -> None:
    """As the owner: a table whose trigger, CHECK, index expression, default and domain log and escalate."""
    plant_escalator(conn, owner, f"public.{name}_trg", returns="trigger", result="NULL")
    plant_escalator(conn, owner, f"public.{name}_chk", args="x integer")
    plant_escalator(conn, owner, f"public.{name}_idx", args="x integer")
    plant_escalator(conn, owner, f"public.{name}_def")
    plant_escalator(conn, owner, f"public.{name}_dom", args="x integer")
    conn.execute(f"CREATE FUNCTION public.{name}_idx_imm(x integer) RETURNS integer LANGUAGE sql IMMUTABLE"
                 f" AS 'SELECT public.{name}_idx(x)'")
    conn.execute(f"CREATE DOMAIN public.{name}_pos AS integer CHECK (public.{name}_dom(VALUE) = 1)")
    conn.execute(f"CREATE TABLE public.{name} (id integer PRIMARY KEY, v integer CHECK (public.{name}_chk(v) = 1),"
                 f" w integer DEFAULT public.{name}_def(), p public.{name}_pos)")
    conn.execute(f"CREATE INDEX ON public.{name} (public.{name}_idx_imm(v))")
    conn.execute(f"CREATE TRIGGER {name}_after AFTER INSERT OR UPDATE OR DELETE ON public.{name}"
                 f" FOR EACH ROW EXECUTE FUNCTION public.{name}_trg()")
    conn.execute(f"INSERT INTO public.{name} (id, v, p) SELECT g, g, 1 FROM generate_series(1, 5) g")


@pytest.mark.parametrize("merger", ["owner", "superuser"])
def test_merge_runs_the_tables_code_as_its_owner(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection], merger: str) -> None:
    owner = make_role()
    before = role_state(admin, owner)
    o = connect_as(owner)
    _escalating_table(o, owner)
    o.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")
    o.execute('UPDATE public."t__feat" SET v = v + 10, p = 1 WHERE id <= 2')
    o.execute('INSERT INTO public."t__feat" (id, v, p) VALUES (9, 9, 1)')
    o.execute('DELETE FROM public."t__feat" WHERE id = 5')
    admin.execute("DELETE FROM public.sec_log")
    merged = (o if merger == "owner" else admin).execute(
        "SELECT inserted, updated, deleted FROM pggit.merge_data_branch('public.t', 'feat')").fetchone()
    assert merged == (1, 2, 1)
    seen = ran_as(admin)
    assert seen, "the merge ran none of the table's code: the probe proves nothing"
    assert set(seen) == {owner}, f"the owner's code ran as {sorted(set(seen))}"
    assert {t for (t,) in admin.execute("SELECT DISTINCT tag FROM public.sec_log")} >= {
        "public.t_trg", "public.t_chk", "public.t_idx"}
    assert_not_escalated(admin, owner, before, owned_may_change=True)


def test_add_column_evaluates_default_and_domain_on_the_branch_as_the_owner(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    owner = make_role()
    before = role_state(admin, owner)
    o = connect_as(owner)
    _escalating_table(o, owner)
    o.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")
    o.execute('UPDATE public."t__feat" SET v = v + 10 WHERE id <= 3')  # branch rows in the storage
    o.execute("UPDATE public.t SET v = v + 20 WHERE id >= 4")  # pre-images in the storage
    admin.execute("DELETE FROM public.sec_log")
    o.execute("ALTER TABLE public.t ADD COLUMN x integer DEFAULT public.t_def()")
    o.execute("ALTER TABLE public.t ADD COLUMN y public.t_pos DEFAULT 1")
    seen = ran_as(admin)
    assert len(seen) > 10, "the storage evaluated nothing: the probe proves nothing"
    assert set(seen) == {owner}, f"the owner's default / domain check ran as {sorted(set(seen))}"
    assert o.execute('SELECT count(*) FROM public."t__feat" WHERE x = 1 AND y = 1').fetchone() == (5,)
    assert_not_escalated(admin, owner, before, owned_may_change=True)


def test_branch_objects_belong_to_the_tables_owner_and_capture_runs_as_the_owner(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    owner = make_role()
    before = role_state(admin, owner)
    o = connect_as(owner)
    _escalating_table(o, owner)
    admin.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")  # a superuser creates it
    admin.execute("DELETE FROM public.sec_log")
    o.execute("UPDATE public.t SET p = 1 WHERE id = 1")  # capture writes a pre-image (domain p)
    o.execute('UPDATE public."t__feat" SET p = 1 WHERE id = 2')  # the branch's write function (domain p)
    seen = ran_as(admin)
    assert "public.t_dom" in {t for (t,) in admin.execute("SELECT tag FROM public.sec_log")}
    assert set(seen) == {owner}, f"the owner's domain check ran as {sorted(set(seen))}"
    owners = admin.execute(
        """SELECT DISTINCT pg_catalog.pg_get_userbyid(c.relowner) FROM pggit.data_branches AS db
             JOIN pg_catalog.pg_class AS c ON c.oid IN (pg_catalog.to_regclass('pggit_data.d' || db.id),
                  pg_catalog.to_regclass('pggit_data.b' || db.id),
                  pg_catalog.to_regclass(pg_catalog.format('%I.%I', db.relation_schema, db.relation_name)))
           UNION
           SELECT DISTINCT pg_catalog.pg_get_userbyid(p.proowner) FROM pg_catalog.pg_proc AS p
            WHERE p.pronamespace = 'pggit_data'::regnamespace""").fetchall()
    assert owners == [(owner,)]
    admin.execute("DELETE FROM public.sec_log")
    admin.execute("SELECT pggit.drop_data_branch('public.t', 'feat')")
    admin.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat2')")
    admin.execute("SELECT pggit.delete_branch('feat2', force => true)")
    assert set(ran_as(admin)) <= {owner}
    assert_not_escalated(admin, owner, before, owned_may_change=True)


def test_revoke_on_the_table_takes_effect_on_its_branch_view(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    owner, reader, late = make_role(), make_role(), make_role()
    o = connect_as(owner)
    o.execute("CREATE TABLE public.t (id integer PRIMARY KEY, v integer)")
    o.execute("INSERT INTO public.t SELECT g, g FROM generate_series(1, 3) g")
    o.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON public.t TO {reader}")
    o.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")
    r = connect_as(reader)
    assert r.execute('SELECT count(*) FROM public."t__feat"').fetchone() == (3,)
    o.execute(f"REVOKE ALL ON public.t FROM {reader}")
    assert r.execute("SELECT count(*) FROM pggit_data.d1").fetchone() == (0,)  # storage: no row readable
    for statement in ('SELECT * FROM public."t__feat"',
                      'INSERT INTO public."t__feat" VALUES (7, 7)', 'UPDATE public."t__feat" SET v = 0',
                      'DELETE FROM public."t__feat"'):
        assert sqlstate_of(r, statement) == "42501", statement
    assert sqlstate_of(r, "SELECT * FROM pggit.diff_data_branch('public.t', 'feat')") == "42501"
    o.execute(f"GRANT SELECT ON public.t TO {reader}")  # SELECT only: reads yes, writes no
    assert r.execute('SELECT count(*) FROM public."t__feat"').fetchone() == (3,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table"):
        r.execute('INSERT INTO public."t__feat" VALUES (7, 7)')
    # a role granted after the branch was created may use it (rights are the table's, live)
    o.execute(f"GRANT SELECT, UPDATE ON public.t TO {late}")
    lt = connect_as(late)
    lt.execute('UPDATE public."t__feat" SET v = 100 WHERE id = 1')
    assert o.execute('SELECT v FROM public."t__feat" WHERE id = 1').fetchone() == (100,)
    assert o.execute("SELECT v FROM public.t WHERE id = 1").fetchone() == (1,)


def test_row_level_security_hides_rows_from_diff_view_and_merge(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    owner, reader = make_role(), make_role()
    o = connect_as(owner)
    o.execute("CREATE TABLE public.t (id integer PRIMARY KEY, who name, secret text)")
    o.execute("INSERT INTO public.t VALUES (1, %s, 'r1'), (2, 'x', 'hidden2'), (3, 'x', 'hidden3')", (reader,))
    o.execute("ALTER TABLE public.t ENABLE ROW LEVEL SECURITY")
    o.execute("CREATE POLICY mine ON public.t USING (who = current_user)")
    o.execute(f"GRANT SELECT ON public.t TO {reader}")
    o.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")
    o.execute("""UPDATE public."t__feat" SET secret = secret || '!'""")
    o.execute("""INSERT INTO public."t__feat" VALUES (4, 'x', 'hidden4')""")
    o.execute("UPDATE public.t SET secret = 'main' WHERE id = 3")  # a pre-image of a hidden row
    r = connect_as(reader)
    diff = r.execute("SELECT key, change, after->>'secret' FROM pggit.diff_data_branch('public.t', 'feat')").fetchall()
    assert diff == [({"id": 1}, "update", "r1!")]
    assert r.execute('SELECT id, secret FROM public."t__feat" ORDER BY id').fetchall() == [(1, "r1!")]
    # the owner sees every change
    assert len(o.execute("SELECT * FROM pggit.diff_data_branch('public.t', 'feat')").fetchall()) == 4
    # FORCE ROW LEVEL SECURITY: the merge would not see every row; refused, nothing recorded
    o.execute("ALTER TABLE public.t FORCE ROW LEVEL SECURITY")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security applies"):
        o.execute("SELECT * FROM pggit.merge_data_branch('public.t', 'feat', strategy => 'ours')")
    assert admin.execute("SELECT count(*) FROM pggit.data_conflicts").fetchone() == (0,)


@pytest.mark.parametrize(("column", "main", "branch"), [
    ("numeric", "1.0", "1.000"),
    ("float8", "0", "'-0'"),
    ("numeric[]", "'{1.0}'", "'{1.00}'"),
    ("interval", "'1 day'", "'24 hours'"),
])
def test_equal_values_in_other_forms_are_no_change_and_do_not_stay_apart(
        admin: psycopg.Connection, column: str, main: str, branch: str) -> None:
    admin.execute(f"CREATE TABLE public.t (id integer PRIMARY KEY, n {column})")
    admin.execute(f"INSERT INTO public.t VALUES (1, {main}), (2, {main})")
    admin.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")
    admin.execute(f'UPDATE public."t__feat" SET n = {branch}')
    assert admin.execute("SELECT count(*) FROM pggit.diff_data_branch('public.t', 'feat')").fetchone() == (0,)
    admin.execute("SELECT * FROM pggit.merge_data_branch('public.t', 'feat')")
    # after the merge the branch reads the table's own values again: nothing stays different
    rows = admin.execute('SELECT (SELECT array_agg(n::text ORDER BY id) FROM public."t__feat"),'
                         ' (SELECT array_agg(n::text ORDER BY id) FROM public.t)').fetchone()
    assert rows[0] == rows[1]
    assert admin.execute("SELECT count(*) FROM pggit_data.d1").fetchone() == (0,)


def test_different_values_that_look_equal_as_jsonb_are_a_change(admin: psycopg.Connection) -> None:
    # numeric 1.0 and 1.01 differ; a text column in a case-insensitive form is compared exactly
    admin.execute("CREATE TABLE public.t (id integer PRIMARY KEY, n numeric, j json)")
    admin.execute("""INSERT INTO public.t VALUES (1, 1.0, '{"a": 1}')""")
    admin.execute("SELECT pggit.create_data_branch('public.t', 'main', 'feat')")
    admin.execute("""UPDATE public."t__feat" SET j = '{"a":1}'""")  # json: no equality, text differs
    assert admin.execute("SELECT change FROM pggit.diff_data_branch('public.t', 'feat')").fetchall() == [("update",)]
