"""Commit trees: the Merkle root depends only on the objects' definitions; nodes are stored once.

Registry and history rows are written by :class:`treemodel.FakeCapture` (the capture
contract), so these tests pin down the tree itself; tests/trees/test_ddl_trees.py does
the same through real DDL.  Every stored tree is checked against the Python model in
treemodel.py (bucket, canonical node text, root), which is written from the promises
in sql/functions/trees/, not from the SQL.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treemodel import (
    EMPTY,
    FakeCapture,
    bucket,
    check_all_nodes,
    check_commit,
    commit,
    commit_row,
    commit_tree,
    counts,
    head,
    live_registry,
    root_of,
    sha,
    tree_of,
)

pytestmark = pytest.mark.pggit_level(min=2)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

# The kinds the registry holds (objects_kind_check); indexes, constraints and triggers are parts of tables.
KINDS = ["schema", "table", "view", "materialized view", "sequence", "function", "procedure", "type", "domain"]
# Identities that need care: quotes, tabs, newlines, backslashes, unicode, 63-byte names.
identities = st.one_of(
    st.from_regex(r"\A[a-z_][a-z0-9_]{0,20}\.[a-z_][a-z0-9_]{0,20}\Z"),
    st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s),
    st.sampled_from(['public."Mixed Case"', 'public."tab\there"', 'public."new\nline"', 'public."back\\slash"',
                     'public."back\\tslash"', "ñandú.日本語", "public." + "x" * 63, 'c on public."t t"']),
)
objects = st.dictionaries(
    keys=st.tuples(st.sampled_from(KINDS), identities),
    values=st.text(max_size=40).filter(lambda s: "\x00" not in s),
    max_size=12,
)


def base_entries(conn: psycopg.Connection) -> dict[tuple[str, str], str]:
    """What the registry already holds in a fresh database (capture registers existing objects)."""
    return live_registry(conn)


# --------------------------------------------------------------------------- the model


def test_model_basics() -> None:
    assert EMPTY == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tree_of({}) == [EMPTY] * 256
    assert 1 <= bucket("public.t") <= 256
    assert root_of({("table", "a"): sha("x")}) != root_of({("table", "a"): sha("y")})
    assert root_of({("table", "a"): sha("x")}) != root_of({("view", "a"): sha("x")})


def test_sql_helpers_agree_with_the_model(pggit_conn: psycopg.Connection) -> None:
    cases = {  # identity -> its escaped form in a canonical line
        "public.t": "public.t",
        "ñandú.日本語": "ñandú.日本語",
        'a"\t\n\\b': 'a"\\t\\n\\\\b',
        "x\\ty": "x\\\\ty",  # a backslash followed by t is not a tab
        "": "",
    }
    for identity, escaped in cases.items():
        (got,) = pggit_conn.execute("SELECT pggit.tree_bucket(%s)", (identity,)).fetchone()
        assert got == bucket(identity)
        (line,) = pggit_conn.execute("SELECT pggit.tree_entry_line('table', %s, 'h')", (identity,)).fetchone()
        assert line == "table\t" + escaped + "\th\n"
    (empty,) = pggit_conn.execute("SELECT entries FROM pggit.tree_nodes WHERE hash = %s", (EMPTY,)).fetchone()
    assert empty == []


# --------------------------------------------------------------------------- roots


@reuse_db
@given(objs=objects, data=st.data())
def test_root_depends_only_on_definitions(
    pggit_conn: psycopg.Connection, objs: dict[tuple[str, str], str], data: st.DataObject
) -> None:
    """Same objects created in another order, with noise that cancels out, and another

    database -> the same root; the root equals the Python model's."""
    order = data.draw(st.permutations(list(objs.items())))
    noise = data.draw(st.lists(st.tuples(st.sampled_from(KINDS), identities), max_size=4))
    with pggit_conn.transaction(force_rollback=True):
        base = base_entries(pggit_conn)
        cap = FakeCapture(pggit_conn)
        for (kind, identity), definition in objs.items():
            cap.create(kind, identity, definition)
        first = commit(pggit_conn)
        expected = {**base, **{key: sha(d) for key, d in objs.items()}}
        assert check_commit(pggit_conn, first) == expected
        root1 = commit_row(pggit_conn, first)[1]
    with pggit_conn.transaction(force_rollback=True):
        cap = FakeCapture(pggit_conn)
        made = {}
        for key, definition in order:
            made[key] = cap.create(key[0], key[1], "draft " + definition)
        for kind, identity in noise:  # created and dropped again, some committed in between
            if (kind, identity) in objs:
                continue
            tmp = cap.create(kind, identity, "noise")
            commit(pggit_conn)
            cap.drop(tmp)
        for key, definition in order:
            cap.alter(made[key], definition)
        second = commit(pggit_conn)
        assert commit_row(pggit_conn, second)[1] == root1 == root_of(expected)
        check_all_nodes(pggit_conn)


