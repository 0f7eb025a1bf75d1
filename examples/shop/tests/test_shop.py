"""The shop's levels, tested at every level each test exists at.

``pggit_conn`` is an autocommit connection to a fresh database migrated to
``pggit_level``; ``@pytest.mark.pggit_level(min=N, max=M)`` says at which levels a test
exists.  Run with ``pytest`` here: pytest.ini asks for every level (``pggit_level = all``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from pggit_sql.migrate import Migrator


def add_customer(conn: psycopg.Connection, email: str, name: str = "Ann") -> int:
    row = conn.execute("INSERT INTO shop.customers (email, name) VALUES (%s, %s) RETURNING id",
                       (email, name)).fetchone()
    assert row is not None
    return int(row[0])


def columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass"
                        " AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (table,)).fetchall()
    return [name for (name,) in rows]


# --------------------------------------------------------------------------- every level


def test_an_email_belongs_to_one_customer(pggit_conn: psycopg.Connection) -> None:
    add_customer(pggit_conn, "ann@example.com")
    with pytest.raises(errors.UniqueViolation):
        add_customer(pggit_conn, "ann@example.com", "Another Ann")
    assert pggit_conn.execute("SELECT count(*) FROM shop.customers").fetchone() == (1,)


def test_each_level_has_its_tables(pggit_conn: psycopg.Connection, pggit_level: int) -> None:
    expected = {1: ["shop.customers"], 2: ["shop.customers", "shop.orders"],
                3: ["shop.customer_totals", "shop.customers", "shop.orders"]}
    rows = pggit_conn.execute("SELECT c.oid::regclass::text FROM pg_catalog.pg_class c"
                              " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                              " WHERE n.nspname = 'shop' AND c.relkind IN ('r', 'v') ORDER BY 1").fetchall()
    assert [name for (name,) in rows] == expected[pggit_level]


# --------------------------------------------------------------------------- from level 2


@pytest.mark.pggit_level(min=2)
def test_an_order_needs_a_known_customer(pggit_conn: psycopg.Connection) -> None:
    with pytest.raises(errors.ForeignKeyViolation):
        pggit_conn.execute("INSERT INTO shop.orders (customer_id, qty, unit_price) VALUES (42, 1, 9.90)")


@pytest.mark.pggit_level(min=2)
@pytest.mark.parametrize(("qty", "unit_price"), [(0, "9.90"), (-1, "9.90"), (1, "-0.01")])
def test_quantity_and_price_are_checked(pggit_conn: psycopg.Connection, qty: int, unit_price: str) -> None:
    customer = add_customer(pggit_conn, "bob@example.com")
    with pytest.raises(errors.CheckViolation):
        pggit_conn.execute("INSERT INTO shop.orders (customer_id, qty, unit_price) VALUES (%s, %s, %s)",
                           (customer, qty, Decimal(unit_price)))


@pytest.mark.pggit_level(min=2, max=2)
def test_orders_carry_no_total_before_level_3(pggit_conn: psycopg.Connection) -> None:
    assert columns(pggit_conn, "shop.orders") == ["id", "customer_id", "qty", "unit_price"]


# --------------------------------------------------------------------------- from level 3


@pytest.mark.pggit_level(min=3)
def test_totals_per_customer(pggit_conn: psycopg.Connection) -> None:
    ann, bob = add_customer(pggit_conn, "ann@example.com"), add_customer(pggit_conn, "bob@example.com", "Bob")
    pggit_conn.execute("INSERT INTO shop.orders (customer_id, qty, unit_price) VALUES (%s, 2, 9.90), (%s, 1, 5)",
                       (ann, ann))
    rows = pggit_conn.execute("SELECT customer_id, orders, spent FROM shop.customer_totals ORDER BY 1").fetchall()
    assert rows == [(ann, 2, Decimal("24.80")), (bob, 0, Decimal("0"))]


@pytest.mark.pggit_level(min=3)
def test_rolling_back_level_3_keeps_every_order(pggit_dsn: str, pggit_conn: psycopg.Connection,
                                                pggit_migrations_dir: Path) -> None:
    ann = add_customer(pggit_conn, "ann@example.com")
    pggit_conn.execute("INSERT INTO shop.orders (customer_id, qty, unit_price) VALUES (%s, 3, 1.50)", (ann,))
    migrator = Migrator(pggit_dsn, pggit_migrations_dir)
    assert [level.number for level in migrator.rollback(to=2)] == [3]
    assert migrator.status().catalog_level == 2
    assert columns(pggit_conn, "shop.orders") == ["id", "customer_id", "qty", "unit_price"]
    assert pggit_conn.execute("SELECT customer_id, qty, unit_price FROM shop.orders").fetchall() == [
        (ann, 3, Decimal("1.50"))]
    assert [level.number for level in migrator.migrate()] == [3]  # and up again
    assert pggit_conn.execute("SELECT total FROM shop.orders").fetchone() == (Decimal("4.50"),)


def test_another_database_at_another_level(pggit_new_database: Callable[[int], str]) -> None:
    """``pggit_new_database(level)``: more fresh databases, at any level, in one test."""
    empty, first = pggit_new_database(0), pggit_new_database(1)
    with psycopg.connect(empty) as conn:
        assert conn.execute("SELECT to_regnamespace('shop')").fetchone() == (None,)
    with psycopg.connect(first) as conn:
        assert conn.execute("SELECT to_regclass('shop.customers') IS NOT NULL").fetchone() == (True,)


# --------------------------------------------------------------------------- with the fixtures
# ``pggit_fixture_conn`` is a fresh database at ``pggit_level`` holding the fixtures of
# ../fixtures loaded at their levels and carried up by the later ones (the data stairway).


def test_the_level_1_customers_are_there_at_every_level(pggit_fixture_conn: psycopg.Connection) -> None:
    rows = pggit_fixture_conn.execute("SELECT id, email, name FROM shop.customers ORDER BY id").fetchall()
    assert rows == [(1, "ann@example.com", "Ann"), (2, "bob@example.com", "Bob"),
                    (3, "siobhan@example.com", "Siobhán O'Brien")]


@pytest.mark.pggit_level(min=3)
def test_level_3_totals_the_level_2_orders(pggit_fixture_conn: psycopg.Connection) -> None:
    rows = pggit_fixture_conn.execute("SELECT email, orders, spent FROM shop.customer_totals ORDER BY email").fetchall()
    assert rows == [("ann@example.com", 2, Decimal("9.90")), ("bob@example.com", 1, Decimal("241.00")),
                    ("siobhan@example.com", 1, Decimal("9899999999.01"))]
