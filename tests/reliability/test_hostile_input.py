"""Hostile and odd input to every SQL API function (hypothesis; >= 1,000 examples each in ``thorough``).

The functions come from pg_proc: every function of schema pggit that an ordinary role
may EXECUTE (event-trigger functions aside).  :data:`SPECS` says, per function, which
SQLSTATEs are a fitting refusal; :func:`test_every_callable_function_is_covered` fails
when a new function appears without a spec.  Each example calls one function as an
ordinary role that owns a table with a data branch, inside a transaction:

- the call succeeds, or fails with one of the function's accepted SQLSTATEs (an
  internal error XX000, a syntax error 42601 or anything unlisted is a failure);
- afterwards no object named ``pwned`` exists (the injection payloads' target), the
  canary table and the user table are intact, and pggit's tables satisfy
  :func:`pggit_sql.testing.invariants.problems` (no orphan row, no broken chain);
- the transaction is rolled back, so every example starts from the same state.
"""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from pggit_sql.testing import invariants
from pggit_sql.testing.strategies.hostile import PWNED, hostile_values

ROLE = "pggit_hostile"

# Refusals that fit any function taking text: NULL, invalid value, too long, bad encoding.
VALUE = {"22004", "22023", "22001", "22003", "22P02", "22021", "22P05", "22026", "22025"}
# Name resolution of tables and objects given as text.
RESOLVE = {"42P01", "42602", "3F000", "42704", "42939", "42622"}
# Refusals of state: missing, existing, deleted, not allowed, not supported.
STATE = {"42704", "23505", "55000", "42501", "0A000", "42809", "2BP01", "42710", "42P07", "42701", "P0002"}
# Refs (level 4): unknown, ambiguous, deleted branch or branch without commits.
REF = {"42704", "42P09", "55000"}

