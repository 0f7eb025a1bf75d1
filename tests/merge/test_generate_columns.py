"""generate_migration's column steps on tables with rows (level 7, issue 13).

Each test builds a schema A with rows, commits it, changes it to B (B's catalog
fingerprint of schema ``app`` taken: names, types, defaults, identity and its sequence's
name and options, generation, nullability, position), and applies the generated script
to A built again with its rows: the result must be B (or, for column order, differ from
B in exactly the positions the warning names), with the rows kept. The exact statements
are asserted too, so each test fails without the behaviour it is about.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import json

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_generate_migration import apply, commit, migration

from pggit_sql import catalog

pytestmark = pytest.mark.pggit_level(min=7)


def fingerprint(conn: psycopg.Connection) -> dict[str, str]:
    return catalog.fingerprint(conn, ["app"])


def rebuild_and_apply(conn: psycopg.Connection, setup: str, steps: list[tuple[int, str, str | None]]) -> None:
    conn.execute("DROP SCHEMA app CASCADE")
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    apply(conn, steps)


def round_trip(conn: psycopg.Connection, setup: str, change: str) -> tuple[list[tuple[int, str, str | None]],
                                                                           dict[str, str]]:
    """A = ``setup`` (with rows), B = A + ``change``; returns generate_migration(A, B) and
    B's fingerprint, after checking the commit-to-commit script is the same and that the
    script applied to A with its rows gives B's catalog."""
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    ca = commit(conn)
    conn.execute(change)
    want = fingerprint(conn)
    steps = migration(conn, ca, "WORKING")
    cb = commit(conn)
    assert migration(conn, ca, cb) == steps
    rebuild_and_apply(conn, setup, steps)
    assert catalog.diff(want, fingerprint(conn)) == []
    return steps, want


# --------------------------------------------------------------------------- type_widens

WIDENING = [
    ("smallint", "integer"), ("integer", "bigint"), ("smallint", "bigint"), ("bigint", "numeric"),
    ("integer", "numeric(10,0)"), ("integer", "numeric(12,2)"), ("numeric(5,2)", "numeric(8,3)"),
    ("numeric(5,2)", "numeric"), ("real", "double precision"), ("integer", "double precision"),
    ("smallint", "real"), ("integer", "text"), ("integer", "character varying(255)"),
    ("integer", "character varying(11)"), ("smallint", "character varying(6)"), ("bigint", "character varying(20)"),
    ("boolean", "character varying(5)"), ("uuid", "character varying(36)"), ("date", "character varying(13)"),
    ("numeric(5,2)", "character varying(7)"), ("character varying(10)", "character varying(20)"),
    ("character varying(10)", "text"), ("text", "character varying"), ("character(3)", "character varying(3)"),
    ("character(3)", "text"), ("character(3)", "character(8)"), ("timestamp(2) without time zone",
                                                                  "timestamp(5) without time zone"),
    ("timestamp(2) with time zone", "timestamp with time zone"), ("time(1) without time zone",
                                                                  "time without time zone"),
    ("interval(2)", "interval"), ("interval year to month", "interval"),
    ("bit(4)", "bit varying(4)"), ("bit varying(4)", "bit varying"), ("jsonb", "json"), ("cidr", "inet"),
    ("integer[]", "bigint[]"), ("real", "text"), ("double precision", "character varying(24)"),
]
NOT_WIDENING = [
    ("integer", "smallint"), ("bigint", "integer"), ("bigint", "double precision"), ("numeric", "double precision"),
    ("numeric", "numeric(10,2)"), ("numeric(5,2)", "numeric(5,3)"), ("numeric(5,2)", "numeric(6,1)"),
    ("integer", "numeric(9,0)"), ("integer", "character varying(10)"), ("bigint", "character varying(19)"),
    ("uuid", "character varying(35)"), ("text", "character varying(10)"), ("character varying(20)",
                                                                            "character varying(10)"),
    ("character varying", "character varying(10)"), ("text", "integer"), ("timestamp without time zone",
                                                                          "timestamp with time zone"),
    ("timestamp(5) without time zone", "timestamp(2) without time zone"),
    ("timestamp without time zone", "date"), ("date", "timestamp without time zone"),
    ("interval", "interval year to month"), ("json", "jsonb"), ("inet", "cidr"), ("bytea", "text"),
    ("integer", "real"), ("character varying(3)", "character(3)"), ("integer[]", "integer"),
    ("app.e", "text"), (None, "text"), ("integer", None), ("numeric(99999999999,2)", "numeric"),
]


