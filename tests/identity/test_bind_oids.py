"""Level 6: pggit finds its objects by name after OIDs were renumbered (restore, upgrade).

A real pg_dump / pg_restore renumbers OIDs in an order nobody controls (see
tests/operations for those runs).  These tests make the worst case on purpose in one
database: as pggit's owner they rotate the OIDs stored in pggit's tables among the
objects and mark them stale (``pggit.instance``), which is exactly what a restore into a
cluster whose new OIDs happen to collide with the old ones looks like.  Everything a user
relies on must then behave as if nothing had happened: versions continue, nothing is
taken for a rename, data branches keep their rows and their isolation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
import pytest

pytestmark = pytest.mark.pggit_level(min=6)

TABLES = ("a", "b", "c")


def build(conn: psycopg.Connection) -> None:
    for name in TABLES:
        conn.execute(f"CREATE TABLE public.{name} (id int PRIMARY KEY, v text)")
        conn.execute(f"INSERT INTO public.{name} SELECT g, '{name}' || g FROM generate_series(1, 5) AS g")
    conn.execute("ALTER TABLE public.a ADD COLUMN extra int")  # a at 1.1.0, b and c at 1.0.0
    conn.execute("SELECT pggit.commit_changes('main', 'three tables')")


def rotate_stored_oids(conn: psycopg.Connection) -> None:
    """What a colliding restore leaves: each registry row of a, b, c holds another one's OID."""
    with conn.transaction():
        rows = conn.execute("SELECT id, objid FROM pggit.objects WHERE identity = ANY(%s)"
                            " AND dropped_at IS NULL ORDER BY identity",
                            ([f"public.{t}" for t in TABLES],)).fetchall()
        assert len(rows) == 3
        for i, (row_id, _) in enumerate(rows):  # through unused OIDs: the live-OID key is unique
            conn.execute("UPDATE pggit.objects SET objid = %s WHERE id = %s", (4294967000 + i, row_id))
        for (row_id, _), (_, objid) in zip(rows, rows[1:] + rows[:1], strict=True):
            conn.execute("UPDATE pggit.objects SET objid = %s WHERE id = %s", (objid, row_id))
        if conn.execute("SELECT to_regclass('pggit.instance') IS NOT NULL").fetchone()[0]:
            conn.execute("UPDATE pggit.instance SET anchor = 0")


def live_rows(conn: psycopg.Connection) -> list[tuple[str, int, bool]]:
    """(identity, how many live rows, whether its objid is the object's OID now)."""
    return conn.execute("""
        SELECT identity, count(*)::int, bool_and(objid = pggit.resolve_identity(kind, identity))
          FROM pggit.objects WHERE dropped_at IS NULL GROUP BY identity ORDER BY identity""").fetchall()


def history_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0]


