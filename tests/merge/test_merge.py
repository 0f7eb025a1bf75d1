"""pggit.merge (level 4): three-way schema merge against the merge base.

Laws: merge(x, x) is a no-op; a branch whose base is the target's head fast-forwards;
disjoint changes merge to the same schema in either order; each conflict kind is found
and nothing else is called a conflict; an unchanged branch has no conflict; 'fail'
leaves both sides untouched; two sessions merging into main at once are serial.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=4)

Schema = dict[tuple[str, str], str]


def commit(conn: psycopg.Connection, branch: str = "main") -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, '')", (branch,)).fetchone()[0]


def on(conn: psycopg.Connection, branch: str, *ddl: str) -> str:
    """Run ddl with the session on `branch` and commit it there; back on main after."""
    conn.execute("SELECT pggit.checkout(%s)", (branch,))
    for statement in ddl:
        conn.execute(statement)
    tid = commit(conn, branch)
    conn.execute("SELECT pggit.checkout('main')")
    return tid


def merge(conn: psycopg.Connection, source: str, target: str = "main", strategy: str = "fail") -> dict:
    cur = conn.execute("SELECT * FROM pggit.merge(%s, %s, %s)", (source, target, strategy))
    names = [d.name for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def schema_at(conn: psycopg.Connection, ref: str) -> Schema:
    return {(k, i): d for k, i, d, _ in conn.execute("SELECT * FROM pggit.schema_at(%s)", (ref,)).fetchall()}


def head(conn: psycopg.Connection, branch: str) -> str:
    return conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = %s", (branch,)).fetchone()[0]


def conflicts(conn: psycopg.Connection, merge_id: int) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT object_kind, object_identity, kind FROM pggit.merge_conflicts WHERE merge_id = %s", (merge_id,)
    ).fetchall()
    return set(rows)


def state(conn: psycopg.Connection) -> tuple:
    return (
        conn.execute("SELECT name, head_commit_hash, status FROM pggit.branches ORDER BY name").fetchall(),
        conn.execute("SELECT hash FROM pggit.commits ORDER BY hash").fetchall(),
        conn.execute("SELECT id, commit_hash FROM pggit.history ORDER BY id").fetchall(),
    )


BASE = (
    "CREATE SCHEMA app",
    "CREATE TABLE app.t (id int PRIMARY KEY, a text)",
    "CREATE TABLE app.u (id int PRIMARY KEY, b int)",
    "CREATE TABLE app.w (id int PRIMARY KEY, c int, d int)",
    "CREATE VIEW app.v0 AS SELECT id, d FROM app.w",
)


@pytest.fixture
def base(pggit_conn: psycopg.Connection) -> str:
    for statement in BASE:
        pggit_conn.execute(statement)
    return commit(pggit_conn)


def test_merge_x_x_is_a_no_op(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    before = state(conn)
    for source in ("main", base):
        row = merge(conn, source)
        assert row["status"] == "up-to-date"
        assert row["commit_hash"] == base and row["conflicts"] == 0 and row["migration"] == ""
    assert state(conn) == before
    assert conn.execute("SELECT count(*) FROM pggit.merges").fetchone() == (0,)


def test_fast_forward(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    fh = on(conn, "f", "CREATE TABLE app.n (id int)", "ALTER TABLE app.t ADD COLUMN z int")
    commits = conn.execute("SELECT count(*) FROM pggit.commits").fetchone()
    row = merge(conn, "f")
    assert row["status"] == "fast-forward"
    assert row["commit_hash"] == fh == head(conn, "main")
    assert row["ours_hash"] == base == row["base_hash"]
    assert "CREATE TABLE app.n" in row["migration"] and "ADD COLUMN z" in row["migration"]
    assert conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == commits
    assert schema_at(conn, "main") == schema_at(conn, "f")
    # again: now up to date
    assert merge(conn, "f")["status"] == "up-to-date"


def test_changes_count_objects_not_renamed_columns(pggit_conn: psycopg.Connection, base: str) -> None:
    """diff adds a row of kind column per renamed column; a merge's changes count objects."""
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.u RENAME COLUMN b TO bb")
    kinds = sorted(r[0] for r in conn.execute("SELECT object_kind FROM pggit.diff('main', 'f')"))
    assert kinds == ["column", "table"]
    row = merge(conn, "f")
    assert (row["status"], row["changes"]) == ("fast-forward", 1)
    assert "RENAME COLUMN b TO bb" in row["migration"]


