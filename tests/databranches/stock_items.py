"""A user table of many column types for the data-branch properties over drawn rows
(tests/databranches/test_data_branch_catalog_rows.py, tests/property/test_levels_carry_drawn_rows.py)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Json, Jsonb

from pggit_sql.testing.strategies import Dataset

TABLE = '''
CREATE TABLE "Stock ""items""" (
    sku varchar(8) PRIMARY KEY CHECK (sku <> ''),
    qty integer NOT NULL CHECK (qty >= 0),
    price numeric(8, 2) CHECK (price > 0),
    seen date,
    "when" timestamptz,
    flag boolean NOT NULL DEFAULT false,
    tags text[],
    meta jsonb,
    ref uuid,
    doc json,
    at interval,
    ip inet
)
'''
JSON = {"meta": Jsonb, "doc": Json}  # read back as Python values, written wrapped
NAME = ("public", 'Stock "items"')
COLUMNS = ["sku", "qty", "price", "seen", "when", "flag", "tags", "meta", "ref", "doc", "at", "ip"]


def contents(conn: psycopg.Connection, relation: sql.Composable) -> dict[str, tuple[Any, ...]]:
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), relation)
    return {row[0]: tuple(row) for row in conn.execute(query).fetchall()}


def rows_of(dataset: Dataset) -> dict[str, tuple[Any, ...]]:
    (rows,) = dataset.tables
    assert list(rows.columns) == COLUMNS
    return {row[0]: row for row in rows.rows}


def write_through(conn: psycopg.Connection, view: sql.Composable, main: dict[str, tuple[Any, ...]],
                  new: dict[str, tuple[Any, ...]], gone: set[str]) -> dict[str, tuple[Any, ...]]:
    """Delete ``gone``, update the keys of ``new`` that ``main`` has and insert the others, all
    through the branch's ``view``; returns the rows the branch should then read."""
    expected = {key: row for key, row in main.items() if key not in gone}
    for key in gone:
        conn.execute(sql.SQL("DELETE FROM {} WHERE sku = %s").format(view), (key,))
    for key, row in new.items():
        params = [JSON[c](v) if c in JSON and v is not None else v for c, v in zip(COLUMNS, row, strict=True)]
        if key in main:
            conn.execute(sql.SQL("UPDATE {} SET ({}) = ROW({}) WHERE sku = %s").format(
                view, sql.SQL(", ").join(map(sql.Identifier, COLUMNS[1:])),
                sql.SQL(", ").join(sql.Placeholder() * (len(COLUMNS) - 1))), [*params[1:], key])
        else:
            conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                view, sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS))), params)
        expected[key] = row
    return expected
