"""Audit of pggit's functions against search_path attacks (issue 11, item 7).

(a) Every SECURITY DEFINER function of pggit and pggit_data pins a trusted search_path
    (read from pg_proc: a new one without it fails here).
(b) Every function resolved with the caller's search_path (no pinned search_path) is
    run, directly and through the event triggers, by a *superuser* whose search_path
    puts ``public`` first, after an ordinary role planted look-alike operators and
    functions there (each logs, tries ``ALTER ROLE <author> SUPERUSER`` and then
    returns what the built-in would): none of them may run.  A function without a
    pinned search_path that this module does not know how to call fails the test, so
    a new one gets audited.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import psycopg.sql
import pytest
from sechelp import assert_not_escalated, ran_as, role_state

# Operators a body may resolve by search_path: (operator, left, right, result).
OPERATORS = [
    *[(op, "text", "text", "boolean") for op in ("=", "<>", "~", "~~", "!~", "<", ">", "<=", ">=")],
    ("||", "text", "text", "text"),
    *[(op, "name", "name", "boolean") for op in ("=", "<>")],
    ("=", "name", "text", "boolean"), ("=", "text", "name", "boolean"),
    *[(op, "oid", "oid", "boolean") for op in ("=", "<>")],
    *[(op, "integer", "integer", "boolean") for op in ("=", "<>", "<", ">", "<=", ">=")],
    *[(op, "integer", "integer", "integer") for op in ("+", "-")],
    *[(op, "bigint", "bigint", "boolean") for op in ("=", "<>", "<", ">")],
    *[(op, "bigint", "bigint", "bigint") for op in ("+", "-")],
    ("=", "jsonb", "jsonb", "boolean"), ("->>", "jsonb", "text", "text"), ("->", "jsonb", "text", "jsonb"),
    ("->>", "jsonb", "integer", "text"), ("||", "jsonb", "jsonb", "jsonb"), ("=", "boolean", "boolean", "boolean"),
]

# Built-in functions pggit's bodies call, planted with the same argument types (no
# polymorphic or internal ones: those cannot be written in PL/pgSQL as look-alikes).
_BUILTINS = """
SELECT DISTINCT p.proname, pg_get_function_identity_arguments(p.oid), format_type(p.prorettype, NULL),
       p.pronargs
  FROM pg_proc AS p
 WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
   AND p.proname = ANY(%s) AND p.proallargtypes IS NULL AND p.pronargs > 0
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) AS a(t)
                    WHERE t IN ('internal'::regtype, 'cstring'::regtype, '"any"'::regtype)
                       OR format_type(t, NULL) LIKE 'any%%')
   AND pg_get_function_identity_arguments(p.oid) NOT LIKE '%%VARIADIC%%'
   AND p.prorettype NOT IN ('internal'::regtype, 'trigger'::regtype, 'event_trigger'::regtype,
                            'cstring'::regtype)
   AND format_type(p.prorettype, NULL) NOT LIKE 'any%%'