def test_disjoint_changes_merge_to_the_same_schema_in_either_order(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('x')")
    conn.execute("SELECT pggit.create_branch('y')")
    on(conn, "x", "CREATE TABLE app.xt (id int)", "ALTER TABLE app.t ADD COLUMN xa int",
       "CREATE FUNCTION app.xf() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    on(conn, "y", "CREATE TABLE app.yt (id int)", "ALTER TABLE app.u ADD COLUMN yb int",
       "CREATE VIEW app.yv AS SELECT id FROM app.yt")
    want = schema_at(conn, base)
    for branch in ("x", "y"):
        for key, definition in schema_at(conn, branch).items():
            if want.get(key) != definition and schema_at(conn, base).get(key) != definition:
                want[key] = definition
    conn.execute("SELECT pggit.create_branch('x2', 'x')")
    conn.execute("SELECT pggit.create_branch('y2', 'y')")
    a = merge(conn, "y", "x")
    b = merge(conn, "x2", "y2")
    assert a["status"] == b["status"] == "merged"
    assert a["conflicts"] == b["conflicts"] == 0
    assert schema_at(conn, "x") == schema_at(conn, "y2") == want
    for row, target, source in ((a, "x", "y"), (b, "y2", "x2")):
        parents = conn.execute(
            "SELECT parent_hash, merge_parent_hash, message FROM pggit.commits WHERE hash = %s", (row["commit_hash"],)
        ).fetchone()
        assert parents == (row["ours_hash"], head(conn, source), f"Merge {source} into {target}")
        assert head(conn, target) == row["commit_hash"]
        assert conn.execute("SELECT pggit.merge_base(%s, %s)", (target, source)).fetchone() == (head(conn, source),)
    assert "CREATE TABLE app.yt" in a["migration"] and "CREATE TABLE app.xt" in b["migration"]
    # merging again is up to date
    assert merge(conn, "y", "x")["status"] == "up-to-date"


def make_conflicts(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f",
       "ALTER TABLE app.t ADD COLUMN theirs_col int",           # both_changed (main adds another)
       "ALTER TABLE app.u ADD COLUMN theirs_b int",             # modify_delete (main drops u)
       "CREATE VIEW app.v AS SELECT id, c FROM app.w",          # dependency (main drops w.c)
       "CREATE TABLE app.same (id int)",                        # added identically on both: no conflict
       "CREATE TABLE app.only_f (id int)")                      # one side only: no conflict
    on(conn, "main",
       "ALTER TABLE app.t DROP COLUMN theirs_col",
       "ALTER TABLE app.t ADD COLUMN ours_col text",
       "DROP VIEW app.v",
       "ALTER TABLE app.w DROP COLUMN c",                         # w changed on main only: no conflict
       "DROP TABLE app.u",
       "CREATE TABLE app.only_main (id int)")
    # app.same on main too, identical definition (recorded separately)
    conn.execute("DROP TABLE app.same")
    conn.execute("CREATE TABLE app.same (id int)")
    commit(conn)


EXPECTED = {
    ("table", "app.t", "both_changed"),
    ("table", "app.u", "modify_delete"),
    ("view", "app.v", "dependency"),
}


def test_each_conflict_kind_and_nothing_else(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    make_conflicts(conn)
    before = state(conn)
    row = merge(conn, "f")
    assert row["status"] == "conflicts" and row["commit_hash"] is None
    assert conflicts(conn, row["merge_id"]) == EXPECTED
    assert row["conflicts"] == len(EXPECTED)
    # fail: nothing changes on either side
    assert state(conn) == before
    detail, base_def, ours_def, theirs_def = conn.execute(
        "SELECT detail, base_definition, ours_definition, theirs_definition FROM pggit.merge_conflicts "
        "WHERE merge_id = %s AND object_identity = 'app.v'", (row["merge_id"],)).fetchone()
    assert detail == "uses column c of app.w, dropped on ours"
    assert base_def is None and ours_def is None and theirs_def is not None
    (ours_u, theirs_u) = conn.execute(
        "SELECT ours_definition, theirs_definition FROM pggit.merge_conflicts "
        "WHERE merge_id = %s AND object_identity = 'app.u'", (row["merge_id"],)).fetchone()
    assert ours_u is None and "theirs_b" in theirs_u


def test_dependency_the_other_way(pggit_conn: psycopg.Connection, base: str) -> None:
    """The column dropped on theirs, the view added on ours; and a view naming another column is no conflict."""
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "main", "CREATE VIEW app.vc AS SELECT id, c FROM app.w", "CREATE VIEW app.vd AS SELECT id, d FROM app.w")
    on(conn, "f", "DROP VIEW app.vc", "DROP VIEW app.v0", "ALTER TABLE app.w DROP COLUMN c")
    row = merge(conn, "f")
    assert conflicts(conn, row["merge_id"]) == {("view", "app.vc", "dependency")}


def test_unchanged_branch_has_no_conflict(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('g')")
    commit(conn, "g")  # a commit without changes
    make_conflicts(conn)  # main changes a lot
    main_schema = schema_at(conn, "main")
    row = merge(conn, "g")
    assert row["status"] == "merged" and row["conflicts"] == 0 and row["changes"] == 0
    assert conn.execute("SELECT count(*) FROM pggit.merge_conflicts").fetchone() == (0,)
    assert schema_at(conn, "main") == main_schema
    assert row["migration"] == ""


@pytest.mark.parametrize("strategy", ["ours", "theirs"])
def test_strategies_resolve(pggit_conn: psycopg.Connection, base: str, strategy: str) -> None:
    conn = pggit_conn
    make_conflicts(conn)
    ours, theirs = schema_at(conn, "main"), schema_at(conn, "f")
    row = merge(conn, "f", strategy=strategy)
    assert row["status"] == "merged"
    merged = schema_at(conn, "main")
    side = ours if strategy == "ours" else theirs
    for kind, identity, _ in EXPECTED:
        assert merged.get((kind, identity)) == side.get((kind, identity))
    assert ("table", "app.only_f") in merged and ("table", "app.only_main") in merged
    assert merged[("table", "app.w")] == ours[("table", "app.w")]
    assert {r for (r,) in conn.execute(
        "SELECT resolution FROM pggit.merge_conflicts WHERE merge_id = %s", (row["merge_id"],))} == {strategy}


def test_resolve_and_continue(pggit_conn: psycopg.Connection, base: str, pggit_level: int) -> None:
    conn = pggit_conn
    make_conflicts(conn)
    ours, theirs = schema_at(conn, "main"), schema_at(conn, "f")
    row = merge(conn, "f")
    ids = dict(conn.execute(
        "SELECT object_identity, id FROM pggit.merge_conflicts WHERE merge_id = %s", (row["merge_id"],)).fetchall())
    assert conn.execute("SELECT pggit.resolve_conflict(%s, 'theirs')", (ids["app.t"],)).fetchone() == ("theirs",)
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="unresolved"), conn.transaction():
        conn.execute("SELECT * FROM pggit.merge_continue(%s)", (row["merge_id"],))
    conn.execute("SELECT pggit.resolve_conflict(%s, 'ours')", (ids["app.u"],))
    # level 5: a custom resolution is one CREATE statement of the object (stored as its canonical
    # definition); level 4 took any text as the definition
    custom = "CUSTOM VIEW DEFINITION" if pggit_level < 5 else "CREATE VIEW app.v AS SELECT 7 AS id"
    assert conn.execute("SELECT pggit.resolve_conflict(%s, %s)", (ids["app.v"], custom)).fetchone() == ("custom",)
    done = conn.execute("SELECT status, commit_hash, ours_hash FROM pggit.merge_continue(%s)",
                        (row["merge_id"],)).fetchone()
    assert done[0] == "merged" and done[1] == head(conn, "main") and done[2] == row["ours_hash"]
    merged = schema_at(conn, "main")
    assert merged[("table", "app.t")] == theirs[("table", "app.t")]
    assert ("table", "app.u") not in merged and ("table", "app.u") not in ours
    assert merged[("view", "app.v")] == (custom if pggit_level < 5 else "VIEW\nAS SELECT 7 AS id;")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="already merged"), conn.transaction():
        conn.execute("SELECT pggit.resolve_conflict(%s, 'ours')", (ids["app.t"],))


