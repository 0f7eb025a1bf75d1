"""Data branches on rows drawn from the catalog (pggit_sql.testing.strategies.table_rows).

For any rows a table with a primary key accepts: branch it, delete, update and insert rows
through the branch's view (new values drawn by the same strategy), merge back; the table then
holds exactly the expected rows, every column. Each example runs in a transaction that is
rolled back (the test's database is shared).
"""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql

from pggit_sql.testing.strategies import Dataset, insert_dataset, table_rows
from tests.databranches.stock_items import NAME, TABLE, contents, rows_of, write_through

pytestmark = pytest.mark.pggit_level(min=3)

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
            expected = write_through(conn, branch_view, main, new, gone)
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
