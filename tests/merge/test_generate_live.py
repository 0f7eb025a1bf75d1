"""Generated migrations on populated databases (level 7): drop order, renames, online forms.

Each case builds a schema A with rows, commits it, changes it into B, commits that,
then builds A again (with its rows) and applies generate_migration(A, B) to it: the
user schemas' catalog fingerprint must equal B's, no row may be lost, and the script
must hold exactly the steps a DBA expects (no needless drop and re-create).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from pggit_sql import catalog

pytestmark = pytest.mark.pggit_level(min=7)

Steps = list[tuple[int, str, str | None]]


def commit(conn: psycopg.Connection) -> str:
    return conn.execute("SELECT pggit.commit_changes('main', '')").fetchone()[0]


def migration(conn: psycopg.Connection, a: str, b: str, online: bool | None = None) -> Steps:
    if online is None:
        return conn.execute("SELECT * FROM pggit.generate_migration(%s, %s)", (a, b)).fetchall()
    return conn.execute("SELECT * FROM pggit.generate_migration(%s, %s, %s)", (a, b, online)).fetchall()


def run(conn: psycopg.Connection, steps: Steps) -> None:
    """The script as a DBA runs it after review: commented (lossy) steps uncommented."""
    for _, statement, warning in steps:
        if statement.startswith("-- "):
            assert warning is not None and statement.rstrip().endswith(";"), statement
            statement = conn.execute("SELECT pggit.uncomment_lines(%s)", (statement,)).fetchone()[0]
        conn.execute(statement)


def round_trip(conn: psycopg.Connection, build_a: Callable[[], None], change: Callable[[], None],
               online: bool | None = None) -> Steps:
    """Steps of generate_migration(A, B), applied to a rebuilt A: the result must be B."""
    build_a()
    a = commit(conn)
    change()
    want = catalog.fingerprint(conn, ["app"])
    b = commit(conn)
    steps = migration(conn, a, b, online)
    conn.execute("DROP SCHEMA app CASCADE")
    build_a()
    run(conn, steps)
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    return steps


def statements(steps: Steps) -> list[str]:
    return [s for _, s, _ in steps]


def build_related(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.a_tag (id int PRIMARY KEY, name text)")
    conn.execute("CREATE TABLE app.b_post (id int PRIMARY KEY, tag_id int REFERENCES app.a_tag)")
    conn.execute("CREATE TABLE app.c_comment (id int PRIMARY KEY, post_id int REFERENCES app.b_post)")
    conn.execute("CREATE TABLE app.keep (id int PRIMARY KEY, post_id int REFERENCES app.b_post)")


def test_dropped_tables_go_in_foreign_key_order(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn

    def change() -> None:
        conn.execute("ALTER TABLE app.keep DROP COLUMN post_id")
        conn.execute("DROP TABLE app.c_comment, app.b_post, app.a_tag")

    steps = round_trip(conn, lambda: build_related(conn), change)
    drops = [s for s in statements(steps) if "DROP TABLE" in s]
    # name order would be a_tag, b_post, c_comment: each is referenced by the next one
    assert drops == ["-- DROP TABLE app.c_comment;", "-- DROP TABLE app.b_post;", "-- DROP TABLE app.a_tag;"]


def test_a_cycle_of_dropped_tables_drops_its_foreign_keys_first(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn

    def build() -> None:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.x (id int PRIMARY KEY, y_id int)")
        conn.execute("CREATE TABLE app.y (id int PRIMARY KEY, x_id int REFERENCES app.x)")
        conn.execute("ALTER TABLE app.x ADD CONSTRAINT x_y FOREIGN KEY (y_id) REFERENCES app.y")
        conn.execute("CREATE TABLE app.z (id int)")

    def change() -> None:
        conn.execute("DROP TABLE app.x, app.y CASCADE")

    steps = round_trip(conn, build, change)
    fk_drops = [(s, w) for _, s, w in steps if "DROP CONSTRAINT" in s]
    assert len(fk_drops) == 1 and fk_drops[0][0].startswith("-- ALTER TABLE app.") and fk_drops[0][1]
    assert sum("DROP TABLE" in s for s in statements(steps)) == 2


def test_revert_of_related_tables_runs_on_empty_tables(pggit_conn: psycopg.Connection) -> None:
    """pggit.revert (apply_migration) drops empty related tables without force."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.base (id int PRIMARY KEY)")
    commit(conn)
    conn.execute("CREATE TABLE app.a_tag (id int PRIMARY KEY, base_id int REFERENCES app.base)")
    conn.execute("CREATE TABLE app.b_post (id int PRIMARY KEY, tag_id int REFERENCES app.a_tag)")
    conn.execute("CREATE TABLE app.x (id int PRIMARY KEY, y_id int)")
    conn.execute("CREATE TABLE app.y (id int PRIMARY KEY, x_id int REFERENCES app.x)")
    conn.execute("ALTER TABLE app.x ADD FOREIGN KEY (y_id) REFERENCES app.y")
    added = commit(conn)
    conn.execute("INSERT INTO app.base VALUES (1), (2)")
    # with a row in a table that goes, the revert refuses (55000) and nothing changes
    conn.execute("INSERT INTO app.x VALUES (1, NULL)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        conn.execute("SELECT pggit.revert(%s)", (added,))
    assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'app'::regnamespace "
                        "AND relkind = 'r'").fetchone()[0] == 5
    conn.execute("DELETE FROM app.x")
    conn.execute("SELECT pggit.revert(%s)", (added,))
    assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'app'::regnamespace "
                        "AND relkind = 'r'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM app.base").fetchone()[0] == 2