def test_continue_refuses_a_moved_target(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    make_conflicts(conn)
    row = merge(conn, "f", strategy="fail")
    ids = conn.execute("SELECT id FROM pggit.merge_conflicts WHERE merge_id = %s", (row["merge_id"],)).fetchall()
    for (cid,) in ids:
        conn.execute("SELECT pggit.resolve_conflict(%s, 'ours')", (cid,))
    conn.execute("CREATE TABLE app.later (id int)")
    commit(conn)
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="moved"), conn.transaction():
        conn.execute("SELECT * FROM pggit.merge_continue(%s)", (row["merge_id"],))


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((None, "main", "fail"), "22004"),
        (("main", "main", "nope"), "22023"),
        (("WORKING", "main", "fail"), "22023"),
        (("main", "WORKING", "fail"), "22023"),
        (("nope", "main", "fail"), "42704"),
        (("main", "nope", "fail"), "42704"),
    ],
)
def test_errors(pggit_conn: psycopg.Connection, base: str, args: tuple, code: str) -> None:
    with pytest.raises(psycopg.Error) as err, pggit_conn.transaction():
        pggit_conn.execute("SELECT * FROM pggit.merge(%s, %s, %s)", args)
    assert err.value.sqlstate == code


def test_two_sessions_merging_into_main_are_serial(
    pggit_conn: psycopg.Connection, pggit_connect: Callable[[], psycopg.Connection], base: str
) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('m1')")
    conn.execute("SELECT pggit.create_branch('m2')")
    h1 = on(conn, "m1", "CREATE TABLE app.m1 (id int)")
    h2 = on(conn, "m2", "CREATE TABLE app.m2 (id int)")
    on(conn, "main", "CREATE TABLE app.m0 (id int)")  # so that neither merge is a fast-forward
    conns = [pggit_connect(), pggit_connect()]

    def work(branch: str, c: psycopg.Connection) -> tuple:
        with c.transaction():
            row = c.execute("SELECT status, commit_hash, ours_hash FROM pggit.merge(%s)", (branch,)).fetchone()
            c.execute("SELECT pg_sleep(0.2)")
        return row

    results = run_together([lambda: work("m1", conns[0]), lambda: work("m2", conns[1])], name="merger")
    assert [r[0] for r in results] == ["merged", "merged"]
    a, b = results
    first, second = (a, b) if b[2] == a[1] else (b, a)
    assert second[2] == first[1], "the second merge was computed over the first one's commit"
    assert head(conn, "main") == second[1]
    merged = schema_at(conn, "main")
    assert {("table", "app.m0"), ("table", "app.m1"), ("table", "app.m2")} <= merged.keys()
    for h in (h1, h2):
        assert conn.execute("SELECT pggit.merge_base('main', %s)", (h,)).fetchone() == (h,)
    for c in conns:
        c.close()