SPECS_BY_LEVEL: dict[int, dict[str, set[str]]] = {1: {
    "pggit.assert_valid_branch_name(text)": VALUE,
    "pggit.base36_pairs()": set(),
    "pggit.branch_name_violation(text)": set(),
    "pggit.commit_changes(text,text,text)": VALUE | STATE | {"42710", "42939"},  # 42710: a tag's name (level 5)
    "pggit.generate_trinity_id()": set(),
    "pggit.increment_version(integer,integer,integer,text)": VALUE | {"P0001"},
    "pggit.is_valid_branch_name(text)": set(),
    "pggit.is_valid_trinity_id(text)": set(),
}, 2: {
    "pggit.calculate_schema_hash(text)": VALUE | RESOLVE,
    "pggit.checkout(text)": VALUE | STATE,
    "pggit.classify_change(json,json)": VALUE,
    "pggit.commit_tree(text)": VALUE | STATE,
    "pggit.current_branch()": set(),
    "pggit.describe_object(oid,oid)": VALUE,
    "pggit.describe_table(oid)": VALUE,
    "pggit.describe_rules(oid,text)": VALUE,
    "pggit.describe_triggers(oid,text)": VALUE,
    "pggit.describe_type(oid)": VALUE,
    "pggit.describe_view(oid)": VALUE,
    "pggit.get_version(text)": VALUE | RESOLVE,
    "pggit.is_tracked_schema(name)": set(),
    "pggit.log(text,integer)": VALUE | STATE,
    "pggit.pause_tracking(text)": VALUE | STATE,
    "pggit.resolve_object(text)": VALUE | RESOLVE,
    "pggit.resume_tracking()": STATE,
    "pggit.show(text)": VALUE | STATE,
    "pggit.status(text)": VALUE | STATE,
    "pggit.tracked_owner(oid,oid)": VALUE,
    "pggit.tracking_paused()": set(),
    "pggit.tree_bucket(text)": VALUE,
    "pggit.tree_entry_line(text,text,text)": VALUE,
}, 3: {
    "pggit.branch_divergence(bigint)": VALUE,
    "pggit.create_branch(text,text)": VALUE | STATE | {"42710", "42939"},  # 42710: a tag's name (level 5)
    "pggit.create_data_branch(text,text,text)": VALUE | RESOLVE | STATE,
    "pggit.data_table_oid(text)": VALUE | RESOLVE,
    "pggit.data_branch_create(oid,text,text)": VALUE | STATE | {"42P01", "42939"},  # 42939: level 8
    "pggit.data_branch_diff(oid,text)": VALUE | STATE | {"42P01"},
    "pggit.data_branch_drop(oid,text)": VALUE | STATE | {"42P01"},
    "pggit.data_branch_merge(oid,text,text,text)": VALUE | STATE | {"42P01"},
    "pggit.data_branch_unmerged(bigint)": VALUE,
    "pggit.data_columns(oid)": VALUE,
    "pggit.data_key_match(name[],text,text)": VALUE,
    "pggit.data_list(name[],text)": VALUE,
    "pggit.data_primary_key(oid)": VALUE,
    "pggit.data_relation_name(text,text)": VALUE,
    "pggit.delete_branch(text,boolean)": VALUE | STATE,
    "pggit.diff_data_branch(text,text)": VALUE | RESOLVE | STATE,
    "pggit.drop_data_branch(text,text)": VALUE | RESOLVE | STATE,
    "pggit.merge_data_branch(text,text,text,text)": VALUE | RESOLVE | STATE,
}, 4: {
    "pggit.apply_migration(text,boolean,text)": VALUE | REF | STATE,
    "pggit.checkout(text,boolean,boolean)": VALUE | REF | STATE,
    "pggit.dag_merge_base(text,text)": set(),
    "pggit.dag_path(text,text)": set(),
    "pggit.dag_walk(text,text,bigint)": set(),
    "pggit.commit_buckets(text)": VALUE | {"42704", "55000"},
    "pggit.diff(text,text)": VALUE | REF,
    "pggit.generate_migration(text,text)": VALUE | REF,
    "pggit.merge(text,text,text)": VALUE | REF,
    "pggit.merge_abort(bigint)": VALUE | {"42704", "55000"},
    "pggit.merge_base(text,text)": VALUE | REF,
    "pggit.merge_continue(bigint)": VALUE | {"42704", "55000"},
    "pggit.resolve_conflict(bigint,text)": VALUE | {"42704", "55000"},
    "pggit.resolve_ref(text)": VALUE | REF,
    "pggit.revert(text,boolean)": VALUE | REF | STATE,
    "pggit.schema_at(text)": VALUE | REF,
    "pggit.settle_checkout(text[])": VALUE | REF | STATE,
    "pggit.tag(text,text)": VALUE | REF | {"23505", "42710", "42939"},  # 42710: a branch's name (level 5)
    "pggit.table_details(oid)": set(),
    "pggit.type_details(oid)": set(),
    "pggit.type_steps(jsonb,text,text)": VALUE | REF,
    "pggit.view_dependencies(oid)": set(),
}, 5: {
    "pggit.comment_lines(text)": set(),
    "pggit.owner_details(oid,oid)": set(),
    "pggit.split_statements(text)": set(),
    "pggit.merge_run(text,text,text)": VALUE | REF,
    "pggit.merge_migration(text,text)": VALUE | REF,
    "pggit.merge_continue_run(bigint)": VALUE | {"42704", "55000"},
    # data branches (docs/security/data-branches.md)
    "pggit.data_act_as_owner(oid)": VALUE | {"42P01", "42501"},
    "pggit.data_branch_lookup(oid,text)": VALUE | STATE,
    "pggit.data_branch_merge_begin(oid,text,text)": VALUE | STATE | {"42P01"},
    "pggit.data_branch_merge_record(bigint,text,text,jsonb,bigint,bigint,bigint,boolean)": VALUE | STATE,
    "pggit.data_equal(oid,name[],text,text)": VALUE,
    "pggit.data_table_added_columns(oid)": VALUE | STATE,
    "pggit.data_table_sync(oid)": VALUE | STATE,
    "pggit.uncomment_lines(text)": set(),
}, 6: {
    # identity across backups and upgrades (no arguments, or identities: never raise)
    "pggit.bind_oids()": set(),
    "pggit.instance_anchor()": set(),
    "pggit.oids_current()": set(),
    "pggit.ready_to_record()": set(),
    "pggit.resolve_identity(text,text)": set(),
    "pggit.restoring()": set(),
    "pggit.view_query(oid)": VALUE,
}, 7: {
    # generated migrations on populated databases (22023: details or renames of another shape)
    "pggit.column_steps(text,jsonb,jsonb,jsonb,text[],boolean,boolean)": VALUE,
    "pggit.not_null_placeholder(text)": set(),  # never raises: NULL for what it does not know
    "pggit.type_widens(text,text)": set(),  # never raises: false for what it does not know
    "pggit.details_at(text,text,timestamp with time zone)": set(),
    "pggit.foreign_key_parts(text)": set(),
    "pggit.foreign_key_renamed(text,jsonb,jsonb)": set(),
    "pggit.generate_migration(text,text,boolean)": VALUE | REF,
    "pggit.migration_plan(text,text,boolean)": VALUE | REF,
    "pggit.name_renames(jsonb,jsonb)": set(),
    "pggit.step_lock(text)": set(),
    "pggit.default_is_volatile(text)": set(),
    "pggit.table_definition_reached(text,text)": set(),
    # tables beyond columns, keys and indexes (issue 13): readers of their arguments and of
    # the tables at the refs
    "pggit.create_table_statement(text,text,jsonb)": VALUE,
    "pggit.definition_items(text)": set(),
    "pggit.partition_index_name(text,text,text)": VALUE,
    "pggit.partition_local(jsonb,text,text)": VALUE | REF | RESOLVE,
    "pggit.partition_steps(text,text,text,text,jsonb,jsonb,text,text)": VALUE | REF | RESOLVE,
    "pggit.policy_parts(text)": set(),
    "pggit.table_extra_steps(text,text,text,text,jsonb,jsonb,text,text,text[])": VALUE | REF | RESOLVE,
    "pggit.table_state(text,text)": VALUE | REF | RESOLVE,
}, 8: {
    # strict refs: reserved names, the branch setting checked, clipped messages
    "pggit.branch_setting(text)": VALUE | {"42704", "55000"},
    "pggit.clip(text)": set(),  # never raises
    "pggit.reserved_ref_name(text)": set(),  # never raises
}, 9: {
    # tracking per transaction: settling touches only the caller's own transaction; the
    # version readers answer like get_version (no row for what they do not know)
    "pggit.settle_pending()": set(),
    "pggit.settled_version(text)": set(),
    "pggit.version_in_transaction(text)": set(),
    # data branches: a merge's capture pause (issue 15)
    "pggit.data_branch_merge_capture(bigint,boolean)": VALUE | STATE,
}, 10: {
    # pooled sessions (issue 17): the per-client settings, read and set
    "pggit.scoped_setting(text)": set(),  # never raises
    "pggit.pool_stamp()": set(),  # never raises
    "pggit.set_scoped_setting(text,text,boolean)": VALUE,
}, 12: {
    # issue 16: the pieces of type_steps and table_extra_steps, one per kind of object
    # (SECURITY INVOKER and callable by everyone, as their callers; readers of their
    # arguments, of the refs and of the live catalog)
    "pggit.column_comment_steps(text,text[],text[],jsonb)": VALUE,
    "pggit.column_option_steps(text,text[],text[],jsonb,jsonb)": VALUE,
    "pggit.composite_steps(text,text,text,text,text,integer,text)": VALUE | REF,
    "pggit.constraint_comment_steps(text,text[],text[],jsonb)": VALUE,
    "pggit.domain_steps(text,text,text,text,text,integer,text,text,boolean)": VALUE | REF,
    "pggit.enum_steps(text,text,text,text,integer)": set(),  # never raises
    "pggit.policy_steps(text,text,text[],text[],text[])": set(),  # never raises
    "pggit.range_steps(text,text,text,text,integer,jsonb)": VALUE,
    "pggit.rule_steps(text,text,text[],text[],text[])": set(),  # never raises
    "pggit.sequence_steps(jsonb,text,text,text,text,text,text[])": VALUE,
    "pggit.table_option_steps(text,text[],text[],boolean,jsonb)": VALUE,
    "pggit.table_partition_steps(text,text,text[],text[])": set(),  # never raises
    "pggit.trigger_steps(text,text,text[],text[],text[],text[],text[])": set(),  # never raises
    # issue 16: pggit.migration_plan's pieces, by object kind (STABLE, the caller's rights)
    "pggit.plan_function_steps(jsonb)": VALUE,
    "pggit.plan_gone_sequences(jsonb)": VALUE,
    "pggit.plan_owner_steps(jsonb,text[],boolean,timestamp with time zone)": VALUE | REF | RESOLVE,
    "pggit.plan_rename_steps(jsonb)": VALUE,
    "pggit.plan_schema_steps(jsonb)": VALUE,
    "pggit.plan_table_drop_steps(jsonb,jsonb,boolean,timestamp with time zone)": VALUE | REF | RESOLVE,
    "pggit.plan_table_steps(jsonb,jsonb,text,text,boolean,boolean,boolean,timestamp with time zone,"
    "timestamp with time zone)": VALUE | REF | RESOLVE,
    "pggit.plan_view_steps(jsonb,text)": VALUE | REF | RESOLVE,
}}
SPECS: dict[str, set[str]] = {sig: codes for specs in SPECS_BY_LEVEL.values() for sig, codes in specs.items()}
FORBIDDEN = {"XX000", "42601"}

