"""Hypothesis strategies for valid ``CREATE TABLE`` statements.

:func:`table_definitions` draws a :class:`TableDefinition`: a table name, one to
``max_columns`` columns with distinct names (distinct as PostgreSQL compares quoted
names: case-sensitively), each with a type and, sometimes, a default that belongs to
that type (never ``integer DEFAULT CURRENT_TIMESTAMP``), NOT NULL flags, and maybe a
primary key on a column whose type suits one, a UNIQUE column and a CHECK on an
integer column.  :meth:`TableDefinition.sql` renders the statement with every
identifier quoted; the ``expected_*`` fields say what ``pg_catalog`` shows once it ran.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from pggit_sql.testing.strategies.identifiers import identifiers, quote_ident

# Column names PostgreSQL reserves for system columns (compared exactly: "XMIN" is fine).
SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})


@dataclass(frozen=True)
class ColumnType:
    """A column type with the defaults that fit it.

    ``defaults`` maps the default expression as written to the text
    ``pg_get_expr(adbin, adrelid)`` gives back for it.
    """

    sql: str  # as written in CREATE TABLE
    formatted: str  # as format_type(atttypid, atttypmod) shows it
    defaults: tuple[tuple[str, str], ...]
    key: bool = True  # usable as primary key / unique column
    integral: bool = False  # a CHECK (col >= 0) makes sense


COLUMN_TYPES: tuple[ColumnType, ...] = (
    ColumnType("integer", "integer", (("0", "0"), ("42", "42")), integral=True),
    ColumnType("bigint", "bigint", (("0", "0"), ("7", "7")), integral=True),
    ColumnType("smallint", "smallint", (("0", "0"),), integral=True),
    ColumnType("text", "text", (("'x'", "'x'::text"), ("''", "''::text"), ("'it''s'", "'it''s'::text"))),
    ColumnType("varchar(50)", "character varying(50)", (("'abc'", "'abc'::character varying"),)),
    ColumnType("boolean", "boolean", (("true", "true"), ("false", "false")), key=False),
    ColumnType("numeric(10,2)", "numeric(10,2)", (("1.5", "1.5"), ("0", "0"))),
    ColumnType("double precision", "double precision", (("0.5", "0.5"),), key=False),
    ColumnType(
        "timestamptz",
        "timestamp with time zone",
        (("now()", "now()"), ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP")),
        key=False,
    ),
    ColumnType("timestamp", "timestamp without time zone", (("LOCALTIMESTAMP", "LOCALTIMESTAMP"),), key=False),
    ColumnType("date", "date", (("CURRENT_DATE", "CURRENT_DATE"),), key=False),
    ColumnType("uuid", "uuid", (("gen_random_uuid()", "gen_random_uuid()"),)),
    ColumnType("jsonb", "jsonb", (("'{}'", "'{}'::jsonb"), ("'[]'", "'[]'::jsonb")), key=False),
    ColumnType("bytea", "bytea", (("'\\x00'::bytea", "'\\x00'::bytea"),), key=False),
)


@dataclass(frozen=True)
class ColumnDefinition:
    name: str
    type: ColumnType
    default: tuple[str, str] | None  # (as written, as pg_get_expr shows it)
    not_null: bool

    def sql(self) -> str:
        parts = [quote_ident(self.name), self.type.sql]
        if self.default is not None:
            parts.append(f"DEFAULT {self.default[0]}")
        if self.not_null:
            parts.append("NOT NULL")
        return " ".join(parts)


@dataclass(frozen=True)
class TableDefinition:
    """A valid CREATE TABLE statement, and what the catalog shows after it ran."""

    name: str
    columns: tuple[ColumnDefinition, ...]
    primary_key: str | None = None  # a column name
    unique: str | None = None  # a column name, never the primary key's
    check: str | None = None  # an integral column name: CHECK (col >= 0)

    def qualified_name(self, schema: str | None = None) -> str:
        table = quote_ident(self.name)
        return f"{quote_ident(schema)}.{table}" if schema else table

    def sql(self, schema: str | None = None) -> str:
        """The CREATE TABLE statement, every identifier quoted; in ``schema`` if given."""
        items = [column.sql() for column in self.columns]
        if self.primary_key is not None:
            items.append(f"PRIMARY KEY ({quote_ident(self.primary_key)})")
        if self.unique is not None:
            items.append(f"UNIQUE ({quote_ident(self.unique)})")
        if self.check is not None:
            items.append(f"CHECK ({quote_ident(self.check)} >= 0)")
        return f"CREATE TABLE {self.qualified_name(schema)} ({', '.join(items)})"

    def expected_columns(self) -> list[tuple[str, str, bool, str | None]]:
        """``(name, format_type, attnotnull, pg_get_expr of the default)`` per column, in order."""
        return [
            (
                column.name,
                column.type.formatted,
                column.not_null or column.name == self.primary_key,
                column.default[1] if column.default is not None else None,
            )
            for column in self.columns
        ]

    def expected_constraint_types(self) -> list[str]:
        """Sorted ``pg_constraint.contype`` letters the table gets (NOT NULL is no constraint in 15)."""
        kinds = []
        if self.primary_key is not None:
            kinds.append("p")
        if self.unique is not None:
            kinds.append("u")
        if self.check is not None:
            kinds.append("c")
        return sorted(kinds)


def column_names() -> st.SearchStrategy[str]:
    """Identifiers usable as column names (no system column names)."""
    return identifiers().filter(lambda name: name not in SYSTEM_COLUMNS)


@st.composite
def _column(draw: st.DrawFn, name: str) -> ColumnDefinition:
    column_type = draw(st.sampled_from(COLUMN_TYPES))
    default = draw(st.none() | st.sampled_from(column_type.defaults))
    return ColumnDefinition(name, column_type, default, draw(st.booleans()))


@st.composite
def table_definitions(draw: st.DrawFn, *, max_columns: int = 8) -> TableDefinition:
    """Valid CREATE TABLE statements as :class:`TableDefinition`; see the module docstring."""
    name = draw(identifiers())
    names = draw(st.lists(column_names(), min_size=1, max_size=max_columns, unique=True))
    columns = tuple(draw(_column(column_name)) for column_name in names)
    keyable = [column.name for column in columns if column.type.key]
    primary_key = draw(st.none() | st.sampled_from(keyable)) if keyable else None
    unique_candidates = [name for name in keyable if name != primary_key]
    unique = draw(st.none() | st.sampled_from(unique_candidates)) if unique_candidates else None
    integral = [column.name for column in columns if column.type.integral]
    check = draw(st.none() | st.sampled_from(integral)) if integral else None
    return TableDefinition(name, columns, primary_key, unique, check)
