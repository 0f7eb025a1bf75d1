"""Every SECURITY DEFINER function, driven by an ordinary role that has planted everything it can.

Mallory owns a table whose triggers (row and statement, BEFORE and AFTER), column
default, CHECK constraint, index expression and domain CHECK all call escalators (they
log ``current_user`` and try ``ALTER ROLE mallory SUPERUSER``); she plants look-alike
operators and functions of the built-ins pggit calls in ``public`` and in her own
schema, which she puts first on her ``search_path``, and she gives branches, tags and
a resolution hostile text. Then every SECURITY DEFINER function of schema pggit is
called, by Mallory and again by a superuser whose ``search_path`` starts with
``public``: each call from ``CALLS`` (a definer function without an entry fails the
test, so a new one cannot arrive unprobed). A call may be refused; an internal error
(XX000) fails. Afterwards Mallory holds exactly what she held, and every escalator
and look-alike that ran, ran as Mallory, never with pggit's owner's rights nor with
the superuser's (whose own direct writes to her table are not made here: PostgreSQL
runs a table's triggers as whoever writes it, pggit or not).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sechelp import assert_not_escalated, role_state
from test_definer_audit import plant_look_alikes

# Calls marked MALLORY run in her pass only: the superuser writing her branch view is the
# superuser's own DML on her objects, which evaluates the view's defaults and domain checks
# with the superuser's rights, as writing her table would (PostgreSQL's rule, not pggit's).
MALLORY = "@mallory "
# Calls marked STALE run right after pggit's owner marked the stored OIDs stale (as a
# restore leaves them), so that the call really re-binds: re-describing Mallory's objects
# with the definer's rights is exactly what must not run her planted code.
STALE = "@stale "

# signature -> calls that reach it (formatted with {n}: the pass number, 1 for Mallory, 2 for the superuser)
CALLS: dict[str, list[str]] = {
    "pggit.generate_trinity_id()": ["SELECT pggit.generate_trinity_id()"],
    "pggit.commit_changes(text,text,text)": ["SELECT pggit.commit_changes('main', 'probe {n}')",
                                             "SELECT pggit.commit_changes('probe/c{n}', E'x\\n$$; ALTER ROLE x;')"],
    "pggit.create_branch(text,text)": ["SELECT pggit.create_branch('probe/b{n}')",
                                       "SELECT pggit.create_branch('probe/gone{n}')"],
    "pggit.delete_branch(text,boolean)": ["SELECT pggit.delete_branch('probe/gone{n}', true)"],
    "pggit.tag(text,text)": ["SELECT pggit.tag('probe-t{n}', 'main')", "SELECT pggit.tag('main', 'main')"],
    "pggit.on_ddl_command_end()": ["ALTER TABLE m_s.mt ADD COLUMN extra{n} int",
                                   "CREATE INDEX ON m_s.mt (m_s.esc_int(n))",
                                   "COMMENT ON TABLE m_s.mt IS 'probe {n}'"],
    "pggit.on_sql_drop()": ["ALTER TABLE m_s.mt DROP COLUMN extra{n}"],
    "pggit.record_owners()": ["GRANT SELECT ON m_s.mt TO PUBLIC", "REVOKE SELECT ON m_s.mt FROM PUBLIC"],
    # level 9: every call runs in a transaction the test opened (several messages), so its
    # DDL is settled at COMMIT; this one settles in the middle too
    "pggit.settle_pending()": ["ALTER TABLE m_s.mt ADD COLUMN settled{n} int; SELECT pggit.settle_pending();"
                               " COMMENT ON TABLE m_s.mt IS 'settled {n}'"],
    "pggit.pause_tracking(text)": ["SELECT pggit.pause_tracking('probe {n}')"],
    "pggit.resume_tracking()": ["SELECT pggit.resume_tracking()"],
    "pggit.settle_checkout(text[])": ["SELECT pggit.settle_checkout(ARRAY['ALTER ROLE x SUPERUSER'])"],
    "pggit.data_branch_create(oid,text,text)": ["SELECT pggit.create_data_branch('m_s.mt', 'main', 'probe/d{n}')"],
    "pggit.data_branch_install(bigint)": ["SELECT pggit.create_data_branch('m_s.mt', 'main', 'probe/i{n}')"],
    "pggit.data_table_install(oid)": ["SELECT pggit.create_data_branch('m_s.mt', 'main', 'probe/t{n}')"],
    "pggit.data_table_install(oid,bigint)": ["SELECT pggit.create_data_branch('m_s.mt', 'main', 'probe/u{n}')"],
    # level 9: a merge pauses the merged branch's capture on a table with no code of its own
    "pggit.data_branch_merge_capture(bigint,boolean)": [
        "SELECT * FROM pggit.merge_data_branch('m_s.mt', 'probe/u{n}')",
        "DO $$ BEGIN CREATE TABLE m_s.pc{n} (id pg_catalog.int4 PRIMARY KEY);"
        " PERFORM pggit.create_data_branch('m_s.pc{n}', 'main', 'probe/pc{n}');"
        " PERFORM pggit.merge_data_branch('m_s.pc{n}', 'probe/pc{n}'); END $$",
        "SELECT pggit.data_branch_merge_capture(d.id, true) FROM pggit.data_branches AS d"
        " WHERE d.relid OPERATOR(pg_catalog.=) 'm_s.mt'::pg_catalog.regclass"],
    "pggit.data_branch_lookup(oid,text)": ["SELECT * FROM pggit.diff_data_branch('m_s.mt', 'probe/d{n}')"],
    "pggit.data_table_sync(oid)": ["ALTER TABLE m_s.mt ADD COLUMN synced{n} int DEFAULT 7"],
    "pggit.data_branch_unmerged(bigint)": ["SELECT pggit.delete_branch('probe/i{n}')"],
    "pggit.data_branch_merge_begin(oid,text,text)": [
        MALLORY + 'UPDATE m_s."mt__probe/d{n}" SET v = \'branch {n}\', n = 6 WHERE id OPERATOR(pg_catalog.=) 1',
        MALLORY + 'INSERT INTO m_s."mt__probe/d{n}" (id, n) VALUES (10{n}, 5)',
        "SELECT * FROM pggit.merge_data_branch('m_s.mt', 'probe/d{n}', 'main', 'theirs')"],
    "pggit.data_branch_merge_record(bigint,text,text,jsonb,bigint,bigint,bigint,boolean)": [
        MALLORY + 'DELETE FROM m_s."mt__probe/d{n}" WHERE id OPERATOR(pg_catalog.=) 2',
        "SELECT * FROM pggit.merge_data_branch('m_s.mt', 'probe/d{n}')"],
    "pggit.data_branch_drop(oid,text)": ["SELECT pggit.drop_data_branch('m_s.mt', 'probe/t{n}')"],
    "pggit.on_data_sql_drop()": ['DROP VIEW m_s."mt__probe/d{n}"'],
    # level 6: re-binding after a (simulated) restore, called directly and through DDL
    "pggit.bind_oids()": [STALE + "SELECT pggit.bind_oids()", STALE + "ALTER TABLE m_s.mt ADD COLUMN rebound{n} int"],
    "pggit.merge_run(text,text,text)": ["SELECT * FROM pggit.merge('probe/b{n}', 'main')",
                                        "SELECT * FROM pggit.merge('probe/m{n}', 'main')"],
    "pggit.resolve_conflict(bigint,text)": [
        "SELECT pggit.resolve_conflict(c.id, 'CREATE VIEW m_s.mv AS SELECT 1 AS a; ALTER ROLE mallory SUPERUSER')"
        " FROM pggit.merge_conflicts AS c"
        " WHERE c.merge_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(id) FROM pggit.merges)",
        "SELECT pggit.resolve_conflict(c.id, 'theirs') FROM pggit.merge_conflicts AS c"
        " WHERE c.merge_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(id) FROM pggit.merges)"],
    "pggit.merge_continue_run(bigint)": [
        "SELECT r.* FROM pggit.merges AS m CROSS JOIN LATERAL pggit.merge_continue(m.id) AS r"
        " WHERE m.id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(id) FROM pggit.merges)"],
    "pggit.merge_abort(bigint)": [
        "SELECT pggit.merge_abort(m.id) FROM pggit.merges AS m"
        " WHERE m.id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(id) FROM pggit.merges)"],
}

ESCALATOR = """
CREATE FUNCTION m_s.{name}({args}) RETURNS {returns} LANGUAGE plpgsql {volatility} AS $esc$
BEGIN
    INSERT INTO public.sec_log (tag, current_role_name, session_role_name)
         VALUES ({tag}, current_user, session_user);
    BEGIN EXECUTE 'ALTER ROLE {author} SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
    {body}
