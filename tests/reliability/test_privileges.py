"""Privileges: no history-rewriting path for ordinary roles, pinned search_path, documented roles.

- every SECURITY DEFINER function (pggit's, and the generated ones in pggit_data) pins
  search_path to trusted schemas only, pg_temp last;
- an ordinary role (no grants) and a member of pggit_writer and of pggit_admin cannot
  INSERT, UPDATE, DELETE or TRUNCATE any table of pggit or pggit_data, nor alter, drop
  or create objects there; invoker helpers that write pggit's tables fail for them;
- look-alike functions and operators planted in public and in a user schema, with
  pg_catalog put last on the caller's search_path, are never called by the API;
- before sql/grants/roles.sql every role may commit and read (level 1's contract);
  after it, a role without pggit roles can only read, pggit_writer can commit and
  branch but not pause tracking, pggit_admin can; at every level no VOLATILE function
  of pggit (trigger functions aside) is left executable by PUBLIC, and each writing
  function of the level is executable by its role;
- a database where roles.sql ran at level 3, migrated to head by `pggit-sql migrate`
  (which runs roles.sql again) and rolled back to 3, keeps those grants.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pggit_sql.testing import invariants

ROLES_SQL = Path(__file__).resolve().parents[2] / "sql" / "grants" / "roles.sql"
TRUSTED_PATHS = {"pg_catalog, pggit, pg_temp", "pg_catalog, pg_temp"}
# Internal writers of pggit's tables: not executable by ordinary roles (or failing on the tables).
HELPERS = [("pggit.tree_apply(text[],bigint[])", "SELECT pggit.tree_apply(NULL, '{}')"),
           ("pggit.tree_write(text[],text[],text[],text[])", "SELECT pggit.tree_write(NULL, '{}', '{}', '{}')"),
           ("pggit.data_table_install(oid)", "SELECT pggit.data_table_install('priv_t'::regclass)"),
           ("pggit.data_table_install(oid,bigint)", "SELECT pggit.data_table_install('priv_t'::regclass, NULL)"),
           ("pggit.data_branch_install(bigint)", "SELECT pggit.data_branch_install(1)"),
           ("pggit.track_object(oid,oid,text,text,text)",
            "SELECT pggit.track_object('pg_class'::regclass, 'priv_t'::regclass, 'CREATE TABLE')")]
PLAIN, WRITER, ADMIN = "pggit_test_plain", "pggit_test_writer", "pggit_test_admin"


def as_role(dsn: str, role: str) -> psycopg.Connection:
    params = conninfo_to_dict(dsn)
    params["user"] = role
    return psycopg.connect(make_conninfo(**params), autocommit=True)


def ensure_role(conn: psycopg.Connection, role: str, member_of: str | None = None) -> None:
    conn.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} LOGIN; END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")
    if member_of:
        conn.execute(f"GRANT {member_of} TO {role}")


def sqlstate_of(conn: psycopg.Connection, statement: str, params: tuple[object, ...] = ()) -> str | None:
    try:
        with conn.transaction():
            conn.execute(statement, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def with_data_branch(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE priv_t (id int PRIMARY KEY, v text)")
    conn.execute("INSERT INTO priv_t VALUES (1, 'a')")
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    if conn.execute("SELECT to_regprocedure('pggit.create_data_branch(text,text,text)')").fetchone() != (None,):
        conn.execute("SELECT pggit.create_data_branch('priv_t', 'main', 'f')")


@pytest.mark.pggit_level(min=1)
def test_every_security_definer_function_pins_a_trusted_search_path(pggit_conn: psycopg.Connection) -> None:
    with_data_branch(pggit_conn)
    rows = pggit_conn.execute("""
        SELECT p.oid::regprocedure::text,
               (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) AS c
                 WHERE c LIKE 'search_path=%')
          FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
         WHERE p.prosecdef AND n.nspname IN ('pggit', 'pggit_data')""").fetchall()
    assert rows
    bad = [(name, path) for name, path in rows if path not in TRUSTED_PATHS]
    assert bad == []


@pytest.mark.pggit_level(min=1)
def test_ordinary_roles_cannot_rewrite_history(pggit_conn: psycopg.Connection, pggit_dsn: str) -> None:
    with_data_branch(pggit_conn)
    pggit_conn.execute(ROLES_SQL.read_text())
    ensure_role(pggit_conn, PLAIN)
    ensure_role(pggit_conn, WRITER, "pggit_writer")
    ensure_role(pggit_conn, ADMIN, "pggit_admin")
    tables = [r[0] for r in pggit_conn.execute("""
        SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('pggit', 'pggit_data') AND c.relkind IN ('r', 'p') ORDER BY 1""")]
    assert "pggit.commits" in tables and "pggit.branches" in tables
    before = pggit_conn.execute("SELECT count(*), max(hash) FROM pggit.commits").fetchone()
    for role in (PLAIN, WRITER, ADMIN):
        with as_role(pggit_dsn, role) as conn:
            for table in tables:
                for statement in (f"UPDATE {table} SET {first_column(pggit_conn, table)} = NULL",
                                  f"DELETE FROM {table}", f"TRUNCATE {table}",
                                  f"INSERT INTO {table} DEFAULT VALUES",
                                  f"ALTER TABLE {table} ADD COLUMN x int", f"DROP TABLE {table}"):
                    assert sqlstate_of(conn, statement) == "42501", (role, statement)
            assert sqlstate_of(conn, "CREATE TABLE pggit.mine (id int)") == "42501"
            for signature, call in HELPERS:
                if conn.execute("SELECT to_regprocedure(%s)", (signature,)).fetchone() != (None,):
                    assert sqlstate_of(conn, call) == "42501", (role, call)
    assert pggit_conn.execute("SELECT count(*), max(hash) FROM pggit.commits").fetchone() == before
    assert invariants.problems(pggit_conn) == []


def first_column(conn: psycopg.Connection, table: str) -> str:
    row = conn.execute("SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                       " AND NOT attisdropped AND attidentity = '' AND attgenerated = ''"
                       " ORDER BY attnum LIMIT 1", (table,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.mark.pggit_level(min=1)
def test_unprivileged_role_before_and_after_the_roles_script(pggit_conn: psycopg.Connection, pggit_dsn: str) -> None:
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'base')")
    ensure_role(pggit_conn, PLAIN)
    ensure_role(pggit_conn, WRITER, "pggit_writer") if role_exists(pggit_conn, "pggit_writer") else None
    with as_role(pggit_dsn, PLAIN) as conn:  # level 1's contract: every role may commit and read
        assert sqlstate_of(conn, "SELECT pggit.commit_changes('main', 'by anyone')") is None
        assert conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == (2,)
    pggit_conn.execute(ROLES_SQL.read_text())
    pggit_conn.execute(ROLES_SQL.read_text())  # idempotent
    assert grant_problems(pggit_conn) == []
    ensure_role(pggit_conn, WRITER, "pggit_writer")
    ensure_role(pggit_conn, ADMIN, "pggit_admin")
    has_tracking = pggit_conn.execute("SELECT to_regprocedure('pggit.pause_tracking(text)')").fetchone() != (None,)
    has_branches = pggit_conn.execute("SELECT to_regprocedure('pggit.create_branch(text,text)')").fetchone() != (None,)
    with as_role(pggit_dsn, PLAIN) as conn:
        assert conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == (2,)  # reading stays open
        assert sqlstate_of(conn, "SELECT pggit.commit_changes('main', 'refused')") == "42501"
        assert sqlstate_of(conn, "SELECT pggit.generate_trinity_id()") == "42501"
        if has_branches:
            assert sqlstate_of(conn, "SELECT pggit.create_branch('nope')") == "42501"
            assert sqlstate_of(conn, "SELECT pggit.delete_branch('main')") == "42501"
        if has_tracking:
            assert sqlstate_of(conn, "SELECT pggit.pause_tracking()") == "42501"
    with as_role(pggit_dsn, WRITER) as conn:
        assert sqlstate_of(conn, "SELECT pggit.commit_changes('main', 'by a writer')") is None
        if has_branches:
            assert sqlstate_of(conn, "SELECT pggit.create_branch('w1')") is None
            assert sqlstate_of(conn, "SELECT pggit.delete_branch('w1')") is None
        if has_tracking:
            assert sqlstate_of(conn, "SELECT pggit.pause_tracking()") == "42501"
    with as_role(pggit_dsn, ADMIN) as conn:
        assert sqlstate_of(conn, "SELECT pggit.commit_changes('main', 'by an admin')") is None
        if has_tracking:
            assert sqlstate_of(conn, "SELECT pggit.pause_tracking('maintenance')") is None
            assert sqlstate_of(conn, "SELECT pggit.resume_tracking()") is None
    assert pggit_conn.execute("SELECT count(*) FROM pggit.commits WHERE message = 'refused'").fetchone() == (0,)
    assert invariants.problems(pggit_conn) == []


# What roles.sql promises, function name -> role (functions a level lacks are skipped).
WRITING = {name: "pggit_writer" for name in (
    "commit_changes", "create_branch", "delete_branch", "checkout", "generate_trinity_id",
    "create_data_branch", "data_branch_create", "merge_data_branch", "data_branch_merge",
    "drop_data_branch", "data_branch_drop",
    "tag", "merge", "resolve_conflict", "merge_continue", "merge_abort", "apply_migration", "revert",
    "settle_checkout", "merge_run", "merge_continue_run",
    "data_act_as_owner", "data_branch_merge_begin", "data_branch_merge_record", "data_table_sync",
    "data_branch_merge_capture")} | {
    "pause_tracking": "pggit_admin", "resume_tracking": "pggit_admin",
                           "diff_data_branch": "pggit_reader", "data_branch_diff": "pggit_reader"}


# VOLATILE and executable by PUBLIC on purpose (level 6): invoker code running as any
# role calls them (the data-branch event triggers run as whoever runs the DDL;
# data_table_oid resolves the table for every data-branch function, diff included), and
# all they may write is pggit's re-binding of its own stored OIDs to the catalog.
# Level 9: the readers settle the calling transaction's own pending DDL first (and so are
# VOLATILE); settling writes history only for that transaction's own statements.
# Level 10: set_scoped_setting, which checkout calls with the caller's rights, sets only
# the caller's own pggit.branch / pggit.tracking, which SET can set as well.
PUBLIC_BY_DESIGN = {"bind_oids", "ready_to_record", "data_table_oid",
                    "settle_pending", "settled_version", "log", "show", "status", "diff", "schema_at",
                    "generate_migration", "migration_plan", "table_state", "set_scoped_setting"}


def grant_problems(conn: psycopg.Connection) -> list[str]:
    """Differences from roles.sql's promise in this database, as readable lines."""
    problems = []
    for fn, name, volatile, trigger in conn.execute("""
            SELECT p.oid::regprocedure::text, p.proname, p.provolatile = 'v',
                   p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype)
              FROM pg_proc AS p WHERE p.pronamespace = 'pggit'::regnamespace"""):
        public = conn.execute("SELECT has_function_privilege('public', %s::regprocedure, 'EXECUTE')",
                              (fn,)).fetchone()[0]
        if name in WRITING:
            direct = conn.execute("""
                SELECT EXISTS (SELECT FROM pg_proc AS p, aclexplode(p.proacl) AS a
                                WHERE p.oid = %s::regprocedure AND a.privilege_type = 'EXECUTE'
                                  AND a.grantee = %s::regrole)""", (fn, WRITING[name])).fetchone()[0]
            if public or not direct:
                problems.append(f"{fn}: PUBLIC {public}, {WRITING[name]} {direct}")
        elif volatile and not trigger and public and name not in PUBLIC_BY_DESIGN:
            problems.append(f"{fn}: VOLATILE, executable by PUBLIC, not in roles.sql")
    return problems


