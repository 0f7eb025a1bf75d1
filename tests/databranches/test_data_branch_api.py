"""create/diff/drop_data_branch: names, refusals, copy-on-write storage, plans, schema changes."""

from __future__ import annotations

import psycopg
import pytest
from datamodel import relation_name
from hypothesis import HealthCheck, example, given, settings
from psycopg import errors, sql

from pggit_sql.testing.strategies import identifiers, valid_branch_names

pytestmark = pytest.mark.pggit_level(min=3)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def storage(conn: psycopg.Connection) -> list[tuple[str, int]]:
    """(relation, rows) of every delta/base table in pggit_data."""
    names = [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'pggit_data'::regnamespace AND relkind = 'r'"
        " ORDER BY relname")]
    return [(n, conn.execute(sql.SQL("SELECT count(*) FROM pggit_data.{}").format(sql.Identifier(n))).fetchone()[0])
            for n in names]


@reuse_db
@given(schema=identifiers(), table=identifiers(), branch=valid_branch_names().filter(lambda b: b != "main"))
@example(schema="public", table="t" * 63, branch="feature/x")
@example(schema="Sch ema", table='Mixed "Case"', branch="fix/ñandú")
@example(schema="s", table="é" * 31, branch="a")
def test_hostile_identifiers(pggit_conn: psycopg.Connection, schema: str, table: str, branch: str) -> None:
    with pggit_conn.transaction(force_rollback=True):
        pggit_conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        qualified = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        pggit_conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, v text)").format(qualified))
        pggit_conn.execute(sql.SQL("INSERT INTO {} VALUES (1, 'a')").format(qualified))
        name = pggit_conn.execute("SELECT pggit.create_data_branch(%s, 'main', %s)",
                                  (qualified.as_string(pggit_conn), branch)).fetchone()[0]
        assert name == relation_name(table, branch)
        assert len(name.encode()) <= 63
        found = pggit_conn.execute(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s", (schema, name)).fetchone()
        assert found == ("v",)
        view = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
        pggit_conn.execute(sql.SQL("INSERT INTO {} VALUES (2, 'b')").format(view))
        assert pggit_conn.execute(sql.SQL("SELECT id, v FROM {} ORDER BY id").format(view)).fetchall() == [
            (1, "a"), (2, "b")]
        assert pggit_conn.execute(sql.SQL("SELECT id FROM {}").format(qualified)).fetchall() == [(1,)]
        diff = pggit_conn.execute("SELECT key, change FROM pggit.diff_data_branch(%s, %s)",
                                  (qualified.as_string(pggit_conn), branch)).fetchall()
        assert diff == [({"id": 2}, "insert")]
        pggit_conn.execute("SELECT pggit.drop_data_branch(%s, %s)", (qualified.as_string(pggit_conn), branch))
        assert storage(pggit_conn) == []


def test_shortened_names_are_deterministic(pggit_conn: psycopg.Connection) -> None:
    long_branch = "feature/" + "x" * 100
    (a,) = pggit_conn.execute("SELECT pggit.data_relation_name('orders', %s)", (long_branch,)).fetchone()
    (b,) = pggit_conn.execute("SELECT pggit.data_relation_name('orders', %s)", (long_branch,)).fetchone()
    (c,) = pggit_conn.execute("SELECT pggit.data_relation_name('orders', %s)", (long_branch + "y",)).fetchone()
    assert a == b == relation_name("orders", long_branch) and len(a.encode()) == 63 and a != c
    assert pggit_conn.execute("SELECT pggit.data_relation_name('t', 'f')").fetchone()[0] == "t__f"


def test_refusals(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE nopk (a int)")
    with pytest.raises(errors.ObjectNotInPrerequisiteState, match="no primary key") as info:
        pggit_conn.execute("SELECT pggit.create_data_branch('nopk', 'main', 'b')")
    assert "finds rows by primary key" in info.value.diag.message_detail
    with pytest.raises(errors.UndefinedTable):
        pggit_conn.execute("SELECT pggit.create_data_branch('missing', 'main', 'b')")
    pggit_conn.execute("CREATE TABLE g (id int PRIMARY KEY, w int GENERATED ALWAYS AS (id * 2) STORED)")
    with pytest.raises(errors.FeatureNotSupported, match='generated column "w"'):
        pggit_conn.execute("SELECT pggit.create_data_branch('g', 'main', 'b')")
    pggit_conn.execute("CREATE TABLE p (id int PRIMARY KEY) PARTITION BY RANGE (id)")
    with pytest.raises(errors.FeatureNotSupported, match="partitioned"):
        pggit_conn.execute("SELECT pggit.create_data_branch('p', 'main', 'b')")
    pggit_conn.execute("CREATE VIEW vw AS SELECT 1 AS id")
    with pytest.raises(errors.WrongObjectType):
        pggit_conn.execute("SELECT pggit.create_data_branch('vw', 'main', 'b')")
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    with pytest.raises(errors.InvalidParameterValue, match='"main"'):
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'main')")
    with pytest.raises(errors.InvalidParameterValue, match="invalid branch name"):
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'a b')")
    with pytest.raises(errors.UndefinedObject, match='branch "nope"'):
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'nope', 'b')")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'b')")
    with pytest.raises(errors.DuplicateObject, match='already has a data branch on branch "b"'):
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'b')")
    with pytest.raises(errors.FeatureNotSupported, match="its own data branch"):
        pggit_conn.execute("SELECT pggit.create_data_branch('t', 'b', 'c')")
    pggit_conn.execute("CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE u__x (a int)")
    with pytest.raises(errors.DuplicateTable, match="u__x"):
        pggit_conn.execute("SELECT pggit.create_data_branch('u', 'main', 'x')")
    with pytest.raises(errors.UndefinedObject, match='no data branch "zz"'):
        pggit_conn.execute("SELECT * FROM pggit.diff_data_branch('t', 'zz')")
    with pytest.raises(errors.InvalidParameterValue, match="invalid merge strategy"):
        pggit_conn.execute("SELECT * FROM pggit.merge_data_branch('t', 'b', strategy => 'mine')")


