"""Rolling level 3 back with live data branches leaves user tables and their rows intact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog
from pggit_sql.migrate import Migrator

pytestmark = pytest.mark.pggit_level(min=3)


def user_catalog(conn: psycopg.Connection) -> dict[str, str]:
    return {k: v for k, v in catalog.fingerprint(conn, ["public", "app"]).items()}


def test_rollback_keeps_user_tables_and_rows(
    pggit_new_database: Callable[[int], str], pggit_migrations_dir: Path
) -> None:
    db = pggit_new_database(3)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.orders (id int PRIMARY KEY, qty int NOT NULL)")
        conn.execute("CREATE TABLE public.plain (id int PRIMARY KEY)")
        conn.execute("INSERT INTO app.orders SELECT g, g FROM generate_series(1, 50) g")
        before = user_catalog(conn)
        conn.execute("SELECT pggit.create_data_branch('app.orders', 'main', 'f')")
        conn.execute("SELECT pggit.create_data_branch('app.orders', 'main', 'g')")
        conn.execute("UPDATE app.orders__f SET qty = 0 WHERE id <= 10")
        conn.execute("UPDATE app.orders SET qty = -qty WHERE id > 40")
        conn.execute("DELETE FROM app.orders WHERE id = 50")
        rows = conn.execute("SELECT id, qty FROM app.orders ORDER BY id").fetchall()
    Migrator(db, pggit_migrations_dir).rollback(to=2)
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute("SELECT id, qty FROM app.orders ORDER BY id").fetchall() == rows
        assert user_catalog(conn) == before  # no view, no trigger left on or beside the table
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'pggit_data'").fetchone()[0] == 0
        conn.execute("UPDATE app.orders SET qty = 1 WHERE id = 1")  # no trigger calls a dropped function
    Migrator(db, pggit_migrations_dir).migrate(to=3)
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute("SELECT pggit.create_data_branch('app.orders', 'main', 'h')").fetchone()[0] == "orders__h"
        assert conn.execute("SELECT count(*) FROM app.orders__h").fetchone()[0] == 49