_CALLABLE = """
SELECT p.oid::regprocedure::text, p.proname,
       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, o) ORDER BY o)
  FROM pg_proc AS p
 WHERE p.pronamespace = 'pggit'::regnamespace
   AND p.prorettype NOT IN ('event_trigger'::regtype, 'trigger'::regtype)
   AND has_function_privilege(%s, p.oid, 'EXECUTE')
 ORDER BY 1
"""


def prepare(conn: psycopg.Connection) -> None:
    conn.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN CREATE ROLE {ROLE} LOGIN; END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")
    conn.execute("CREATE TABLE public.hostile_canary (id int PRIMARY KEY)")
    conn.execute("INSERT INTO public.hostile_canary VALUES (1)")
    conn.execute("GRANT ALL ON public.hostile_canary TO PUBLIC")  # an injected DROP would need ownership anyway
    conn.execute("CREATE TABLE public.hostile_t (id int PRIMARY KEY, v text)")
    conn.execute("INSERT INTO public.hostile_t SELECT g, 'v' || g FROM generate_series(1, 5) AS g")
    conn.execute(f"ALTER TABLE public.hostile_t OWNER TO {ROLE}")
    if conn.execute("SELECT split_part(obj_description('pggit'::regnamespace), ' ', 3)::int >= 5").fetchone()[0]:  # type: ignore[index]
        conn.execute(f"GRANT pggit_reader TO {ROLE}")  # from level 5 reading definitions needs pggit_reader
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    if conn.execute("SELECT to_regprocedure('pggit.create_data_branch(text,text,text)')").fetchone() != (None,):
        conn.execute(f"SET SESSION AUTHORIZATION {ROLE}")
        conn.execute("SELECT pggit.create_data_branch('hostile_t', 'main', 'hb')")
        conn.execute('UPDATE "hostile_t__hb" SET v = \'branch\' WHERE id = 1')
        conn.execute("RESET SESSION AUTHORIZATION")