def test_type_widens_exact(pggit_conn: psycopg.Connection) -> None:
    got = {(a, b): pggit_conn.execute("SELECT pggit.type_widens(%s, %s)", (a, b)).fetchone()[0]
           for a, b in WIDENING + NOT_WIDENING}
    assert [p for p in WIDENING if got[p] is not True] == []
    assert [p for p in NOT_WIDENING if got[p] is not False] == []


def _numeric(p: int, s: int) -> st.SearchStrategy[str]:
    return st.one_of(st.just("NaN"), st.integers(-(10 ** p) + 1, 10 ** p - 1).map(
        lambda m: str(decimal.Decimal(m).scaleb(-s))))


def _text(n: int | None) -> st.SearchStrategy[str]:
    return st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=n or 40)


def _floats(width: int) -> st.SearchStrategy[str]:
    return st.floats(width=width).map(
        lambda f: {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(repr(f), repr(f)))


_TS = st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 12, 31)).map(
    lambda d: d.isoformat(sep=" "))
VALUES: dict[str, st.SearchStrategy[str]] = {
    "smallint": st.integers(-32768, 32767).map(str), "integer": st.integers(-2 ** 31, 2 ** 31 - 1).map(str),
    "bigint": st.integers(-2 ** 63, 2 ** 63 - 1).map(str),
    "numeric": st.decimals(allow_nan=False, allow_infinity=False).map(str),
    "numeric(5,2)": _numeric(5, 2), "numeric(4,0)": _numeric(4, 0), "numeric(3,3)": _numeric(3, 3),
    "real": _floats(32), "double precision": _floats(64), "boolean": st.sampled_from(["true", "false"]),
    "uuid": st.uuids().map(str),
    "date": st.one_of(st.dates().map(str), st.sampled_from(["infinity", "-infinity", "4713-01-01 BC",
                                                            "5874897-12-31"])),
    "text": _text(None), "character varying": _text(None), "character varying(5)": _text(5),
    "character(3)": _text(3),
    "timestamp(2) without time zone": _TS, "timestamp without time zone": _TS,
    "timestamp(3) with time zone": _TS.map(lambda s: s + "+05:30"),
    "time(1) without time zone": st.times().map(str), "interval(2)": st.timedeltas().map(
        lambda d: f"{d.days} days {d.seconds} seconds {d.microseconds} microseconds"),
    "interval year to month": st.integers(-10 ** 5, 10 ** 5).map(lambda m: f"{m} months"),
    "bit(4)": st.text("01", min_size=4, max_size=4), "bit varying(4)": st.text("01", max_size=4),
    # jsonb refuses \u0000 in a string (22P05): no NUL in its strings or keys
    "jsonb": st.recursive(st.none() | st.booleans() | st.integers() | _text(5),
                          lambda c: st.lists(c, max_size=3) | st.dictionaries(_text(3), c, max_size=3),
                          max_leaves=6).map(json.dumps),
    "cidr": st.ip_addresses(v=4).map(lambda a: str(ipaddress.ip_network(f"{a}/16", strict=False))),
    "inet": st.ip_addresses().map(str),
    "integer[]": st.lists(st.integers(-2 ** 31, 2 ** 31 - 1), max_size=4).map(
        lambda v: "{" + ",".join(map(str, v)) + "}"),
}
TARGETS = sorted({t for _, t in WIDENING} | set(VALUES) | {
    "character varying(6)", "character varying(7)", "character varying(3)", "character varying(4)",
    "character varying(9)", "numeric(6,2)", "numeric(4,1)", "numeric(3,3)", "numeric(4,4)", "bpchar",
    "smallint", "bit varying(3)", "bigint[]", "numeric[]", "interval(0)", "timestamp(0) without time zone"})
