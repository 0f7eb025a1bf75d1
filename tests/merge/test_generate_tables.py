"""generate_migration for what tables hold beyond columns, keys and indexes (issue 13).

Each test builds schema A with rows, commits it, changes it into B (committed too),
builds A again with its rows and applies generate_migration(A, B): the catalog
fingerprint of the schema (tables with their options, partition keys and bounds,
columns, constraints and indexes by name, triggers, policies, rules, comments) equals
B's, the rows are kept, and generating from the result to B gives nothing.
"""

from __future__ import annotations

import psycopg
import pytest
from test_generate_migration import apply, commit, migration

from pggit_sql import catalog

pytestmark = pytest.mark.pggit_level(min=7)

Steps = list[tuple[int, str, str | None]]

EXTRA = """
SELECT c.relname, c.relreplident::text, coalesce(am.amname, '')
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
 WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p') ORDER BY 1
"""


def round_trip(conn: psycopg.Connection, setup: str, change: str, query: str | None = None) -> Steps:
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    ca = commit(conn)
    conn.execute(change)
    want = catalog.fingerprint(conn, ["app"])
    want_extra = conn.execute(EXTRA).fetchall()
    want_rows = conn.execute(query).fetchall() if query else None
    steps = migration(conn, ca, "WORKING")
    cb = commit(conn)
    assert migration(conn, ca, cb) == steps
    conn.execute("DROP SCHEMA app CASCADE")
    conn.execute("CREATE SCHEMA app")
    conn.execute(setup)
    apply(conn, steps)
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    assert conn.execute(EXTRA).fetchall() == want_extra
    if query:
        assert conn.execute(query).fetchall() == want_rows
    return steps


def statements(steps: Steps) -> list[str]:
    return [s for _, s, _ in steps if " OWNER TO " not in s]


PARTITIONED = (
    "CREATE TABLE app.r (id int PRIMARY KEY); INSERT INTO app.r SELECT generate_series(1, 30);"
    " CREATE TABLE app.m (id int NOT NULL, k int NOT NULL, a text) PARTITION BY RANGE (k);"
    " CREATE TABLE app.m1 PARTITION OF app.m FOR VALUES FROM (0) TO (10);"
    " ALTER TABLE app.m ADD PRIMARY KEY (id, k); CREATE INDEX m_a ON app.m (a);"
    " INSERT INTO app.m VALUES (1, 1, 'x'), (2, 5, 'y')"
)


def test_partitioned_tables_and_partitions(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn, PARTITIONED,
        "CREATE TABLE app.m2 PARTITION OF app.m FOR VALUES FROM (10) TO (20) PARTITION BY LIST (id);"
        " CREATE TABLE app.m21 PARTITION OF app.m2 FOR VALUES IN (1, 2);"
        " CREATE TABLE app.m2d PARTITION OF app.m2 DEFAULT;"
        " ALTER INDEX app.m2_a_idx RENAME TO m2_a_renamed;"
        " ALTER TABLE app.m ADD COLUMN b int; CREATE INDEX m_b ON app.m (b);"
        " ALTER TABLE app.m ADD CONSTRAINT m_ck CHECK (k >= 0);"
        " ALTER TABLE app.m ADD CONSTRAINT m_fk FOREIGN KEY (id) REFERENCES app.r;"
        " ALTER INDEX app.m1_pkey RENAME TO m1_key_renamed;"
        " CREATE TABLE app.n (id int, k int PRIMARY KEY) PARTITION BY HASH (k);"
        " CREATE TABLE app.n0 PARTITION OF app.n FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
        " CREATE TABLE app.n1 PARTITION OF app.n FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
        "SELECT * FROM app.m ORDER BY id, k",
    )
    got = statements(steps)
    assert "CREATE TABLE app.n (id integer, k integer NOT NULL) PARTITION BY HASH (k);" in got
    assert "CREATE TABLE app.m2 PARTITION OF app.m FOR VALUES FROM (10) TO (20) PARTITION BY LIST (id);" in got
    assert "CREATE TABLE app.m2d PARTITION OF app.m2 DEFAULT;" in got
    assert got.index("CREATE TABLE app.m21 PARTITION OF app.m2 FOR VALUES IN (1, 2);") > got.index(
        "CREATE TABLE app.m2 PARTITION OF app.m FOR VALUES FROM (10) TO (20) PARTITION BY LIST (id);")
    # the parent's column, check and foreign key reach the partitions: none of their own
    assert "ALTER TABLE app.m ADD COLUMN b integer;" in got
    assert not [s for s in got if s.startswith(("ALTER TABLE app.m1 ", "ALTER TABLE app.m2 ", "ALTER TABLE app.m21 "))
                and ("ADD COLUMN" in s or "m_ck" in s or "m_fk" in s)]
    assert "ALTER INDEX app.m2_a_idx RENAME TO m2_a_renamed;" in got
    assert "ALTER INDEX app.m1_pkey RENAME TO m1_key_renamed;" in got