def test_renaming_a_referenced_table_keeps_foreign_keys(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn

    def change() -> None:
        conn.execute("ALTER TABLE app.b_post RENAME TO post")
        conn.execute("ALTER TABLE app.post RENAME COLUMN id TO post_id")
        conn.execute("ALTER TABLE app.a_tag RENAME COLUMN id TO tag_key")

    steps = round_trip(conn, lambda: build_related(conn), change)
    assert statements(steps) == [
        "ALTER TABLE app.b_post RENAME TO post;",
        "ALTER TABLE app.a_tag RENAME COLUMN id TO tag_key;",
        "ALTER TABLE app.post RENAME COLUMN id TO post_id;",
    ]


def test_renaming_a_referenced_schema_keeps_foreign_keys(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn

    def build() -> None:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE SCHEMA ref")
        conn.execute("CREATE TABLE ref.parent (id int PRIMARY KEY)")
        conn.execute("CREATE TABLE app.child (id int, parent_id int REFERENCES ref.parent)")

    def change() -> None:
        conn.execute("ALTER SCHEMA ref RENAME TO \"Ref 2\"")

    build()
    a = commit(conn)
    change()
    b = commit(conn)
    assert statements(migration(conn, a, b)) == ['ALTER SCHEMA ref RENAME TO "Ref 2";']


def test_name_only_renames_of_constraints_and_indexes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn

    def build() -> None:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.t (id int CONSTRAINT t_pk PRIMARY KEY, a int CONSTRAINT a_pos CHECK (a > 0),"
                     " b text, c text)")
        conn.execute("CREATE INDEX t_b ON app.t (b)")
        conn.execute("CREATE INDEX t_c ON app.t (c)")
        conn.execute("INSERT INTO app.t VALUES (1, 1, 'x', 'y')")

    def change() -> None:
        conn.execute("ALTER TABLE app.t RENAME CONSTRAINT t_pk TO t_pkey")
        conn.execute("ALTER TABLE app.t RENAME CONSTRAINT a_pos TO \"a is positive\"")
        conn.execute("ALTER INDEX app.t_b RENAME TO t_b_idx")
        # a swap: t_c takes a name the table had: dropped and made again, never wrong
        conn.execute("DROP INDEX app.t_c")
        conn.execute("CREATE INDEX t_c ON app.t (b, c)")

    steps = round_trip(conn, build, change)
    got = statements(steps)
    assert "ALTER TABLE app.t RENAME CONSTRAINT t_pk TO t_pkey;" in got
    assert 'ALTER TABLE app.t RENAME CONSTRAINT a_pos TO "a is positive";' in got
    assert "ALTER INDEX app.t_b RENAME TO t_b_idx;" in got
    assert not any("DROP CONSTRAINT" in s or "ADD CONSTRAINT" in s for s in got)
    assert conn.execute("SELECT count(*) FROM app.t").fetchone()[0] == 1


def test_renames_of_an_otherwise_unchanged_table_use_each_commits_names(pggit_conn: psycopg.Connection) -> None:
    """Names are no part of a table's state: the script between two commits uses each commit's names."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int CONSTRAINT t_pk PRIMARY KEY, b text)")
    conn.execute("CREATE INDEX t_b ON app.t (b)")
    a = commit(conn)
    conn.execute("ALTER TABLE app.t RENAME CONSTRAINT t_pk TO t_pkey")
    conn.execute("ALTER INDEX app.t_b RENAME TO t_b_idx")
    b = commit(conn)
    conn.execute("ALTER INDEX app.t_b_idx RENAME TO \"later name\"")  # after b: no part of a -> b
    assert statements(migration(conn, a, b)) == [
        "ALTER TABLE app.t RENAME CONSTRAINT t_pk TO t_pkey;",
        "ALTER INDEX app.t_b RENAME TO t_b_idx;",
    ]
    assert statements(migration(conn, b, a)) == [
        "ALTER TABLE app.t RENAME CONSTRAINT t_pkey TO t_pk;",
        "ALTER INDEX app.t_b_idx RENAME TO t_b;",
    ]
    assert statements(migration(conn, b, "WORKING")) == ['ALTER INDEX app.t_b_idx RENAME TO "later name";']
    assert statements(migration(conn, "WORKING", a)) == [
        "ALTER TABLE app.t RENAME CONSTRAINT t_pkey TO t_pk;",
        'ALTER INDEX app."later name" RENAME TO t_b;',
    ]
    # applied: the live table takes a's names back
    conn.execute("SELECT pggit.apply_migration(%s, false)", (a,))
    assert conn.execute("SELECT array_agg(relname::text ORDER BY relname) FROM pg_class "
                        "WHERE relnamespace = 'app'::regnamespace AND relkind = 'i'").fetchone()[0] == ["t_b", "t_pk"]


LOCK_MODES = {
    "AccessShareLock": "ACCESS SHARE", "RowShareLock": "ROW SHARE", "RowExclusiveLock": "ROW EXCLUSIVE",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE", "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE", "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}
STRENGTH = list(LOCK_MODES.values())

Plan = list[tuple[int, str, str | None, str, bool]]


def plan(conn: psycopg.Connection, a: str, b: str, online: bool) -> Plan:
    return conn.execute("SELECT * FROM pggit.migration_plan(%s, %s, %s)", (a, b, online)).fetchall()


def build_orders(conn: psycopg.Connection) -> None:
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.customer (id int NOT NULL, email text)")
    conn.execute("CREATE TABLE app.orders (id int NOT NULL, customer_id int, qty int, note text)")
    conn.execute("INSERT INTO app.customer SELECT g, 'c' || g FROM generate_series(1, 50) AS g")
    conn.execute("INSERT INTO app.orders SELECT g, 1 + g % 50, g, 'n' FROM generate_series(1, 200) AS g")
    conn.execute("CREATE INDEX orders_note_idx ON app.orders (note)")


def change_orders(conn: psycopg.Connection) -> None:
    conn.execute("ALTER TABLE app.customer ADD CONSTRAINT customer_pkey PRIMARY KEY (id)")
    conn.execute("ALTER TABLE app.customer ADD CONSTRAINT customer_email_key UNIQUE (email)")
    conn.execute("ALTER TABLE app.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) "
                 "REFERENCES app.customer (id)")
    conn.execute("ALTER TABLE app.orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0)")
    conn.execute("CREATE INDEX orders_customer_idx ON app.orders (customer_id)")
    conn.execute("DROP INDEX app.orders_note_idx")
    conn.execute("ALTER TABLE app.orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid()")
    conn.execute("ALTER TABLE app.orders ALTER COLUMN qty SET NOT NULL")


def test_each_step_names_the_lock_it_takes(pggit_conn: psycopg.Connection) -> None:
    """migration_plan's `locks` is the strongest lock pg_locks shows while the step runs."""
    conn = pggit_conn
    build_orders(conn)
    a = commit(conn)
    change_orders(conn)
    conn.execute("ALTER TABLE app.orders ALTER COLUMN qty TYPE bigint, ADD COLUMN extra text, "
                 "ALTER COLUMN note SET NOT NULL")
    b = commit(conn)
    steps = plan(conn, a, b, False)
    assert all(t for *_, t in steps)
    conn.execute("DROP SCHEMA app CASCADE")
    build_orders(conn)
    checked = 0
    for _, statement, _, locks, _ in steps:
        if statement.startswith("-- "):
            continue  # the reviewer's (commented) steps do not run here
        mode, _, rest = locks.partition(" on ")
        assert mode in STRENGTH or locks.startswith("none"), locks
        with conn.transaction():
            conn.execute(statement)
            if locks.startswith("none"):
                continue
            target = rest.split(":")[0].split(" and ")[0]
            if target.startswith("the table of "):
                continue  # the index is gone by now
            held = [LOCK_MODES[m] for (m,) in conn.execute(
                "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted AND relation = %s::regclass",
                (target,)).fetchall()]
            assert max(held, key=STRENGTH.index) == mode, (statement, locks, held)
            checked += 1
    assert checked >= 6


def test_online_plan_keeps_tables_usable(pggit_conn: psycopg.Connection) -> None:
    """online => true: no step scans or rewrites an existing table under a lock that blocks it."""
    conn = pggit_conn
    build_orders(conn)
    a = commit(conn)
    change_orders(conn)
    want = catalog.fingerprint(conn, ["app"])
    b = commit(conn)
    offline = plan(conn, a, b, False)
    online = plan(conn, a, b, True)
    blocking = [(s, lk) for _, s, _, lk, _ in offline if lk.startswith(("ACCESS EXCLUSIVE", "SHARE on", "SHARE ROW"))
                and " while " in lk]
    assert len(blocking) >= 4  # the offline plan does block: the test can fail
    assert [(s, lk) for _, s, _, lk, _ in online if lk.startswith(("ACCESS EXCLUSIVE", "SHARE on", "SHARE ROW"))
            and " while " in lk] == []
    got = [s for _, s, *_ in online]
    assert "CREATE INDEX CONCURRENTLY orders_customer_idx ON app.orders USING btree (customer_id);" in got
    assert "DROP INDEX CONCURRENTLY app.orders_note_idx;" in got
    assert "CREATE UNIQUE INDEX CONCURRENTLY customer_pkey ON app.customer USING btree (id);" in got
    assert "ALTER TABLE app.customer ADD CONSTRAINT customer_pkey PRIMARY KEY USING INDEX customer_pkey;" in got
    assert "ALTER TABLE app.orders VALIDATE CONSTRAINT orders_customer_fk;" in got
    assert [t for _, s, _, _, t in online if "CONCURRENTLY" in s] == [False] * 4
    assert "UPDATE app.orders SET token = DEFAULT WHERE token IS NULL;" in got
    assert not any("ADD COLUMN token" in s and "DEFAULT" in s for s in got)
    assert migration(conn, a, b, True) == [row[:3] for row in online]
    # run as a DBA would: each step in autocommit (CONCURRENTLY cannot run in a transaction block)
    conn.execute("DROP SCHEMA app CASCADE")
    build_orders(conn)
    for _, statement, *_ in online:
        conn.execute(statement)
    assert catalog.diff(want, catalog.fingerprint(conn, ["app"])) == []
    assert conn.execute("SELECT count(*) FROM app.orders").fetchone()[0] == 200
    assert conn.execute("SELECT count(DISTINCT token) FROM app.orders").fetchone()[0] == 200


def test_removed_partitions_go_before_their_removed_parent(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn

    def build() -> None:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.a_parent (id int, k int) PARTITION BY RANGE (k)")
        conn.execute("CREATE TABLE app.b_part PARTITION OF app.a_parent FOR VALUES FROM (0) TO (10)")
        conn.execute("CREATE TABLE app.c_part PARTITION OF app.a_parent FOR VALUES FROM (10) TO (20)")
        conn.execute("CREATE TABLE app.keep (id int)")

    def change() -> None:
        conn.execute("DROP TABLE app.a_parent")

    steps = round_trip(conn, build, change)
    drops = [s for s in statements(steps) if "DROP TABLE" in s]
    assert drops[-1] == "-- DROP TABLE app.a_parent;" and len(drops) == 3


def test_a_column_becoming_not_null_on_rows_holding_null(pggit_conn: psycopg.Connection) -> None:
    """Reverting DROP NOT NULL on rows that hold NULL: refused without force; with force they get a placeholder."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int, qty int NOT NULL, note text NOT NULL)")
    conn.execute("INSERT INTO app.t VALUES (1, 5, 'x')")
    commit(conn)
    conn.execute("ALTER TABLE app.t ALTER COLUMN qty DROP NOT NULL, ALTER COLUMN note DROP NOT NULL")
    relaxed = commit(conn)
    conn.execute("INSERT INTO app.t VALUES (2, NULL, 'y')")  # note holds no NULL, qty does
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as refused:
        conn.execute("SELECT pggit.revert(%s)", (relaxed,))
    assert "UPDATE app.t SET qty = '0'::integer WHERE qty IS NULL;" in refused.value.diag.message_detail
    assert "note" not in refused.value.diag.message_detail  # no NULL there: it would just run
    conn.execute("SELECT pggit.revert(%s, force => true)", (relaxed,))
    assert conn.execute("SELECT id, qty, note FROM app.t ORDER BY id").fetchall() == [(1, 5, "x"), (2, 0, "y")]
    assert conn.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.t'::regclass "
                        "AND attname IN ('qty', 'note') AND attnotnull").fetchone()[0] == 2


def test_no_placeholder_for_a_column_of_a_unique_key(pggit_conn: psycopg.Connection) -> None:
    """Two rows holding NULL would get the same made-up value: no placeholder, the warning stays."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int, code text NOT NULL, CONSTRAINT t_code_key UNIQUE (id, code))")
    a = commit(conn)
    conn.execute("ALTER TABLE app.t ALTER COLUMN code DROP NOT NULL")
    b = commit(conn)
    steps = migration(conn, b, a)
    assert [(s, w) for _, s, w in steps] == [(
        "ALTER TABLE app.t ALTER COLUMN code SET NOT NULL;",
        "column code of table app.t becomes NOT NULL: fails if a row holds NULL in it (fill them first)")]


@pytest.mark.parametrize(("expected", "live", "reached"), [
    ("TABLE\nCOLUMN a integer\nCOLUMN b text\nUSING heap", "TABLE\nCOLUMN b text\nCOLUMN a integer\nUSING heap", True),
    ("TABLE\nCOLUMN a integer\nUSING heap", "TABLE\nCOLUMN a integer\nUSING heap", False),  # equal: nothing to accept
    ("TABLE\nCOLUMN a integer\nUSING heap", "TABLE\nCOLUMN a bigint\nUSING heap", False),
    ("TABLE\nCOLUMN a integer\nCOLUMN b text\nUSING heap", "TABLE\nCOLUMN a integer\nUSING heap", False),
    ("TABLE\nCOLUMN s character varying(20)\nINDEX UNIQUE btree (a) WHERE ((s)::text = ANY ((ARRAY['x'::character "
     "varying, 'y'::character varying])::text[]))\nUSING heap",
     "TABLE\nCOLUMN s character varying(20)\nINDEX UNIQUE btree (a) WHERE ((s)::text = ANY (ARRAY[('x'::character "
     "varying)::text, ('y'::character varying)::text]))\nUSING heap", True),
    ("TABLE\nCOLUMN a integer\nINDEX btree (a) WHERE (a > 0)\nUSING heap",
     "TABLE\nCOLUMN a integer\nINDEX btree (a) WHERE (a > 1)\nUSING heap", False),
    ("TABLE\nCOLUMN a integer\nINDEX btree (a)\nINDEX btree (b)\nUSING heap",
     "TABLE\nCOLUMN a integer\nINDEX btree (b)\nINDEX btree (a)\nUSING heap", False),
])
def test_what_counts_as_a_reached_table(pggit_conn: psycopg.Connection, expected: str, live: str,
                                        reached: bool) -> None:
    got = pggit_conn.execute("SELECT pggit.table_definition_reached(%s, %s)", (expected, live)).fetchone()[0]
    assert got is reached


def test_checkout_back_across_a_column_rename_keeps_the_column(pggit_conn: psycopg.Connection) -> None:
    """The rename is recorded in the commit being left: checkout(apply) renames back, never drops and re-adds."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.state (id int PRIMARY KEY, page_id integer)")
    commit(conn)
    conn.execute("SELECT pggit.create_branch('before')")
    conn.execute("ALTER TABLE app.state RENAME COLUMN page_id TO object_id")
    conn.execute("ALTER TABLE app.state ALTER COLUMN object_id TYPE varchar(255)")
    commit(conn)
    conn.execute("SELECT pggit.create_branch('after')")
    conn.execute("SELECT pggit.checkout('after', apply => true)")
    conn.execute("INSERT INTO app.state VALUES (1, '1001')")
    conn.execute("SELECT pggit.checkout('before', apply => true, force => true)")  # the type change back is lossy
    assert conn.execute("SELECT id, page_id FROM app.state").fetchall() == [(1, 1001)]