# ---- renames (followed through pggit.diff's history-based renames) ----------------------


def reset(conn: psycopg.Connection, ddl: tuple[str, ...] = BASE) -> None:
    """Rebuild the one live schema as `ddl` (main's head) without history on any real branch.

    The DDL runs with the session on the branch `scratch` (its rows stay pending there),
    so that the next side's changes start from main's head as they would in their own
    database.
    """
    if conn.execute("SELECT count(*) FROM pggit.branches WHERE name = 'scratch'").fetchone() == (0,):
        conn.execute("SELECT pggit.create_branch('scratch')")
    conn.execute("SELECT pggit.checkout('scratch')")
    conn.execute("DROP SCHEMA app CASCADE")
    for statement in ddl:
        conn.execute(statement)
    conn.execute("SELECT pggit.checkout('main')")
    assert conn.execute("SELECT count(*) FROM pggit.diff('WORKING', 'main')").fetchone() == (0,)


def test_rename_on_one_side_and_change_on_the_other_merge(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.t RENAME TO t2", "ALTER TABLE app.u RENAME TO u2")
    reset(conn)
    on(conn, "main", "ALTER TABLE app.t ADD COLUMN note text")
    theirs, ours = schema_at(conn, "f"), schema_at(conn, "main")
    row = merge(conn, "f")
    assert row["status"] == "merged" and row["conflicts"] == 0
    merged = schema_at(conn, "main")
    # renamed and changed: the new name with ours' definition; renamed only: the blob under the new name
    assert ("table", "app.t") not in merged and ("table", "app.u") not in merged
    assert merged[("table", "app.t2")] == ours[("table", "app.t")]
    assert merged[("table", "app.u2")] == theirs[("table", "app.u2")] == ours[("table", "app.u")]
    assert row["changes"] == 2
    assert "RENAME TO t2" in row["migration"] and "RENAME TO u2" in row["migration"]
    assert "DROP TABLE" not in row["migration"]
    assert {r[0] for r in conn.execute("SELECT change FROM pggit.diff(%s, 'main')", (row["ours_hash"],))} == {
        "renamed"}


def test_rename_on_ours_and_a_schema_rename(pggit_conn: psycopg.Connection, base: str) -> None:
    """Renamed on ours (the target: its schema) and changed on theirs: the change lands under the new name."""
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.u ADD COLUMN extra int")
    reset(conn)
    on(conn, "main", "ALTER SCHEMA app RENAME TO app2")
    theirs, ours = schema_at(conn, "f"), schema_at(conn, "main")
    row = merge(conn, "f")
    assert row["status"] == "merged" and row["conflicts"] == 0 and row["changes"] == 1
    merged = schema_at(conn, "main")
    assert merged[("table", "app2.u")] == theirs[("table", "app.u")]
    assert {key for key in merged if key[1].startswith("app.") or key[1] == "app"} == set()
    assert merged.keys() == ours.keys()


def test_renamed_on_both_sides_to_different_names_is_both_changed(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.t RENAME TO theirs_t")
    reset(conn)
    on(conn, "main", "ALTER TABLE app.t RENAME TO ours_t")
    row = merge(conn, "f")
    assert row["status"] == "conflicts"
    got = conn.execute(
        "SELECT id, object_kind, object_identity, ours_identity, theirs_identity, kind, detail, "
        "base_definition = ours_definition AND ours_definition = theirs_definition "
        "FROM pggit.merge_conflicts WHERE merge_id = %s", (row["merge_id"],)).fetchall()
    assert [r[1:] for r in got] == [("table", "app.t", "app.ours_t", "app.theirs_t", "both_changed",
                                     "renamed to app.ours_t on ours, to app.theirs_t on theirs", True)]
    conn.execute("SELECT pggit.resolve_conflict(%s, 'theirs')", (got[0][0],))
    conn.execute("SELECT * FROM pggit.merge_continue(%s)", (row["merge_id"],))
    merged = schema_at(conn, "main")
    assert ("table", "app.theirs_t") in merged and ("table", "app.ours_t") not in merged
    assert ("table", "app.t") not in merged


def test_renamed_on_one_side_dropped_on_the_other_is_modify_delete(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.u RENAME TO u2")
    reset(conn)
    on(conn, "main", "DROP TABLE app.u")
    row = merge(conn, "f")
    assert conn.execute(
        "SELECT object_identity, ours_identity, theirs_identity, kind FROM pggit.merge_conflicts "
        "WHERE merge_id = %s", (row["merge_id"],)).fetchall() == [("app.u", None, "app.u2", "modify_delete")]
    conn.execute("SELECT pggit.merge_abort(%s)", (row["merge_id"],))
    row = merge(conn, "f", strategy="theirs")
    assert row["status"] == "merged"
    merged = schema_at(conn, "main")
    assert ("table", "app.u2") in merged and ("table", "app.u") not in merged


def test_rename_onto_a_name_the_other_side_added_is_a_conflict(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.t RENAME TO taken")
    reset(conn)
    on(conn, "main", "CREATE TABLE app.taken (other int)")
    row = merge(conn, "f")
    got = set(conn.execute(
        "SELECT object_identity, ours_identity, theirs_identity, kind, detail FROM pggit.merge_conflicts "
        "WHERE merge_id = %s", (row["merge_id"],)).fetchall())
    clash = "another object is named app.taken after the merge"
    assert got == {("app.t", "app.t", "app.taken", "both_changed", clash),
                   ("app.taken", "app.taken", None, "both_changed", clash)}


# ---- dependencies recorded from pg_depend (views) and the textual check (functions) ------


def test_view_dependencies_are_exact(pggit_conn: psycopg.Connection) -> None:
    """A view naming a same-named column of another table is no conflict; one using the column is."""
    conn = pggit_conn
    ddl = ("CREATE SCHEMA app", "CREATE TABLE app.t (id int PRIMARY KEY, c int)",
           "CREATE TABLE app.w (id int PRIMARY KEY, c int)")
    for statement in ddl:
        conn.execute(statement)
    commit(conn)
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f",
       "CREATE VIEW app.other AS SELECT t.id, w.c FROM app.t JOIN app.w ON w.id = t.id",  # names t and c
       "CREATE VIEW app.uses AS SELECT t.id, t.c FROM app.t",
       "CREATE FUNCTION app.fn() RETURNS int LANGUAGE sql AS 'SELECT max(c) FROM app.t'",
       "CREATE FUNCTION app.fn_other() RETURNS int LANGUAGE sql AS 'SELECT max(id) FROM app.t'")
    deps = conn.execute(
        "SELECT d.details -> 'deps' FROM pggit.object_details AS d JOIN pggit.objects AS o "
        "ON o.identity = d.identity AND o.hash = d.blob_hash WHERE o.identity = 'app.other'").fetchone()
    assert deps == ([["app.t", "id"], ["app.w", "c"], ["app.w", "id"]],)
    reset(conn, ddl)
    on(conn, "main", "ALTER TABLE app.t DROP COLUMN c")
    row = merge(conn, "f")
    assert set(conn.execute(
        "SELECT object_identity, kind, detail FROM pggit.merge_conflicts WHERE merge_id = %s",
        (row["merge_id"],)).fetchall()) == {
        ("app.uses", "dependency", "uses column c of app.t, dropped on ours"),
        ("app.fn()", "dependency", "uses column c of app.t, dropped on ours"),
    }


def test_view_on_a_table_dropped_on_the_other_side(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "CREATE VIEW app.cnt AS SELECT count(*) AS n FROM app.u")
    reset(conn)
    on(conn, "main", "DROP TABLE app.u")
    row = merge(conn, "f")
    assert conn.execute(
        "SELECT object_identity, kind, detail FROM pggit.merge_conflicts WHERE merge_id = %s",
        (row["merge_id"],)).fetchall() == [("app.cnt", "dependency", "uses app.u, dropped on ours")]


def test_view_through_a_rename_of_its_side(pggit_conn: psycopg.Connection, base: str) -> None:
    """Theirs renamed w and made views over w2; ours dropped w.c: the dependency is followed through the rename."""
    conn = pggit_conn
    conn.execute("SELECT pggit.create_branch('f')")
    on(conn, "f", "ALTER TABLE app.w RENAME TO w2", "CREATE VIEW app.vc AS SELECT id, c FROM app.w2",
       "CREATE VIEW app.vd AS SELECT id, d FROM app.w2")
    reset(conn)
    on(conn, "main", "ALTER TABLE app.w DROP COLUMN c")
    row = merge(conn, "f")
    got = conn.execute("SELECT object_identity, kind, detail FROM pggit.merge_conflicts WHERE merge_id = %s",
                       (row["merge_id"],)).fetchall()
    assert got == [("app.vc", "dependency", "uses column c of app.w, dropped on ours")]


def test_view_dependencies_function(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute('CREATE TABLE public."T x" (id int, "Col" int)')
    conn.execute('CREATE VIEW public.v1 AS SELECT "Col" FROM public."T x"')
    conn.execute("CREATE VIEW public.v2 AS SELECT 1 AS one")
    conn.execute('CREATE MATERIALIZED VIEW public.m AS SELECT v1."Col" FROM public.v1')
    got = dict(conn.execute(
        "SELECT x, pggit.view_dependencies(x::regclass) FROM unnest(ARRAY['public.v1', 'public.v2', 'public.m', "
        "'public.\"T x\"']) AS x").fetchall())
    assert got == {"public.v1": [['public."T x"', "Col"]], "public.v2": [], "public.m": [["public.v1", "Col"]],
                   'public."T x"': None}
    assert conn.execute("SELECT pggit.view_dependencies(NULL), pggit.view_dependencies(0)").fetchone() == (None, None)


# ---- merge_abort ---------------------------------------------------------------------------


def test_merge_abort(pggit_conn: psycopg.Connection, base: str) -> None:
    conn = pggit_conn
    make_conflicts(conn)
    row = merge(conn, "f")
    cid = conn.execute("SELECT min(id) FROM pggit.merge_conflicts WHERE merge_id = %s", (row["merge_id"],)).fetchone()
    conn.execute("SELECT pggit.resolve_conflict(%s, 'ours')", cid)
    before = state(conn)
    conflict_rows = conn.execute("SELECT * FROM pggit.merge_conflicts ORDER BY id").fetchall()
    assert conn.execute("SELECT pggit.merge_abort(%s)", (row["merge_id"],)).fetchone() == ("aborted",)
    assert state(conn) == before
    assert conn.execute("SELECT * FROM pggit.merge_conflicts ORDER BY id").fetchall() == conflict_rows
    status, aborted_at, commit_hash = conn.execute(
        "SELECT status, aborted_at, commit_hash FROM pggit.merges WHERE id = %s", (row["merge_id"],)).fetchone()
    assert status == "aborted" and aborted_at is not None and commit_hash is None
    for sql, args in (("SELECT pggit.merge_abort(%s)", (row["merge_id"],)),
                      ("SELECT * FROM pggit.merge_continue(%s)", (row["merge_id"],)),
                      ("SELECT pggit.resolve_conflict(%s, 'theirs')", cid)):
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="already aborted"), conn.transaction():
            conn.execute(sql, args)
    # merging again starts over
    again = merge(conn, "f")
    assert again["status"] == "conflicts" and again["merge_id"] != row["merge_id"]
    merged = merge(conn, "f", strategy="ours")
    assert merged["status"] == "merged"
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="already merged"), conn.transaction():
        conn.execute("SELECT pggit.merge_abort(%s)", (merged["merge_id"],))
    for value, code in ((None, "22004"), (-1, "42704")):
        with pytest.raises(psycopg.Error) as err, conn.transaction():
            conn.execute("SELECT pggit.merge_abort(%s)", (value,))
        assert err.value.sqlstate == code
