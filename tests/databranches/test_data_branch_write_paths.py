"""Level 9's write paths of data branches: the capture's small and large statements, the merge's pause.

The capture on a branched table runs one of two forms of the same SQL: static statements
with plans cached per session (up to 500 rows) or statements planned for their own size
(more). Whichever ran, and in whatever order a session ran them, every branch keeps
exactly the pre-images it needs. A merge pauses the capture of the branch it merges
only when nothing but its own writes can change the table's rows; other branches of
the table keep theirs throughout.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

pytestmark = pytest.mark.pggit_level(min=9)

ROWS = 2000


def rows(conn: psycopg.Connection, relation: str) -> list[tuple[int, int]]:
    return conn.execute(f"SELECT id, qty FROM {relation} ORDER BY id").fetchall()


def storage_of(conn: psycopg.Connection, table: str, branch: str) -> tuple[str, str]:
    """(delta, base): the storage tables of data branch ``branch`` of ``table``."""
    (i,) = conn.execute("SELECT d.id FROM pggit.data_branches AS d JOIN pggit.branches AS b ON b.id = d.branch_id"
                        " WHERE d.relid = %s::regclass AND b.name = %s", (table, branch)).fetchone()
    return f"pggit_data.d{i}", f"pggit_data.b{i}"


def capture_definition(conn: psycopg.Connection, table: str) -> str:
    return conn.execute(
        "SELECT pg_get_functiondef(format('pggit_data.%%I()', t.capture_function)::regprocedure)"
        " FROM pggit.data_tables AS t WHERE t.relid = %s::regclass", (table,)).fetchone()[0]


@pytest.fixture
def orders(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL)")
    pggit_conn.execute(f"INSERT INTO orders SELECT g, g FROM generate_series(1, {ROWS}) g")
    return pggit_conn


@pytest.mark.parametrize("first", ["one row", "every row"])
def test_small_and_large_statements_of_one_session_keep_the_same_pre_images(
        orders: psycopg.Connection, first: str) -> None:
    """Plans cached for the session's first statement serve later ones of any size alike."""
    orders.execute("SELECT pggit.create_data_branch('orders', 'main', 'f')")
    delta, base = storage_of(orders, "orders", "f")
    orders.execute("UPDATE orders__f SET qty = 0 WHERE id IN (3, 700)")  # the branch wrote two keys
    branch = rows(orders, "orders__f")
    statements = ["UPDATE orders SET qty = qty + 1 WHERE id = 3",  # small: static SQL
                  "UPDATE orders SET qty = qty + 10"]  # 2,000 rows: planned for its size
    for statement in statements if first == "one row" else statements[::-1]:
        orders.execute(statement)
    orders.execute("DELETE FROM orders WHERE id > 1990")  # small DELETE
    orders.execute(f"INSERT INTO orders SELECT g, 1 FROM generate_series({ROWS + 1}, {ROWS + 600}) g")  # large
    orders.execute("UPDATE orders SET id = -id WHERE id IN (1, 2)")  # keys new to the table, small
    orders.execute("UPDATE orders SET id = id + 100000 WHERE id BETWEEN 100 AND 699")  # and large
    assert rows(orders, "orders__f") == branch  # the branch saw none of it
    states = dict(orders.execute(f"SELECT _pggit_state, count(*) FROM {delta} GROUP BY 1").fetchall())
    # w: the branch's two keys; c: every other key main changed (2,000 - 2); a: 600 inserted
    # + 2 negated + 600 moved keys
    assert states == {"w": 2, "c": ROWS - 2, "a": 600 + 2 + 600}
    # the merge bases of the branch's two keys: the first pre-image of each
    assert orders.execute(f"SELECT id, qty, _pggit_state FROM {base} ORDER BY id").fetchall() == [
        (3, 3, "v"), (700, 700, "v")]


def test_a_merge_leaves_the_other_branches_of_the_table_their_pre_images(orders: psycopg.Connection) -> None:
    orders.execute("SELECT pggit.create_data_branch('orders', 'main', 'f')")
    orders.execute("SELECT pggit.create_data_branch('orders', 'main', 'g')")
    delta, _ = storage_of(orders, "orders", "f")
    before = capture_definition(orders, "orders")
    orders.execute("UPDATE orders__f SET qty = -qty WHERE id <= 1000")
    orders.execute("DELETE FROM orders__f WHERE id = 1500")
    orders.execute("INSERT INTO orders__f VALUES (9000, 9)")
    g = rows(orders, "orders__g")
    merged = orders.execute("SELECT inserted, updated, deleted, conflicts FROM pggit.merge_data_branch('orders', 'f')"
                            ).fetchone()
    assert merged == (1, 1000, 1, 0)
    assert rows(orders, "orders") == rows(orders, "orders__f")  # main holds the branch's rows now
    assert rows(orders, "orders__g") == g  # g kept the pre-images of all 1,002 keys main changed
    assert capture_definition(orders, "orders") == before  # the capture has both branches again
    # the merged branch's storage moved out with its rows; its new branch point is the merge
    assert orders.execute(f"SELECT count(*) FROM {delta}").fetchone() == (0,)
    assert orders.execute("SELECT count(*) FROM pggit.diff_data_branch('orders', 'f')").fetchone() == (0,)
    f = rows(orders, "orders__f")
    orders.execute("UPDATE orders SET qty = 5 WHERE id <= 3")  # main after the merge
    assert rows(orders, "orders__f") == f and rows(orders, "orders__g") == g


