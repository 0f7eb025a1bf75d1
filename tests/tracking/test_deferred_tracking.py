"""Level 9: tracking per transaction (docs/TRACKING.md).

Every tracked statement leaves its history row in its own transaction; each object is
described, versioned and hashed once per transaction. These tests hold the contracts that
make that safe: nothing lost or left pending, one bump per object per transaction, one
linear chain of versions per object in id order, exact reads inside the transaction, and
nothing left by a rolled-back statement or savepoint.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trackhelp import strict

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=9)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

TABLES = ("ta", "tb", "tc")


@pytest.fixture
def conn(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    return strict(pggit_conn)


def _chain_breaks(conn: psycopg.Connection) -> list[tuple]:
    """History rows whose old version or hash is not the new one of the object's row before (id order)."""
    return conn.execute("""
        SELECT id, object_identity, old_version, prev_version, old_hash IS NOT DISTINCT FROM prev_hash
          FROM (SELECT h.*, lag(h.new_version) OVER w AS prev_version, lag(h.new_hash) OVER w AS prev_hash,
                       row_number() OVER w AS n
                  FROM pggit.history AS h
                 WHERE h.object_id IS NOT NULL AND h.change NOT IN ('pause', 'resume', 'untracked')
                WINDOW w AS (PARTITION BY h.object_id ORDER BY h.id)) AS x
         WHERE n > 1 AND (old_version IS DISTINCT FROM prev_version OR old_hash IS DISTINCT FROM prev_hash)
    """).fetchall()


def _leftovers(conn: psycopg.Connection) -> int:
    """Pending statements left over (none may outlive its transaction)."""
    return conn.execute("SELECT count(*) FROM pggit.pending").fetchone()[0]


def _statement(draw: st.DrawFn, table: str, counter: list[int]) -> str:
    counter[0] += 1
    n = counter[0]
    return draw(st.sampled_from([
        f"ALTER TABLE {table} ADD COLUMN c{n} int",
        f"ALTER TABLE {table} ADD COLUMN d{n} text DEFAULT 'x'",
        f"CREATE INDEX {table}_i{n} ON {table} (id)",
        f"COMMENT ON TABLE {table} IS 'comment {n}'",
        f"ALTER TABLE {table} ALTER COLUMN v SET DEFAULT {n}",
    ]))


@st.composite
def transactions(draw: st.DrawFn) -> list[list[tuple[str, str]]]:
    """1 to 5 transactions of 1 to 5 statements, each on one of three tables: [(table, sql), ...]."""
    counter = [0]
    out = []
    for _ in range(draw(st.integers(1, 5))):
        tx = []
        for _ in range(draw(st.integers(1, 5))):
            table = draw(st.sampled_from(TABLES))
            tx.append((table, _statement(draw, table, counter)))
        out.append(tx)
    return out