def role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (1,)


# --------------------------------------------------------------------------- planted look-alikes

# Built-in functions pggit's bodies call, planted with the same argument types.
_PLANT_FUNCTIONS = """
SELECT DISTINCT p.proname, pg_get_function_identity_arguments(p.oid), format_type(p.prorettype, NULL)
  FROM pg_proc AS p
 WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
   AND p.proname = ANY(%s) AND p.proallargtypes IS NULL
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) AS a(t)
                    WHERE t IN ('internal'::regtype, 'cstring'::regtype, '"any"'::regtype)
                       OR format_type(t, NULL) LIKE 'any%%')
   AND pg_get_function_identity_arguments(p.oid) NOT LIKE '%%VARIADIC%%'
   AND p.prorettype NOT IN ('internal'::regtype, 'trigger'::regtype, 'event_trigger'::regtype)
   AND format_type(p.prorettype, NULL) NOT LIKE 'any%%'
"""
_OPERATORS = [("=", "text"), ("<>", "text"), ("||", "text"), ("~", "text"), ("=", "name"), ("=", "oid"),
              ("=", "bigint"), ("<", "text"), (">", "text"), ("=", "jsonb"), ("-", "jsonb")]


def called_names(conn: psycopg.Connection) -> list[str]:
    """Names of pg_catalog functions that appear as calls in pggit's function bodies."""
    sources = " ".join(r[0] for r in conn.execute(
        "SELECT prosrc FROM pg_proc WHERE pronamespace = 'pggit'::regnamespace"))
    words = set(re.findall(r"(?:pg_catalog\.)?([a-z_][a-z0-9_]*)\s*\(", sources))
    return sorted(words)


