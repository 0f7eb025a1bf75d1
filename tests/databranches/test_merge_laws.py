"""Merge laws of data branches, each checked on random row sets (hypothesis).

- merging an unchanged branch changes nothing (table, branch, no commit);
- after a merge the diff is empty;
- two branches that change disjoint keys merge without conflict, in either order, to the
  same table;
- a conflict under 'fail' leaves both sides untouched and is recorded with base, ours, theirs.

Each example runs in a transaction that is rolled back (the test's database is shared).
"""

from __future__ import annotations

import psycopg
import pytest
from datamodel import read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=3)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

ROWS = st.dictionaries(st.integers(0, 30), st.integers(-5, 5), max_size=12)
# A change: key -> new value, or None to delete.
CHANGES = st.dictionaries(st.integers(0, 30), st.none() | st.integers(-5, 5), max_size=8)


def setup_table(conn: psycopg.Connection, rows: dict[int, int]) -> None:
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO t VALUES (%s, %s)", list(rows.items()))


def apply(conn: psycopg.Connection, relation: str, changes: dict[int, int | None]) -> None:
    """Write ``changes`` to the table ``t`` or a branch relation (views take no ON CONFLICT)."""
    for key, value in changes.items():
        if value is None:
            conn.execute(f"DELETE FROM {relation} WHERE id = %s", (key,))
        elif conn.execute(f"SELECT 1 FROM {relation} WHERE id = %s", (key,)).fetchone():
            conn.execute(f"UPDATE {relation} SET v = %s WHERE id = %s", (value, key))
        else:
            conn.execute(f"INSERT INTO {relation} VALUES (%s, %s)", (key, value))


def merge(conn: psycopg.Connection, branch: str, strategy: str = "fail") -> tuple[int, int, int, int, str | None]:
    return conn.execute("SELECT * FROM pggit.merge_data_branch('t', %s, strategy => %s)", (branch, strategy)).fetchone()


def commits(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.commits").fetchone()[0]


@reuse_db
@given(rows=ROWS, main_changes=CHANGES, strategy=st.sampled_from(["fail", "ours", "theirs"]))
def test_merging_an_unchanged_branch_changes_nothing(
    pggit_conn: psycopg.Connection, rows: dict[int, int], main_changes: dict[int, int | None], strategy: str
) -> None:
    with pggit_conn.transaction(force_rollback=True):
        setup_table(pggit_conn, rows)
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
        apply(pggit_conn, "t", main_changes)
        table, branch, before = read(pggit_conn, "public", "t"), read(pggit_conn, "public", "t__f"), commits(pggit_conn)
        assert merge(pggit_conn, "f", strategy) == (0, 0, 0, 0, None)
        assert read(pggit_conn, "public", "t") == table
        assert read(pggit_conn, "public", "t__f") == branch == rows
        assert commits(pggit_conn) == before


@reuse_db
@given(rows=ROWS, main_changes=CHANGES, branch_changes=CHANGES, strategy=st.sampled_from(["ours", "theirs"]))
def test_after_a_merge_the_diff_is_empty(
    pggit_conn: psycopg.Connection, rows: dict[int, int], main_changes: dict[int, int | None],
    branch_changes: dict[int, int | None], strategy: str,
) -> None:
    with pggit_conn.transaction(force_rollback=True):
        setup_table(pggit_conn, rows)
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
        apply(pggit_conn, "t__f", branch_changes)
        apply(pggit_conn, "t", main_changes)
        branch = read(pggit_conn, "public", "t__f")
        merge(pggit_conn, "f", strategy)
        assert pggit_conn.execute("SELECT count(*) FROM pggit.diff_data_branch('t', 'f')").fetchone()[0] == 0
        assert read(pggit_conn, "public", "t__f") == branch  # a merge does not change the branch's rows
        assert merge(pggit_conn, "f", strategy)[:4] == (0, 0, 0, 0)  # nothing left to merge


@reuse_db
@given(rows=ROWS, changes=CHANGES, split=st.integers(0, 30))
def test_disjoint_branches_merge_in_either_order_to_the_same_table(
    pggit_conn: psycopg.Connection, rows: dict[int, int], changes: dict[int, int | None], split: int
) -> None:
    first = {k: v for k, v in changes.items() if k < split}
    second = {k: v for k, v in changes.items() if k >= split}
    results = []
    for order in (("a", "b"), ("b", "a")):
        with pggit_conn.transaction(force_rollback=True):
            setup_table(pggit_conn, rows)
            pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'a')")
            pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'b')")
            apply(pggit_conn, "t__a", first)
            apply(pggit_conn, "t__b", second)
            for branch in order:
                assert merge(pggit_conn, branch, "fail")[3] == 0
            results.append(read(pggit_conn, "public", "t"))
    expected = dict(rows)
    for key, value in changes.items():
        if value is None:
            expected.pop(key, None)
        else:
            expected[key] = value
    assert results[0] == results[1] == expected


@reuse_db
@given(rows=st.dictionaries(st.integers(0, 30), st.integers(-5, 5), min_size=1, max_size=12), data=st.data())
def test_a_conflict_under_fail_leaves_both_sides_untouched(
    pggit_conn: psycopg.Connection, rows: dict[int, int], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(rows)))
    ours = data.draw(st.integers(10, 20))
    theirs = data.draw(st.integers(21, 30) | st.none())
    with pggit_conn.transaction(force_rollback=True):
        setup_table(pggit_conn, rows)
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
        apply(pggit_conn, "t__f", {key: theirs, 100: 1})  # a conflicting and a clean change
        pggit_conn.execute("UPDATE t SET v = %s WHERE id = %s", (ours, key))
        table, branch, before = read(pggit_conn, "public", "t"), read(pggit_conn, "public", "t__f"), commits(pggit_conn)
        diff = pggit_conn.execute("SELECT * FROM pggit.diff_data_branch('t', 'f') ORDER BY key").fetchall()
        assert merge(pggit_conn, "f", "fail") == (0, 0, 0, 1, None)
        assert read(pggit_conn, "public", "t") == table
        assert read(pggit_conn, "public", "t__f") == branch
        assert pggit_conn.execute("SELECT * FROM pggit.diff_data_branch('t', 'f') ORDER BY key").fetchall() == diff
        assert commits(pggit_conn) == before
        recorded = pggit_conn.execute(
            "SELECT key, base, ours, theirs, strategy, resolution FROM pggit.data_conflicts").fetchall()
        assert recorded == [({"id": key}, {"id": key, "v": rows[key]}, {"id": key, "v": ours},
                             None if theirs is None else {"id": key, "v": theirs}, "fail", None)]