def callable_functions(conn: psycopg.Connection) -> list[tuple[str, str, list[str]]]:
    return [(sig, name, list(types)) for sig, name, types in conn.execute(_CALLABLE, (ROLE,)).fetchall()]


def test_every_callable_function_is_covered(pggit_conn: psycopg.Connection, pggit_level: int) -> None:
    prepare(pggit_conn)
    found = {sig for sig, _, _ in callable_functions(pggit_conn)}
    specified = {sig for level, specs in SPECS_BY_LEVEL.items() if level <= pggit_level for sig in specs}
    assert sorted(found - specified) == [], "API functions without a hostile-input spec: add them to SPECS_BY_LEVEL"
    assert sorted(specified - found) == [], "specified functions an ordinary role cannot call (any more)"


_PWNED_OBJECTS = """
SELECT (SELECT count(*) FROM pg_class WHERE relname = %(p)s) + (SELECT count(*) FROM pg_proc WHERE proname = %(p)s)
     + (SELECT count(*) FROM pg_namespace WHERE nspname = %(p)s) + (SELECT count(*) FROM pg_roles WHERE rolname = %(p)s)
"""


def check_after(conn: psycopg.Connection) -> None:
    assert conn.execute(_PWNED_OBJECTS, {"p": PWNED}).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM public.hostile_canary").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM public.hostile_t").fetchone() == (5,)
    assert invariants.problems(conn) == []


