"""pggit's own levels carry any valid data: rows drawn from the catalog, on main and on a data branch.

For any rows a user table accepts (``pggit_sql.testing.strategies.table_rows``), inserted at
level 3 (the first level with data branches), branched, and changed through the branch
(rows deleted, updated, inserted; values drawn by the same strategy): applying every later
level up to head keeps the table's rows, the branch's rows and the branch's diff exactly as
they were, and the branch still merges back to exactly its changes. The later levels run
inside each example's transaction, which is rolled back, so one database at level 3 serves every example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from pggit_sql.levels import discover
from pggit_sql.migrate import META
from pggit_sql.testing.strategies import Dataset, insert_dataset, table_rows
from tests.databranches.stock_items import NAME, TABLE, contents, rows_of, write_through

FIRST = 3  # data branches

BRANCH = "feature/drawn"


def diff(conn: psycopg.Connection, table: str) -> list[tuple[Any, ...]]:
    return sorted(conn.execute("SELECT key::text, change, before::text, after::text"
                               " FROM pggit.diff_data_branch(%s, %s)", (table, BRANCH)).fetchall())


def apply_levels_in_transaction(conn: psycopg.Connection, above: int) -> list[str]:
    """Every level above ``above`` (each file sent whole, as one simple query) with the search_path
    pggit-sql gives them."""
    applied = []
    for level in discover()[above:]:
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(META)))
        conn.execute(level.path.read_bytes())
        conn.execute("RESET search_path")
        applied.append(level.name)
    return applied


def test_every_later_level_carries_drawn_rows_and_their_data_branch(
        pggit_head: int, pggit_new_database: Callable[[int], str]) -> None:
    if pggit_head <= FIRST:
        pytest.skip(f"no level above {FIRST} to carry the rows")
    # never prepared on the server: a level run in the example may drop what a cached plan relies on
    conn = psycopg.connect(pggit_new_database(FIRST), autocommit=True, prepare_threshold=None)
    conn.execute(TABLE)
    rows = table_rows(conn, NAME, min_rows=1, max_rows=6)
    table = sql.Identifier(*NAME)
    table_text = table.as_string(conn)

    # each example applies every level above 3 (seconds): an eighth of the profile's examples,
    # 3 under ci, 250 under thorough
    @settings(max_examples=max(3, settings().max_examples // 8))
    @given(base=rows, changes=rows, data=st.data())
    def levels_carry_the_rows(base: Dataset, changes: Dataset, data: st.DataObject) -> None:
        with conn.transaction(force_rollback=True):
            insert_dataset(conn, base)
            main = contents(conn, table)
            (view,) = conn.execute("SELECT pggit.create_data_branch(%s, 'main', %s)", (table_text, BRANCH)).fetchone()
            branch = sql.Identifier("public", view)
            new = rows_of(changes)
            gone = data.draw(st.sets(st.sampled_from(sorted(set(main) - set(new)))) if set(main) - set(new)
                             else st.just(set()), label="deleted")
            expected = write_through(conn, branch, main, new, gone)
            on_branch = contents(conn, branch)
            assert on_branch == expected
            changed = diff(conn, table_text)

            applied = apply_levels_in_transaction(conn, FIRST)
            assert len(applied) == pggit_head - FIRST

            assert contents(conn, table) == main
            assert contents(conn, branch) == on_branch
            assert diff(conn, table_text) == changed
            (conflicts,) = conn.execute("SELECT conflicts FROM pggit.merge_data_branch(%s, %s)",
                                        (table_text, BRANCH)).fetchone()
            assert conflicts == 0
            assert contents(conn, table) == on_branch

    try:
        levels_carry_the_rows()
    finally:
        conn.close()