# json has no equality: compared as text
_EQ = "(%s::{src})::text = ((%s::{src})::{tgt}::{src})::text"


def test_type_widens_round_trip(pggit_conn: psycopg.Connection) -> None:
    """For every pair (source of VALUES, any target) type_widens calls widening, casting
    generated values never fails and, cast back, gives the original value."""
    conn = pggit_conn
    pairs = [(s, t) for s in sorted(VALUES) for t in TARGETS
             if s != t and conn.execute("SELECT pggit.type_widens(%s, %s)", (s, t)).fetchone()[0]]
    assert len(pairs) > 60, pairs
    conn.execute("SET extra_float_digits = 1")  # the default: shortest exact output

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        src, tgt = data.draw(st.sampled_from(pairs))
        value = data.draw(VALUES[src])
        if src == "json":
            query = _EQ.format(src=src, tgt=tgt)
        else:
            query = f"(%s::{src}) IS NOT DISTINCT FROM ((%s::{src})::{tgt}::{src})"
        try:
            same = conn.execute(("SELECT " + query).encode(), (value, value)).fetchone()[0]
        except psycopg.Error as exc:
            pytest.fail(f"{value!r}::{src} -> {tgt} fails: {exc}")
        assert same, f"{value!r}::{src} -> {tgt} -> {src} is another value"

    run()


# --------------------------------------------------------------------------- 1. widening type changes run


def test_widening_type_changes_run_and_lossy_ones_stay_commented(pggit_conn: psycopg.Connection) -> None:
    setup = ("CREATE TABLE app.t (id int PRIMARY KEY, a int, b varchar(10), c numeric(5,2), d bigint, e text);"
             " INSERT INTO app.t VALUES (1, -2147483648, 'abcdefghij', -999.99, 7, 'x'), (2, NULL, '', 0, 8, 'yy')")
    steps, _ = round_trip(pggit_conn, setup,
                          "ALTER TABLE app.t ALTER COLUMN a TYPE varchar(255), ALTER COLUMN b TYPE text,"
                          " ALTER COLUMN c TYPE numeric(8,3), ALTER COLUMN d TYPE integer,"
                          " ALTER COLUMN e TYPE varchar(5)")
    assert steps == [
        (1, "ALTER TABLE app.t ALTER COLUMN a TYPE character varying(255) USING a::character varying(255);", None),
        (2, "ALTER TABLE app.t ALTER COLUMN b TYPE text USING b::text;", None),
        (3, "ALTER TABLE app.t ALTER COLUMN c TYPE numeric(8,3) USING c::numeric(8,3);", None),
        (4, "-- ALTER TABLE app.t ALTER COLUMN d TYPE integer USING d::integer;",
         "column d of table app.t changes type from bigint to integer: values may be lost or the cast may fail"),
        (5, "-- ALTER TABLE app.t ALTER COLUMN e TYPE character varying(5) USING e::character varying(5);",
         "column e of table app.t changes type from text to character varying(5): values may be lost or the "
         "cast may fail")]
    assert pggit_conn.execute("SELECT a, b, c::text, d FROM app.t ORDER BY id").fetchall() == [
        ("-2147483648", "abcdefghij", "-999.990", 7), (None, "", "0.000", 8)]


# --------------------------------------------------------------------------- 2. NOT NULL without default


