"""Rows a table accepts, drawn from what ``pg_catalog`` says about it.

:func:`table_rows` reads a table's shape once, when the strategy is built: its columns
(type, typmod, NOT NULL, default, identity, generated), domains (base type, NOT NULL,
CHECKs), enums, one-dimensional arrays, CHECK constraints, primary keys, unique
constraints and unique indexes, and foreign keys, following them to the referenced tables.
It then draws a :class:`Dataset`: rows for every table involved, referenced tables first,
so that inserting them in order with :func:`insert_dataset` succeeds.

- Generated columns, identity columns and columns whose default calls ``nextval`` are left
  out (the server fills them). A foreign key into such a column takes a :class:`Ref` to the
  referenced row, resolved by :func:`insert_dataset` from the values the insert returned.
- Other columns are drawn, defaults or not; a column of an unsupported type is left out
  when it has a default, NULL when nullable, and otherwise :class:`UnsupportedColumn`
  names the table, column and type when the strategy is built.
- Simple CHECKs (``x > 0``, ``x BETWEEN a AND b``, ``a IN (...)``, ``length(s) <= n``,
  ``s <> ''``, ``lo <= hi``), in a table or a domain, bound the drawn values by
  construction. Every drawn row is then checked by the server in one query: its values
  cast to the column types (domain CHECKs run there), every CHECK constraint evaluated over
  them, and the keys of every unique index computed (expressions and partial predicates
  too); a row failing any of that, or repeating a key of an earlier row, is drawn again.
  The values kept are the ones that query returned: what the table will hold.
- Foreign keys take their values from rows drawn for the referenced table (or NULL where
  every column of the key is nullable); a self reference points at an earlier row or is
  NULL. In a cycle of foreign keys between tables the key that closes it is NULL (an
  error if it cannot be).

Not honoured: CHECKs and expression/partial unique keys over a column whose value is a
:class:`Ref` (they see NULL), exclusion constraints, triggers that refuse rows, and unique
keys over generated columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

import psycopg
from hypothesis import reject
from hypothesis import strategies as st
from psycopg import sql
from psycopg.types.json import Json, Jsonb

from pggit_sql.errors import UnsupportedColumn

TableName = tuple[str, str]  # (schema, table)

# Built-in type OIDs (fixed in every PostgreSQL) -> kind
_KINDS = {
    21: "int2", 23: "int4", 20: "int8", 1700: "numeric", 700: "float4", 701: "float8",
    25: "text", 1043: "varchar", 1042: "bpchar", 16: "bool", 1082: "date", 1083: "time",
    1266: "timetz", 1114: "timestamp", 1184: "timestamptz", 1186: "interval", 2950: "uuid",
    114: "json", 3802: "jsonb", 17: "bytea", 869: "inet", 650: "cidr",
}
_INT_RANGE = {"int2": 2**15, "int4": 2**31, "int8": 2**63}
_ORDERED = {"int2", "int4", "int8", "numeric", "float4", "float8", "date", "time", "timestamp", "timestamptz"}
_ATTEMPTS = 12  # candidate rows drawn per row before giving up on it


@dataclass(frozen=True)
class Ref:
    """The value of ``column`` in row ``row`` of ``table`` as inserted (a key the server generates)."""

    table: TableName
    row: int
    column: str


@dataclass(frozen=True)
class TableRows:
    """Rows for one table: ``columns`` (those drawn, in table order) and one tuple per row."""

    table: TableName
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    json_kinds: tuple[str, ...] = field(default=(), repr=False, compare=False)  # "json"/"jsonb"/"" per column

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(*self.table)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Dataset:
    """Rows for each table involved, in insert order (referenced tables first)."""

    tables: tuple[TableRows, ...]

    def __getitem__(self, table: TableName) -> TableRows:
        for rows in self.tables:
            if rows.table == table:
                return rows
        raise KeyError(table)

    def __iter__(self) -> Iterator[TableRows]:
        return iter(self.tables)


# --------------------------------------------------------------------------- the catalog


@dataclass
class _Bounds:
    """What simple CHECKs say about one value."""

    lo: Any = None
    lo_open: bool = False
    hi: Any = None
    hi_open: bool = False
    choices: list[Any] | None = None
    min_len: int = 0
    max_len: int | None = None
    not_null: bool = False
    pattern: str | None = None  # a POSIX regular expression the text matches (``~``)
    multiple_of: int = 1  # integers: col % n = 0


@dataclass
class _Type:
    kind: str | None  # None: unsupported
    name: str  # format_type, for messages and casts
    typmod: int = -1
    elem: _Type | None = None  # arrays
    labels: tuple[str, ...] = ()  # enums
    checks: list[str] = field(default_factory=list)  # domain CHECK definitions (over VALUE)
    not_null: bool = False  # a domain's NOT NULL
    has_default: bool = False  # a domain's default


@dataclass
class _Column:
    name: str
    type: _Type
    sql_type: str  # format_type(atttypid, atttypmod)
    not_null: bool
    default: str | None
    drawn: bool = True
    bounds: _Bounds = field(default_factory=_Bounds)


@dataclass
class _ForeignKey:
    columns: tuple[str, ...]
    target: TableName
    target_columns: tuple[str, ...]
    back_edge: bool = False  # closes a cycle: always NULL


@dataclass
class _UniqueKey:
    parts: tuple[str | None, ...]  # a column name, or None for an expression
    expressions: tuple[str, ...]  # SQL per part (quoted column or expression)
    predicate: str | None
    nulls_not_distinct: bool


@dataclass
class _Table:
    name: TableName
    columns: list[_Column]
    all_columns: tuple[str, ...]
    generated: dict[str, tuple[str, str]]  # name -> (expression, sql type)
    checks: list[str]
    uniques: list[_UniqueKey]
    fks: list[_ForeignKey]
    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # (a, op, b): a op b

    @property
    def label(self) -> str:
        return ".".join(self.name)

    def column(self, name: str) -> _Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _type(conn: psycopg.Connection, oid: int, typmod: int, cache: dict[tuple[int, int], _Type]) -> _Type:
    if (oid, typmod) in cache:
        return cache[(oid, typmod)]
    row = conn.execute(
        "SELECT typtype, typbasetype, typtypmod, typnotnull, typdefaultbin IS NOT NULL, typelem, typcategory,"
        " pg_catalog.format_type(oid, %s) FROM pg_catalog.pg_type WHERE oid = %s", (typmod, oid)).fetchone()
    assert row is not None
    typtype, base, basemod, notnull, has_default, elem, category, name = row
    if typtype == "d":
        inner = _type(conn, base, basemod, cache)
        checks = [r[0] for r in conn.execute(
            "SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint"
            " WHERE contypid = %s AND contype = 'c' ORDER BY conname", (oid,))]
        result = _Type(inner.kind, name, inner.typmod, inner.elem, inner.labels, inner.checks + checks,
                       inner.not_null or notnull, inner.has_default or has_default)
    elif typtype == "e":
        labels = tuple(r[0] for r in conn.execute(
            "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = %s ORDER BY enumsortorder", (oid,)))
        result = _Type("enum", name, labels=labels)
    elif category == "A" and elem:
        element = _type(conn, elem, typmod, cache)
        result = _Type("array" if element.kind else None, name, typmod, elem=element)
    else:
        result = _Type(_KINDS.get(oid), name, typmod)
    cache[(oid, typmod)] = result
    return result


def _table_oid(conn: psycopg.Connection, table: str | TableName) -> tuple[int, TableName]:
    if isinstance(table, str):
        row = conn.execute("SELECT pg_catalog.to_regclass(%s)::oid", (table,)).fetchone()
        oid = row[0] if row else None
    else:
        row = conn.execute(
            "SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s", table).fetchone()
        oid = row[0] if row else None
    if oid is None:
        raise LookupError(f"no table {table!r}")
    return oid, _name_of(conn, oid)


def _name_of(conn: psycopg.Connection, oid: int) -> TableName:
    row = conn.execute("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                       " ON n.oid = c.relnamespace WHERE c.oid = %s", (oid,)).fetchone()
    assert row is not None
    return (row[0], row[1])


def _read_table(conn: psycopg.Connection, oid: int, name: TableName, cache: dict[tuple[int, int], _Type]
                ) -> tuple[_Table, list[int]]:
    """The table's shape, and the OIDs of the tables its foreign keys reference."""
    attrs = conn.execute(
        "SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attidentity, a.attgenerated,"
        " pg_catalog.format_type(a.atttypid, a.atttypmod), pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
        " FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d"
        " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (oid,)).fetchall()
    by_num: dict[int, str] = {}
    columns: list[_Column] = []
    generated: dict[str, tuple[str, str]] = {}
    for num, attname, typoid, typmod, notnull, identity, gen, sql_type, default in attrs:
        by_num[num] = attname
        if gen:
            generated[attname] = (default, sql_type)
            continue
        column_type = _type(conn, typoid, typmod, cache)
        column = _Column(attname, column_type, sql_type, bool(notnull) or column_type.not_null, default)
        server_fills = bool(identity) or (default is not None and "nextval(" in default)
        has_default = default is not None or column_type.has_default
        if server_fills or (column_type.kind is None and has_default):
            column.drawn = False
        elif column_type.kind is None and column.not_null:
            raise UnsupportedColumn(
                f"{'.'.join(name)}.{attname}: type {sql_type} is not supported by table_rows"
                " (NOT NULL and no default: give it a default or make it nullable)")
        columns.append(column)
    cons = conn.execute(
        "SELECT contype, conkey, confrelid, confkey, pg_catalog.pg_get_constraintdef(oid)"
        " FROM pg_catalog.pg_constraint WHERE conrelid = %s AND contype IN ('c', 'f') ORDER BY conname",
        (oid,)).fetchall()
    checks: list[str] = []
    fks: list[_ForeignKey] = []
    targets: list[int] = []
    for contype, conkey, confrelid, confkey, definition in cons:
        if contype == "c":
            checks.append(definition)
        else:
            target_attrs: dict[int, str] = dict(conn.execute(
                "SELECT attnum, attname FROM pg_catalog.pg_attribute WHERE attrelid = %s AND attnum > 0",
                (confrelid,)).fetchall())
            target = name if confrelid == oid else _name_of(conn, confrelid)
            fks.append(_ForeignKey(tuple(by_num[k] for k in conkey), target,
                                   tuple(target_attrs[k] for k in confkey)))
            targets.append(confrelid)
    uniques: list[_UniqueKey] = []
    for indexrelid, indkey, nkeys, predicate, nnd in conn.execute(
            "SELECT indexrelid, indkey::int2[], indnkeyatts, pg_catalog.pg_get_expr(indpred, indrelid),"
            " coalesce((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)"
            " FROM pg_catalog.pg_index i WHERE indrelid = %s AND indisunique ORDER BY indexrelid", (oid,)):
        parts: list[str | None] = []
        expressions: list[str] = []
        for position in range(nkeys):
            attnum = indkey[position]
            if attnum:
                parts.append(by_num[attnum])
                expressions.append(sql.Identifier(by_num[attnum]).as_string(conn))
            else:
                parts.append(None)
                (expression,) = conn.execute("SELECT pg_catalog.pg_get_indexdef(%s, %s, false)",
                                             (indexrelid, position + 1)).fetchone()  # type: ignore[misc]
                expressions.append(expression)
        uniques.append(_UniqueKey(tuple(parts), tuple(expressions), predicate, bool(nnd)))
    table = _Table(name, columns, tuple(by_num[n] for n in sorted(by_num)), generated, checks, uniques, fks)
    for column in columns:
        if column.drawn and column.type.kind is not None:
            for check in column.type.checks:
                _bound(column, check, "VALUE")
    for check in checks:
        _honour_check(table, check)
    return table, targets


# --------------------------------------------------------------------------- simple CHECKs

_IDENT = r'(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)'
_COL = rf"(?:\(({_IDENT})\)::[a-z ]+|({_IDENT}))"
_LIT = r"(?:'(?:[^']|'')*'|\(?-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\)?)(?:::[a-z][a-z0-9_ ]*(?:\(\d+(?:,\d+)?\))?(?:\[\])?)?"
_OPS = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}