@reuse_db
@given(txs=transactions())
def test_each_transaction_bumps_each_object_once_and_loses_no_statement(
        conn: psycopg.Connection, txs: list[list[tuple[str, str]]]) -> None:
    schema = "dt_" + conn.execute("SELECT substr(md5(random()::text), 1, 10)").fetchone()[0]
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path = {schema}, public")
    try:
        for table in TABLES:
            conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v int)")
        for tx in txs:
            versions_before = {t: conn.execute("SELECT version FROM pggit.get_version(%s)", (t,)).fetchone()[0]
                               for t in TABLES}
            with conn.transaction():
                txid = conn.execute("SELECT pg_current_xact_id()::text").fetchone()[0]
                for _, sql in tx:
                    conn.execute(sql)
            rows = conn.execute("SELECT object_identity, change, command_tag, new_version FROM pggit.history"
                                " WHERE txid = %s::xid8 ORDER BY id", (txid,)).fetchall()
            # one row per statement: nothing lost, nothing doubled
            assert len(rows) == len(tx), (tx, rows)
            for table in {t for t, _ in tx}:
                mine = [r for r in rows if r[0] == f"{schema}.{table}"]
                assert len(mine) == sum(1 for t, _ in tx if t == table)
                # the first row carries the transaction's change, the others are folded after it
                assert mine[0][1] in ("major", "minor", "patch", "none") and all(r[1] == "folded" for r in mine[1:])
                assert len({r[3] for r in mine}) == 1
                (now,) = conn.execute("SELECT version FROM pggit.get_version(%s)", (table,)).fetchone()
                assert now == mine[0][3]
                bumped = now != versions_before[table]
                assert bumped == (mine[0][1] != "none")
        assert _leftovers(conn) == 0
        assert _chain_breaks(conn) == []
        (out_of_sync,) = conn.execute("""
            SELECT count(*) FROM pggit.objects AS o, LATERAL pggit.describe_object(o.classid, o.objid) AS d
             WHERE o.dropped_at IS NULL AND o.schema_name = %s
               AND encode(sha256(convert_to(d.definition, 'UTF8')), 'hex') <> o.hash""", (schema,)).fetchone()
        assert out_of_sync == 0
    finally:
        conn.execute("RESET search_path")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_reads_inside_the_transaction_are_exact(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE inside (id int PRIMARY KEY)")
    with conn.transaction():
        conn.execute("ALTER TABLE inside ADD COLUMN a int")
        assert conn.execute("SELECT version, hash = pggit.calculate_schema_hash('inside')"
                            " FROM pggit.get_version('inside')").fetchone() == ("1.1.0", True)
        # the read settled the ALTER: a later statement of the same transaction bumps again
        conn.execute("ALTER TABLE inside ALTER COLUMN a SET NOT NULL")
        assert conn.execute("SELECT change, old_version, new_version FROM pggit.status()"
                            " WHERE object_identity = 'public.inside' ORDER BY id").fetchall() == [
            ("create", None, "1.0.0"), ("minor", "1.0.0", "1.1.0"), ("major", "1.1.0", "2.0.0")]
        # pggit's tables read directly show the DDL only after settle_pending()
        conn.execute("COMMENT ON TABLE inside IS 'x'")
        assert conn.execute("SELECT command_tag, statement FROM pggit.pending").fetchall() == [
            ("COMMENT", "COMMENT ON TABLE inside IS 'x'")]
        assert conn.execute("SELECT change FROM pggit.history ORDER BY id DESC LIMIT 1").fetchone() == ("major",)
        assert conn.execute("SELECT pggit.settle_pending(), pggit.settle_pending()").fetchone() == (1, 0)
        assert conn.execute("SELECT change FROM pggit.history ORDER BY id DESC LIMIT 1").fetchone() == ("patch",)
    assert _leftovers(conn) == 0


def test_a_rolled_back_savepoint_leaves_neither_row(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE saved (id int)")
    (before,) = conn.execute("SELECT max(id) FROM pggit.history").fetchone()
    with conn.transaction():
        conn.execute("ALTER TABLE saved ADD COLUMN kept int")
        with pytest.raises(psycopg.errors.RaiseException), conn.transaction():
            conn.execute("ALTER TABLE saved ADD COLUMN lost int")
            conn.execute("CREATE TABLE lost_too (id int)")
            conn.execute("DO $$ BEGIN RAISE EXCEPTION 'roll the savepoint back'; END $$")
    assert conn.execute("SELECT object_identity, change, statement FROM pggit.history WHERE id > %s ORDER BY id",
                        (before,)).fetchall() == [("public.saved", "minor", "ALTER TABLE saved ADD COLUMN kept int")]
    assert _leftovers(conn) == 0


def test_a_rolled_back_transaction_leaves_nothing(conn: psycopg.Connection) -> None:
    (before,) = conn.execute("SELECT max(id) FROM pggit.history").fetchone()
    with pytest.raises(psycopg.errors.RaiseException), conn.transaction():
        conn.execute("CREATE TABLE never (id int)")
        conn.execute("ALTER TABLE never ADD COLUMN x int")
        conn.execute("DO $$ BEGIN RAISE EXCEPTION 'roll it back'; END $$")
    assert conn.execute("SELECT count(*) FROM pggit.history WHERE id > %s", (before,)).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM pggit.objects WHERE identity = 'public.never'").fetchone() == (0,)
    assert _leftovers(conn) == 0


def test_set_constraints_immediate_settles_statement_by_statement(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE stepwise (id int)")
    with conn.transaction():
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute("ALTER TABLE stepwise ADD COLUMN a int")
        conn.execute("ALTER TABLE stepwise ADD COLUMN b int")
    assert conn.execute("SELECT change, new_version FROM pggit.history WHERE object_identity = 'public.stepwise'"
                        " ORDER BY id").fetchall() == [("create", "1.0.0"), ("minor", "1.1.0"), ("minor", "1.2.0")]
    assert _leftovers(conn) == 0


def test_create_and_drop_in_one_transaction_record_both(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("CREATE TABLE brief (id int)")
        conn.execute("ALTER TABLE brief ADD COLUMN x int")
        conn.execute("CREATE VIEW brief_v AS SELECT id FROM brief")
        conn.execute("DROP TABLE brief CASCADE")  # settles first: both are described before they go
    rows = conn.execute("SELECT object_identity, change, command_tag FROM pggit.history"
                        " WHERE object_identity IN ('public.brief', 'public.brief_v') ORDER BY id").fetchall()
    assert rows == [("public.brief", "create", "CREATE TABLE"), ("public.brief", "folded", "ALTER TABLE"),
                    ("public.brief_v", "create", "CREATE VIEW"), ("public.brief", "drop", "DROP TABLE"),
                    ("public.brief_v", "drop", "DROP TABLE")]
    assert _leftovers(conn) == 0 and _chain_breaks(conn) == []


def test_a_view_created_and_dropped_by_a_cascade_in_one_transaction(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE base (id int, gone int)")
    with conn.transaction():
        conn.execute("CREATE VIEW on_gone AS SELECT gone FROM base")
        conn.execute("ALTER TABLE base DROP COLUMN gone CASCADE")  # not a DROP command: the view goes undescribed
    rows = conn.execute("SELECT object_identity, change, note FROM pggit.history WHERE object_identity IN"
                        " ('public.base', 'public.on_gone') ORDER BY id").fetchall()
    assert rows[0][:2] == ("public.base", "create")
    assert ("public.base", "major") in [r[:2] for r in rows]
    untracked = [r for r in rows if r[0] == "public.on_gone"]
    assert [r[1] for r in untracked] == ["untracked"]
    assert "created and dropped within its transaction" in untracked[0][2]
    assert _leftovers(conn) == 0


Connect = Callable[[], psycopg.Connection]


def test_concurrent_transactions_on_one_table_bump_once_each_in_commit_order(
        pggit_conn: psycopg.Connection, pggit_connect: Connect) -> None:
    pggit_conn.execute("CREATE TABLE contended (id int)")
    workers, rounds = 6, 4
    conns = [strict(pggit_connect()) for _ in range(workers)]

    def work(worker: int) -> None:
        conn = conns[worker]
        for i in range(rounds):
            with conn.transaction():
                conn.execute(f"CREATE INDEX contended_{worker}_{i} ON contended (id)")  # SHARE: runs alongside
                conn.execute(f"COMMENT ON INDEX contended_{worker}_{i} IS 'w{worker}'")

    run_together([lambda w=w: work(w) for w in range(workers)], name="deferred")
    rows = pggit_conn.execute("SELECT change, old_version, new_version FROM pggit.history"
                              " WHERE object_identity = 'public.contended' ORDER BY id").fetchall()
    assert len(rows) == 1 + workers * rounds * 2  # every statement: one row
    carriers = [r for r in rows[1:] if r[0] != "folded"]
    assert [r[0] for r in carriers] == ["minor"] * workers * rounds  # one bump per transaction
    assert pggit_conn.execute("SELECT version FROM pggit.get_version('contended')").fetchone() == (
        f"1.{workers * rounds}.0",)
    assert _chain_breaks(pggit_conn) == [] and _leftovers(pggit_conn) == 0


@pytest.mark.pggit_level(min=9, max=9)
def test_rolling_back_level_9_keeps_every_folded_row_as_none(pggit_new_database: Callable[[int], str]) -> None:
    """Level 8 knows no 'folded': its rows stay, as 'none' (old = new version and hash), and come back up."""
    from pggit_sql.migrate import Migrator

    dsn = pggit_new_database(9)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")
        with conn.transaction():
            conn.execute("ALTER TABLE kept ADD COLUMN a int")
            conn.execute("ALTER TABLE kept ADD COLUMN b int")
            conn.execute("CREATE INDEX kept_a ON kept (a)")
        conn.execute("SELECT pggit.commit_changes('main', 'kept')")
        before = conn.execute("SELECT id, change, old_version, new_version, old_hash, new_hash, commit_hash"
                              " FROM pggit.history ORDER BY id").fetchall()
        assert [r[1] for r in before].count("folded") == 2
        Migrator(dsn).rollback(to=8)
        after = conn.execute("SELECT id, change, old_version, new_version, old_hash, new_hash, commit_hash"
                             " FROM pggit.history ORDER BY id").fetchall()
        assert after == [(r[0], "none" if r[1] == "folded" else r[1], *r[2:]) for r in before]
        conn.execute("ALTER TABLE kept ADD COLUMN c int")  # level 8 tracks statement by statement again
        Migrator(dsn).migrate()
        assert conn.execute("SELECT version FROM pggit.get_version('kept')").fetchone() == ("1.2.0",)
        assert _chain_breaks(conn) == [] and _leftovers(conn) == 0