def test_not_null_column_without_default_gets_a_placeholder(pggit_conn: psycopg.Connection) -> None:
    setup = ("CREATE TYPE app.mood AS ENUM ('sad', 'ok'); CREATE TABLE app.t (id int PRIMARY KEY);"
             " INSERT INTO app.t VALUES (1), (2)")
    steps, _ = round_trip(pggit_conn, setup,
                          "DELETE FROM app.t; ALTER TABLE app.t ADD COLUMN n int NOT NULL, ADD COLUMN s varchar(5)"
                          " NOT NULL, ADD COLUMN b boolean NOT NULL, ADD COLUMN ts timestamptz NOT NULL,"
                          " ADD COLUMN arr int[] NOT NULL, ADD COLUMN m app.mood NOT NULL, ADD COLUMN d date NOT NULL")

    def add(col: str, typ: str, ph: str) -> list[tuple[str, str | None]]:
        return [(f"ALTER TABLE app.t ADD COLUMN {col} {typ} DEFAULT {ph} NOT NULL;",
                 f"column {col} of table app.t is NOT NULL without a default: the rows the table has get {ph} "
                 "(a default only while the column is added)"),
                (f"ALTER TABLE app.t ALTER COLUMN {col} DROP DEFAULT;", None)]

    assert [(s, w) for _, s, w in steps] == [
        *add("n", "integer", "'0'::integer"), *add("s", "character varying(5)", "''::character varying(5)"),
        *add("b", "boolean", "'false'::boolean"),
        *add("ts", "timestamp with time zone", "'1970-01-01 00:00:00+00'::timestamp with time zone"),
        *add("arr", "integer[]", "'{}'::integer[]"), *add("m", "app.mood", "enum_first(NULL::app.mood)"),
        *add("d", "date", "'1970-01-01'::date")]
    conn = pggit_conn
    conn.execute("SET TIME ZONE 'UTC'")
    assert conn.execute("SELECT id, n, s, b, ts::text, arr, m::text, d::text FROM app.t ORDER BY id").fetchall() == [
        (i, 0, "", False, "1970-01-01 00:00:00+00", [], "sad", "1970-01-01") for i in (1, 2)]


def test_placeholder_defaults_do_not_rewrite_the_table(pggit_conn: psycopg.Connection) -> None:
    """The placeholder is a constant (or, for an enum, a STABLE call): PostgreSQL 11+ stores
    it as the rows' missing value instead of rewriting the table (same relfilenode)."""
    conn = pggit_conn
    setup = ("CREATE TYPE app.mood AS ENUM ('sad', 'ok'); CREATE TABLE app.t (id int PRIMARY KEY);"
             " INSERT INTO app.t SELECT generate_series(1, 1000)")
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    ca = commit(conn)
    conn.execute("DELETE FROM app.t; ALTER TABLE app.t ADD COLUMN n numeric(5,2) NOT NULL,"
                 " ADD COLUMN m app.mood NOT NULL, ADD COLUMN u uuid NOT NULL")
    steps = migration(conn, ca, "WORKING")
    conn.execute("DROP SCHEMA app CASCADE; CREATE SCHEMA app")
    conn.execute(setup)
    before = conn.execute("SELECT relfilenode FROM pg_class WHERE oid = 'app.t'::regclass").fetchone()
    apply(conn, steps)
    assert conn.execute("SELECT relfilenode FROM pg_class WHERE oid = 'app.t'::regclass").fetchone() == before
    assert conn.execute("SELECT DISTINCT n::text, m::text, u::text FROM app.t").fetchall() == [
        ("0.00", "sad", "00000000-0000-0000-0000-000000000000")]