def test_same_root_in_another_database(
    pggit_conn: psycopg.Connection, pggit_new_database: Callable[[int], str], pggit_level: int
) -> None:
    objs = {("table", f"public.t{i}"): f"CREATE TABLE t{i} (id int)" for i in range(50)}
    other = psycopg.connect(pggit_new_database(pggit_level), autocommit=True)
    try:
        roots = []
        for conn, items in ((pggit_conn, list(objs.items())), (other, list(reversed(objs.items())))):
            cap = FakeCapture(conn)
            for (kind, identity), definition in items:
                cap.create(kind, identity, definition)
                if identity.endswith("7"):
                    commit(conn)
            roots.append(commit_row(conn, commit(conn))[1])
        assert roots[0] == roots[1]
    finally:
        other.close()


@reuse_db
@given(objs=objects.filter(bool), data=st.data())
def test_any_definition_change_changes_the_root(
    pggit_conn: psycopg.Connection, objs: dict[tuple[str, str], str], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(objs)))
    new_definition = data.draw(st.text(max_size=40).filter(lambda s: "\x00" not in s and s != objs[key]))
    with pggit_conn.transaction(force_rollback=True):
        cap = FakeCapture(pggit_conn)
        made = {k: cap.create(k[0], k[1], d) for k, d in objs.items()}
        c1 = commit(pggit_conn)
        tree1, root1 = commit_row(pggit_conn, c1)
        before = counts(pggit_conn)
        cap.alter(made[key], new_definition)
        c2 = commit(pggit_conn)
        tree2, root2 = commit_row(pggit_conn, c2)
        assert root2 != root1
        changed = [b for b in range(256) if tree1[b] != tree2[b]]
        assert changed == [bucket(key[1]) - 1], "exactly the object's bucket is rewritten"
        assert counts(pggit_conn)["nodes"] == before["nodes"] + 1
        cap.alter(made[key], objs[key])  # back to the first definition: back to the first root
        c3 = commit(pggit_conn)
        assert commit_row(pggit_conn, c3) == (tree1, root1)
        assert counts(pggit_conn)["nodes"] == before["nodes"] + 1, "the old node is reused, not stored again"
        assert counts(pggit_conn)["trees"] == before["trees"] + 1, "the old tree is reused, not stored again"
        check_commit(pggit_conn, c3)


def test_commit_without_changes_keeps_the_parents_tree(pggit_conn: psycopg.Connection) -> None:
    cap = FakeCapture(pggit_conn)
    cap.create("table", "public.a", "a")
    c1 = commit(pggit_conn)
    before = counts(pggit_conn)
    c2 = commit(pggit_conn, message="nothing changed")
    c3 = commit(pggit_conn, message="still nothing")
    assert commit_row(pggit_conn, c1) == commit_row(pggit_conn, c2) == commit_row(pggit_conn, c3)
    after = counts(pggit_conn)
    assert after["commits"] == before["commits"] + 2
    assert (after["nodes"], after["trees"]) == (before["nodes"], before["trees"]), "the tree is shared, not copied"


def test_rename_drop_recreate(pggit_conn: psycopg.Connection) -> None:
    base = base_entries(pggit_conn)
    cap = FakeCapture(pggit_conn)
    t = cap.create("table", "public.old", "t v1")
    i = cap.create("sequence", "public.old_seq", "i v1")
    c1 = commit(pggit_conn)
    assert check_commit(pggit_conn, c1) == {**base, ("table", "public.old"): sha("t v1"),
                                            ("sequence", "public.old_seq"): sha("i v1")}
    cap.rename(t, "public.mid")
    cap.rename(t, "public.new")  # two renames before one commit: neither old name survives
    cap.drop(i)
    again = cap.create("sequence", "public.old_seq", "i v2")  # a new object under the dropped name
    c2 = commit(pggit_conn)
    assert check_commit(pggit_conn, c2) == {**base, ("table", "public.new"): sha("t v1"),
                                            ("sequence", "public.old_seq"): sha("i v2")}
    # an object renamed away, and another renamed into its old name, in one commit
    u = cap.create("table", "public.u", "u v1")
    commit(pggit_conn)
    cap.rename(t, "public.tmp")
    cap.rename(u, "public.new")
    cap.rename(t, "public.u")
    c3 = commit(pggit_conn)
    assert check_commit(pggit_conn, c3) == {**base, ("table", "public.u"): sha("t v1"),
                                            ("table", "public.new"): sha("u v1"),
                                            ("sequence", "public.old_seq"): sha("i v2")}
    cap.drop(again)
    cap.drop(t)
    cap.drop(u)
    c4 = commit(pggit_conn)
    assert check_commit(pggit_conn, c4) == base
    assert check_commit(pggit_conn, c4) == live_registry(pggit_conn)


