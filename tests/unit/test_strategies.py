"""The hypothesis strategies draw what they promise, and PostgreSQL agrees."""

from __future__ import annotations

import re

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pggit_sql.testing.strategies import (
    MAX_IDENTIFIER_BYTES,
    RESERVED_KEYWORDS,
    SYSTEM_COLUMNS,
    TableDefinition,
    identifiers,
    quote_ident,
    reserved_keywords,
    table_definitions,
    utf8_prefix,
)

STYLES = ["plain", "mixed", "unicode", "any"]
SCHEMA = "strategy check"  # needs quoting itself


@pytest.mark.parametrize("style", STYLES)
@given(data=st.data())
def test_identifiers_fit_63_bytes_and_avoid_reserved_words(style: str, data: st.DataObject) -> None:
    name = data.draw(identifiers(style))  # type: ignore[arg-type]
    assert 1 <= len(name.encode("utf-8")) <= MAX_IDENTIFIER_BYTES
    assert "\x00" not in name
    assert name.lower() not in RESERVED_KEYWORDS
    if style == "plain":
        assert re.fullmatch(r"[a-z_][a-z0-9_$]*", name), name


@given(identifiers(max_bytes=10))
def test_identifiers_respect_a_smaller_budget(name: str) -> None:
    assert len(name.encode("utf-8")) <= 10


def test_identifier_helpers() -> None:
    assert quote_ident('a"b') == '"a""b"'
    assert utf8_prefix("é" * 40) == "é" * 31  # 2 bytes each: 62 of 63 bytes
    assert utf8_prefix("a" * 70) == "a" * 63
    with pytest.raises(ValueError):
        quote_ident("a\x00b")
    with pytest.raises(ValueError):
        identifiers(max_bytes=64)


def test_reserved_keywords_match_the_server(pggit_admin_conninfo: str) -> None:
    with psycopg.connect(pggit_admin_conninfo) as conn:
        rows = conn.execute("SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T', 'C')").fetchall()
        major = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()[0]
    assert {row[0] for row in rows} == reserved_keywords(major)
    assert reserved_keywords(major) <= RESERVED_KEYWORDS


@given(table_definitions())
def test_table_definitions_are_self_consistent(table: TableDefinition) -> None:
    names = [column.name for column in table.columns]
    assert len(names) == len(set(names))  # distinct, case-sensitively, as quoted names are
    assert not SYSTEM_COLUMNS & set(names)
    by_name = {column.name: column for column in table.columns}
    for column in table.columns:
        assert column.default is None or column.default in column.type.defaults
    if table.primary_key is not None:
        assert by_name[table.primary_key].type.key
    if table.unique is not None:
        assert table.unique != table.primary_key and by_name[table.unique].type.key
    if table.check is not None:
        assert by_name[table.check].type.integral


_COLUMNS = """
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=table_definitions())
def test_table_definitions_run_and_the_catalog_shows_exactly_them(
    pggit_conn: psycopg.Connection, table: TableDefinition
) -> None:
    # One database for all examples: each example runs in a transaction that is rolled back.
    with pggit_conn.transaction(force_rollback=True):
        pggit_conn.execute(f"CREATE SCHEMA {quote_ident(SCHEMA)}")
        pggit_conn.execute(table.sql(SCHEMA))
        tables = pggit_conn.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r'",
            (SCHEMA,),
        ).fetchall()
        assert [row[0] for row in tables] == [table.name]
        oid = table.qualified_name(SCHEMA)
        columns = [tuple(row) for row in pggit_conn.execute(_COLUMNS, (oid,)).fetchall()]
        assert columns == table.expected_columns()
        kinds = pggit_conn.execute(
            # 18 catalogues each NOT NULL as a constraint row ('n'): the columns above show those
            "SELECT contype::text FROM pg_catalog.pg_constraint WHERE conrelid = %s::regclass AND contype <> 'n'"
            " ORDER BY 1", (oid,)
        ).fetchall()
        assert [row[0] for row in kinds] == table.expected_constraint_types()