def test_not_null_column_of_a_domain_keeps_the_warning(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; CREATE DOMAIN app.pos AS int CHECK (VALUE > 0); CREATE TABLE app.t (id int)")
    ca = commit(conn)
    conn.execute("ALTER TABLE app.t ADD COLUMN p app.pos NOT NULL")
    assert migration(conn, ca, "WORKING") == [
        (1, "ALTER TABLE app.t ADD COLUMN p app.pos NOT NULL;",
         "column p of table app.t is NOT NULL without a default: fails if the table has rows")]


# --------------------------------------------------------------------------- 3. identity sequences


def test_created_table_keeps_its_identity_sequence_name_and_options(pggit_conn: psycopg.Connection) -> None:
    """A table renamed at the target keeps the sequence PostgreSQL named after its old name."""
    setup = "CREATE TABLE app.u (v text); INSERT INTO app.u VALUES ('a'), ('b')"
    steps, want = round_trip(
        pggit_conn, setup,
        "CREATE TABLE app.old_t (id int GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5 CACHE 3"
        " MAXVALUE 100000 CYCLE), v text); ALTER TABLE app.old_t RENAME TO new_t;"
        " ALTER TABLE app.u ADD COLUMN k bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10)")
    assert [s for _, s, _ in steps if " OWNER TO " not in s] == [
        "CREATE TABLE app.new_t ();",
        "ALTER TABLE app.new_t ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME app.old_t_id_seq"
        " START WITH 100 INCREMENT BY 5 MAXVALUE 100000 CACHE 3 CYCLE) NOT NULL;",
        "ALTER TABLE app.new_t ADD COLUMN v text;",
        "ALTER TABLE app.u ADD COLUMN k bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME app.u_k_seq"
        " START WITH 10) NOT NULL;"]
    assert "sequence options app.old_t_id_seq" in want and "sequence options app.new_t_id_seq" not in want
    assert pggit_conn.execute("SELECT v, k FROM app.u ORDER BY k").fetchall() == [("a", 10), ("b", 11)]


def test_identity_details_are_recorded(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; CREATE TABLE app.t (a smallint GENERATED ALWAYS AS IDENTITY,"
                 " b int GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -2), c int)")
    cols = conn.execute("SELECT pggit.table_details('app.t'::regclass) -> 'cols'").fetchone()[0]
    assert [(c["n"], c.get("s"), c.get("so")) for c in cols] == [
        ("a", "app.t_a_seq", {}), ("b", "app.t_b_seq", {"inc": -2}), ("c", None, None)]


def test_renamed_identity_sequence_of_a_changed_table(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    steps, want = round_trip(
        conn, "CREATE TABLE app.t (id int GENERATED ALWAYS AS IDENTITY, v text); INSERT INTO app.t (v) VALUES ('a')",
        "ALTER SEQUENCE app.t_id_seq RENAME TO t_key_seq; ALTER TABLE app.t ADD COLUMN z int")
    assert [s for _, s, _ in steps] == ["ALTER SEQUENCE app.t_id_seq RENAME TO t_key_seq;",
                                        "ALTER TABLE app.t ADD COLUMN z integer;"]
    assert "sequence options app.t_key_seq" in want
    assert conn.execute("INSERT INTO app.t (v) VALUES ('b') RETURNING id").fetchone() == (2,)


# --------------------------------------------------------------------------- 4. identity and generation changes

IDENTITY_SETUP = (
    "CREATE TABLE app.t (id int PRIMARY KEY, a int GENERATED ALWAYS AS IDENTITY,"
    " b int GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY 2), c int, x int,"
    " g int GENERATED ALWAYS AS (x * 2) STORED, h int GENERATED ALWAYS AS (x + 1) STORED, z text);"
    " CREATE INDEX t_g_idx ON app.t (g); ALTER TABLE app.t ADD CONSTRAINT t_g_check CHECK (g < 1000);"
    " INSERT INTO app.t (id, c, x, z) VALUES (1, 5, 10, 'p'), (2, 6, 20, 'q')")


def test_identity_and_generation_changes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    pg17 = conn.info.server_version >= 170000
    steps, _ = round_trip(
        conn, IDENTITY_SETUP,
        "ALTER TABLE app.t ALTER COLUMN a DROP IDENTITY;"
        " ALTER TABLE app.t ALTER COLUMN b SET GENERATED ALWAYS SET INCREMENT BY 3 SET MAXVALUE 1000 SET CYCLE;"
        " ALTER TABLE app.t ALTER COLUMN c SET NOT NULL,"
        "   ALTER COLUMN c ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 50);"
        " ALTER TABLE app.t ALTER COLUMN h DROP EXPRESSION;"
        + ("ALTER TABLE app.t ALTER COLUMN g SET EXPRESSION AS (x * 3)" if pg17 else
           " ALTER TABLE app.t DROP COLUMN g, ADD COLUMN g int GENERATED ALWAYS AS (x * 3) STORED;"
           " CREATE INDEX t_g_idx ON app.t (g); ALTER TABLE app.t ADD CONSTRAINT t_g_check CHECK (g < 1000)"))
    expression_change = [
        "ALTER TABLE app.t ALTER COLUMN g SET EXPRESSION AS ((x * 3));"] if pg17 else [
        "ALTER TABLE app.t DROP COLUMN g, ADD COLUMN g integer GENERATED ALWAYS AS ((x * 3)) STORED;",
        "ALTER TABLE app.t ADD CONSTRAINT t_g_check CHECK ((g < 1000));",
        "CREATE INDEX t_g_idx ON app.t USING btree (g);"]
    assert [s for _, s, _ in steps] == [
        "ALTER TABLE app.t ALTER COLUMN a DROP IDENTITY;",
        "ALTER TABLE app.t ALTER COLUMN b SET GENERATED ALWAYS SET INCREMENT BY 3 SET MAXVALUE 1000 SET CYCLE;",
        "-- UPDATE app.t SET c = '0'::integer WHERE c IS NULL;",
        "ALTER TABLE app.t ALTER COLUMN c SET NOT NULL;",
        "ALTER TABLE app.t ALTER COLUMN c ADD GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME app.t_c_seq"
        " START WITH 50);",
        # in column order: g stays before h on 17, moves to the end before
        *(expression_change + ["ALTER TABLE app.t ALTER COLUMN h DROP EXPRESSION;"] if pg17 else
          ["ALTER TABLE app.t ALTER COLUMN h DROP EXPRESSION;"] + expression_change)]
    warnings = {s: w for _, s, w in steps if w is not None}
    assert warnings == {
        steps[2][1]: "rows of table app.t holding NULL in column c get '0'::integer before it becomes NOT NULL "
                     "(made-up values: review)",
        steps[3][1]: "column c of table app.t becomes NOT NULL: fails if a row holds NULL in it (fill them first)",
        steps[4][1]: "column c of table app.t becomes an identity column: its sequence starts at 50 whatever the rows "
                     "hold (ALTER TABLE app.t ALTER COLUMN c RESTART WITH a value above theirs if needed)",
        **({} if pg17 else {expression_change[0]:
            "column g of table app.t changes its generation expression: dropped and added again (its values are "
            "computed again, nothing is lost; PostgreSQL before 17 has no SET EXPRESSION)"})}
    # rows kept, g computed again, h keeps its values; b's sequence continues (no RESTART)
    assert conn.execute("SELECT id, a, b, c, x, g, h FROM app.t ORDER BY id").fetchall() == [
        (1, 1, 1, 5, 10, 30, 11), (2, 2, 3, 6, 20, 60, 21)]
    assert conn.execute("INSERT INTO app.t (id, a, x) VALUES (3, 3, 1) RETURNING b, c").fetchone() == (6, 50)


def test_plain_column_becoming_generated_is_lossy(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    steps, _ = round_trip(
        conn, "CREATE TABLE app.t (x int, y int, z int); INSERT INTO app.t VALUES (1, 7, 0)",
        "ALTER TABLE app.t DROP COLUMN y, ADD COLUMN y int GENERATED ALWAYS AS (x + 1) STORED")
    assert steps == [
        (1, "-- ALTER TABLE app.t DROP COLUMN y, ADD COLUMN y integer GENERATED ALWAYS AS ((x + 1)) STORED;",
         "column y of table app.t becomes a generated column: its values are replaced by the expression's "
         "(dropped and added again)")]
    assert conn.execute("SELECT x, y, z FROM app.t").fetchall() == [(1, 2, 0)]


def test_serial_becoming_identity_takes_the_serial_sequence_name(pggit_conn: psycopg.Connection) -> None:
    """The usual serial -> identity conversion: the identity sequence gets the name of the
    dropped serial sequence, so it is added after that sequence's drop."""
    conn = pggit_conn
    steps, _ = round_trip(
        conn, "CREATE TABLE app.t (id serial, v text); INSERT INTO app.t (v) VALUES ('a'), ('b')",
        "ALTER TABLE app.t ALTER COLUMN id DROP DEFAULT; DROP SEQUENCE app.t_id_seq;"
        " ALTER TABLE app.t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH 3)")
    statements = [s for _, s, _ in steps]
    assert statements == [
        "ALTER TABLE app.t ALTER COLUMN id DROP DEFAULT;",
        "-- DROP SEQUENCE IF EXISTS app.t_id_seq;",
        "ALTER TABLE app.t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME app.t_id_seq"
        " START WITH 3);"]
    assert conn.execute("INSERT INTO app.t (v) VALUES ('c') RETURNING id").fetchone() == (3,)


# --------------------------------------------------------------------------- 5. column order


def test_a_column_added_back_warns_that_it_cannot_move(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    setup = "CREATE TABLE app.t (a int, b text, c int); INSERT INTO app.t VALUES (1, 'x', 3)"
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    ca = commit(conn)
    want = fingerprint(conn)
    conn.execute("ALTER TABLE app.t DROP COLUMN b")
    cb = commit(conn)
    steps = migration(conn, cb, ca)
    assert steps == [(1, "ALTER TABLE app.t ADD COLUMN b text;",
                      "cannot move a column: column b of table app.t ends at position 3, the target has it at 2 "
                      "(columns after the migration: a, c, b; at the target: a, b, c)")]
    apply(conn, steps)  # on B, whose row keeps its values
    got = fingerprint(conn)
    assert {k for k in want if want[k] != got[k]} == {"column app.t.b", "column app.t.c"}
    assert got["column app.t.b"].replace("position=3", "position=2") == want["column app.t.b"]
    assert got["column app.t.c"].replace("position=2", "position=3") == want["column app.t.c"]
    assert conn.execute("SELECT a, b, c FROM app.t").fetchall() == [(1, None, 3)]


def test_added_columns_in_place_carry_no_order_warning(pggit_conn: psycopg.Connection) -> None:
    steps, _ = round_trip(pggit_conn, "CREATE TABLE app.t (a int, b int); INSERT INTO app.t VALUES (1, 2)",
                          "ALTER TABLE app.t DROP COLUMN b, ADD COLUMN c int, ADD COLUMN d int")
    assert [w for _, _, w in steps] == ["column b of table app.t is dropped with its data", None, None]


# --------------------------------------------------------------------------- 6. online


def test_online_set_not_null_uses_a_validated_check(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    long = "c" * 60
    setup = (f"CREATE TABLE app.t (id int, a int, {long} int, CONSTRAINT a_not_null CHECK (a > -5));"
             f" INSERT INTO app.t VALUES (1, 2, 3), (2, 4, 5)")
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    before = conn.execute("SELECT pggit.table_details('app.t'::regclass)").fetchone()[0]
    conn.execute(f"ALTER TABLE app.t ALTER COLUMN a SET NOT NULL, ALTER COLUMN {long} SET NOT NULL")
    want = fingerprint(conn)
    after = conn.execute("SELECT pggit.table_details('app.t'::regclass)").fetchone()[0]
    steps = conn.execute("SELECT statement, warning FROM pggit.column_steps('app.t', %s, %s, '{}', '{}', false, true)"
                         " WHERE NOT starts_with(statement, '-- UPDATE ')",
                         (json.dumps(before), json.dumps(after))).fetchall()
    short = long[:54]  # "<column>_not_null" in 63 bytes: the column's part is cut
    assert [s for s, _ in steps] == [
        "ALTER TABLE app.t ADD CONSTRAINT a_not_null1 CHECK (a IS NOT NULL) NOT VALID;",
        "ALTER TABLE app.t VALIDATE CONSTRAINT a_not_null1;",
        "ALTER TABLE app.t ALTER COLUMN a SET NOT NULL;",
        "ALTER TABLE app.t DROP CONSTRAINT a_not_null1;",
        f"ALTER TABLE app.t ADD CONSTRAINT {short}_not_null CHECK ({long} IS NOT NULL) NOT VALID;",
        f"ALTER TABLE app.t VALIDATE CONSTRAINT {short}_not_null;",
        f"ALTER TABLE app.t ALTER COLUMN {long} SET NOT NULL;",
        f"ALTER TABLE app.t DROP CONSTRAINT {short}_not_null;"]
    # offline: one statement each
    assert [s for (s,) in conn.execute(
        "SELECT statement FROM pggit.column_steps('app.t', %s, %s, '{}', '{}', false, false)"
        " WHERE NOT starts_with(statement, '-- UPDATE ')",
        (json.dumps(before), json.dumps(after)))] == [
        "ALTER TABLE app.t ALTER COLUMN a SET NOT NULL;", f"ALTER TABLE app.t ALTER COLUMN {long} SET NOT NULL;"]
    conn.execute("DROP SCHEMA app CASCADE; CREATE SCHEMA app")
    conn.execute(setup)
    # VALIDATE takes SHARE UPDATE EXCLUSIVE (reads and writes go on while it scans), and
    # SET NOT NULL then proves the column from the valid check without a scan of its own
    messages: list[str] = []
    conn.add_notice_handler(lambda d: messages.append(d.message_primary or ""))
    for statement, _ in steps:
        if " VALIDATE CONSTRAINT " in statement:
            with conn.transaction():
                conn.execute(statement)
                assert conn.execute("SELECT array_agg(DISTINCT mode) FROM pg_locks WHERE relation = 'app.t'::regclass"
                                    " AND pid = pg_backend_pid()").fetchone() == (["ShareUpdateExclusiveLock"],)
        elif statement.endswith(" SET NOT NULL;"):
            conn.execute("SET client_min_messages = debug1")
            conn.execute(statement)
            conn.execute("RESET client_min_messages")
        else:
            conn.execute(statement)
    assert [m for m in messages if m.startswith("existing constraints on column")] == [
        'existing constraints on column "t.a" are sufficient to prove that it does not contain nulls',
        f'existing constraints on column "t.{long}" are sufficient to prove that it does not contain nulls']
    assert catalog.diff(want, fingerprint(conn)) == []


def test_online_set_not_null_fails_on_nulls_without_changing_anything(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; CREATE TABLE app.t (a int); INSERT INTO app.t VALUES (NULL)")
    before = conn.execute("SELECT pggit.table_details('app.t'::regclass)").fetchone()[0]
    after = json.loads(json.dumps(before))
    after["cols"][0]["nn"] = True
    steps = [s for (s,) in conn.execute(
        "SELECT statement FROM pggit.column_steps('app.t', %s, %s, '{}', '{}', false, true)",
        (json.dumps(before), json.dumps(after)))]
    assert steps[0] == "-- UPDATE app.t SET a = '0'::integer WHERE a IS NULL;"  # commented: not run here
    steps = steps[1:]
    conn.execute(steps[0])
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(steps[1])