def test_created_and_dropped_before_a_commit_leaves_no_entry(pggit_conn: psycopg.Connection) -> None:
    base = base_entries(pggit_conn)
    c0 = commit(pggit_conn)
    cap = FakeCapture(pggit_conn)
    tmp = cap.create("table", "public.tmp", "tmp")
    cap.alter(tmp, "tmp 2")
    cap.drop(tmp)
    c1 = commit(pggit_conn)
    assert check_commit(pggit_conn, c1) == base
    assert commit_row(pggit_conn, c0)[1] == commit_row(pggit_conn, c1)[1]


def test_pause_resume_untracked_rows_are_attached_and_change_nothing(pggit_conn: psycopg.Connection) -> None:
    cap = FakeCapture(pggit_conn)
    a = cap.create("table", "public.a", "a")
    c1 = commit(pggit_conn)
    ids = [cap.session_row("pause")]
    # a change made while paused may name its object: still no tree change
    a.blob = cap._blob("changed while paused")
    ids.append(cap._history(a, "untracked", "main", new_hash=a.blob))
    ids.append(cap.session_row("resume"))
    c2 = commit(pggit_conn)
    assert commit_row(pggit_conn, c1) == commit_row(pggit_conn, c2)
    attached = pggit_conn.execute("SELECT id FROM pggit.history WHERE commit_hash = %s ORDER BY id",
                                  (c2,)).fetchall()
    assert [r[0] for r in attached] == ids


def test_first_commit_without_parent_tree_uses_the_live_registry(
    pggit_new_database: Callable[[int], str], pggit_migrations_dir, pggit_head: int
) -> None:
    """A database with level-1 commits, migrated to level 2: the first new commit's tree is the registry."""
    from pggit_sql.migrate import Migrator

    dsn = pggit_new_database(1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        old = commit(conn, message="made at level 1")
    Migrator(dsn, pggit_migrations_dir).migrate(to=2)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert commit_row(conn, old) == (None, None)
        cap = FakeCapture(conn)
        cap.create("table", "public.x", "x")
        new = commit(conn)
        (parent,) = conn.execute("SELECT parent_hash FROM pggit.commits WHERE hash = %s", (new,)).fetchone()
        assert parent == old
        assert check_commit(conn, new) == live_registry(conn)
        assert ("table", "public.x") in commit_tree(conn, new)
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="has no tree"):
            conn.execute("SELECT * FROM pggit.commit_tree(%s)", (old,))
        shown = conn.execute("SELECT pggit.show(%s)", (old,)).fetchone()[0]
        assert shown["tree"] is None and shown["commit"]["schema_hash"] is None


# --------------------------------------------------------------------------- stored once


def test_nodes_and_blobs_are_stored_once(pggit_conn: psycopg.Connection) -> None:
    cap = FakeCapture(pggit_conn)
    made = [cap.create("table", f"public.t{i}", "same definition" if i % 2 else f"def {i}") for i in range(200)]
    c0 = commit(pggit_conn)
    (blobs,) = pggit_conn.execute(
        "SELECT count(*) FROM pggit.blobs WHERE hash = ANY(%s)", ([o.blob for o in made],)).fetchone()
    assert blobs == 101  # 100 distinct definitions + the shared one
    start = counts(pggit_conn)
    for n, obj in enumerate(made[:20]):
        cap.alter(obj, f"changed {n}")
        commit(pggit_conn)
    end = counts(pggit_conn)
    assert end["nodes"] - start["nodes"] == 20, "one new node per one-object change"
    # every tree references only stored nodes; trees share the untouched ones
    (distinct_nodes,) = pggit_conn.execute(
        "SELECT count(DISTINCT n) FROM pggit.trees t, unnest(t.buckets) n").fetchone()
    (total,) = pggit_conn.execute("SELECT count(*) FROM pggit.tree_nodes").fetchone()
    assert distinct_nodes <= total
    (dangling,) = pggit_conn.execute(
        "SELECT count(*) FROM pggit.trees t, unnest(t.buckets) n"
        " WHERE NOT EXISTS (SELECT FROM pggit.tree_nodes t WHERE t.hash = n)").fetchone()
    assert dangling == 0
    (missing_blobs,) = pggit_conn.execute(
        "SELECT count(*) FROM pggit.tree_nodes t, jsonb_array_elements(t.entries) e"
        " WHERE NOT EXISTS (SELECT FROM pggit.blobs b WHERE b.hash = e ->> 2)").fetchone()
    assert missing_blobs == 0
    (dupes,) = pggit_conn.execute(
        "SELECT count(*) - count(DISTINCT definition) FROM pggit.blobs").fetchone()
    assert dupes == 0
    check_all_nodes(pggit_conn)
    check_commit(pggit_conn, c0)