def test_creation_copies_no_row_and_branch_commits_land_on_the_branch(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t SELECT g, g FROM generate_series(1, 5000) g")
    head = pggit_conn.execute("SELECT pggit.commit_changes('main', 'base')").fetchone()[0]
    assert pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'new/branch')").fetchone()[0] == \
        "t__new/branch"
    assert [rows for _, rows in storage(pggit_conn)] == [0, 0]
    parent, tip = pggit_conn.execute("SELECT p.name, b.head_commit_hash FROM pggit.branches b"
                                     " JOIN pggit.branches p ON p.id = b.parent_branch_id"
                                     " WHERE b.name = 'new/branch'").fetchone()
    assert (parent, tip) == ("main", head)
    assert pggit_conn.execute('SELECT count(*), sum(v) FROM "t__new/branch"').fetchone() == (5000, 5000 * 5001 // 2)


def test_pre_images_are_kept_only_while_a_branch_needs_them(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t SELECT g, g FROM generate_series(1, 100) g")
    pggit_conn.execute("UPDATE t SET v = v + 1")  # no branch: nothing kept, no trigger at all
    assert pggit_conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 't'::regclass").fetchone()[0] == 0
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    for _ in range(3):
        pggit_conn.execute("UPDATE t SET v = v + 1 WHERE id <= 10")  # first change per key is kept, once
    assert [rows for _, rows in storage(pggit_conn)] == [0, 10]  # b1 (base) empty, d1: 10 pre-images
    assert pggit_conn.execute("SELECT sum(v) FROM t__f WHERE id <= 10").fetchone()[0] == sum(range(2, 12))
    pggit_conn.execute("SELECT pggit.drop_data_branch('t', 'f')")
    assert storage(pggit_conn) == []
    assert pggit_conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 't'::regclass").fetchone()[0] == 0
    assert pggit_conn.execute("SELECT count(*) FROM pggit.data_tables").fetchone()[0] == 0


def test_writes_return_rows_and_use_the_table_defaults(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                       " name text NOT NULL, qty int DEFAULT 7)")
    pggit_conn.execute("INSERT INTO t (name) VALUES ('a')")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    assert pggit_conn.execute("INSERT INTO t__f (name) VALUES ('b') RETURNING id, name, qty").fetchone() == (2, "b", 7)
    assert pggit_conn.execute("UPDATE t__f SET qty = qty + 1 RETURNING id, qty").fetchall() in (
        [(1, 8), (2, 8)], [(2, 8), (1, 8)])
    assert pggit_conn.execute("DELETE FROM t__f WHERE id = 1 RETURNING name").fetchall() == [("a",)]
    with pytest.raises(errors.NotNullViolation, match='"name"'):
        pggit_conn.execute("INSERT INTO t__f (name) VALUES (NULL)")
    with pytest.raises(errors.UniqueViolation, match=r"Key \(id\)=\(2\)|primary key"):
        pggit_conn.execute("INSERT INTO t__f (id, name) VALUES (2, 'again')")
    assert pggit_conn.execute("SELECT id, name, qty FROM t").fetchall() == [(1, "a", 7)]
    # main's next identity value does not collide with the branch's rows
    assert pggit_conn.execute("INSERT INTO t (name) VALUES ('c') RETURNING id").fetchone()[0] > 2


def test_primary_key_reads_and_writes_use_indexes(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g")
    pggit_conn.execute("ANALYZE t")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    for statement in ("SELECT * FROM t__f WHERE id = 77", "UPDATE t__f SET v = 0 WHERE id = 77",
                      "DELETE FROM t__f WHERE id = 77"):
        plan = "\n".join(r[0] for r in pggit_conn.execute(f"EXPLAIN {statement}"))
        assert "Seq Scan" not in plan, plan
        assert "Index Scan using t_pkey" in plan and "d1_pkey" in plan, plan


def test_main_writes_while_branched_cover_every_path(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t SELECT g, g FROM generate_series(1, 6) g")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    pggit_conn.execute("UPDATE t SET id = id + 100 WHERE id = 1")  # key change on main
    pggit_conn.execute("INSERT INTO t VALUES (7, 7) ON CONFLICT (id) DO UPDATE SET v = 0")
    pggit_conn.execute("INSERT INTO t VALUES (2, 2) ON CONFLICT (id) DO UPDATE SET v = -2")
    pggit_conn.execute("MERGE INTO t USING (VALUES (3), (8)) s(id) ON t.id = s.id"
                       " WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.id, 8)")
    pggit_conn.execute("COPY t FROM PROGRAM 'echo 9,9' WITH (FORMAT csv)")
    pggit_conn.execute("TRUNCATE t")
    assert pggit_conn.execute("SELECT id, v FROM t__f ORDER BY id").fetchall() == [(i, i) for i in range(1, 7)]


def test_add_column_carries_over_and_other_changes_are_refused(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'g')")
    pggit_conn.execute("UPDATE t__f SET v = 10 WHERE id = 1")
    pggit_conn.execute("UPDATE t SET v = 20 WHERE id = 2")
    pggit_conn.execute("ALTER TABLE t ADD COLUMN note text DEFAULT 'n'")
    assert pggit_conn.execute("SELECT * FROM t__f ORDER BY id").fetchall() == [(1, 10, "n"), (2, 2, "n")]
    pggit_conn.execute("INSERT INTO t__f (id) VALUES (3)")
    assert pggit_conn.execute("SELECT * FROM t__f WHERE id = 3").fetchone() == (3, None, "n")
    pggit_conn.execute("CREATE INDEX ON t (v)")  # harmless changes pass
    pggit_conn.execute("ALTER TABLE t ALTER COLUMN v SET DEFAULT 5")
    for statement in ("ALTER TABLE t RENAME COLUMN v TO w", "ALTER TABLE t DROP COLUMN note CASCADE",
                      "ALTER TABLE t ALTER COLUMN v TYPE bigint", "DROP TABLE t CASCADE", "DROP VIEW t__f"):
        with pytest.raises((errors.DependentObjectsStillExist, errors.FeatureNotSupported)) as info:
            pggit_conn.execute(statement)
        message = str(info.value)
        names_both = "t__f" in message and ("t__g" in message or statement.startswith("DROP VIEW"))
        assert names_both or "used by a view" in message, message
    assert pggit_conn.execute("SELECT count(*) FROM t__f").fetchone()[0] == 3
    diff = pggit_conn.execute("SELECT key, change, before, after FROM pggit.diff_data_branch('t', 'f')"
                              " ORDER BY key").fetchall()
    assert diff == [({"id": 1}, "update", {"id": 1, "v": 1, "note": "n"}, {"id": 1, "v": 10, "note": "n"}),
                    ({"id": 3}, "insert", None, {"id": 3, "v": None, "note": "n"})]
    counts = pggit_conn.execute("SELECT inserted, updated, deleted, conflicts FROM pggit.merge_data_branch('t', 'f')")
    assert counts.fetchone() == (1, 1, 0, 0)
    assert pggit_conn.execute("SELECT * FROM t ORDER BY id").fetchall() == [(1, 10, "n"), (2, 20, "n"), (3, None, "n")]


def test_merge_is_recorded_as_a_commit_and_conflicts_resolve(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    pggit_conn.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    pggit_conn.execute("SELECT pggit.create_data_branch('t', 'main', 'f')")
    pggit_conn.execute("UPDATE t__f SET v = 100")
    pggit_conn.execute("UPDATE t SET v = -1 WHERE id = 1")
    ins, upd, dele, conflicts, commit = pggit_conn.execute(
        "SELECT * FROM pggit.merge_data_branch('t', 'f', 'main', 'ours')").fetchone()
    assert (ins, upd, dele, conflicts) == (0, 1, 0, 1)
    assert pggit_conn.execute("SELECT * FROM t ORDER BY id").fetchall() == [(1, -1), (2, 100)]
    message, branch = pggit_conn.execute("SELECT c.message, b.name FROM pggit.commits c"
                                         " JOIN pggit.branches b ON b.id = c.branch_id WHERE c.hash = %s",
                                         (commit,)).fetchone()
    assert branch == "main" and 'merge data branch "f" of public.t' in message
    assert pggit_conn.execute("SELECT resolution FROM pggit.data_conflicts").fetchall() == [("ours",)]


def test_columns_named_like_pggit_aliases(pggit_conn: psycopg.Connection) -> None:
    """Generated SQL never confuses a user column with its own aliases or result columns."""
    columns = ["d", "t", "b", "o", "n", "p", "x", "cur", "theirs", "ours", "base", "verdict", "new", "old"]
    pggit_conn.execute("CREATE TABLE kv (key text PRIMARY KEY, " + ", ".join(f'"{c}" int' for c in columns) + ")")
    pggit_conn.execute("INSERT INTO kv (key, d) VALUES ('a', 1), ('b', 2)")
    pggit_conn.execute("SELECT pggit.create_data_branch('kv', 'main', 'f')")
    pggit_conn.execute('UPDATE kv__f SET "t" = 5, "cur" = 6 WHERE key = \'a\'')
    pggit_conn.execute("INSERT INTO kv__f (key, \"verdict\") VALUES ('c', 7)")
    pggit_conn.execute("DELETE FROM kv__f WHERE key = 'b'")
    pggit_conn.execute("UPDATE kv SET \"b\" = 9 WHERE key = 'a'")
    changes = pggit_conn.execute("SELECT key->>'key', change FROM pggit.diff_data_branch('kv', 'f') ORDER BY 1")
    assert changes.fetchall() == [("a", "update"), ("b", "delete"), ("c", "insert")]
    merged = pggit_conn.execute("SELECT inserted, updated, deleted, conflicts"
                                " FROM pggit.merge_data_branch('kv', 'f', strategy => 'theirs')").fetchone()
    assert merged == (1, 1, 1, 1)
    assert pggit_conn.execute('SELECT key, "t", "cur", "b", "verdict" FROM kv ORDER BY key').fetchall() == [
        ("a", 5, 6, None, None), ("c", None, None, None, 7)]


def test_branching_data_is_no_schema_change_of_the_table(pggit_conn: psycopg.Connection) -> None:
    """Creating, writing, merging and dropping a data branch leave the table's version, hash and history alone.

    pggit's capture triggers on the table are its own (their functions live in pggit's
    schemas): level 2 leaves them out of the table's description and records nothing.
    """
    conn = pggit_conn
    conn.execute("SET pggit.strict = on")
    conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY, qty int)")
    conn.execute("CREATE TRIGGER user_trigger BEFORE UPDATE ON public.orders"
                 " FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()")
    conn.execute("INSERT INTO public.orders VALUES (1, 1), (2, 2)")

    def table_state() -> tuple:
        return conn.execute(
            "SELECT v.version, v.hash, pggit.calculate_schema_hash('public.orders'),"
            " (SELECT count(*) FROM pggit.history h WHERE h.object_identity = 'public.orders')"
            " FROM pggit.get_version('public.orders') v").fetchone()

    before = table_state()
    assert before[1] == before[2]
    conn.execute("SELECT pggit.create_data_branch('public.orders', 'main', 'feature/q')")
    conn.execute('UPDATE public."orders__feature/q" SET qty = 10 WHERE id = 1')
    conn.execute("UPDATE public.orders SET qty = 20 WHERE id = 2")
    assert table_state() == before
    conn.execute("SELECT * FROM pggit.merge_data_branch('public.orders', 'feature/q')")
    conn.execute("SELECT pggit.drop_data_branch('public.orders', 'feature/q')")
    assert table_state() == before
    # the user's own trigger still counts: dropping it is a change of the table
    conn.execute("DROP TRIGGER user_trigger ON public.orders")
    after = table_state()
    assert after[0] == "1.0.2" and after[1] == after[2] != before[1] and after[3] == before[3] + 1


def test_a_new_to_branch_starts_from_main_whatever_the_from_branch(pggit_conn: psycopg.Connection) -> None:
    """As commit_changes does: a missing branch is created from main's head (the rows come from from_branch)."""
    conn = pggit_conn
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    conn.execute("INSERT INTO t VALUES (1, 1)")
    main_head = conn.execute("SELECT pggit.commit_changes('main', 'base')").fetchone()[0]
    conn.execute("SELECT pggit.create_branch('dev')")
    dev_head = conn.execute("SELECT pggit.commit_changes('dev', 'dev work')").fetchone()[0]
    assert dev_head != main_head
    conn.execute("SELECT pggit.create_data_branch('t', 'dev', 'from-dev')")
    assert conn.execute("SELECT p.name, b.head_commit_hash FROM pggit.branches b"
                        " JOIN pggit.branches p ON p.id = b.parent_branch_id"
                        " WHERE b.name = 'from-dev'").fetchone() == ("main", main_head)
    assert conn.execute('SELECT id, v FROM "t__from-dev"').fetchall() == [(1, 1)]


@pytest.mark.parametrize("name", ["a.b.c.d", '"unterminated', "", "public.f(integer)", "no_such_table", ".", "x..y"])
def test_malformed_or_unknown_table_names_are_42P01_never_a_syntax_error(
    pggit_conn: psycopg.Connection, name: str
) -> None:
    """Every public data-branch function resolves its table the same way (pggit.data_table_oid)."""
    calls = [
        ("SELECT pggit.create_data_branch(%s, 'main', 'x')", (name,)),
        ("SELECT * FROM pggit.diff_data_branch(%s, 'x')", (name,)),
        ("SELECT * FROM pggit.merge_data_branch(%s, 'x')", (name,)),
        ("SELECT pggit.drop_data_branch(%s, 'x')", (name,)),
    ]
    for query, args in calls:
        with pytest.raises(errors.UndefinedTable, match="does not exist"), pggit_conn.transaction():
            pggit_conn.execute(query, args)
    with pytest.raises(errors.NullValueNotAllowed), pggit_conn.transaction():
        pggit_conn.execute("SELECT pggit.create_data_branch(NULL, 'main', 'x')")