def _unwrap(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _closes_at_end(text):
        text = text[1:-1].strip()
    return text


def _closes_at_end(text: str) -> bool:
    depth = 0
    quote = ""
    for i, ch in enumerate(text):
        if ch in "'\"" and quote in ("", ch):
            quote = "" if quote else ch
        elif not quote:
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return False
    return True


def _conjuncts(text: str) -> list[str]:
    text = _unwrap(text)
    parts, depth, quote, start = [], 0, "", 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"" and quote in ("", ch):
            quote = "" if quote else ch
        elif not quote:
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and text.startswith(" AND ", i):
                parts.append(text[start:i])
                start = i + 5
                i += 4
        i += 1
    parts.append(text[start:])
    return [_unwrap(p) for p in parts] if len(parts) > 1 else [text]


def _ident(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def _literal(text: str) -> str | None:
    text = text.strip()
    text = re.sub(r"::[a-z][a-z0-9_ ]*(\(\d+(,\d+)?\))?(\[\])?$", "", text).strip()
    text = _unwrap(text)
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return text if re.fullmatch(r"-?\d+(\.\d+)?(e[+-]?\d+)?", text) else None


def _convert(kind: str, text: str) -> Any:
    if kind in _INT_RANGE:
        return Decimal(text)
    if kind == "numeric":
        return Decimal(text)
    if kind in ("float4", "float8"):
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    if kind in ("text", "varchar", "bpchar", "enum"):
        return text
    raise ValueError(kind)


def _check_body(definition: str) -> str:
    """``CHECK (...)`` without a trailing NOT VALID / NO INHERIT."""
    return re.sub(r"(\s+(NOT VALID|NO INHERIT))+$", "", definition.strip())


def _honour_check(table: _Table, definition: str) -> None:
    body = _check_body(definition)
    if not body.startswith("CHECK "):
        return
    for conjunct in _conjuncts(body[len("CHECK "):]):
        m = re.fullmatch(rf"{_COL} (<=|<) {_COL}", conjunct)
        if m:
            a, b = _ident(m.group(1) or m.group(2)), _ident(m.group(4) or m.group(5))
            table.pairs.append((a, m.group(3), b))
            continue
        for column in table.columns:
            if column.drawn and column.type.kind is not None:
                _bound(column, conjunct, column.name)


def _bound(column: _Column, conjunct: str, name: str) -> None:
    """Narrow ``column.bounds`` by a conjunct of a CHECK that mentions ``name`` (a column, or VALUE)."""
    if conjunct.startswith("CHECK "):
        for part in _conjuncts(_check_body(conjunct)[len("CHECK "):]):
            _bound(column, part, name)
        return
    quoted = sql.Identifier(name).as_string(None) if name != "VALUE" else "VALUE"
    names = {re.escape(name), re.escape(quoted)}
    col = rf'(?:\((?:{"|".join(names)})\)::[a-z ]+(?:\(\d+\))?|(?:{"|".join(names)}))'
    bounds, kind = column.bounds, column.type.kind
    assert kind is not None
    try:
        if re.fullmatch(rf"{col} IS NOT NULL", conjunct):
            bounds.not_null = True
        elif m := re.fullmatch(rf"{col} (>=|>|<=|<|=) ({_LIT})", conjunct):
            _compare(bounds, kind, m.group(1), m.group(2))
        elif m := re.fullmatch(rf"({_LIT}) (>=|>|<=|<|=) {col}", conjunct):
            _compare(bounds, kind, _OPS[m.group(2)], m.group(1))
        elif m := re.fullmatch(rf"{col} = ANY \(\(?ARRAY\[(.*)\]\)?(?:::[a-z ]+\[\])?\)", conjunct):
            items = [_literal(item) for item in re.split(r",\s*(?=(?:[^']*'[^']*')*[^']*$)", m.group(1))]
            if all(item is not None for item in items):
                values = [_convert(kind, item) for item in items if item is not None]
                bounds.choices = values if bounds.choices is None else [v for v in bounds.choices if v in values]
        elif m := re.fullmatch(rf"(?:length|char_length|character_length)\({col}\) (>=|>|<=|<|=) (\d+)", conjunct):
            op, n = m.group(1), int(m.group(2))
            if op in ("<=", "<", "="):
                limit = n - (op == "<")
                bounds.max_len = limit if bounds.max_len is None else min(bounds.max_len, limit)
            if op in (">=", ">", "="):
                bounds.min_len = max(bounds.min_len, n + (op == ">"))
        elif m := re.fullmatch(rf"\({col} % (\d+)\) = 0", conjunct):
            bounds.multiple_of = math.lcm(bounds.multiple_of, int(m.group(1)))
        elif m := re.fullmatch(rf"{col} ~ '((?:[^']|'')*)'(?:::text)?", conjunct):
            pattern = m.group(1).replace("''", "'")
            re.compile(pattern)
            bounds.pattern = pattern
        elif re.fullmatch(rf"{col} <> ''(?:::[a-z ]+)?", conjunct):
            bounds.min_len = max(bounds.min_len, 1)
    except (ValueError, ArithmeticError, re.error):
        return


def _compare(bounds: _Bounds, kind: str, op: str, literal: str) -> None:
    text = _literal(literal)
    if text is None:
        return
    value = _convert(kind, text)
    if op == "=":
        bounds.choices = [value] if bounds.choices is None else [v for v in bounds.choices if v == value]
    if op in (">", ">=") and (bounds.lo is None or value > bounds.lo or (value == bounds.lo and op == ">")):
        bounds.lo, bounds.lo_open = value, op == ">"
    if op in ("<", "<=") and (bounds.hi is None or value < bounds.hi or (value == bounds.hi and op == "<")):
        bounds.hi, bounds.hi_open = value, op == "<"


# --------------------------------------------------------------------------- values per type

_TEXT = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_TEXT, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_TEXT, max_size=6), inner, max_size=3),
    max_leaves=6,
)
_EARLIEST, _LATEST = datetime(1900, 1, 1), datetime(2200, 12, 31)