PARAMS = [pytest.param(sig, marks=pytest.mark.pggit_level(min=level), id=sig.removeprefix("pggit."))
          for level, specs in sorted(SPECS_BY_LEVEL.items()) for sig in sorted(specs)]


@pytest.mark.parametrize("signature", PARAMS)
def test_hostile_input(pggit_conn: psycopg.Connection, signature: str) -> None:
    prepare(pggit_conn)
    functions = {sig: (name, types) for sig, name, types in callable_functions(pggit_conn)}
    assert signature in functions, f"{signature} is not callable by an ordinary role at this level"
    name, types = functions[signature]
    accepted = SPECS[signature]
    call = sql.SQL("SELECT * FROM pggit.{}({})").format(
        sql.Identifier(name), sql.SQL(", ").join(sql.SQL("%s::" + t) for t in types))
    outcomes: Counter[str] = Counter()
    conn = pggit_conn  # calls run as ROLE (SET SESSION AUTHORIZATION: session_user too), checks as superuser

    oids = tuple(r[0] for r in conn.execute(
        "SELECT oid::bigint FROM pg_class WHERE relname IN ('hostile_t', 'hostile_canary', 'hostile_t__hb')"
        " UNION ALL SELECT oid::bigint FROM pg_type WHERE typname = 'hostile_t'"))

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(args=st.tuples(*(hostile_values(t, oids) for t in types)))
    def run(args: tuple[object, ...]) -> None:
        conn.execute("BEGIN")
        try:
            conn.execute(f"SET SESSION AUTHORIZATION {ROLE}")
            conn.execute("SAVEPOINT call")
            try:
                conn.execute(call, args).fetchall()
                outcomes["ok"] += 1
            except psycopg.Error as exc:
                outcomes[str(exc.sqlstate)] += 1
                assert exc.sqlstate not in FORBIDDEN, f"{signature}{_short(args)}: [{exc.sqlstate}] {exc}"
                assert exc.sqlstate in accepted, f"{signature}{_short(args)}: unexpected [{exc.sqlstate}] {exc}"
                conn.execute("ROLLBACK TO SAVEPOINT call")
            conn.execute("RESET SESSION AUTHORIZATION")
            check_after(conn)
        finally:
            conn.execute("ROLLBACK")

    run()
    print(f"hostile {signature}: {sum(outcomes.values())} calls, {dict(outcomes.most_common())}")


def _short(args: tuple[object, ...]) -> str:
    return "(" + ", ".join(repr(a)[:60] for a in args) + ")"