END $esc$"""


def plant_table(conn: psycopg.Connection, author: str) -> None:
    """As ``author``: schema m_s with a table whose every piece of code is an escalator."""
    conn.execute("CREATE SCHEMA m_s")
    for name, args, returns, body in (
            ("esc_text", "", "text", "RETURN 'default';"),
            ("esc_log", "tag text", "boolean", "RETURN true;"),
            ("esc_trigger", "", "trigger", "RETURN CASE WHEN TG_LEVEL = 'ROW' AND TG_OP <> 'DELETE'"
                                           " THEN NEW ELSE OLD END;")):
        tag = "tag" if name == "esc_log" else f"'{name}'"
        conn.execute(ESCALATOR.format(name=name, args=args, returns=returns, volatility="VOLATILE",
                                      author=author, body=body, tag=tag))
    # CHECKs and index expressions need IMMUTABLE functions, which may not write: they call a volatile one
    conn.execute("CREATE FUNCTION m_s.esc_bool(x int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE"
                 " AS $f$ BEGIN RETURN m_s.esc_log('esc_bool'); END $f$")
    conn.execute("CREATE FUNCTION m_s.esc_int(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE"
                 " AS $f$ BEGIN PERFORM m_s.esc_log('esc_int'); RETURN x; END $f$")
    conn.execute("CREATE DOMAIN m_s.checked AS int CHECK (m_s.esc_bool(VALUE))")
    conn.execute("CREATE TABLE m_s.mt (id int PRIMARY KEY, v text DEFAULT m_s.esc_text(),"
                 " n m_s.checked CHECK (m_s.esc_bool(n)))")
    conn.execute("CREATE INDEX mt_expr ON m_s.mt (m_s.esc_int(n))")
    for when in ("BEFORE", "AFTER"):
        for level in ("ROW", "STATEMENT"):
            conn.execute(f"CREATE TRIGGER mt_{when}_{level} {when} INSERT OR UPDATE OR DELETE ON m_s.mt"
                         f" FOR EACH {level} EXECUTE FUNCTION m_s.esc_trigger()")
    conn.execute("INSERT INTO m_s.mt (id, n) SELECT g, g FROM generate_series(1, 5) AS g")
    conn.execute("GRANT USAGE ON SCHEMA m_s TO PUBLIC")
    conn.execute("GRANT SELECT ON m_s.mt TO PUBLIC")


def diverge(conn: psycopg.Connection, n: int) -> None:
    """Two branches that changed one view differently: a conflict for resolve_conflict and merge_continue."""
    conn.execute(f"SELECT pggit.create_branch('probe/m{n}')")
    conn.execute(f"SELECT pggit.checkout('probe/m{n}')")
    conn.execute("CREATE OR REPLACE VIEW m_s.mv AS SELECT 2 AS a")
    conn.execute(f"SELECT pggit.commit_changes('probe/m{n}', 'theirs')")
    conn.execute("SELECT pggit.checkout('main')")
    conn.execute("CREATE OR REPLACE VIEW m_s.mv AS SELECT 3 AS a")
    conn.execute("SELECT pggit.commit_changes('main', 'ours')")


@pytest.mark.pggit_level(min=5)
def test_no_definer_function_lends_its_rights_to_planted_code(
        admin: psycopg.Connection, sec_dsn: str, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    definers = sorted(r[0] for r in admin.execute(
        "SELECT p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc AS p"
        " WHERE p.pronamespace = 'pggit'::pg_catalog.regnamespace AND p.prosecdef"))
    mallory = make_role("pggit_reader")
    admin.execute(f"GRANT CREATE ON DATABASE {admin.info.dbname} TO {mallory}")
    m = connect_as(mallory)
    plant_table(m, mallory)
    m.execute("CREATE VIEW m_s.mv AS SELECT 1 AS a")
    m.execute("SELECT pggit.commit_changes('main', 'mallory base')")
    assert plant_look_alikes(m, mallory, "public") > 40
    assert plant_look_alikes(m, mallory, "m_s") > 40
    m.execute("SET search_path = m_s, public, pg_catalog")
    admin.execute("DELETE FROM public.sec_log")
    before = role_state(admin, mallory)
    superuser = psycopg.connect(sec_dsn, autocommit=True)
    superuser.execute("SET search_path = public, m_s, pg_catalog")
    outcomes: dict[str, str] = {}
    try:
        for n, conn in ((1, m), (2, superuser)):
            diverge(conn, n)
            for function, calls in CALLS.items():
                for call in calls:
                    if call.startswith(MALLORY) and conn is not m:
                        continue
                    statement = call.removeprefix(MALLORY).removeprefix(STALE).format(n=n)
                    stale = call.startswith(STALE) and admin.execute(
                        "SELECT to_regclass('pggit.instance') IS NOT NULL").fetchone()[0]  # level 6 on
                    if stale:
                        admin.execute("UPDATE pggit.instance SET anchor = 0")
                    try:
                        with conn.transaction():
                            conn.execute(statement)
                        outcomes[f"{n} {statement}"] = "ok"
                        if stale:  # the probe reached a real re-binding
                            assert admin.execute("SELECT pggit.oids_current()").fetchone() == (True,), statement
                    except psycopg.Error as exc:
                        outcomes[f"{n} {statement}"] = f"{exc.sqlstate} {str(exc).splitlines()[0]}"
                        assert exc.sqlstate != "XX000", (function, statement, str(exc))
            # the transaction of each call is over: nothing planted ran with more than Mallory's rights
            ran = admin.execute("SELECT DISTINCT tag, current_role_name FROM public.sec_log"
                                " WHERE current_role_name <> %s ORDER BY 1", (mallory,)).fetchall()
            assert ran == [], f"pass {n}: planted code ran with another role's rights: {ran}"
    finally:
        superuser.close()
    assert_not_escalated(admin, mallory, before, owned_may_change=True)
    # the probes reached the code they aim at: Mallory's table code ran (as Mallory) during the merges
    assert admin.execute("SELECT count(*) FROM public.sec_log WHERE tag = 'esc_trigger'").fetchone()[0] > 0, outcomes
    ok = sorted(k for k, v in outcomes.items() if v == "ok")
    assert any("merge_data_branch" in k for k in ok), outcomes
    assert any("create_data_branch" in k for k in ok), outcomes
    assert any("merge_continue" in k for k in ok), outcomes  # a conflicted merge was resolved and completed
    assert [f for f in definers if f not in CALLS] == [], "SECURITY DEFINER functions without a probe in CALLS"