def test_a_merge_keeps_capturing_when_the_tables_own_code_writes_other_rows(pggit_conn: psycopg.Connection) -> None:
    """A trigger of the table writes a row the merge does not name: the branch must not see it change."""
    pggit_conn.execute("CREATE TABLE ledger (id int PRIMARY KEY, qty int NOT NULL)")
    pggit_conn.execute("INSERT INTO ledger SELECT g, g FROM generate_series(0, 50) g")
    pggit_conn.execute("""CREATE FUNCTION ledger_total() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF pg_trigger_depth() = 1 THEN
                UPDATE public.ledger SET qty = (SELECT sum(qty) FROM public.ledger WHERE id > 0) WHERE id = 0;
            END IF;
            RETURN NULL;
        END $$""")
    pggit_conn.execute("CREATE TRIGGER ledger_total AFTER UPDATE ON ledger FOR EACH STATEMENT"
                       " EXECUTE FUNCTION ledger_total()")
    pggit_conn.execute("SELECT pggit.create_data_branch('ledger', 'main', 'f')")
    pggit_conn.execute("UPDATE ledger__f SET qty = 100 WHERE id BETWEEN 1 AND 10")
    assert pggit_conn.execute("SELECT qty FROM ledger__f WHERE id = 0").fetchone() == (0,)
    merged = pggit_conn.execute("SELECT updated, conflicts FROM pggit.merge_data_branch('ledger', 'f')").fetchone()
    assert merged == (10, 0)
    total = sum(range(11, 51)) + 10 * 100
    assert pggit_conn.execute("SELECT qty FROM ledger WHERE id = 0").fetchone() == (total,)
    # the trigger's write on main was captured for the branch: its row 0 did not change
    assert pggit_conn.execute("SELECT qty FROM ledger__f WHERE id = 0").fetchone() == (0,)
    assert pggit_conn.execute("SELECT count(*) FROM ledger__f WHERE qty = 100").fetchone() == (10,)


def test_the_capture_pause_is_refused_outside_a_merge(orders: psycopg.Connection) -> None:
    orders.execute("SELECT pggit.create_data_branch('orders', 'main', 'f')")
    delta, _ = storage_of(orders, "orders", "f")
    (f,) = orders.execute("SELECT max(id) FROM pggit.data_branches").fetchone()
    before = capture_definition(orders, "orders")
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="SHARE ROW EXCLUSIVE"):
        orders.execute("SELECT pggit.data_branch_merge_capture(%s, true)", (f,))  # no lock on the table
    with pytest.raises(errors.UndefinedObject, match=f"data branch {f + 1} does not exist"):
        orders.execute("SELECT pggit.data_branch_merge_capture(%s, true)", (f + 1,))
    with pytest.raises(errors.NullValueNotAllowed):
        orders.execute("SELECT pggit.data_branch_merge_capture(%s, NULL)", (f,))
    with orders.transaction(force_rollback=True):
        orders.execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE")
        assert orders.execute("SELECT pggit.data_branch_merge_capture(%s, true)", (f,)).fetchone() == (True,)
        assert capture_definition(orders, "orders") != before
        orders.execute("UPDATE orders SET qty = 0 WHERE id = 1")  # not kept for f: paused
        assert orders.execute(f"SELECT count(*) FROM {delta}").fetchone() == (0,)
        assert orders.execute("SELECT pggit.data_branch_merge_capture(%s, false)", (f,)).fetchone() == (False,)
        assert capture_definition(orders, "orders") == before
    assert capture_definition(orders, "orders") == before  # rolled back with the transaction anyway
    orders.execute("UPDATE orders SET qty = 0 WHERE id = 1")
    assert orders.execute(f"SELECT count(*) FROM {delta}").fetchone() == (1,)


def test_the_capture_pause_is_refused_to_a_role_that_does_not_own_the_table(
        orders: psycopg.Connection, pggit_dsn: str) -> None:
    orders.execute("SELECT pggit.create_data_branch('orders', 'main', 'f')")
    (f,) = orders.execute("SELECT max(id) FROM pggit.data_branches").fetchone()
    role = f"nonowner_{abs(hash(pggit_dsn)) % 10**8}"
    orders.execute(f"DO $$ BEGIN CREATE ROLE {role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    orders.execute(f"GRANT UPDATE ON orders TO {role}")
    with orders.transaction(force_rollback=True):
        orders.execute(f"SET LOCAL SESSION AUTHORIZATION {role}")
        orders.execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE")
        with pytest.raises(errors.InsufficientPrivilege, match="must be owner of table public.orders"):
            orders.execute("SELECT pggit.data_branch_merge_capture(%s, true)", (f,))