def plant(conn: psycopg.Connection, schema: str) -> int:
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO PUBLIC")
    count = 0
    for name, args, result in conn.execute(_PLANT_FUNCTIONS, (called_names(conn),)).fetchall():
        conn.execute(f"""CREATE OR REPLACE FUNCTION {schema}.{psycopg.sql.Identifier(name).as_string(conn)}({args})
            RETURNS {result} LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
            BEGIN INSERT INTO public.planted_calls VALUES ({psycopg.sql.Literal(schema + '.' + name).as_string(conn)});
                  RETURN{'' if result == 'void' else ' NULL'}; END $f$""")
        count += 1
    for op, type_ in _OPERATORS:
        fn = f"{schema}.op_{count}"
        returns = "boolean" if op in ("=", "<>", "~", "<", ">") else type_
        conn.execute(f"""CREATE FUNCTION {fn}(a {type_}, b {type_}) RETURNS {returns}
                         LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
            BEGIN INSERT INTO public.planted_calls VALUES ('{schema} operator {op} {type_}'); RETURN NULL; END $f$""")
        conn.execute(f"CREATE OPERATOR {schema}.{op} (LEFTARG = {type_}, RIGHTARG = {type_}, FUNCTION = {fn})")
        count += 1
    return count


@pytest.mark.pggit_level(min=1)
def test_planted_look_alikes_are_never_called(pggit_conn: psycopg.Connection, pggit_dsn: str) -> None:
    conn = pggit_conn
    conn.execute("CREATE TABLE public.planted_calls (what text)")
    conn.execute("GRANT INSERT, SELECT ON public.planted_calls TO PUBLIC")
    conn.execute("CREATE SCHEMA usr")
    conn.execute("CREATE TABLE usr.lk (id int PRIMARY KEY, v text)")
    conn.execute("INSERT INTO usr.lk VALUES (1, 'a'), (2, 'b')")
    ensure_role(conn, PLAIN)
    conn.execute(f"ALTER TABLE usr.lk OWNER TO {PLAIN}")
    conn.execute(f"GRANT USAGE, CREATE ON SCHEMA usr TO {PLAIN}")
    planted = plant(conn, "public") + plant(conn, "usr")
    assert planted > 40
    has_branches = conn.execute("SELECT to_regprocedure('pggit.create_branch(text,text)')").fetchone() != (None,)
    has_tracking = conn.execute("SELECT to_regprocedure('pggit.get_version(text)')").fetchone() != (None,)
    # from level 5 status and show return statement text: pggit_reader members only
    reads_secrets = conn.execute("SELECT split_part(obj_description('pggit'::regnamespace), ' ', 3)::int < 5"
                                 ).fetchone() == (True,)
    if not reads_secrets:
        conn.execute(f"GRANT pggit_reader TO {PLAIN}")
    try:
        run_planted_api(pggit_dsn, has_tracking, has_branches)
    finally:
        if not reads_secrets:
            conn.execute(f"REVOKE pggit_reader FROM {PLAIN}")
    assert conn.execute("SELECT what FROM public.planted_calls").fetchall() == []
    assert invariants.problems(conn) == []
    with as_role(pggit_dsn, PLAIN) as user:  # control: unqualified calls of the caller do reach the look-alikes
        user.execute("SET search_path = usr, public, pg_catalog")
        user.execute("SELECT lower('X'::text), 'a'::text = 'b'::text")
    assert {r[0] for r in conn.execute("SELECT what FROM public.planted_calls")} == {"usr.lower", "usr operator = text"}


