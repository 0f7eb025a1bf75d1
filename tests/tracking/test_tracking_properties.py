"""Properties of DDL tracking, semantic versions and schema hashes, with generated DDL.

One database per test, reused across hypothesis examples: every example runs in a
transaction that is rolled back (tracking runs inside the DDL's transaction, so the
rollback undoes it too), and pggit.strict = on turns any tracking error into a failure.
The versioning rules are checked against the Python model in version_model.py.
"""

from __future__ import annotations

import copy
import itertools

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trackhelp import changes_since, history_since, last_history_id, schema_hash, settle, strict, version
from version_model import TYPES, TableModel, statements

from pggit_sql.testing.strategies import TableDefinition, identifiers, quote_ident, table_definitions

pytestmark = pytest.mark.pggit_level(min=2)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
_names = itertools.count(1)


@pytest.fixture
def conn(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    strict(pggit_conn)
    pggit_conn.execute('CREATE SCHEMA "gen S"')
    pggit_conn.execute("CREATE SCHEMA other")
    return pggit_conn


def in_sync(conn: psycopg.Connection) -> int:
    """How many registry rows a full reconcile would change (0: the registry matches the catalog)."""
    with conn.transaction(force_rollback=True):
        return conn.execute("SELECT pggit.reconcile('CHECK')").fetchone()[0]


@st.composite
def models(draw: st.DrawFn) -> TableModel:
    """A table model with one to four columns (names unique per example)."""
    model = TableModel(f"m_{next(_names)}")
    for _ in range(draw(st.integers(1, 4))):
        type_ = draw(st.sampled_from(sorted(TYPES)))
        default = draw(st.none() | st.sampled_from(TYPES[type_][0]))
        model.add_initial_column(model.fresh("c"), type_, draw(st.booleans()), default)
    return model


# --------------------------------------------------------------------------- creation


@reuse_db
@given(table=table_definitions())
def test_generated_tables_are_created_at_1_0_0(conn: psycopg.Connection, table: TableDefinition) -> None:
    with conn.transaction(force_rollback=True):
        before = last_history_id(conn)
        conn.execute(table.sql(schema="gen S"))
        name = table.qualified_name("gen S")
        assert version(conn, name) == "1.0.0"
        rows = history_since(conn, before)
        tables = [r for r in rows if r["object_kind"] == "table"]
        assert [(r["command_tag"], r["change"], r["new_version"]) for r in tables] == [
            ("CREATE TABLE", "create", "1.0.0")]
        row = tables[0]
        assert row["object_identity"] == conn.execute(
            "SELECT (pg_identify_object('pg_class'::regclass, %s::regclass, 0)).identity", (name,)).fetchone()[0]
        assert row["new_hash"] == schema_hash(conn, name)
        assert conn.execute("SELECT count(*) FROM pggit.blobs WHERE hash = %s", (row["new_hash"],)).fetchone() == (1,)
        assert len(rows) == 1  # no serial columns in table_definitions: nothing else was created
        assert in_sync(conn) == 0


# --------------------------------------------------------------------------- versions follow the model


@reuse_db
@given(model=models(), data=st.data())
def test_alters_bump_versions_as_the_model_predicts(
    conn: psycopg.Connection, model: TableModel, data: st.DataObject
) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(model.create_sql())
        assert version(conn, model.qname) == "1.0.0"
        for _ in range(data.draw(st.integers(1, 8), label="statements")):
            old_hash = schema_hash(conn, model.qname)
            sql, kind = data.draw(statements(model), label="statement")
            before = last_history_id(conn)
            conn.execute(sql)
            model.apply(kind)
            rows = changes_since(conn, before)
            assert [change for _, change in rows] == [kind], (sql, rows)
            assert version(conn, model.qname) == "{}.{}.{}".format(*model.version), sql
            new_hash = schema_hash(conn, model.qname)
            renamed_table = " RENAME TO " in sql and "RENAME COLUMN" not in sql
            # the hash changes exactly when the definition does (the table's own name is not in it)
            assert (new_hash != old_hash) == (kind != "none" and not renamed_table), sql
        assert in_sync(conn) == 0


# --------------------------------------------------------------------------- hashes


@reuse_db
@given(table=table_definitions(), other_name=identifiers())
def test_hash_is_deterministic_and_independent_of_name_and_schema(
    conn: psycopg.Connection, table: TableDefinition, other_name: str
) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(table.sql(schema="gen S"))
        twin = TableDefinition(other_name, table.columns, table.primary_key, table.unique, table.check)
        conn.execute(twin.sql(schema="other"))
        first = schema_hash(conn, table.qualified_name("gen S"))
        assert len(first) == 64 and set(first) <= set("0123456789abcdef")
        assert schema_hash(conn, table.qualified_name("gen S")) == first
        assert schema_hash(conn, twin.qualified_name("other")) == first
        settle(conn)  # level 9: the registry, read directly within the transaction
        (stored,) = conn.execute("SELECT hash FROM pggit.objects WHERE objid = %s::regclass AND dropped_at IS NULL",
                                 (table.qualified_name("gen S"),)).fetchone()
        assert stored == first


@reuse_db
@given(model=models(), data=st.data())
def test_any_structural_change_changes_the_hash_and_data_never_does(
    conn: psycopg.Connection, model: TableModel, data: st.DataObject
) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(model.create_sql())
        start = schema_hash(conn, model.qname)
        values = {"integer": "1", "bigint": "2", "numeric(12,2)": "3.5", "numeric(14,2)": "4",
                  "text": "'t'", "character varying(100)": "'v'"}
        columns = list(model.columns.values())
        names = ", ".join(quote_ident(c.name) for c in columns)
        before = last_history_id(conn)
        for _ in range(data.draw(st.integers(1, 3))):
            conn.execute(f"INSERT INTO {model.qname} ({names}) VALUES "
                         f"({', '.join(values[c.type] for c in columns)})")
            conn.execute(f"UPDATE {model.qname} SET {quote_ident(columns[0].name)} = {values[columns[0].type]}")
        conn.execute(f"DELETE FROM {model.qname} WHERE random() < 0.5")
        conn.execute(f"ANALYZE {model.qname}")
        assert schema_hash(conn, model.qname) == start
        assert history_since(conn, before) == [] and version(conn, model.qname) == "1.0.0"
        conn.execute(f"TRUNCATE {model.qname}")  # NOT NULL columns may be added later: keep it empty
        for _ in range(20):  # a statement that changes the definition (drawn on a copy: drawing mutates)
            trial = copy.deepcopy(model)
            sql, kind = data.draw(statements(trial))
            if kind != "none" and " RENAME TO " not in sql:
                break
        else:
            return
        conn.execute(sql)
        assert schema_hash(conn, trial.qname) != start, sql


@reuse_db
@given(model=models(), data=st.data())
def test_a_rolled_back_alter_restores_version_and_hash(
    conn: psycopg.Connection, model: TableModel, data: st.DataObject
) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(model.create_sql())
        settle(conn)  # level 9: else the CREATE and the ALTER are one change of the transaction (1.0.0)
        conn.execute(f"ALTER TABLE {model.qname} ADD COLUMN keep int")  # 1.1.0
        saved_version, saved_hash = version(conn, model.qname), schema_hash(conn, model.qname)
        saved_history = last_history_id(conn)
        scratch = copy.deepcopy(model)
        with pytest.raises(psycopg.errors.RaiseException), conn.transaction():
            for _ in range(data.draw(st.integers(1, 3))):
                sql, _kind = data.draw(statements(scratch))
                conn.execute(sql)
            conn.execute("DO $$ BEGIN RAISE EXCEPTION 'roll it back'; END $$")
        assert version(conn, model.qname) == saved_version == "1.1.0"
        assert schema_hash(conn, model.qname) == saved_hash
        assert history_since(conn, saved_history) == []


def test_uncommitted_alter_is_visible_to_its_transaction_only(
    conn: psycopg.Connection, pggit_connect
) -> None:
    conn.execute("CREATE TABLE seen (a int)")
    other = pggit_connect()
    committed = schema_hash(conn, "seen")
    with conn.transaction():
        conn.execute("ALTER TABLE seen ADD COLUMN b text")
        inside = schema_hash(conn, "seen")
        assert inside != committed
        settle(conn)  # level 9: the registry, read directly within the transaction
        assert inside == conn.execute(
            "SELECT hash FROM pggit.objects WHERE identity = 'public.seen' AND dropped_at IS NULL").fetchone()[0]
        assert version(conn, "seen") == "1.1.0"
        assert schema_hash(other, "public.seen") == committed
        assert version(other, "public.seen") == "1.0.0"
    assert schema_hash(other, "public.seen") == inside


@reuse_db
@given(table=table_definitions())
def test_hash_is_null_for_what_is_no_table(conn: psycopg.Connection, table: TableDefinition) -> None:
    with conn.transaction(force_rollback=True):
        assert schema_hash(conn, table.qualified_name("gen S")) is None  # missing
        conn.execute(f"CREATE VIEW {table.qualified_name('gen S')} AS SELECT 1 AS x")
        assert schema_hash(conn, table.qualified_name("gen S")) is None  # a view
    assert schema_hash(conn, "no.such.thing.at.all") is None
    assert schema_hash(conn, '"unterminated') is None
    assert conn.execute("SELECT pggit.calculate_schema_hash(NULL)").fetchone() == (None,)


# --------------------------------------------------------------------------- valid DDL never fails


@st.composite
def scenarios(draw: st.DrawFn) -> list[str]:
    """A sequence of valid DDL statements over generated names, touching every edge case."""
    schema = quote_ident(draw(identifiers(max_bytes=40)))
    renamed_schema = quote_ident(draw(identifiers(max_bytes=40).filter(lambda n: quote_ident(n) != schema)))
    fixed = {"id", "n", "extra", "k", "v", "w", "z", "t_id", "renamed_col", "renamed_table", "ctas",
             "tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"}  # names the statements below use as they are
    names = draw(st.lists(identifiers(max_bytes=50).filter(lambda n: n not in fixed), min_size=6, max_size=6,
                          unique=True))
    t, v, p, part, child = (quote_ident(n) for n in names[:5])
    col = quote_ident(names[5])
    pool = [
        f"CREATE TABLE {schema}.{t} (id int PRIMARY KEY, {col} text DEFAULT 'x', n int CHECK (n > 0))",
        f"CREATE TABLE {schema}.{child} (id int, t_id int REFERENCES {schema}.{t} (id))",
        f"CREATE VIEW {schema}.{v} AS SELECT id, {col} FROM {schema}.{t}",
        f"ALTER TABLE {schema}.{t} ADD COLUMN extra int, ALTER COLUMN n SET NOT NULL, ADD UNIQUE (extra)",
        f"CREATE INDEX ON {schema}.{t} (lower({col}))",
        f"COMMENT ON COLUMN {schema}.{t}.{col} IS 'c'",
        f"CREATE TABLE {schema}.{p} (k int, v text) PARTITION BY LIST (k)",
        f"CREATE TABLE {schema}.{part} PARTITION OF {schema}.{p} FOR VALUES IN (1, 2)",
        f"ALTER TABLE {schema}.{p} ADD COLUMN w int",
        f"CREATE INDEX ON {schema}.{p} (v)",
        f"ALTER TABLE {schema}.{p} DETACH PARTITION {schema}.{part}",
        f"ALTER TABLE {schema}.{p} ATTACH PARTITION {schema}.{part} FOR VALUES IN (3)",
        f"CREATE TABLE {schema}.ctas AS SELECT * FROM {schema}.{t}",
        f"DO $do$ BEGIN EXECUTE 'ALTER TABLE {schema.replace(chr(39), chr(39) * 2)}.ctas ADD COLUMN z int'; END $do$",
        f"ALTER TABLE {schema}.{t} RENAME COLUMN {col} TO renamed_col",
        f"ALTER TABLE {schema}.{t} RENAME TO renamed_table",
        f"ALTER SCHEMA {schema} RENAME TO {renamed_schema}",
        f"DROP TABLE {renamed_schema}.renamed_table CASCADE",
        f"DROP SCHEMA {renamed_schema} CASCADE",
    ]
    cut = draw(st.integers(3, len(pool)))
    return [f"CREATE SCHEMA {schema}", *pool[:cut]]


@reuse_db
@given(steps=scenarios())
def test_valid_ddl_never_fails_and_the_registry_stays_in_sync(conn: psycopg.Connection, steps: list[str]) -> None:
    with conn.transaction(force_rollback=True):
        for sql in steps:
            conn.execute(sql)  # strict: a tracking error would raise here
        assert in_sync(conn) == 0
        settle(conn)  # level 9: the registry, read directly within the transaction
        live = conn.execute(
            "SELECT o.identity, d.identity FROM pggit.objects AS o,"
            " LATERAL pggit.describe_object(o.classid, o.objid) AS d"
            " WHERE o.dropped_at IS NULL AND (d.identity IS DISTINCT FROM o.identity"
            "   OR encode(sha256(convert_to(d.definition, 'UTF8')), 'hex') <> o.hash)").fetchall()
        assert live == []
