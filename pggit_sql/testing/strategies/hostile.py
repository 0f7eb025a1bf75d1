"""Hostile and odd values for every argument type of pggit's SQL API.

:func:`hostile_text` mixes NULL, empty and 1 MB strings, quotes, backslashes, ``$$``,
SQL-injection payloads (which would create objects named ``pwned``), right-to-left
text and combining marks, 63- and 64-byte names, reserved words, names that differ
from existing ones only in case, and valid branch names and identifiers.  No value
holds NUL (PostgreSQL text cannot).  :func:`hostile_values` picks by SQL type.
"""

from __future__ import annotations

import datetime
import json

from hypothesis import strategies as st

from pggit_sql.testing.strategies.branches import valid_branch_names
from pggit_sql.testing.strategies.identifiers import RESERVED_KEYWORDS, identifiers

#: The name every injection payload tries to create; tests check no such object exists.
PWNED = "pwned"

INJECTIONS: tuple[str, ...] = (
    "'; CREATE TABLE pwned (id int); --",
    "x'); CREATE TABLE pwned (id int); --",
    '"; CREATE TABLE pwned (id int); --',
    "x\"; CREATE TABLE public.pwned (id int); --",
    "main'; DROP TABLE hostile_canary; --",
    "'||(SELECT pg_sleep(0))||'",
    "1; CREATE ROLE pwned SUPERUSER; --",
    "$$; CREATE FUNCTION pwned() RETURNS int LANGUAGE sql AS 'SELECT 1'; $$",
    "$q$; CREATE SCHEMA pwned; $q$",
    "x%I%s%L%%'; CREATE TABLE pwned (id int); --",
    "hostile_t; CREATE TABLE pwned (id int)",
    "hostile_t WHERE false; DROP TABLE hostile_canary",
    "public.hostile_t, pg_catalog.pg_authid",
    "pg_catalog.pg_authid",
    "(SELECT 1)",
    "E'\\x41'",
    "\\'; CREATE TABLE pwned (id int); --",
    "--",
    "/*",
    "*/ CREATE TABLE pwned (id int); /*",
    "main\n; CREATE TABLE pwned (id int);",
    "U&\"\\0070wned\"",
)

ODD: tuple[str, ...] = (
    "", " ", "'", "''", '"', '""', "\\", "\\\\", "$$", "$a$", "%", "%s", "%I", "_", ".", "..", "/", "@{",
    "main", "MAIN", "Main", "mAin", "hostile_t", "HOSTILE_T", '"hostile_t"', "public.hostile_t", "hb", "HB",
    "שלום", "مرحبا/فرع", "\u202eevil\u202c", "e\u0301", "a\u0300\u0301\u0302", "Z\u0351\u0352\u0353",
    "\U0001F600", "ǅ", "ß", "İ", "\u200b", "\ufeffmain", "main\u200d",
    "a" * 63, "a" * 64, "é" * 31 + "a", "é" * 32, "b" * 255, "b" * 256,
    "null", "NULL", "select", "table", "user", "current_user", "default",
    # names PostgreSQL's own parsers reject (to_regclass raises 42601 / 42602 on them)
    "a.b.c.d", "public.hostile_t.x.y", '"unterminated', "x..y", ".hostile_t", "public.", "f(", "f(integer",
)

_MEGABYTE = 1 << 20


def _big() -> st.SearchStrategy[str]:
    return st.sampled_from(["x" * _MEGABYTE, "'" * _MEGABYTE, "é" * (_MEGABYTE // 2), ("a/" * (_MEGABYTE // 2))])


#: Names the hostile-input tests create (a table with a data branch): drawn often, so calls get past lookup.
KNOWN_NAMES: tuple[str, ...] = ("main", "hb", "hostile_t", "public.hostile_t", "hostile_t__hb")


def hostile_text() -> st.SearchStrategy[str | None]:
    """Text arguments: see the module docstring."""
    return st.one_of(
        st.none(),
        st.sampled_from(KNOWN_NAMES),
        st.sampled_from(INJECTIONS),
        st.sampled_from(ODD),
        st.sampled_from(sorted(RESERVED_KEYWORDS)),
        _big(),
        valid_branch_names(),
        identifiers(),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=80),
    )


_INT4 = st.one_of(st.none(), st.sampled_from([0, 1, -1, 2**31 - 1, -(2**31)]), st.integers(-(2**31), 2**31 - 1))
_INT8 = st.one_of(st.none(), st.sampled_from([0, 1, -1, 2**63 - 1, -(2**63)]), st.integers(-(2**63), 2**63 - 1))
_OID = st.one_of(st.none(), st.sampled_from([0, 1, 1259, 4294967295]), st.integers(0, 2**32 - 1))
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(INJECTIONS + ODD[:40]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(ODD[:40] + ("columns", "kind")),
                                                                 inner, max_size=3),
    max_leaves=6,
)
_JSON = st.one_of(st.none(), st.sampled_from(["{}", "[]", "null", '{"a": 1}', '"x"', '{"columns": 1}']),
                  _JSON_VALUES.map(json.dumps))

_TIMESTAMPTZ = st.one_of(st.none(), st.sampled_from([datetime.datetime.min.replace(tzinfo=datetime.UTC),
                                                     datetime.datetime.max.replace(tzinfo=datetime.UTC)]),
                         st.datetimes(timezones=st.just(datetime.UTC)))


def hostile_values(sql_type: str, oids: tuple[int, ...] = ()) -> st.SearchStrategy[object]:
    """Values for an argument of ``sql_type`` (as ``format_type`` names it); ``oids``: real OIDs to draw too."""
    if sql_type in ("text", "name", "character varying"):
        return hostile_text()
    if sql_type in ("text[]", "name[]"):
        return st.one_of(st.none(), st.lists(hostile_text().filter(lambda v: v is None or len(v) < 1000),
                                             max_size=4))
    if sql_type == "integer" or sql_type == "smallint":
        return _INT4
    if sql_type == "bigint":
        return _INT8
    if sql_type == "bigint[]":
        return st.one_of(st.none(), st.lists(_INT8.filter(lambda v: v is not None), max_size=4))
    if sql_type == "oid":
        return st.one_of(_OID, st.sampled_from(oids)) if oids else _OID
    if sql_type == "boolean":
        return st.one_of(st.none(), st.booleans())
    if sql_type in ("json", "jsonb"):
        return _JSON
    if sql_type == "timestamp with time zone":
        return _TIMESTAMPTZ
    raise ValueError(f"no hostile values for SQL type {sql_type!r}")
