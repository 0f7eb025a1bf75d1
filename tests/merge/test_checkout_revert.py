"""pggit.checkout(branch, apply => true) and pggit.revert(commit) (level 4).

checkout with apply makes the live schema the branch head's (diff(WORKING, branch) is
empty), refuses uncommitted changes and data loss without force, and leaves nothing
behind when it fails; checkout(branch) and checkout(branch, false) are level 2's.
revert of a head brings the live schema back to the parent's and records
'Revert "<message>"'; its refusals.
"""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.pggit_level(min=4)


def commit(conn: psycopg.Connection, branch: str, message: str = "") -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, %s)", (branch, message)).fetchone()[0]


def diff(conn: psycopg.Connection, a: str, b: str) -> list[tuple]:
    return conn.execute("SELECT object_identity, change FROM pggit.diff(%s, %s)", (a, b)).fetchall()


def steps_to(conn: psycopg.Connection, ref: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT statement FROM pggit.generate_migration('WORKING', %s)", (ref,))]


def branch(conn: psycopg.Connection) -> str:
    return conn.execute("SELECT pggit.current_branch()").fetchone()[0]


def fork(conn: psycopg.Connection) -> None:
    """main: app.t(id, a) with a row; feature: t gains b, new table u, view v; main then gains app.m."""
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    conn.execute("INSERT INTO app.t VALUES (1, 'x')")
    commit(conn, "main", "base")
    conn.execute("SELECT pggit.create_branch('feature')")
    conn.execute("SELECT pggit.checkout('feature')")
    conn.execute("ALTER TABLE app.t ADD COLUMN b int DEFAULT 7")
    conn.execute("CREATE TABLE app.u (id int PRIMARY KEY)")
    conn.execute("CREATE VIEW app.v AS SELECT id, b FROM app.t")
    commit(conn, "feature", "feature work")
    conn.execute("SELECT pggit.checkout('main')")
    # the live schema is feature's: bring it back to main by hand, then commit main's own change
    conn.execute("DROP VIEW app.v")
    conn.execute("DROP TABLE app.u")
    conn.execute("ALTER TABLE app.t DROP COLUMN b")
    conn.execute("CREATE TABLE app.m (id int)")
    commit(conn, "main", "m")
    assert diff(conn, "WORKING", "main") == []


def test_checkout_without_apply_is_level_2(pggit_conn: psycopg.Connection) -> None:
    fork(pggit_conn)
    assert pggit_conn.execute("SELECT pggit.checkout('feature')").fetchone() == ("feature",)
    assert branch(pggit_conn) == "feature"
    assert pggit_conn.execute("SELECT pggit.checkout('main', false)").fetchone() == (0,)  # statements applied
    assert branch(pggit_conn) == "main"
    assert pggit_conn.execute("SELECT pggit.checkout('feature', apply => false)").fetchone() == (0,)
    assert diff(pggit_conn, "WORKING", "main") == []  # nothing applied
    with pytest.raises(psycopg.errors.UndefinedObject):
        pggit_conn.execute("SELECT pggit.checkout('nope', false)")
    with pytest.raises(psycopg.errors.UndefinedObject):
        pggit_conn.execute("SELECT pggit.checkout('nope')")


def test_checkout_apply_reaches_the_branch_and_back(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    assert diff(conn, "WORKING", "feature") != []
    steps = steps_to(conn, "feature")
    assert any("DROP TABLE app.m" in s for s in steps) and any("CREATE VIEW app.v" in s for s in steps)
    assert conn.execute("SELECT pggit.checkout('feature', apply => true)").fetchone() == (len(steps),)
    assert branch(conn) == "feature"
    assert diff(conn, "WORKING", "feature") == []
    assert conn.execute("SELECT id, a, b FROM app.t").fetchall() == [(1, "x", 7)]
    # the applied DDL is settled, not pending: a commit now records no change
    assert conn.execute("SELECT count(*) FROM pggit.status('feature')").fetchone() == (0,)
    after = commit(conn, "feature", "after checkout")
    assert conn.execute("SELECT count(*) FROM pggit.history WHERE commit_hash = %s", (after,)).fetchone() == (0,)
    # back to main: app.t.b holds values (the default 7), so that needs force
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data"):
        conn.execute("SELECT pggit.checkout('main', apply => true)")
    assert branch(conn) == "feature" and diff(conn, "WORKING", "feature") == []  # nothing left
    steps = steps_to(conn, "main")
    assert conn.execute("SELECT pggit.checkout('main', apply => true, force => true)").fetchone() == (len(steps),)
    assert branch(conn) == "main"
    assert diff(conn, "WORKING", "main") == []
    assert conn.execute("SELECT id, a FROM app.t").fetchall() == [(1, "x")]


def test_checkout_apply_round_trip_without_commits(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    heads = dict(conn.execute("SELECT name, head_commit_hash FROM pggit.branches").fetchall())
    commits = conn.execute("SELECT count(*) FROM pggit.commits").fetchone()
    conn.execute("UPDATE app.t SET a = 'y'")
    for target in ("feature", "main", "feature", "main"):
        steps = steps_to(conn, target)
        applied = conn.execute("SELECT pggit.checkout(%s, apply => true, force => true)", (target,)).fetchone()[0]
        assert applied == len(steps) > 0
        assert branch(conn) == target and diff(conn, "WORKING", target) == []
        assert conn.execute("SELECT count(*) FROM pggit.status()").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM pggit.status('feature')").fetchone() == (0,)
    assert conn.execute("SELECT id, a FROM app.t").fetchall() == [(1, "y")]
    # no commit, no head moved
    assert conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == commits
    assert dict(conn.execute("SELECT name, head_commit_hash FROM pggit.branches").fetchall()) == heads
    # the history keeps every statement run: who, when, by which checkout
    rows = conn.execute("""
        SELECT c.id, c.branch, c.commit_hash, c.settled_rows, c.role,
               (SELECT count(*) FROM pggit.history AS h WHERE h.checkout_id = c.id),
               (SELECT count(*) FROM pggit.history AS h
                 WHERE h.checkout_id = c.id AND h.branch = c.branch || '@{checkout}' AND h.commit_hash IS NULL
                   AND h.object_id IS NULL AND h.statement IS NOT NULL AND h.role = c.role
                   AND h.changed_at <= c.checked_out_at AND h.note ~ '(^|; )object_id [0-9]+$')
          FROM pggit.checkouts AS c ORDER BY c.id""").fetchall()
    assert [(r[1], r[2]) for r in rows] == [(b, heads[b]) for b in ("feature", "main", "feature", "main")]
    for _id, _branch, _head, settled, role, attached, well_formed in rows:
        assert settled > 0 and attached == settled == well_formed
        assert role == conn.execute("SELECT session_user").fetchone()[0]
    # the rows' statement is the top-level one (current_query()); the checkout row keeps the DDL it ran
    assert {r[0] for r in conn.execute("SELECT statement FROM pggit.history WHERE checkout_id IS NOT NULL")} == {
        "SELECT pggit.checkout($1, apply => true, force => true)"}
    ran = conn.execute("SELECT statements FROM pggit.checkouts ORDER BY id").fetchall()
    assert any("DROP TABLE app.m;" in s for s in ran[0][0]) and any("CREATE TABLE app.m" in s for s in ran[1][0])
    # a later commit of real work records only that work
    conn.execute("CREATE TABLE app.after (id int)")
    new = commit(conn, "main", "after")
    assert conn.execute("SELECT object_identity FROM pggit.history WHERE commit_hash = %s",
                        (new,)).fetchall() == [("app.after",)]
    assert [(r[0], r[1]) for r in diff(conn, heads["main"], new)] == [("app.after", "added")]


def test_checkout_apply_drops_empty_tables_without_force(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    conn.execute("UPDATE app.t SET b = NULL")  # b holds no value any more; app.u has no row
    conn.execute("SELECT pggit.checkout('main', apply => true)")
    assert diff(conn, "WORKING", "main") == []


def test_checkout_apply_refuses_a_table_with_rows(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    conn.execute("UPDATE app.t SET b = NULL")
    conn.execute("INSERT INTO app.u VALUES (1)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data") as err:
        conn.execute("SELECT pggit.checkout('main', apply => true)")
    assert "app.u" in err.value.diag.message_detail and "app.t" not in err.value.diag.message_detail
    assert diff(conn, "WORKING", "feature") == []
    assert conn.execute("SELECT count(*) FROM app.u").fetchone() == (1,)


def test_checkout_apply_refuses_uncommitted_changes(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("CREATE TABLE app.pending (id int)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match='branch "main" has 1 uncommitted') as err:
        conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert "app.pending" in err.value.diag.message_detail
    assert branch(conn) == "main"
    assert conn.execute("SELECT to_regclass('app.u')").fetchone() == (None,)
    commit(conn, "main")
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert diff(conn, "WORKING", "feature") == []


def test_checkout_apply_is_one_transaction(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    fork(conn)
    conn.execute("BEGIN")
    conn.execute("SELECT pggit.checkout('feature', apply => true)")
    assert diff(conn, "WORKING", "feature") == []
    conn.execute("ROLLBACK")
    assert branch(conn) == "main"
    assert diff(conn, "WORKING", "main") == []
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("SELECT pggit.checkout('feature', NULL)")


def test_revert_of_the_head(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    parent = commit(conn, "main", "base")
    conn.execute("ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 'd'")
    conn.execute("CREATE TABLE app.n (id int)")
    conn.execute("CREATE INDEX t_a ON app.t (a)")
    head = commit(conn, "main", "add n")
    new = conn.execute("SELECT pggit.revert(%s)", (head,)).fetchone()[0]
    assert diff(conn, parent, "WORKING") == []
    assert diff(conn, parent, new) == []
    row = conn.execute("SELECT parent_hash, message FROM pggit.commits WHERE hash = %s", (new,)).fetchone()
    assert row == (head, 'Revert "add n"')
    assert conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'").fetchone() == (new,)
    assert conn.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
    # reverting the revert brings the change back
    again = conn.execute("SELECT pggit.revert('main')").fetchone()[0]
    assert diff(conn, head, again) == [] and diff(conn, head, "WORKING") == []


def test_revert_refusals(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    root = commit(conn, "main", "base")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY)")
    first = commit(conn, "main", "t")
    conn.execute("INSERT INTO app.t VALUES (1)")
    with pytest.raises(psycopg.errors.UndefinedObject):
        conn.execute("SELECT pggit.revert('nope')")
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("SELECT pggit.revert(NULL)")
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT pggit.revert('WORKING')")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="root commit"):
        conn.execute("SELECT pggit.revert(%s)", (root,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data"):
        conn.execute("SELECT pggit.revert(%s)", (first,))
    assert conn.execute("SELECT count(*) FROM app.t").fetchone() == (1,)
    conn.execute("CREATE TABLE app.x (id int)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="uncommitted"):
        conn.execute("SELECT pggit.revert(%s)", (first,))
    second = commit(conn, "main", "x")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data"):
        conn.execute("SELECT pggit.revert(%s)", (first,))  # an older commit now: app.t still holds a row
    assert conn.execute("SELECT count(*) FROM app.t").fetchone() == (1,)
    conn.execute("SELECT pggit.revert(%s, force => true)", (second,))
    assert diff(conn, first, "WORKING") == []
    conn.execute("SELECT pggit.revert('main')")  # reverting the revert re-creates app.x: nothing lost
    assert diff(conn, second, "WORKING") == []


def test_checkout_apply_other_lossy_steps_need_force(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TYPE app.e AS ENUM ('a', 'b', 'c')")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, n bigint)")
    commit(conn, "main", "base")
    conn.execute("SELECT pggit.create_branch('narrow')")
    conn.execute("SELECT pggit.checkout('narrow')")
    conn.execute("ALTER TABLE app.t ALTER COLUMN n TYPE integer")
    conn.execute("DROP TYPE app.e")
    conn.execute("CREATE TYPE app.e AS ENUM ('a', 'b')")
    commit(conn, "narrow", "narrow")
    conn.execute("SELECT pggit.checkout('main', apply => true)")  # widening and new labels: nothing lost
    assert diff(conn, "WORKING", "main") == []
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data") as err:
        conn.execute("SELECT pggit.checkout('narrow', apply => true)")  # empty table, but a narrowing and an enum
    assert "app.t" in err.value.diag.message_detail and "app.e" in err.value.diag.message_detail
    conn.execute("SELECT pggit.checkout('narrow', apply => true, force => true)")
    assert diff(conn, "WORKING", "narrow") == []


SETTLER = "pggit_test_settler"


def as_role(dsn: str, role: str) -> psycopg.Connection:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    params["user"] = role
    return psycopg.connect(make_conninfo(**params), autocommit=True)


def pending(conn: psycopg.Connection, branch_name: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT object_identity FROM pggit.status(%s)", (branch_name,))]


def test_settling_never_hides_a_change(pggit_conn: psycopg.Connection, pggit_dsn: str) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int)")
    commit(conn, "main", "base")
    conn.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SETTLER}') THEN CREATE ROLE {SETTLER} LOGIN; END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")
    conn.execute(f"GRANT USAGE, CREATE ON SCHEMA app TO {SETTLER}")
    history = conn.execute("SELECT count(*) FROM pggit.history").fetchone()
    with as_role(pggit_dsn, SETTLER) as user:
        # a change of the live schema cannot be settled: error, the row stays pending, no checkout row
        with user.transaction():
            user.execute("CREATE TABLE app.hidden (id int)")
            with (pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="differs from its head") as err,
                  user.transaction()):
                user.execute("SELECT pggit.settle_checkout()")
            assert "app.hidden" in err.value.diag.message_detail
        assert pending(conn, "main") == ["app.hidden"]
        # nor the DDL of an earlier transaction undone in this one: refused, both rows stay pending
        with user.transaction():
            user.execute("DROP TABLE app.hidden")
            with (pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="other transactions") as err,
                  user.transaction()):
                user.execute("SELECT pggit.settle_checkout()")
            assert "app.hidden" in err.value.diag.message_detail
        assert pending(conn, "main") == ["app.hidden", "app.hidden"]
        commit(conn, "main", "hidden and gone")
        # net-nil DDL of the transaction itself is settled, and kept in the history
        with user.transaction():
            user.execute("CREATE TABLE app.tmp (id int)")
            user.execute("DROP TABLE app.tmp")
            settled = user.execute("SELECT pggit.settle_checkout()").fetchone()[0]
        assert pending(conn, "main") == []
        assert conn.execute("SELECT object_identity, role FROM pggit.history WHERE checkout_id = %s ORDER BY id",
                            (settled,)).fetchall() == [("app.tmp", SETTLER), ("app.tmp", SETTLER)]
        # paused tracking: the registry may not follow the catalog, so no settling at all
        user.execute("SET pggit.tracking = off")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="paused"):
            user.execute("SELECT pggit.settle_checkout()")
        user.execute("SET pggit.tracking = on")
    assert conn.execute("SELECT count(*) FROM pggit.checkouts").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0] == history[0] + 4
    hidden = conn.execute("SELECT object_identity, change, commit_hash IS NOT NULL FROM pggit.history"
                          " WHERE object_identity = 'app.hidden' ORDER BY id").fetchall()
    assert hidden == [("app.hidden", "create", True), ("app.hidden", "drop", True)]


def linear(conn: psycopg.Connection) -> tuple[str, str, str]:
    """main: base (app.t(id, a) with rows, app.keep with rows) -> c1 (t gains note, new table app.n)
    -> c2 (app.keep gains w, new view app.kv)."""
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    conn.execute("CREATE TABLE app.keep (id int PRIMARY KEY)")
    conn.execute("INSERT INTO app.t VALUES (1, 'x'), (2, 'y')")
    conn.execute("INSERT INTO app.keep VALUES (10), (20)")
    base = commit(conn, "main", "base")
    conn.execute("ALTER TABLE app.t ADD COLUMN note text")
    conn.execute("CREATE TABLE app.n (id int)")
    c1 = commit(conn, "main", "note and n")
    conn.execute("ALTER TABLE app.keep ADD COLUMN w int")
    conn.execute("CREATE VIEW app.kv AS SELECT id, w FROM app.keep")
    c2 = commit(conn, "main", "w and kv")
    return base, c1, c2


def test_revert_of_an_older_commit(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    base, c1, c2 = linear(conn)
    conn.execute("UPDATE app.keep SET w = id * 2")
    new = conn.execute("SELECT pggit.revert(%s)", (c1,)).fetchone()[0]
    row = conn.execute("SELECT parent_hash, message FROM pggit.commits WHERE hash = %s", (new,)).fetchone()
    assert row == (c2, 'Revert "note and n"')
    assert conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'").fetchone() == (new,)
    # exactly c1's objects went back; c2's stay
    assert sorted(diff(conn, c2, new)) == [("app.n", "removed"), ("app.t", "modified")]
    assert sorted(diff(conn, base, new)) == [("app.keep", "modified"), ("app.kv", "added")]
    assert diff(conn, new, "WORKING") == []
    assert conn.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
    # rows kept in the tables the revert keeps
    assert conn.execute("SELECT id, a FROM app.t ORDER BY id").fetchall() == [(1, "x"), (2, "y")]
    assert conn.execute("SELECT id, w FROM app.kv ORDER BY id").fetchall() == [(10, 20), (20, 40)]
    # revert of the revert: c1's objects are back, the rest as it is
    again = conn.execute("SELECT pggit.revert(%s)", (new,)).fetchone()[0]
    assert diff(conn, c2, again) == [] and diff(conn, again, "WORKING") == []
    assert conn.execute("SELECT message FROM pggit.commits WHERE hash = %s", (again,)).fetchone() == (
        'Revert "Revert "note and n""',)
    assert conn.execute("SELECT id, a, note FROM app.t ORDER BY id").fetchall() == [(1, "x", None), (2, "y", None)]


def test_revert_refuses_a_commit_whose_objects_changed_later(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    base, c1, c2 = linear(conn)
    conn.execute("ALTER TABLE app.t ADD COLUMN later int")
    conn.execute("ALTER TABLE app.n RENAME TO n2")
    c3 = commit(conn, "main", "later")
    before = (conn.execute("SELECT count(*) FROM pggit.commits").fetchone(),
              conn.execute("SELECT count(*) FROM pggit.history").fetchone())
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="later commit") as err:
        conn.execute("SELECT pggit.revert(%s)", (c1,))
    assert "app.t (modified)" in err.value.diag.message_detail
    assert "app.n2 (renamed from app.n)" in err.value.diag.message_detail
    assert "app.keep" not in err.value.diag.message_detail
    assert (conn.execute("SELECT count(*) FROM pggit.commits").fetchone(),
            conn.execute("SELECT count(*) FROM pggit.history").fetchone()) == before
    assert diff(conn, c3, "WORKING") == []
    # c2's objects were not touched since: its revert goes through (kv dropped, w dropped: empty)
    new = conn.execute("SELECT pggit.revert(%s)", (c2,)).fetchone()[0]
    assert sorted(diff(conn, c3, new)) == [("app.keep", "modified"), ("app.kv", "removed")]


def test_revert_of_an_older_commit_refusals(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    base, c1, c2 = linear(conn)
    conn.execute("UPDATE app.t SET note = 'kept'")
    # data loss: app.t.note holds a value
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="loses data") as err:
        conn.execute("SELECT pggit.revert(%s)", (c1,))
    assert "note" in err.value.diag.message_detail
    # pending changes of the live schema
    conn.execute("CREATE TABLE app.pending (id int)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="uncommitted") as err:
        conn.execute("SELECT pggit.revert(%s, force => true)", (c1,))
    assert "app.pending" in err.value.diag.message_detail
    conn.execute("DROP TABLE app.pending")
    commit(conn, "main", "net nothing")
    # a commit of another branch that is not its head, nor on the session's branch
    conn.execute("SELECT pggit.create_branch('side')")
    conn.execute("SELECT pggit.checkout('side')")
    conn.execute("CREATE TABLE app.s1 (id int)")
    s1 = commit(conn, "side", "s1")
    conn.execute("CREATE TABLE app.s2 (id int)")
    commit(conn, "side", "s2")
    conn.execute("SELECT pggit.checkout('main')")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="not on the session's branch"):
        conn.execute("SELECT pggit.revert(%s)", (s1,))
    # on side, main's older commit c1 is an ancestor: revertible there (with force)
    conn.execute("SELECT pggit.checkout('side')")
    new = conn.execute("SELECT pggit.revert(%s, force => true)", (c1,)).fetchone()[0]
    assert conn.execute("SELECT b.name FROM pggit.commits AS c JOIN pggit.branches AS b ON b.id = c.branch_id"
                        " WHERE c.hash = %s", (new,)).fetchone() == ("side",)
    assert conn.execute("SELECT to_regclass('app.n'), to_regclass('app.s2') IS NOT NULL").fetchone() == (None, True)
    assert conn.execute("SELECT id, a FROM app.t ORDER BY id").fetchall() == [(1, "x"), (2, "y")]


def test_revert_of_a_merge_commit_is_against_its_first_parent(pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int)")
    commit(conn, "main", "base")
    conn.execute("SELECT pggit.create_branch('f')")
    conn.execute("SELECT pggit.checkout('f')")
    conn.execute("CREATE TABLE app.f (id int)")
    commit(conn, "f", "f")
    conn.execute("SELECT pggit.checkout('main', apply => true)")
    conn.execute("CREATE TABLE app.m (id int)")
    before = commit(conn, "main", "m")
    status, merged = conn.execute("SELECT status, commit_hash FROM pggit.merge('f')").fetchone()
    assert status == "merged"
    steps = steps_to(conn, "main")
    assert any("CREATE TABLE app.f" in s for s in steps)
    assert conn.execute("SELECT pggit.checkout('main', apply => true)").fetchone() == (len(steps),)
    new = conn.execute("SELECT pggit.revert(%s)", (merged,)).fetchone()[0]
    assert diff(conn, before, new) == [] and diff(conn, new, "WORKING") == []
    assert conn.execute("SELECT to_regclass('app.f'), to_regclass('app.m') IS NOT NULL").fetchone() == (None, True)
    assert conn.execute("SELECT parent_hash, merge_parent_hash FROM pggit.commits WHERE hash = %s",
                        (new,)).fetchone() == (merged, None)


def test_revert_never_undoes_a_later_change_of_a_dependent_view(pggit_conn: psycopg.Connection) -> None:
    """The inverse of c1 re-creates the views over app.t from c1's parent: a view a later
    commit changed would silently go back, so the result check refuses it."""
    conn = pggit_conn
    conn.execute("CREATE SCHEMA app")
    conn.execute("CREATE TABLE app.t (id int, a int)")
    conn.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    base = commit(conn, "main", "base")
    conn.execute("ALTER TABLE app.t ADD COLUMN b int")
    c1 = commit(conn, "main", "b")
    conn.execute("CREATE OR REPLACE VIEW app.v AS SELECT id, a FROM app.t")
    head = commit(conn, "main", "v shows a")
    script = " ".join(r[0] for r in conn.execute("SELECT statement FROM pggit.generate_migration(%s, %s)",
                                                 (c1, base)))
    assert "CREATE VIEW app.v" in script  # the inverse re-creates the view, from c1's parent
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="expected schema") as err:
        conn.execute("SELECT pggit.revert(%s)", (c1,))
    assert "app.v" in (err.value.diag.message_detail or "")
    assert diff(conn, head, "WORKING") == []
    assert conn.execute("SELECT count(*) FROM pggit.status('main')").fetchone() == (0,)