def last_history_id(conn: psycopg.Connection) -> int:
    """The newest history id (ids have gaps from level 9: a settled row takes a new id)."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM pggit.history").fetchone()[0]


def test_stale_oids_are_rebound_by_name_and_nothing_is_taken_for_a_rename(pggit_conn: psycopg.Connection) -> None:
    build(pggit_conn)
    rotate_stored_oids(pggit_conn)
    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (False,)
    before = last_history_id(pggit_conn)

    pggit_conn.execute("ALTER TABLE public.b ADD COLUMN w int")
    pggit_conn.execute("CREATE TABLE public.d (id int)")

    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (True,)
    new = pggit_conn.execute("SELECT object_identity, old_identity, change, command_tag FROM pggit.history"
                             " WHERE id > %s ORDER BY id", (before,)).fetchall()
    assert new == [("public.b", "public.b", "minor", "ALTER TABLE"), ("public.d", None, "create", "CREATE TABLE")]
    versions = {t: pggit_conn.execute("SELECT version FROM pggit.get_version(%s)", (t,)).fetchone()[0]
                for t in (*TABLES, "d")}
    assert versions == {"a": "1.1.0", "b": "1.1.0", "c": "1.0.0", "d": "1.0.0"}
    assert all(count == 1 and bound for _, count, bound in live_rows(pggit_conn)), live_rows(pggit_conn)
    assert pggit_conn.execute("SELECT count(*) FROM pggit.object_indexes AS m"
                              " JOIN pg_index AS x ON x.indexrelid = m.index_oid"
                              " JOIN pggit.objects AS o ON o.id = m.object_id AND o.objid = x.indrelid"
                              ).fetchone()[0] == pggit_conn.execute(
        "SELECT count(*) FROM pggit.object_indexes").fetchone()[0] == 3  # one primary key per table


def test_get_version_answers_by_name_before_anything_rebinds(pggit_conn: psycopg.Connection) -> None:
    build(pggit_conn)
    rotate_stored_oids(pggit_conn)
    got = pggit_conn.execute("SELECT identity, version FROM pggit.get_version('a')").fetchall()
    assert got == [("public.a", "1.1.0")]
    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (False,)  # reading wrote nothing


def test_a_session_replaying_a_backup_records_nothing(pggit_conn: psycopg.Connection,
                                                      pggit_connect: Callable[[], psycopg.Connection]) -> None:
    build(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_data_branch('public.a', 'main', 'feat')")
    rotate_stored_oids(pggit_conn)
    before = history_count(pggit_conn)
    last = last_history_id(pggit_conn)
    storage = pggit_conn.execute("SELECT count(*) FROM pggit_data.d1").fetchone()[0]

    restore = pggit_connect()  # the settings every pg_dump script and pg_restore connection sets first
    restore.execute("SET row_security = off")
    restore.execute("SET check_function_bodies = false")
    assert restore.execute("SELECT pggit.restoring()").fetchone() == (True,)
    restore.execute("CREATE TABLE public.replayed (id int)")
    restore.execute("ALTER TABLE public.b ADD COLUMN replayed int")
    restore.execute("GRANT SELECT ON public.c TO PUBLIC")
    restore.execute("INSERT INTO public.a (id, v) SELECT g, 'copied' FROM generate_series(100, 110) AS g")
    restore.execute("ALTER TABLE public.a DISABLE TRIGGER ALL")
    restore.execute("ALTER TABLE public.a ENABLE TRIGGER ALL")
    assert history_count(pggit_conn) == before
    assert pggit_conn.execute("SELECT count(*) FROM pggit_data.d1").fetchone()[0] == storage
    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (False,)

    # the first ordinary session's statement re-binds and is recorded
    pggit_conn.execute("ALTER TABLE public.c ADD COLUMN after_restore int")
    assert pggit_conn.execute("SELECT object_identity, change FROM pggit.history WHERE id > %s ORDER BY id",
                              (last,)).fetchall() == [("public.c", "minor")]
    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (True,)

    # with the OIDs current the same settings are an ordinary session: recorded
    restore.execute("CREATE TABLE public.scripted (id int)")
    assert pggit_conn.execute("SELECT count(*) FROM pggit.history WHERE object_identity = 'public.scripted'"
                              ).fetchone() == (1,)


def test_an_object_missing_after_a_restore_is_marked_dropped_once(pggit_conn: psycopg.Connection) -> None:
    build(pggit_conn)
    with pggit_conn.transaction():  # as if the restore had left c out (pg_restore -t, a lost object)
        pggit_conn.execute("UPDATE pggit.objects SET identity = 'public.ghost', object_name = 'ghost'"
                           " WHERE identity = 'public.c'")
        pggit_conn.execute("UPDATE pggit.instance SET anchor = 0")
    rebound = pggit_conn.execute("SELECT pggit.bind_oids()").fetchone()[0]
    assert rebound == pggit_conn.execute("SELECT count(*) FROM pggit.objects WHERE dropped_at IS NULL").fetchone()[0]
    assert pggit_conn.execute("SELECT pggit.bind_oids()").fetchone() == (0,)
    drops = pggit_conn.execute("SELECT object_identity, command_tag, change FROM pggit.history"
                               " WHERE command_tag = 'PGGIT REBIND'").fetchall()
    assert drops == [("public.ghost", "PGGIT REBIND", "drop")]
    assert pggit_conn.execute("SELECT count(*) FROM pggit.objects WHERE identity = 'public.ghost'"
                              " AND dropped_at IS NOT NULL AND objid IS NULL").fetchone() == (1,)


def test_data_branches_follow_their_table_through_a_renumbering(pggit_conn: psycopg.Connection) -> None:
    build(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_data_branch('public.a', 'main', 'feat')")
    pggit_conn.execute("UPDATE public.a__feat SET v = 'branch' WHERE id = 1")
    pggit_conn.execute("DELETE FROM public.a__feat WHERE id = 2")
    with pggit_conn.transaction():  # the stored table OID now names table b
        pggit_conn.execute("UPDATE pggit.data_tables SET relid = 'public.b'::regclass")
        pggit_conn.execute("UPDATE pggit.instance SET anchor = 0")

    diff = pggit_conn.execute("SELECT key, change FROM pggit.diff_data_branch('public.a', 'feat')").fetchall()
    assert diff == [({"id": 1}, "update"), ({"id": 2}, "delete")]
    assert pggit_conn.execute("SELECT relid = 'public.a'::regclass FROM pggit.data_tables").fetchall() == [(True,)]
    pggit_conn.execute("UPDATE public.a SET v = 'main later' WHERE id = 3")
    assert pggit_conn.execute("SELECT v FROM public.a__feat WHERE id = 3").fetchone() == ("a3",)
    # a branch made now captures too (the capture function is the table's, whatever its name)
    pggit_conn.execute("SELECT pggit.create_data_branch('public.a', 'main', 'late')")
    pggit_conn.execute("UPDATE public.a SET v = 'main even later' WHERE id = 4")
    assert pggit_conn.execute("SELECT v FROM public.a__late WHERE id = 4").fetchone() == ("a4",)
    merged = pggit_conn.execute("SELECT inserted, updated, deleted, conflicts"
                                " FROM pggit.merge_data_branch('public.a', 'feat')").fetchone()
    assert merged == (0, 1, 1, 0)
    pggit_conn.execute("SELECT pggit.drop_data_branch('public.a', 'late')")
    pggit_conn.execute("SELECT pggit.delete_branch('feat', true)")
    assert pggit_conn.execute("SELECT count(*) FROM pggit.data_branches").fetchone() == (0,)
    assert pggit_conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.a'::regclass"
                              " AND NOT tgisinternal").fetchone() == (0,)


def test_the_write_check_follows_the_table_not_a_stored_oid(
        pggit_conn: psycopg.Connection, pggit_connect: Callable[[], psycopg.Connection]) -> None:
    build(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_data_branch('public.a', 'main', 'feat')")
    pggit_conn.execute("DROP ROLE IF EXISTS pggit_id_reader")
    pggit_conn.execute("CREATE ROLE pggit_id_reader")
    try:
        pggit_conn.execute("GRANT SELECT ON public.a TO pggit_id_reader")
        pggit_conn.execute("GRANT UPDATE ON public.b TO pggit_id_reader")  # b: the table a stale OID would name
        pggit_conn.execute("UPDATE pggit.data_tables SET relid = 'public.b'::regclass")
        pggit_conn.execute("UPDATE pggit.instance SET anchor = 0")
        writer = pggit_connect()
        writer.execute("SET ROLE pggit_id_reader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match='permission denied for table public.a'):
            writer.execute("UPDATE public.a__feat SET v = 'x' WHERE id = 1")
        writer.execute("RESET ROLE")
    finally:
        pggit_conn.execute("DROP OWNED BY pggit_id_reader")
        pggit_conn.execute("DROP ROLE pggit_id_reader")


def test_first_statements_of_many_sessions_after_a_restore_bind_once(
        pggit_conn: psycopg.Connection, pggit_connect: Callable[[], psycopg.Connection]) -> None:
    build(pggit_conn)
    rotate_stored_oids(pggit_conn)
    before = history_count(pggit_conn)
    last = last_history_id(pggit_conn)
    sessions = [pggit_connect() for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(sessions))

    def run(i: int, conn: psycopg.Connection) -> None:
        try:
            start.wait()
            conn.execute(f"CREATE TABLE public.s{i} (id int)")
            conn.execute(f"ALTER TABLE public.{TABLES[i % 3]} ADD COLUMN s{i} int")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert history_count(pggit_conn) == before + 8
    assert pggit_conn.execute("SELECT count(*) FROM pggit.history WHERE id > %s AND command_tag = 'PGGIT REBIND'",
                              (last,)).fetchone() == (0,)
    assert pggit_conn.execute("SELECT count(*) FROM pggit.history WHERE id > %s AND old_identity IS DISTINCT FROM"
                              " object_identity AND change <> 'create'", (last,)).fetchone() == (0,)
    assert all(count == 1 and bound for _, count, bound in live_rows(pggit_conn))


def test_level_6_down_and_up_with_live_data_branches(pggit_dsn: str, pggit_conn: psycopg.Connection) -> None:
    """Rolling level 6 back renames a capture function to level 5's c<relid>; up again keeps it."""
    from pggit_sql.migrate import Migrator

    build(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_data_branch('public.a', 'main', 'feat')")
    pggit_conn.execute("UPDATE public.a__feat SET v = 'branch' WHERE id = 1")
    relid = pggit_conn.execute("SELECT 'public.a'::regclass::oid").fetchone()[0]
    assert pggit_conn.execute("SELECT capture_function FROM pggit.data_tables").fetchone() == ("p1",)

    def capture_functions() -> list[str]:
        return [r[0] for r in pggit_conn.execute(
            "SELECT p.proname FROM pg_trigger AS g JOIN pg_proc AS p ON p.oid = g.tgfoid"
            " WHERE g.tgrelid = 'public.a'::regclass AND NOT g.tgisinternal ORDER BY g.tgname")]

    Migrator(pggit_dsn).rollback(to=5)
    assert capture_functions() == [f"c{relid}"] * 4
    pggit_conn.execute("UPDATE public.a SET v = 'main at 5' WHERE id = 2")
    assert pggit_conn.execute("SELECT v FROM public.a__feat WHERE id IN (1, 2) ORDER BY id").fetchall() == [
        ("branch",), ("a2",)]
    Migrator(pggit_dsn).migrate(to=6)
    assert pggit_conn.execute("SELECT capture_function FROM pggit.data_tables").fetchone() == (f"c{relid}",)
    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (True,)
    pggit_conn.execute("UPDATE public.a SET v = 'main at 6' WHERE id = 3")
    assert pggit_conn.execute("SELECT v FROM public.a__feat WHERE id IN (1, 2, 3) ORDER BY id").fetchall() == [
        ("branch",), ("a2",), ("a3",)]
    assert pggit_conn.execute("SELECT key, change FROM pggit.diff_data_branch('public.a', 'feat')").fetchall() == [
        ({"id": 1}, "update")]


def test_migrate_re_binds_at_once_after_a_restore(pggit_dsn: str, pggit_conn: psycopg.Connection,
                                                  pggit_level: int) -> None:
    """``pggit-sql migrate`` (make install-db), a restore's usual last step, re-binds even with nothing to apply."""
    from pggit_sql.migrate import Migrator

    build(pggit_conn)
    rotate_stored_oids(pggit_conn)
    assert Migrator(pggit_dsn).migrate(to=pggit_level) == []  # nothing to apply at the database's own level
    assert pggit_conn.execute("SELECT pggit.oids_current()").fetchone() == (True,)
    assert all(count == 1 and bound for _, count, bound in live_rows(pggit_conn))


@pytest.mark.pggit_level(min=6, max=6)
def test_a_database_restored_at_level_5_is_re_bound_by_the_upgrade(pggit_new_database: Callable[[int], str]) -> None:
    """Level 5 kept OIDs blindly: a database restored while at 5 is made whole by migrating to 6."""
    from pggit_sql.migrate import Migrator

    dsn = pggit_new_database(5)
    with psycopg.connect(dsn, autocommit=True) as conn:
        build(conn)
        conn.execute("SELECT pggit.create_data_branch('public.a', 'main', 'feat')")
        conn.execute("UPDATE public.a__feat SET v = 'branch' WHERE id = 1")
        rotate_stored_oids(conn)  # what a restore at level 5 leaves (no pggit.instance yet)
        a, b = conn.execute("SELECT 'public.a'::regclass::oid, 'public.b'::regclass::oid").fetchone()
        # a restore keeps the capture function's name, c<OID in the dumped database>, which is
        # also the relid level 5 stored: here that OID is b's
        conn.execute(f"ALTER FUNCTION pggit_data.c{a}() RENAME TO c{b}")
        with conn.transaction():  # level 5's foreign key does not cascade: as a restore would, unchecked
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("UPDATE pggit.data_tables SET relid = 'public.b'::regclass")
            conn.execute("UPDATE pggit.data_branches SET relid = 'public.b'::regclass")
        Migrator(dsn).migrate(to=6)
        assert conn.execute("SELECT pggit.oids_current()").fetchone() == (True,)
        assert all(count == 1 and bound for _, count, bound in live_rows(conn))
        assert conn.execute("SELECT relid = 'public.a'::regclass FROM pggit.data_tables").fetchall() == [(True,)]
        before = last_history_id(conn)
        conn.execute("ALTER TABLE public.c ADD COLUMN z int")
        assert conn.execute("SELECT object_identity, old_identity, change FROM pggit.history WHERE id > %s",
                            (before,)).fetchall() == [("public.c", "public.c", "minor")]
        conn.execute("UPDATE public.a SET v = 'main later' WHERE id = 2")
        assert conn.execute("SELECT v FROM public.a__feat WHERE id IN (1, 2) ORDER BY id").fetchall() == [
            ("branch",), ("a2",)]


@pytest.mark.pggit_level(min=6, max=6)
def test_views_described_before_level_6_keep_their_version_through_the_upgrade(
        pggit_new_database: Callable[[int], str]) -> None:
    """Level 6 prints a view's query as 16+ do: the upgrade re-describes views, records no change."""
    from pggit_sql.migrate import Migrator

    dsn = pggit_new_database(5)
    with psycopg.connect(dsn, autocommit=True) as conn:
        build(conn)
        conn.execute("CREATE VIEW public.va AS SELECT id, v FROM public.a WHERE id > 1")
        conn.execute("CREATE MATERIALIZED VIEW public.mb AS SELECT b.id FROM public.b AS b")
        conn.execute("SELECT pggit.commit_changes('main', 'views')")
        before = history_count(conn)
        versions = conn.execute("SELECT identity, major, minor, patch FROM pggit.objects"
                                " WHERE dropped_at IS NULL ORDER BY identity").fetchall()
        Migrator(dsn).migrate(to=6)
        assert history_count(conn) == before
        assert conn.execute("SELECT identity, major, minor, patch FROM pggit.objects"
                            " WHERE dropped_at IS NULL ORDER BY identity").fetchall() == versions
        stale = conn.execute("""SELECT o.identity FROM pggit.objects AS o
                                 CROSS JOIN LATERAL pggit.describe_object(o.classid, o.objid) AS d
                                 WHERE o.dropped_at IS NULL
                                   AND d.definition IS DISTINCT FROM o.definition""").fetchall()
        assert stale == []
        conn.execute("ALTER VIEW public.va OWNER TO CURRENT_USER")  # a statement that changes nothing
        conn.execute("SELECT pggit.resume_tracking()")  # re-describes everything
        assert conn.execute("SELECT change FROM pggit.history WHERE id > %s ORDER BY id",
                            (before,)).fetchall() == [("none",), ("resume",)]  # no patch, no register
