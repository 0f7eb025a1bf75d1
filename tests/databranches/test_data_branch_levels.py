"""Rolling level 3 back with live data branches leaves user tables and their rows intact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import catalog
from pggit_sql.errors import DataLoss
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
    with pytest.raises(DataLoss, match=r"30 branch-only rows of 2 data branches \(app.orders__f, app.orders__g\)"):
        Migrator(db, pggit_migrations_dir).rollback(to=2)  # the branches' rows exist nowhere else
    Migrator(db, pggit_migrations_dir).rollback(to=2, force=True)
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute("SELECT id, qty FROM app.orders ORDER BY id").fetchall() == rows
        assert user_catalog(conn) == before  # no view, no trigger left on or beside the table
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'pggit_data'").fetchone()[0] == 0
        conn.execute("UPDATE app.orders SET qty = 1 WHERE id = 1")  # no trigger calls a dropped function
    Migrator(db, pggit_migrations_dir).migrate(to=3)
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute("SELECT pggit.create_data_branch('app.orders', 'main', 'h')").fetchone()[0] == "orders__h"
        assert conn.execute("SELECT count(*) FROM app.orders__h").fetchone()[0] == 49


@pytest.mark.pggit_level(min=5)
def test_data_branches_made_at_level_4_live_on_through_level_5_and_back(
    pggit_new_database: Callable[[int], str], pggit_migrations_dir: Path
) -> None:
    """A data branch an ordinary role made at level 4 keeps its rows, and works, at 5 and back at 4.

    Level 5 hands the branch's storage, view and functions to the table's owner and makes
    the view security_invoker; its rollback gives them back to pggit's owner.
    """
    db = pggit_new_database(4)
    owner = f"dbl_{abs(hash(db)) % 10**8}"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"DO $$ BEGIN CREATE ROLE {owner} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute(f"CREATE SCHEMA app AUTHORIZATION {owner}")
        conn.execute(f"SET ROLE {owner}")
        conn.execute("CREATE TABLE app.orders (id int PRIMARY KEY, qty int NOT NULL)")
        conn.execute("INSERT INTO app.orders SELECT g, g FROM generate_series(1, 20) g")
        conn.execute("SELECT pggit.create_data_branch('app.orders', 'main', 'f')")
        conn.execute("UPDATE app.orders__f SET qty = 0 WHERE id <= 5")
        conn.execute("INSERT INTO app.orders__f VALUES (100, 1)")
        conn.execute("UPDATE app.orders SET qty = -qty WHERE id > 15")
        conn.execute("RESET ROLE")
        branch = conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall()
        table = conn.execute("SELECT id, qty FROM app.orders ORDER BY id").fetchall()
        diff = conn.execute("SELECT key, change FROM pggit.diff_data_branch('app.orders', 'f') ORDER BY 1").fetchall()
    migrator = Migrator(db, pggit_migrations_dir)
    migrator.migrate(to=5)
    owned = """SELECT count(*) FILTER (WHERE pg_get_userbyid(c.relowner) = %s), count(*)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE (n.nspname = 'pggit_data' AND c.relkind = 'r') OR c.oid = 'app.orders__f'::regclass"""
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute(owned, (owner,)).fetchone() == (3, 3)  # delta, base, view: the table's owner's
        assert conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall() == branch
        assert conn.execute("SELECT key, change FROM pggit.diff_data_branch('app.orders', 'f') ORDER BY 1"
                            ).fetchall() == diff
        conn.execute(f"SET ROLE {owner}")
        conn.execute("UPDATE app.orders__f SET qty = 7 WHERE id = 6")  # writes work as the owner
        conn.execute("RESET ROLE")
        branch = conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall()
        assert (6, 7) in branch
    migrator.rollback(to=4)
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute(owned, (owner,)).fetchone()[0] == 0  # back with pggit's owner, as level 4 had it
        assert conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall() == branch
        assert conn.execute("SELECT id, qty FROM app.orders ORDER BY id").fetchall() == table
        conn.execute(f"SET ROLE {owner}")
        merged = conn.execute("SELECT inserted, updated, conflicts FROM pggit.merge_data_branch("
                              "'app.orders', 'f', strategy => 'theirs')").fetchone()
        conn.execute("RESET ROLE")
        assert merged == (1, 6, 0)
        assert conn.execute("SELECT qty FROM app.orders WHERE id = 6").fetchone() == (7,)


@pytest.mark.pggit_level(min=9)
def test_data_branches_made_at_level_8_work_at_level_9_and_back(
    pggit_new_database: Callable[[int], str], pggit_migrations_dir: Path
) -> None:
    """Level 9 regenerates the capture and write functions of existing data branches; its rollback, level 8's.

    The branch's rows, its diff and its storage do not change on the way; at each level
    main's writes (small and large statements) stay invisible to the branch, the branch
    takes writes, and at level 8 again a merge applies what the branch wrote.
    """
    db = pggit_new_database(8)
    functions = """SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
                    WHERE p.pronamespace = 'pggit_data'::regnamespace ORDER BY 1"""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.orders (id int PRIMARY KEY, qty int NOT NULL)")
        conn.execute("INSERT INTO app.orders SELECT g, g FROM generate_series(1, 1000) g")
        conn.execute("SELECT pggit.create_data_branch('app.orders', 'main', 'f')")
        conn.execute("UPDATE app.orders__f SET qty = 0 WHERE id <= 5")
        conn.execute("INSERT INTO app.orders__f VALUES (5000, 1)")
        conn.execute("DELETE FROM app.orders__f WHERE id = 10")
        conn.execute("UPDATE app.orders SET qty = -qty WHERE id > 995")
        level8 = conn.execute(functions).fetchall()
        branch = conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall()
        diff = conn.execute("SELECT key, change FROM pggit.diff_data_branch('app.orders', 'f') ORDER BY 1").fetchall()
        storage = conn.execute("SELECT count(*) FROM pggit_data.d1").fetchone()
    assert len(level8) == 2  # the branch's write function and the table's capture function

    migrator = Migrator(db, pggit_migrations_dir)
    migrator.migrate(to=9)
    with psycopg.connect(db, autocommit=True) as conn:
        level9 = conn.execute(functions).fetchall()
        assert [name for name, _ in level9] == [name for name, _ in level8]
        assert all(new != old and "enable_seqscan" in new for (_, new), (_, old) in zip(level9, level8, strict=True))
        assert conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall() == branch
        assert conn.execute("SELECT key, change FROM pggit.diff_data_branch('app.orders', 'f') ORDER BY 1"
                            ).fetchall() == diff
        assert conn.execute("SELECT count(*) FROM pggit_data.d1").fetchone() == storage
        conn.execute("UPDATE app.orders SET qty = qty + 1 WHERE id = 7")  # small statement
        conn.execute("UPDATE app.orders SET qty = qty + 1")  # 1,000 rows
        assert conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall() == branch
        conn.execute("UPDATE app.orders__f SET qty = 7 WHERE id = 6")
        branch = conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall()
        assert (6, 7) in branch

    migrator.rollback(to=8)
    with psycopg.connect(db, autocommit=True) as conn:
        assert conn.execute(functions).fetchall() == level8  # level 8's shape, text for text
        assert conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall() == branch
        conn.execute("UPDATE app.orders SET qty = 0 WHERE id = 8")
        assert conn.execute("SELECT id, qty FROM app.orders__f ORDER BY id").fetchall() == branch
        merged = conn.execute("SELECT inserted, updated, deleted, conflicts FROM pggit.merge_data_branch("
                              "'app.orders', 'f', strategy => 'theirs')").fetchone()
        # main changed keys 1-5 and 10 after the branch wrote them (every row + 1): conflicts, the
        # branch's rows taken; key 6 holds 7 on both sides (6 + 1 on main); 5000 is new
        assert merged == (1, 5, 1, 6)
        assert conn.execute("SELECT id, qty FROM app.orders WHERE id <= 10 OR id > 1000 ORDER BY id").fetchall() == [
            (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 7), (7, 9), (8, 0), (9, 10), (5000, 1)]
