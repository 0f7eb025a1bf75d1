"""Data branches on rows drawn from the catalog (pggit_sql.testing.strategies.table_rows).

For any rows a table with a primary key accepts: branch it, delete, update and insert rows
through the branch's view (new values drawn by the same strategy), merge back; the table then
holds exactly the expected rows, every column. Each example runs in a transaction that is
rolled back (the test's database is shared).
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql
from psycopg.types.json import Json, Jsonb

from pggit_sql.testing.strategies import Dataset, insert_dataset, table_rows

pytestmark = pytest.mark.pggit_level(min=3)

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


def test_merging_a_branch_of_drawn_rows_applies_exactly_its_changes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute(TABLE)
    rows = table_rows(conn, NAME, max_rows=8)
    table = sql.Identifier(*NAME)
    branch_view = sql.Identifier("public", relation_of(conn))

    @given(base=rows, changes=rows, data=st.data())
    def merge_applies_the_changes(base: Dataset, changes: Dataset, data: st.DataObject) -> None:
        with conn.transaction(force_rollback=True):
            insert_dataset(conn, base)
            main = contents(conn, table)
            assert main == rows_of(base)
            conn.execute("SELECT pggit.create_data_branch(%s, 'main', 'feature/drawn')", (table.as_string(conn),))
            new = rows_of(changes)
            gone = data.draw(st.sets(st.sampled_from(sorted(set(main) - set(new)))) if set(main) - set(new)
                             else st.just(set()), label="deleted")
            expected = {key: row for key, row in main.items() if key not in gone}
            for key in gone:
                conn.execute(sql.SQL("DELETE FROM {} WHERE sku = %s").format(branch_view), (key,))
            for key, row in new.items():
                values = dict(zip(COLUMNS, row, strict=True))
                params = [JSON[c](v) if c in JSON and v is not None else v for c, v in values.items()]
                if key in main:
                    conn.execute(sql.SQL("UPDATE {} SET ({}) = ROW({}) WHERE sku = %s").format(
                        branch_view, sql.SQL(", ").join(map(sql.Identifier, COLUMNS[1:])),
                        sql.SQL(", ").join(sql.Placeholder() * (len(COLUMNS) - 1))), [*params[1:], key])
                else:
                    conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        branch_view, sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
                        sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS))), params)
                expected[key] = row
            assert contents(conn, branch_view) == expected
            assert contents(conn, table) == main  # the branch's writes stay on the branch
            inserted, updated, deleted, conflicts = conn.execute(
                "SELECT inserted, updated, deleted, conflicts FROM pggit.merge_data_branch(%s, 'feature/drawn')",
                (table.as_string(conn),)).fetchone()
            assert conflicts == 0
            assert contents(conn, table) == expected
            assert (inserted, deleted) == (len(set(new) - set(main)), len(gone))
            assert updated == sum(1 for key in set(new) & set(main) if new[key] != main[key])

    merge_applies_the_changes()


def relation_of(conn: psycopg.Connection) -> str:
    (name,) = conn.execute("SELECT pggit.data_relation_name(%s, 'feature/drawn')", (NAME[1],)).fetchone()
    return name