# --------------------------------------------------------------------------- errors and rights


@pytest.mark.parametrize("fn", ["SELECT * FROM pggit.commit_tree(%s)", "SELECT pggit.show(%s)"])
def test_unknown_and_null_commit(pggit_conn: psycopg.Connection, fn: str, pggit_level: int) -> None:
    # level 8: show takes refs and answers an unknown one as resolve_ref does
    unknown = ('ref "nope" does not exist: no commit, branch or tag of that name'
               if pggit_level >= 8 and "show" in fn else 'commit "nope" does not exist')
    with pytest.raises(psycopg.errors.UndefinedObject, match=unknown):
        pggit_conn.execute(fn, ("nope",))
    with pytest.raises(psycopg.errors.UndefinedObject, match="does not exist"):
        pggit_conn.execute(fn, ("20240101000000000000-000000-00000000",))
    with pytest.raises(psycopg.errors.NullValueNotAllowed, match="commit must not be NULL"):
        pggit_conn.execute(fn, (None,))


def test_ordinary_role_commits_reads_but_cannot_write_trees(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("CREATE ROLE pggit_tree_user LOGIN")
    try:
        cap = FakeCapture(pggit_conn)
        cap.create("table", "public.r", "r")
        with pggit_conn.transaction(force_rollback=True):
            pggit_conn.execute("SET LOCAL ROLE pggit_tree_user")
            tid = commit(pggit_conn, message="by an ordinary role")
            assert ("table", "public.r") in commit_tree(pggit_conn, tid)
            level = int(pggit_conn.execute("SELECT obj_description('pggit'::regnamespace)").fetchone()[0].split()[-1])
            if level >= 5:  # show() returns statement text: pggit_reader only from level 5
                with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
                    pggit_conn.execute("SELECT pggit.show(%s)", (tid,))
                pggit_conn.execute("RESET ROLE")
                pggit_conn.execute("GRANT pggit_reader TO pggit_tree_user")
                pggit_conn.execute("SET LOCAL ROLE pggit_tree_user")
            assert pggit_conn.execute("SELECT pggit.show(%s)", (tid,)).fetchone()[0]["commit"]["hash"] == tid
            with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
                pggit_conn.execute("SELECT pggit.tree_apply(NULL, '{}')")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
                pggit_conn.execute("INSERT INTO pggit.tree_nodes VALUES (repeat('a', 64), '[]')")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
                pggit_conn.execute("UPDATE pggit.commits SET schema_hash = repeat('a', 64)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
                pggit_conn.execute("INSERT INTO pggit.trees SELECT hash, buckets FROM pggit.trees")
    finally:
        pggit_conn.execute("DROP OWNED BY pggit_tree_user")
        pggit_conn.execute("DROP ROLE pggit_tree_user")


def test_first_commit_matches_registry_and_steady_state_is_incremental(pggit_conn: psycopg.Connection) -> None:
    """The registry base (no parent tree) and the incremental path build the same tree."""
    cap = FakeCapture(pggit_conn)
    made = [cap.create("table", f"public.s{i}", f"s{i}") for i in range(30)]
    first = commit(pggit_conn)
    assert check_commit(pggit_conn, first) == live_registry(pggit_conn)
    for obj in made[::3]:
        cap.alter(obj, obj.identity + " v2")
    cap.drop(made[1])
    second = commit(pggit_conn)
    assert check_commit(pggit_conn, second) == live_registry(pggit_conn)
    assert head(pggit_conn) == second


def test_a_tree_is_stored_under_its_root_only(pggit_conn: psycopg.Connection) -> None:
    commit(pggit_conn)
    buckets = [EMPTY] * 256
    with pytest.raises(psycopg.errors.CheckViolation, match="trees_hash_check"):
        pggit_conn.execute("INSERT INTO pggit.trees VALUES (repeat('a', 64), %s)", (buckets,))
    with pytest.raises(psycopg.errors.CheckViolation, match="trees_buckets_check"):
        pggit_conn.execute("INSERT INTO pggit.trees VALUES (%s, %s)", (sha(EMPTY * 255), buckets[:255]))
    pggit_conn.execute("INSERT INTO pggit.trees VALUES (%s, %s) ON CONFLICT DO NOTHING",
                       (root_of({}), buckets))