def _precision(typmod: int) -> int:
    return typmod if 0 <= typmod <= 6 else 6


def _quantize_micro(p: int) -> Callable[[Any], Any]:
    step = 10 ** (6 - p)
    return lambda v: v.replace(microsecond=v.microsecond // step * step)


def _values(t: _Type, bounds: _Bounds) -> st.SearchStrategy[Any]:  # one branch per kind
    kind = t.kind
    if bounds.choices is not None:
        return st.sampled_from(bounds.choices) if bounds.choices else st.nothing()
    lo, hi = bounds.lo, bounds.hi
    if kind in _INT_RANGE:
        low, high = -_INT_RANGE[kind], _INT_RANGE[kind] - 1
        if lo is not None:
            low = max(low, math.floor(lo) + 1 if bounds.lo_open or lo != math.floor(lo) else int(lo))
        if hi is not None:
            high = min(high, math.ceil(hi) - 1 if bounds.hi_open or hi != math.ceil(hi) else int(hi))
        n = bounds.multiple_of
        if n > 1:
            return st.integers(-(-low // n), high // n).map(lambda k: k * n)
        return st.integers(low, high)
    if kind == "numeric":
        if t.typmod >= 4:
            precision, scale = ((t.typmod - 4) >> 16) & 0xFFFF, (t.typmod - 4) & 0xFFFF
            scale = scale - 0x10000 if scale > 0x7FF else scale
            places = max(scale, 0)
            limit = Decimal(10) ** (precision - scale) - Decimal(10) ** -scale
        else:
            places, limit = 4, Decimal(10) ** 12
        step = Decimal(10) ** -places
        low_d, high_d = -limit, limit
        if lo is not None:
            low_d = max(low_d, Decimal(lo) + step if bounds.lo_open else Decimal(lo))
        if hi is not None:
            high_d = min(high_d, Decimal(hi) - step if bounds.hi_open else Decimal(hi))
        low_d = low_d.quantize(step, rounding="ROUND_CEILING")
        high_d = high_d.quantize(step, rounding="ROUND_FLOOR")
        return st.nothing() if low_d > high_d else st.decimals(low_d, high_d, places=places)
    if kind in ("float4", "float8"):
        width: Literal[32, 64] = 32 if kind == "float4" else 64
        return st.floats(min_value=None if lo is None else float(lo), max_value=None if hi is None else float(hi),
                         exclude_min=bounds.lo_open and lo is not None, exclude_max=bounds.hi_open and hi is not None,
                         allow_nan=False, allow_infinity=False, width=width)
    if kind in ("text", "varchar", "bpchar"):
        max_len = bounds.max_len if bounds.max_len is not None else 12
        if kind in ("varchar", "bpchar") and t.typmod >= 4:
            max_len = min(max_len, t.typmod - 4)
        alphabet = _TEXT
        if bounds.pattern is not None:  # Python's regular expressions read simple POSIX ones alike
            anchored = bounds.pattern.startswith("^") and bounds.pattern.endswith("$")
            pattern = bounds.pattern[1:-1] if anchored else bounds.pattern
            return st.from_regex(pattern, fullmatch=anchored, alphabet=alphabet).filter(
                lambda s: bounds.min_len <= len(s) <= max_len)
        if kind == "bpchar":  # trailing spaces are insignificant: keep values distinct as drawn
            return st.text(alphabet, min_size=bounds.min_len, max_size=max_len).map(str.rstrip).filter(
                lambda s: len(s) >= bounds.min_len)
        return st.text(alphabet, min_size=bounds.min_len, max_size=max_len)
    if kind == "bool":
        return st.booleans()
    if kind == "date":
        first = lo + timedelta(days=bounds.lo_open) if isinstance(lo, date) else date(1900, 1, 1)
        last = hi - timedelta(days=bounds.hi_open) if isinstance(hi, date) else date(2200, 12, 31)
        return st.dates(first, last) if first <= last else st.nothing()
    if kind in ("time", "timetz"):
        zones = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])
        return st.times(timezones=zones if kind == "timetz" else st.none()).map(_quantize_micro(_precision(t.typmod)))
    if kind in ("timestamp", "timestamptz"):
        low_ts = lo if isinstance(lo, datetime) else _EARLIEST
        high_ts = hi if isinstance(hi, datetime) else _LATEST
        quantize = _quantize_micro(_precision(t.typmod))
        if kind == "timestamptz":  # two calls: hypothesis types aware and naive datetimes apart
            return st.datetimes(low_ts, high_ts, timezones=st.just(UTC)).map(quantize)
        return st.datetimes(low_ts, high_ts, timezones=st.none()).map(quantize)
    if kind == "interval":
        return st.timedeltas(timedelta(days=-(10**6)), timedelta(days=10**6))
    if kind == "uuid":
        return st.uuids()
    if kind in ("json", "jsonb"):  # never a JSON null at the top: read back it is None, an SQL NULL
        return _JSON.filter(lambda v: v is not None).map(Json if kind == "json" else Jsonb)
    if kind == "bytea":
        return st.binary(max_size=16)
    if kind == "inet":
        return st.ip_addresses()
    if kind == "cidr":
        import ipaddress

        return st.tuples(st.ip_addresses(), st.integers(0, 128)).map(
            lambda a: ipaddress.ip_network(f"{a[0]}/{min(a[1], a[0].max_prefixlen)}", strict=False))
    if kind == "enum":
        return st.sampled_from(t.labels) if t.labels else st.nothing()
    if kind == "array":
        assert t.elem is not None
        element = _values(t.elem, _Bounds())
        if not t.elem.not_null:
            element = st.none() | element
        return st.lists(element, max_size=4)
    raise AssertionError(kind)


def _column_values(column: _Column) -> st.SearchStrategy[Any]:
    if column.type.kind is None:
        return st.none()
    values = _values(column.type, column.bounds)
    if column.not_null or column.bounds.not_null:
        return values
    return st.none() | values


# --------------------------------------------------------------------------- drawing


def _plan(conn: psycopg.Connection, table: str | TableName) -> list[_Table]:
    """Every table the root's foreign keys reach, in insert order (root last)."""
    cache: dict[tuple[int, int], _Type] = {}
    shapes: dict[int, tuple[_Table, list[int]]] = {}
    order: list[_Table] = []
    done: set[int] = set()
    root_oid, root_name = _table_oid(conn, table)

    def visit(oid: int, name: TableName, stack: list[int]) -> None:
        if oid in done:
            return
        if oid not in shapes:
            shapes[oid] = _read_table(conn, oid, name, cache)
        shape, targets = shapes[oid]
        stack.append(oid)
        for fk, target in zip(shape.fks, targets, strict=True):
            if target == oid:
                continue
            if target in stack:
                fk.back_edge = True
                continue
            visit(target, _name_of(conn, target), stack)
        stack.pop()
        done.add(oid)
        order.append(shape)

    visit(root_oid, root_name, [])
    for shape in order:
        for fk in shape.fks:
            if fk.back_edge and all(_column_not_null(shape, c) for c in fk.columns):
                raise UnsupportedColumn(
                    f"{shape.label}: foreign key ({', '.join(fk.columns)}) closes a cycle of NOT NULL foreign keys")
    return order


def _column_not_null(shape: _Table, name: str) -> bool:
    column = shape.column(name)
    return column is None or column.not_null or column.bounds.not_null


@dataclass
class _Drawn:
    values: dict[str, Any]  # canonical values of the drawn columns, Refs for keys the server fills
    keys: list[tuple[Any, ...] | None]  # per unique key: its value, None when it cannot collide


def _id(*names: str) -> sql.SQL:
    """``sql.Identifier(*names)`` for a query with parameters: psycopg leaves a ``%`` in a name as is."""
    return sql.SQL(sql.Identifier(*names).as_string(None).replace("%", "%%"))


def _raw(text: str) -> sql.SQL:
    """SQL text read from the catalog, its ``%`` doubled (the query takes parameters)."""
    return sql.SQL(text.replace("%", "%%"))


def _row_query(conn: psycopg.Connection, shape: _Table) -> sql.Composed:
    drawn = [c for c in shape.columns if c.drawn]
    cols = [_id(c.name) for c in shape.columns]
    gen = [sql.SQL("({})::{} AS {}").format(_raw(expr), _raw(typ), _id(name))
           for name, (expr, typ) in shape.generated.items()]
    checks = [sql.SQL("({}) IS NOT FALSE").format(_raw(_check_body(c)[len("CHECK "):]))
              for c in shape.checks if c.startswith("CHECK ")]
    outputs: list[sql.Composable] = [_id(c.name) for c in drawn]
    outputs.append(sql.SQL(" AND ").join(checks) if checks else sql.SQL("true"))
    for uniq in shape.uniques:
        outputs.append(sql.SQL("({})").format(_raw(uniq.predicate)) if uniq.predicate else sql.SQL("true"))
        outputs.extend(sql.SQL("({})").format(_raw(e)) for e in uniq.expressions)
    # generated columns last: unused, a subquery's outputs are never computed (and they can overflow)
    outputs.extend(sql.SQL("{} IS NULL").format(_id(name)) for name in shape.generated)
    values = sql.SQL(", ").join(sql.SQL("%s::{}").format(_raw(c.sql_type)) for c in shape.columns)
    inner = sql.SQL("SELECT t.*{} FROM (VALUES ({})) AS t ({})").format(
        sql.SQL("").join(sql.SQL(", ") + g for g in gen), values, sql.SQL(", ").join(cols))
    return sql.SQL("SELECT {} FROM ({}) AS s").format(sql.SQL(", ").join(outputs), inner)


def _server_row(conn: psycopg.Connection, query: sql.Composed, params: list[Any]) -> tuple[Any, ...] | None:
    try:
        if conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return conn.execute(query, params).fetchone()
        with conn.transaction():
            return conn.execute(query, params).fetchone()
    except psycopg.Error:
        return None


@st.composite
def _table_draw(draw: st.DrawFn, conn: psycopg.Connection, shape: _Table, min_rows: int, max_rows: int,
                drawn_so_far: dict[TableName, TableRows]) -> TableRows:
    drawn_cols = [c for c in shape.columns if c.drawn]
    fk_cols = {c for fk in shape.fks for c in fk.columns}
    strategies = {c.name: _column_values(c) for c in drawn_cols if c.name not in fk_cols}
    query = _row_query(conn, shape)
    count = draw(st.integers(min_rows, max_rows))
    rows: list[_Drawn] = []
    for _ in range(count):
        row = None
        for _attempt in range(_ATTEMPTS):
            row = _candidate(draw, conn, shape, strategies, query, rows, drawn_so_far)
            if row is not None:
                break
        if row is None:
            if len(rows) >= min_rows:
                break
            reject()
        rows.append(row)
    kinds = tuple(_json_kind(c.type) for c in drawn_cols)
    return TableRows(shape.name, tuple(c.name for c in drawn_cols),
                     tuple(tuple(r.values[c.name] for c in drawn_cols) for r in rows), kinds)


def _json_kind(t: _Type) -> str:
    if t.kind in ("json", "jsonb"):
        return t.kind
    if t.kind == "array" and t.elem is not None and t.elem.kind in ("json", "jsonb"):
        return t.elem.kind + "[]"
    return ""


def _candidate(draw: st.DrawFn, conn: psycopg.Connection, shape: _Table, strategies: dict[str, Any],
               query: sql.Composed, rows: list[_Drawn], others: dict[TableName, TableRows]) -> _Drawn | None:
    values: dict[str, Any] = {name: draw(strategy) for name, strategy in strategies.items()}
    for a, _op, b in shape.pairs:  # lo <= hi: put a drawn pair in order
        ca, cb = shape.column(a), shape.column(b)
        if (a in values and b in values and ca is not None and cb is not None and ca.sql_type == cb.sql_type
                and ca.type.kind in _ORDERED and ca.bounds == cb.bounds
                and values[a] is not None and values[b] is not None and values[b] < values[a]):
            values[a], values[b] = values[b], values[a]
    for fk in shape.fks:
        if not _assign_fk(draw, shape, fk, values, rows, others):
            return None
    params = []
    for column in shape.columns:
        value = values.get(column.name) if column.drawn else None
        params.append(None if isinstance(value, Ref) else value)
    result = _server_row(conn, query, params)
    if result is None:
        return None
    drawn = [c for c in shape.columns if c.drawn]
    canonical = dict(zip([c.name for c in drawn], result[: len(drawn)], strict=True))
    for name, value in values.items():
        if isinstance(value, Ref):
            canonical[name] = value
    if not result[len(drawn)]:
        return None
    keys: list[tuple[Any, ...] | None] = []
    position = len(drawn) + 1
    for uniq in shape.uniques:
        applies, parts = result[position], result[position + 1: position + 1 + len(uniq.parts)]
        position += 1 + len(uniq.parts)
        key = tuple(canonical.get(p, part) if p is not None else part
                    for p, part in zip(uniq.parts, parts, strict=True))
        if not applies or (not uniq.nulls_not_distinct and any(k is None for k in key)):
            keys.append(None)
        else:
            keys.append(key)
    for index, kept in enumerate(keys):
        if kept is not None and any(_same(kept, r.keys[index]) for r in rows):
            return None
    return _Drawn(canonical, keys)


def _same(a: tuple[Any, ...] | None, b: tuple[Any, ...] | None) -> bool:
    if a is None or b is None:
        return False
    return all(_key_value(x) == _key_value(y) for x, y in zip(a, b, strict=True))


def _key_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return repr(value)
    return value


def _assign_fk(draw: st.DrawFn, shape: _Table, fk: _ForeignKey, values: dict[str, Any], rows: list[_Drawn],
               others: dict[TableName, TableRows]) -> bool:
    nullable = not all(_column_not_null(shape, c) for c in fk.columns)
    if fk.back_edge:
        for c in fk.columns:
            if not _column_not_null(shape, c):
                values[c] = None
        return True
    candidates: list[dict[str, Any]] = []
    if fk.target == shape.name:
        for index, row in enumerate(rows):
            candidates.append({tc: row.values.get(tc, Ref(shape.name, index, tc)) for tc in fk.target_columns})
        if all(tc in values and tc not in fk.columns for tc in fk.target_columns):  # the row itself
            candidates.append({tc: values[tc] for tc in fk.target_columns})
    else:
        target = others[fk.target]
        for index, target_row in enumerate(target.dicts()):
            candidates.append({tc: target_row.get(tc, Ref(fk.target, index, tc)) for tc in fk.target_columns})
    # keep the candidates agreeing with what earlier foreign keys already set
    fixed = {c: values[c] for c in fk.columns if c in values and values[c] is not None}
    candidates = [cand for cand in candidates
                  if all(cand[tc] == fixed[c] for c, tc in zip(fk.columns, fk.target_columns, strict=True)
                         if c in fixed)]
    if any(c in fixed for c in fk.columns) and not candidates and len(fixed) == len(fk.columns):
        return False
    choice = draw(st.none() | st.sampled_from(candidates)) if candidates and nullable else (
        draw(st.sampled_from(candidates)) if candidates else None)
    if choice is None:
        if not nullable:
            return False
        for c in fk.columns:
            if not _column_not_null(shape, c):
                values[c] = None
            elif c not in values:
                column = shape.column(c)
                values[c] = draw(_column_values(column)) if column is not None and column.drawn else None
        return True
    for c, tc in zip(fk.columns, fk.target_columns, strict=True):
        values[c] = choice[tc]
    return True


def table_rows(conn: psycopg.Connection, table: str | TableName, *, min_rows: int = 0, max_rows: int = 10
               ) -> st.SearchStrategy[Dataset]:
    """Datasets the table ``table`` accepts: its rows and rows of the tables it references.

    ``table`` is a name as ``regclass`` reads it (``'shop.orders'``, ``'"My Schema"."T"'``) or
    a ``(schema, table)`` pair taken literally. The catalog is read now, once; each draw
    also asks the server (on ``conn``) to check its candidate rows, inside a savepoint when
    ``conn`` is in a transaction. Referenced tables get 0 to ``max_rows`` rows (at least
    one when a NOT NULL foreign key needs it); ``table`` gets ``min_rows`` to ``max_rows``.
    """
    order = _plan(conn, table)
    needed = {fk.target for shape in order for fk in shape.fks
              if all(_column_not_null(shape, c) for c in fk.columns) and fk.target != shape.name}

    @st.composite
    def draw_dataset(draw: st.DrawFn) -> Dataset:
        drawn: dict[TableName, TableRows] = {}
        for index, shape in enumerate(order):
            last = index == len(order) - 1
            low = min_rows if last else (1 if shape.name in needed else 0)
            high = max_rows if last else max(max_rows, low)
            drawn[shape.name] = draw(_table_draw(conn, shape, low, high, drawn))
        return Dataset(tuple(drawn[shape.name] for shape in order))

    return draw_dataset()


# --------------------------------------------------------------------------- inserting


def _dump(kind: str, value: Any) -> Any:
    if value is None or not kind:
        return value
    if kind == "json":
        return Json(value)
    if kind == "jsonb":
        return Jsonb(value)
    wrap = Json if kind == "json[]" else Jsonb
    return [None if v is None else wrap(v) for v in value]


def insert_dataset(conn: psycopg.Connection, dataset: Dataset) -> Dataset:
    """Insert ``dataset`` table by table, row by row; return the rows as inserted, every column.

    :class:`Ref` values are resolved from the rows the referenced inserts returned. Every
    name is quoted with ``psycopg.sql.Identifier``.
    """
    returned: dict[TableName, list[dict[str, Any]]] = {}
    result: list[TableRows] = []
    for rows in dataset.tables:
        all_columns = [r[0] for r in conn.execute(
            "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped ORDER BY attnum", (_id(*rows.table).as_string(conn),))]
        returning = sql.SQL(", ").join(_id(c) for c in all_columns)
        if rows.columns:
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
                _id(*rows.table), sql.SQL(", ").join(_id(c) for c in rows.columns),
                sql.SQL(", ").join(sql.Placeholder() * len(rows.columns)), returning)
        else:
            statement = sql.SQL("INSERT INTO {} DEFAULT VALUES RETURNING {}").format(_id(*rows.table), returning)
        out: list[dict[str, Any]] = []
        returned[rows.table] = out
        kinds = rows.json_kinds or ("",) * len(rows.columns)
        for row in rows.rows:
            params = [_dump(kind, returned[v.table][v.row][v.column] if isinstance(v, Ref) else v)
                      for kind, v in zip(kinds, row, strict=True)]
            inserted = conn.execute(statement, params).fetchone()
            assert inserted is not None
            out.append(dict(zip(all_columns, inserted, strict=True)))
        result.append(TableRows(rows.table, tuple(all_columns), tuple(tuple(r.values()) for r in out)))
    return Dataset(tuple(result))