"""

# The functions of pggit resolved with the caller's search_path, and a call of each
# (run by the superuser).  Placeholders: {t} the probe table, {b} a data branch name.
UNPINNED_CALLS: dict[str, list[str]] = {
    "pggit.base36_pairs()": ["SELECT pggit.base36_pairs()"],
    "pggit.branch_name_violation(text)": [
        "SELECT pggit.branch_name_violation(x) FROM unnest(ARRAY['ok/x', 'a b', '', 'a..b', '@', '-x', 'x.lock',"
        " 'x/', '.x', 'a~b', E'a\\x01b']) AS x"],
    "pggit.is_tracked_schema(name)": ["SELECT pggit.is_tracked_schema(x) FROM unnest(ARRAY['public', 'pggit',"
                                      " 'pg_catalog', 'pggit_data', 'pggit_foo']::name[]) AS x"],
    "pggit.tracking_paused()": ["SELECT pggit.tracking_paused()"],
    "pggit.restoring()": ["SELECT pggit.restoring()"],
    "pggit.oids_current()": ["SELECT pggit.oids_current()"],
    "pggit.ready_to_record()": ["SELECT pggit.ready_to_record()"],
    "pggit.version_in_transaction(text)": ["SELECT * FROM pggit.version_in_transaction('{t}')"],
    "pggit.settled_version(text)": ["SELECT * FROM pggit.settled_version('{t}')"],
    "pggit.instance_anchor()": ["SELECT pggit.instance_anchor()"],
    "pggit.current_branch()": ["SELECT pggit.current_branch()"],
    "pggit.pool_stamp()": ["SELECT pggit.pool_stamp()",
                           "SELECT pg_catalog.set_config('pggit.pool_mode', 'statement', true), pggit.pool_stamp()"],
    "pggit.scoped_setting(text)": ["SELECT pggit.scoped_setting('pggit.branch')",
                                   "SELECT pg_catalog.set_config('pggit.pool_mode', 'transaction', true),"
                                   " pggit.scoped_setting('pggit.tracking')"],
    "pggit.tree_entry_line(text,text,text)": ["SELECT pggit.tree_entry_line('table', 'public.x', 'abc')"],
    "pggit.tree_bucket(text)": ["SELECT pggit.tree_bucket('public.x')"],
    "pggit.statement_text(text)": ["SELECT pggit.statement_text('SELECT')",
                                   "SELECT 1; SELECT pggit.statement_text('SELECT')"],
    "pggit.get_version(text)": ["SELECT * FROM pggit.get_version('{t}')"],
    "pggit.resolve_object(text)": ["SELECT * FROM pggit.resolve_object('{t}')",
                                   "SELECT * FROM pggit.resolve_object('public.audit_f(integer)')"],
    "pggit.calculate_schema_hash(text)": ["SELECT pggit.calculate_schema_hash('{t}')"],
    "pggit.data_table_oid(text)": ["SELECT pggit.data_table_oid('{t}')"],
    "pggit.create_data_branch(text,text,text)": ["SELECT pggit.create_data_branch('{t}', 'main', '{b}')"],
    "pggit.diff_data_branch(text,text)": ["SELECT * FROM pggit.diff_data_branch('{t}', '{b}')"],
    "pggit.merge_data_branch(text,text,text,text)": [
        "SELECT * FROM pggit.merge_data_branch('{t}', '{b}', 'main', 'theirs')"],
    "pggit.drop_data_branch(text,text)": ["SELECT pggit.drop_data_branch('{t}', '{b}')"],
    # SQL-standard bodies (RETURN ...): names are bound when the function is created
    "pggit.comment_lines(text)": [r"SELECT pggit.comment_lines(E'a\nb\r\nc')"],
    "pggit.uncomment_lines(text)": [r"SELECT pggit.uncomment_lines(E'-- a\n-- b')"],
}

# DDL and API the superuser runs with the hostile search_path (the event triggers fire).
DDL_AND_API = [
    "CREATE TABLE public.audit_t (id int PRIMARY KEY, v text DEFAULT 'x', n numeric)",
    "INSERT INTO public.audit_t VALUES (1, 'a', 1), (2, 'b', 2)",
    "ALTER TABLE public.audit_t ADD COLUMN w int",
    "CREATE INDEX audit_t_v ON public.audit_t (v)",
    "CREATE VIEW public.audit_v AS SELECT id, v FROM public.audit_t",
    "CREATE FUNCTION public.audit_f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1'",
    "CREATE SCHEMA audit_s",
    "CREATE TYPE public.audit_e AS ENUM ('a', 'b')",
    "COMMENT ON TABLE public.audit_t IS 'c'",
    "SELECT pggit.commit_changes('main', 'audit')",
    "SELECT pggit.create_branch('audit/b')",
    "SELECT * FROM pggit.log('main', 5)",
    "SELECT * FROM pggit.status('main')",
    "SELECT pggit.show((SELECT hash FROM pggit.commits ORDER BY committed_at DESC LIMIT 1))",
    "SELECT * FROM pggit.schema_at('main')",
    "SELECT * FROM pggit.diff('main', 'WORKING')",
    "SELECT * FROM pggit.generate_migration('main', 'WORKING')",
    "ALTER TABLE public.audit_t RENAME COLUMN n TO m",
    "DROP VIEW public.audit_v",
    "DROP INDEX public.audit_t_v",
    "SELECT pggit.pause_tracking('audit')",
    "CREATE TABLE public.audit_paused (id int)",
    "SELECT pggit.resume_tracking()",
    "SELECT pggit.commit_changes('main', 'audit 2')",
]


def unpinned_functions(conn: psycopg.Connection) -> list[str]:
    """pggit's functions (not trigger functions) that run with the caller's search_path."""
    return [r[0] for r in conn.execute("""
        SELECT p.oid::regprocedure::text
          FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('pggit', 'pggit_data')
           AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
           AND NOT EXISTS (SELECT FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%')
         ORDER BY 1""")]


def called_builtins(conn: psycopg.Connection) -> list[str]:
    """Names that appear as calls in the bodies of pggit's functions."""
    import re
    sources = " ".join(r[0] for r in conn.execute(
        "SELECT prosrc FROM pg_proc WHERE pronamespace IN ('pggit'::regnamespace)"))
    return sorted(set(re.findall(r"(?:pg_catalog\.)?([a-z_][a-z0-9_]*)\s*\(", sources)))


def plant_look_alikes(conn: psycopg.Connection, author: str, schema: str = "public") -> int:
    """As ``conn``'s role: look-alike operators and functions in ``schema`` that log and escalate.

    Each returns what the built-in returns, so a caller that reaches one goes on.
    """
    count = 0
    for op, left, right, result in OPERATORS:
        fn = f"{schema}.sec_op_{count}"
        conn.execute(f"""
            CREATE FUNCTION {fn}(a {left}, b {right}) RETURNS {result} LANGUAGE plpgsql AS $f$
            BEGIN
                INSERT INTO public.sec_log (tag, current_role_name, session_role_name)
                     VALUES ('operator {op} ({left}, {right})', current_user, session_user);
                BEGIN EXECUTE 'ALTER ROLE {author} SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
                RETURN a OPERATOR(pg_catalog.{op}) b;
            END $f$""")
        conn.execute(f"CREATE OPERATOR {schema}.{op} (LEFTARG = {left}, RIGHTARG = {right}, FUNCTION = {fn})")
        count += 1
    for name, args, result, nargs in conn.execute(_BUILTINS, (called_builtins(conn),)).fetchall():
        ident = psycopg.sql.Identifier(name).as_string(conn)
        params = ", ".join(f"${i}" for i in range(1, nargs + 1))
        try:
            with conn.transaction():
                conn.execute(f"""
                    CREATE FUNCTION {schema}.{ident}({args}) RETURNS {result} LANGUAGE plpgsql AS $f$
                    BEGIN
                        INSERT INTO public.sec_log (tag, current_role_name, session_role_name)
                             VALUES ({psycopg.sql.quote(f'function {name}({args})')}, current_user, session_user);
                        BEGIN EXECUTE 'ALTER ROLE {author} SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
                        RETURN pg_catalog.{ident}({params});
                    END $f$""")
        except psycopg.Error:
            continue  # e.g. a name PostgreSQL's grammar reserves
        count += 1
    return count


def hostile_superuser(sec_dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(sec_dsn, autocommit=True)
    conn.execute("SET search_path = public, pg_catalog")  # public first: the look-alikes win
    return conn


@pytest.mark.pggit_level(min=5)
def test_planted_look_alikes_never_run_for_a_superuser(
        admin: psycopg.Connection, sec_dsn: str, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    before = role_state(admin, mallory)
    unpinned = unpinned_functions(admin)
    unknown = [f for f in unpinned if f not in UNPINNED_CALLS]
    assert unknown == [], f"functions resolved with the caller's search_path that this audit does not call: {unknown}"
    planted = plant_look_alikes(connect_as(mallory), mallory)
    assert planted > 60
    calls = [*DDL_AND_API,
             *(call.format(t="public.audit_t", b="audit/b")
               for function in UNPINNED_CALLS if function in unpinned  # in this order (branch made first)
               for call in UNPINNED_CALLS[function]),
             "ALTER TABLE public.audit_t ADD COLUMN z text", "DROP TABLE public.audit_paused",
             "SELECT pggit.commit_changes('main', 'audit 3')"]
    reached: list[tuple[str, list[str]]] = []
    with hostile_superuser(sec_dsn) as su:
        for call in calls:
            su.execute(call)
            tags = [r[0] for r in admin.execute("DELETE FROM public.sec_log RETURNING tag")]
            if tags:
                reached.append((call, sorted(set(tags))))
    assert reached == []
    assert_not_escalated(admin, mallory, before, owned_may_change=True)
    # control: the superuser's own unqualified operators do reach the look-alikes
    with hostile_superuser(sec_dsn) as su:
        su.execute("SELECT 'a'::text = 'b'::text")
    assert ran_as(admin, "operator = (text, text)") != []
    admin.execute(f"ALTER ROLE {mallory} NOSUPERUSER")