def test_attach_and_detach(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        PARTITIONED + "; CREATE TABLE app.loose (id int NOT NULL, k int NOT NULL, a text);"
        " INSERT INTO app.loose VALUES (3, 25, 'q')",
        "ALTER TABLE app.m DETACH PARTITION app.m1;"
        " ALTER TABLE app.m ATTACH PARTITION app.loose FOR VALUES FROM (20) TO (30)",
        "SELECT * FROM app.m ORDER BY id, k",
    )
    got = statements(steps)
    assert "ALTER TABLE app.m DETACH PARTITION app.m1;" in got
    assert "ALTER TABLE app.m ATTACH PARTITION app.loose FOR VALUES FROM (20) TO (30);" in got


def test_foreign_table_is_a_note(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    ca = commit(conn)
    conn.execute("CREATE FOREIGN DATA WRAPPER w13; CREATE SERVER s13 FOREIGN DATA WRAPPER w13;"
                 " CREATE FOREIGN TABLE app.f (id int) SERVER s13")
    steps = migration(conn, ca, "WORKING")
    assert [(s, w) for _, s, w in steps] == [
        ("-- foreign table app.f: not generated",
         "foreign table app.f is added: foreign tables are not generated (CREATE / ALTER FOREIGN TABLE by hand)")]


def test_comments(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        "CREATE TABLE app.t (id int, a text, b text); COMMENT ON TABLE app.t IS 'old';"
        " COMMENT ON COLUMN app.t.a IS 'a''s'; COMMENT ON COLUMN app.t.b IS 'gone'",
        "COMMENT ON TABLE app.t IS 'new\nline'; COMMENT ON COLUMN app.t.a IS NULL;"
        " COMMENT ON COLUMN app.t.b IS 'b'; ALTER TABLE app.t RENAME COLUMN id TO \"Id\";"
        " COMMENT ON COLUMN app.t.\"Id\" IS 'key';"
        " CREATE TABLE app.u (x int); COMMENT ON TABLE app.u IS 'u'; COMMENT ON COLUMN app.u.x IS 'x'",
    )
    got = statements(steps)
    for s in ("COMMENT ON TABLE app.t IS E'new\\nline';" if False else "COMMENT ON TABLE app.t IS 'new\nline';",
              "COMMENT ON COLUMN app.t.a IS NULL;", "COMMENT ON COLUMN app.t.b IS 'b';",
              "COMMENT ON COLUMN app.t.\"Id\" IS 'key';", "COMMENT ON TABLE app.u IS 'u';",
              "COMMENT ON COLUMN app.u.x IS 'x';"):
        assert s in got


TRIGGERS = (
    "CREATE TABLE app.t (id int, a text);"
    " CREATE FUNCTION app.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
    " CREATE TRIGGER keep BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf();"
    " CREATE TRIGGER change BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf();"
    " CREATE TRIGGER gone BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf();"
    " CREATE TRIGGER state BEFORE DELETE ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf();"
    " ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;"
    " CREATE POLICY p_alter ON app.t FOR SELECT TO PUBLIC USING (id > 0);"
    " CREATE POLICY p_gone ON app.t USING (true);"
    " CREATE POLICY p_kind ON app.t FOR UPDATE USING (id > 1) WITH CHECK (id > 2);"
    " CREATE TABLE app.log (id int);"
    " CREATE RULE r_gone AS ON DELETE TO app.t DO ALSO INSERT INTO app.log VALUES (old.id);"
    " CREATE RULE r_change AS ON UPDATE TO app.t DO ALSO INSERT INTO app.log VALUES (old.id);"
    " INSERT INTO app.t VALUES (1, 'x')"
)


def test_triggers_policies_rules(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn, TRIGGERS,
        "DROP TRIGGER change ON app.t;"
        " CREATE TRIGGER change AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf2();"
        " DROP TRIGGER gone ON app.t; ALTER TABLE app.t DISABLE TRIGGER state;"
        " COMMENT ON TRIGGER keep ON app.t IS 'kept';"
        " ALTER POLICY p_alter ON app.t USING (id > 5) WITH CHECK (true);" if False else
        "CREATE FUNCTION app.tf2() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;"
        " DROP TRIGGER change ON app.t;"
        " CREATE TRIGGER change AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf2();"
        " CREATE TRIGGER added AFTER UPDATE ON app.t FOR EACH STATEMENT EXECUTE FUNCTION app.tf2();"
        " ALTER TABLE app.t ENABLE REPLICA TRIGGER added;"
        " DROP TRIGGER gone ON app.t; ALTER TABLE app.t DISABLE TRIGGER state;"
        " COMMENT ON TRIGGER keep ON app.t IS 'kept';"
        " ALTER POLICY p_alter ON app.t USING (id > 5);"
        " DROP POLICY p_gone ON app.t;"
        " DROP POLICY p_kind ON app.t; CREATE POLICY p_kind ON app.t AS RESTRICTIVE FOR UPDATE USING (id > 1);"
        " CREATE POLICY p_new ON app.t FOR INSERT WITH CHECK (a <> 'x');"
        " ALTER TABLE app.t FORCE ROW LEVEL SECURITY;"
        " DROP RULE r_gone ON app.t; DROP RULE r_change ON app.t;"
        " CREATE RULE r_change AS ON UPDATE TO app.t DO ALSO INSERT INTO app.log VALUES (new.id);"
        " ALTER TABLE app.t DISABLE RULE r_change",
        "SELECT * FROM app.t",
    )
    got = statements(steps)
    for s in ("DROP TRIGGER change ON app.t;", "DROP TRIGGER gone ON app.t;",
              "CREATE TRIGGER change AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf2();",
              "ALTER TABLE app.t ENABLE REPLICA TRIGGER added;", "ALTER TABLE app.t DISABLE TRIGGER state;",
              "COMMENT ON TRIGGER keep ON app.t IS 'kept';",
              "ALTER POLICY p_alter ON app.t TO PUBLIC USING ((id > 5));", "DROP POLICY p_gone ON app.t;",
              "DROP POLICY p_kind ON app.t;", "ALTER TABLE app.t FORCE ROW LEVEL SECURITY;",
              "DROP RULE r_gone ON app.t;", "DROP RULE r_change ON app.t;",
              "ALTER TABLE app.t DISABLE RULE r_change;"):
        assert s in got, s
    # created after the functions they call, dropped before
    assert got.index("CREATE TRIGGER change AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.tf2();") > [
        i for i, s in enumerate(got) if s.startswith("CREATE OR REPLACE FUNCTION app.tf2()")][0]


def test_data_branch_triggers_are_never_generated(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY); INSERT INTO app.t VALUES (1)")
    ca = commit(conn)
    conn.execute("SELECT pggit.create_branch('feature')")
    conn.execute("SELECT pggit.create_data_branch('app.t', 'main', 'feature')")
    assert [s for _, s, _ in migration(conn, ca, "WORKING") if "TRIGGER" in s] == []


def test_table_options(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        "CREATE TABLE app.t (id int NOT NULL, a text) WITH (fillfactor = 70, autovacuum_enabled = false);"
        " CREATE UNIQUE INDEX t_id ON app.t (id); CREATE UNLOGGED TABLE app.u (id int);"
        " CREATE TABLE app.v (id int PRIMARY KEY); INSERT INTO app.t VALUES (1, 'a'); INSERT INTO app.u VALUES (2)",
        "ALTER TABLE app.t SET (autovacuum_vacuum_threshold = 100, fillfactor = 80), RESET (autovacuum_enabled);"
        " ALTER TABLE app.t REPLICA IDENTITY USING INDEX t_id; ALTER TABLE app.v REPLICA IDENTITY FULL;"
        " ALTER TABLE app.u SET LOGGED; ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;"
        " CREATE TABLE app.w (id int) WITH (fillfactor = 50)",
        "SELECT * FROM app.t, app.u",
    )
    got = {s: w for _, s, w in steps}
    assert "ALTER TABLE app.t RESET (autovacuum_enabled);" in got
    assert "ALTER TABLE app.t SET (autovacuum_vacuum_threshold=100, fillfactor=80);" in got
    assert "ALTER TABLE app.t REPLICA IDENTITY USING INDEX t_id;" in got
    assert "ALTER TABLE app.v REPLICA IDENTITY FULL;" in got
    assert got["ALTER TABLE app.u SET LOGGED;"] == "table app.u is rewritten (SET LOGGED): it is locked meanwhile"
    assert "ALTER TABLE app.t ENABLE ROW LEVEL SECURITY;" in got
    assert "ALTER TABLE app.w SET (fillfactor=50);" in got


def test_what_is_not_generated_is_a_note(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; CREATE TABLE app.p (id int); CREATE TABLE app.c (id int)")
    ca = commit(conn)
    conn.execute("ALTER TABLE app.c INHERIT app.p")
    steps = [(s, w) for _, s, w in migration(conn, ca, "WORKING")]
    assert ("-- table app.c: legacy inheritance (INHERITS) not generated",
            "table app.c: legacy inheritance (INHERITS) changes from none to 'INHERITS app.p': not generated") in steps


def test_a_changed_function_takes_its_triggers_policies_and_rules_along(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        "CREATE FUNCTION app.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        " CREATE FUNCTION app.ok(i int) RETURNS boolean LANGUAGE sql AS 'SELECT i > 0';"
        " CREATE TABLE app.same (id int); CREATE TABLE app.changed (id int);"
        " CREATE TRIGGER t1 BEFORE INSERT ON app.same FOR EACH ROW EXECUTE FUNCTION app.tf();"
        " ALTER TABLE app.same DISABLE TRIGGER t1; COMMENT ON TRIGGER t1 ON app.same IS 'c';"
        " CREATE POLICY p1 ON app.same USING (app.ok(id));"
        " CREATE TRIGGER t2 BEFORE INSERT ON app.changed FOR EACH ROW EXECUTE FUNCTION app.tf();"
        " INSERT INTO app.same VALUES (1)",
        "CREATE OR REPLACE FUNCTION app.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;"
        " CREATE OR REPLACE FUNCTION app.ok(i int) RETURNS boolean LANGUAGE sql AS 'SELECT i > 1';"
        " ALTER TABLE app.changed ADD COLUMN a text",
        "SELECT * FROM app.same",
    )
    got = statements(steps)
    assert got.index("DROP TRIGGER t1 ON app.same;") < got.index("DROP FUNCTION app.tf();")
    assert got.index("DROP POLICY p1 ON app.same;") < got.index("DROP FUNCTION app.ok(integer);")
    assert "ALTER TABLE app.same DISABLE TRIGGER t1;" in got
    assert "COMMENT ON TRIGGER t1 ON app.same IS 'c';" in got


def test_partition_triggers_come_from_the_parent(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        PARTITIONED + "; CREATE FUNCTION app.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        " CREATE TRIGGER old_one BEFORE UPDATE ON app.m FOR EACH ROW EXECUTE FUNCTION app.tf()",
        "CREATE TRIGGER new_one BEFORE INSERT ON app.m FOR EACH ROW EXECUTE FUNCTION app.tf();"
        " DROP TRIGGER old_one ON app.m;"
        " CREATE TRIGGER own AFTER INSERT ON app.m1 FOR EACH ROW EXECUTE FUNCTION app.tf();"
        " CREATE TABLE app.m3 PARTITION OF app.m FOR VALUES FROM (30) TO (40)",
        "SELECT * FROM app.m ORDER BY id, k",
    )
    got = statements(steps)
    assert [s for s in got if "TRIGGER" in s] == [
        "DROP TRIGGER old_one ON app.m;",
        "CREATE TRIGGER new_one BEFORE INSERT ON app.m FOR EACH ROW EXECUTE FUNCTION app.tf();",
        "CREATE TRIGGER own AFTER INSERT ON app.m1 FOR EACH ROW EXECUTE FUNCTION app.tf();"]


def test_names_postgresql_gives_a_new_partition(pggit_conn: psycopg.Connection) -> None:
    """A partition created under an existing parent gets PostgreSQL's names for its
    indexes and keys: renamed when the target's differ, left alone when they are the same."""
    steps = round_trip(
        pggit_conn,
        "CREATE TABLE app.m (id int NOT NULL, k int NOT NULL, a text) PARTITION BY LIST (k);"
        " ALTER TABLE app.m ADD CONSTRAINT m_u UNIQUE (a, k); CREATE INDEX m_lower ON app.m (lower(a));"
        " CREATE INDEX m_inc ON app.m (id) INCLUDE (a); ALTER TABLE app.m ADD PRIMARY KEY (id, k)",
        "CREATE TABLE app.same PARTITION OF app.m FOR VALUES IN (1);"
        " CREATE TABLE app.other PARTITION OF app.m FOR VALUES IN (2);"
        " ALTER INDEX app.other_lower_idx RENAME TO other_l; ALTER INDEX app.other_a_k_key RENAME TO other_u;"
        " ALTER INDEX app.other_pkey RENAME TO other_p; ALTER INDEX app.other_id_a_idx RENAME TO other_i",
    )
    assert [s for s in statements(steps) if s.startswith("ALTER INDEX")] == [
        "ALTER INDEX app.other_id_a_idx RENAME TO other_i;",
        "ALTER INDEX app.other_lower_idx RENAME TO other_l;",
        "ALTER INDEX app.other_pkey RENAME TO other_p;",
        "ALTER INDEX app.other_a_k_key RENAME TO other_u;"]


def test_a_partition_moves_to_another_bound(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn, PARTITIONED,
        "ALTER TABLE app.m DETACH PARTITION app.m1;"
        " ALTER TABLE app.m ATTACH PARTITION app.m1 FOR VALUES FROM (0) TO (50)",
        "SELECT * FROM app.m ORDER BY id, k",
    )
    got = statements(steps)
    assert got == ["ALTER TABLE app.m DETACH PARTITION app.m1;",
                   "ALTER TABLE app.m ATTACH PARTITION app.m1 FOR VALUES FROM (0) TO (50);"]


def test_a_partition_default_of_its_own_is_a_note(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; " + PARTITIONED)
    ca = commit(conn)
    conn.execute("ALTER TABLE app.m1 ALTER COLUMN a SET DEFAULT 'own'")
    assert [(s, w) for _, s, w in migration(conn, ca, "WORKING")] == [
        ("-- column a of partition app.m1: not generated",
         "column a of partition app.m1 has a default or NOT NULL of its own (not its parent's): not generated")]


def test_checkout_and_revert_with_partitions_triggers_and_policies(pggit_conn: psycopg.Connection) -> None:
    """checkout(apply) runs the script on the live schema and checks it reached the head."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app; " + PARTITIONED)
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    conn.execute("SELECT pggit.create_branch('feature')")
    conn.execute("SELECT pggit.checkout('feature')")
    conn.execute(
        "CREATE TABLE app.m2 PARTITION OF app.m FOR VALUES FROM (10) TO (20);"
        " CREATE INDEX m_k ON app.m (k); ALTER INDEX app.m1_k_idx RENAME TO m1_k;"
        " CREATE FUNCTION app.tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        " CREATE TRIGGER tr BEFORE INSERT ON app.m FOR EACH ROW EXECUTE FUNCTION app.tf();"
        " ALTER TABLE app.r ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON app.r USING (id > 0);"
        " COMMENT ON TABLE app.m IS 'm'")
    conn.execute("SELECT pggit.commit_changes('feature', 'partitions')")
    want = catalog.fingerprint(conn, ["app"])
    conn.execute("SELECT pggit.checkout('main', apply => true, force => true)")
    assert conn.execute("SELECT count(*) FROM pggit.diff('WORKING', 'main')").fetchone() == (0,)
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    assert conn.execute("SELECT count(*) FROM app.m").fetchone() == (2,)
    conn.execute("SELECT pggit.revert('feature', force => true)")  # its new head undoes 'partitions'
    assert conn.execute("SELECT count(*) FROM pggit.diff('WORKING', 'feature~2')").fetchone() == (0,)


def test_comments_of_constraints_and_indexes(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        "CREATE TABLE app.t (id int PRIMARY KEY, a text CHECK (a <> ''), p int REFERENCES app.t);"
        " CREATE INDEX t_a ON app.t (a); COMMENT ON INDEX app.t_a IS 'old'",
        "COMMENT ON CONSTRAINT t_a_check ON app.t IS 'check';"
        " COMMENT ON CONSTRAINT t_p_fkey ON app.t IS 'self';"
        " COMMENT ON INDEX app.t_pkey IS 'key'; COMMENT ON INDEX app.t_a IS NULL;"
        " CREATE INDEX t_b ON app.t (lower(a)); COMMENT ON INDEX app.t_b IS 'new'",
    )
    got = statements(steps)
    for s in ("COMMENT ON CONSTRAINT t_a_check ON app.t IS 'check';",
              "COMMENT ON CONSTRAINT t_p_fkey ON app.t IS 'self';",
              "COMMENT ON INDEX app.t_pkey IS 'key';", "COMMENT ON INDEX app.t_a IS NULL;",
              "COMMENT ON INDEX app.t_b IS 'new';"):
        assert s in got, s


def test_column_options(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn,
        "CREATE TABLE app.t (id int, a text, b text, c int); ALTER TABLE app.t ALTER COLUMN a SET STORAGE EXTERNAL;"
        " ALTER TABLE app.t ALTER COLUMN c SET STATISTICS 50, ALTER COLUMN c SET (n_distinct = 5);"
        " INSERT INTO app.t VALUES (1, 'a', 'b', 3)",
        "ALTER TABLE app.t ALTER COLUMN a SET STORAGE EXTENDED, ALTER COLUMN b SET STORAGE MAIN,"
        " ALTER COLUMN b SET COMPRESSION pglz, ALTER COLUMN c SET STATISTICS -1,"
        " ALTER COLUMN c RESET (n_distinct), ALTER COLUMN id SET (n_distinct = -0.5);"
        " CREATE TABLE app.u (x text); ALTER TABLE app.u ALTER COLUMN x SET STORAGE PLAIN",
        "SELECT * FROM app.t",
    )
    got = statements(steps)
    for s in ("ALTER TABLE app.t ALTER COLUMN a SET STORAGE EXTENDED;",
              "ALTER TABLE app.t ALTER COLUMN b SET STORAGE MAIN;",
              "ALTER TABLE app.t ALTER COLUMN b SET COMPRESSION pglz;",
              "ALTER TABLE app.t ALTER COLUMN c SET STATISTICS -1;",
              "ALTER TABLE app.t ALTER COLUMN c RESET (n_distinct);",
              "ALTER TABLE app.t ALTER COLUMN id SET (n_distinct=-0.5);",
              "ALTER TABLE app.u ALTER COLUMN x SET STORAGE PLAIN;"):
        assert s in got, s


def test_what_a_parent_drops_goes_from_its_partitions_with_it(pggit_conn: psycopg.Connection) -> None:
    steps = round_trip(
        pggit_conn, PARTITIONED + "; ALTER TABLE app.m ADD CONSTRAINT m_ck CHECK (k >= 0)",
        "DROP INDEX app.m_a; ALTER TABLE app.m DROP CONSTRAINT m_pkey; ALTER TABLE app.m DROP CONSTRAINT m_ck;"
        " CREATE INDEX m1_own ON app.m1 (a, id)",
        "SELECT * FROM app.m ORDER BY id, k",
    )
    assert statements(steps) == ["DROP INDEX app.m_a;", "ALTER TABLE app.m DROP CONSTRAINT m_ck;",
                                 "ALTER TABLE app.m DROP CONSTRAINT m_pkey;",
                                 "CREATE INDEX m1_own ON app.m1 USING btree (a, id);"]