def run_planted_api(pggit_dsn: str, has_tracking: bool, has_branches: bool) -> None:
    with as_role(pggit_dsn, PLAIN) as user:
        user.execute("SET search_path = usr, public, pg_catalog")  # pg_catalog last: look-alikes first
        head = user.execute("SELECT pggit.commit_changes('main', 'planted')").fetchone()
        user.execute("SELECT pggit.commit_changes('feature/p', 'planted too')")
        user.execute("SELECT * FROM pggit.increment_version(1, 2, 3, 'Major')")
        user.execute("SELECT pggit.is_valid_branch_name('x/y'), pggit.is_valid_trinity_id('nope')")
        if has_tracking:
            user.execute("ALTER TABLE usr.lk ADD COLUMN w int")
            user.execute("SELECT * FROM pggit.get_version('usr.lk')")
            user.execute("SELECT pggit.calculate_schema_hash('usr.lk')")
            user.execute("SELECT * FROM pggit.status('main')")
            user.execute("SELECT * FROM pggit.log('main', 5)")
            user.execute("SELECT pggit.show(%s)", (head[0],))  # type: ignore[index]
            user.execute("SELECT pggit.commit_changes('main', 'after alter')")
        if has_branches:
            user.execute("SELECT pggit.create_branch('pl')")
            relation = user.execute("SELECT pggit.create_data_branch('lk', 'main', 'pl')").fetchone()[0]  # type: ignore[index]
            user.execute(f'UPDATE usr."{relation}" SET w = 5 WHERE id OPERATOR(pg_catalog.=) 1')
            user.execute("SELECT * FROM pggit.diff_data_branch('lk', 'pl')").fetchall()
            user.execute("SELECT * FROM pggit.merge_data_branch('lk', 'pl', 'main', 'theirs')").fetchall()
            user.execute("SELECT pggit.drop_data_branch('lk', 'pl')")
            user.execute("SELECT pggit.delete_branch('pl')")
            user.execute("SELECT * FROM pggit.branch_list").fetchall()


# --------------------------------------------------------------------------- level 4 and migrations

LEVEL4_CALLS = ["SELECT pggit.tag('t1', 'main')", "SELECT * FROM pggit.merge('main', 'main')",
                "SELECT pggit.resolve_conflict(1, 'ours')", "SELECT * FROM pggit.merge_continue(1)",
                "SELECT pggit.checkout('main', apply => true)", "SELECT pggit.settle_checkout()",
                "SELECT pggit.apply_migration('main', false)", "SELECT pggit.revert('main')"]


@pytest.mark.pggit_level(min=4)
def test_level_4_writing_functions_need_pggit_writer(pggit_conn: psycopg.Connection, pggit_dsn: str) -> None:
    pggit_conn.execute("CREATE TABLE priv_r (id int)")
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'base')")
    pggit_conn.execute(ROLES_SQL.read_text())
    ensure_role(pggit_conn, PLAIN)
    ensure_role(pggit_conn, WRITER, "pggit_writer")
    pggit_conn.execute("CREATE TABLE priv_s (id int)")
    pggit_conn.execute(f"ALTER TABLE priv_s OWNER TO {WRITER}")
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'owner')")
    with as_role(pggit_dsn, PLAIN) as conn:
        for call in LEVEL4_CALLS:
            assert sqlstate_of(conn, call) == "42501", call
    with as_role(pggit_dsn, WRITER) as conn:
        assert sqlstate_of(conn, "SELECT pggit.tag('t1', 'main')") is None
        assert sqlstate_of(conn, "SELECT * FROM pggit.merge('main', 'main')") is None
        assert sqlstate_of(conn, "SELECT pggit.checkout('main', apply => true)") is None
        assert sqlstate_of(conn, "SELECT pggit.resolve_conflict(1, 'ours')") == "42704"  # allowed; no such conflict
        assert sqlstate_of(conn, "SELECT pggit.revert('main')") is None  # drops priv_s, which it owns
    assert pggit_conn.execute("SELECT to_regclass('priv_s')").fetchone() == (None,)
    assert pggit_conn.execute("SELECT count(*) FROM pggit.tags").fetchone() == (1,)
    assert invariants.problems(pggit_conn) == []


@pytest.mark.pggit_level(min=4)
def test_migrate_and_rollback_keep_the_roles(pggit_new_database, pggit_migrations_dir, pggit_head: int) -> None:
    from pggit_sql.migrate import Migrator

    dsn = pggit_new_database(3)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(ROLES_SQL.read_text())
        assert grant_problems(conn) == []
    assert "roles.sql again (it ran in this database)" in Migrator(dsn, pggit_migrations_dir).dry_run_sql()
    Migrator(dsn, pggit_migrations_dir).migrate()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT obj_description('pggit'::regnamespace)").fetchone() == (
            f"pggit-sql level {pggit_head}",)
        assert conn.execute("SELECT to_regprocedure('pggit.merge(text,text,text)') IS NOT NULL").fetchone() == (True,)
        assert grant_problems(conn) == []
    Migrator(dsn, pggit_migrations_dir).rollback(to=3)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert grant_problems(conn) == []
    # a database without the roles script keeps level 1's contract (EXECUTE for PUBLIC)
    plain = pggit_new_database(3)
    assert "roles.sql again" not in Migrator(plain, pggit_migrations_dir).dry_run_sql()
    Migrator(plain, pggit_migrations_dir).migrate()
    with psycopg.connect(plain, autocommit=True) as conn:
        assert conn.execute("SELECT has_function_privilege('public', 'pggit.merge(text,text,text)', 'EXECUTE'),"
                            " has_function_privilege('public', 'pggit.commit_changes(text,text,text)', 'EXECUTE')"
                            ).fetchone() == (True, True)
