"""pggit.log (newest first, across branch points, max_count) and pggit.show (commit, changes, tree)."""

from __future__ import annotations

import psycopg
import pytest
from treemodel import FakeCapture, commit, commit_tree

pytestmark = pytest.mark.pggit_level(min=2)

LOG_COLUMNS = ["hash", "parent_hash", "branch", "message", "author", "committed_at", "schema_hash", "changes"]


def log(conn: psycopg.Connection, *args: object) -> list[tuple]:
    placeholders = ", ".join(["%s"] * len(args))
    return conn.execute(f"SELECT * FROM pggit.log({placeholders})", args).fetchall()


def test_log_order_parents_and_counts(pggit_conn: psycopg.Connection) -> None:
    cap = FakeCapture(pggit_conn)
    made = []
    for i in range(5):
        for j in range(i):
            cap.create("table", f"public.t{i}_{j}", "x")
        made.append(commit(pggit_conn, message=f"commit {i}\nbody"))
    cur = pggit_conn.execute("SELECT * FROM pggit.log()")
    assert [d.name for d in cur.description] == LOG_COLUMNS
    rows = cur.fetchall()
    assert [r[0] for r in rows] == made[::-1]
    assert [r[1] for r in rows] == [*made[::-1][1:], None]
    assert {r[2] for r in rows} == {"main"}
    assert [r[3] for r in rows] == [f"commit {i}\nbody" for i in range(4, -1, -1)]
    assert [r[7] for r in rows[:-1]] == [4, 3, 2, 1]  # the first one also carries install's registrations
    schema_hashes = [r[6] for r in rows]
    stored = dict(pggit_conn.execute("SELECT hash, schema_hash FROM pggit.commits").fetchall())
    assert schema_hashes == [stored[h] for h in made[::-1]]
    assert [r[0] for r in log(pggit_conn, "main", 2)] == made[::-1][:2]
    assert log(pggit_conn, "main", 0) == []
    assert [r[0] for r in pggit_conn.execute(
        "SELECT hash FROM pggit.log(max_count => 3, branch => 'main')").fetchall()] == made[::-1][:3]


def test_branch_log_continues_into_main(pggit_conn: psycopg.Connection) -> None:
    m1 = commit(pggit_conn, message="m1")
    m2 = commit(pggit_conn, message="m2")
    f1 = commit(pggit_conn, "feature/x", "f1")  # created from main's head m2
    FakeCapture(pggit_conn).create("table", "public.f", "f", branch="feature/x")
    f2 = commit(pggit_conn, "feature/x", "f2")
    m3 = commit(pggit_conn, message="m3")  # main moves on: not in the branch's history
    rows = log(pggit_conn, "feature/x")
    assert [(r[0], r[2]) for r in rows] == [(f2, "feature/x"), (f1, "feature/x"), (m2, "main"), (m1, "main")]
    assert [r[7] for r in rows][:2] == [1, 0]
    assert [r[0] for r in log(pggit_conn, "main")] == [m3, m2, m1]
    assert [r[0] for r in log(pggit_conn, "feature/x", 3)] == [f2, f1, m2]


def test_log_of_a_branch_without_commits(pggit_conn: psycopg.Connection) -> None:
    assert log(pggit_conn) == []  # main exists from install, no commit yet


@pytest.mark.parametrize(("args", "error", "message"), [
    (("nope",), psycopg.errors.UndefinedObject, 'branch "nope" does not exist'),
    (("a b",), psycopg.errors.InvalidParameterValue, 'invalid branch name "a b"'),
    (("x..y", 5), psycopg.errors.InvalidParameterValue, "invalid branch name"),
    ((None,), psycopg.errors.NullValueNotAllowed, "branch name must not be NULL"),
    (("main", None), psycopg.errors.NullValueNotAllowed, "max_count must not be NULL"),
    (("main", -1), psycopg.errors.InvalidParameterValue, "max_count -1"),
])
def test_log_errors(pggit_conn: psycopg.Connection, args: tuple, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        log(pggit_conn, *args)


def test_show(pggit_conn: psycopg.Connection) -> None:
    first = commit(pggit_conn, message="first")
    cap = FakeCapture(pggit_conn)
    obj = cap.create("table", 'public."Shown"', "v1")
    cap.alter(obj, "v2")
    cap.session_row("pause")
    tid = commit(pggit_conn, message="ñ message")
    (doc,) = pggit_conn.execute("SELECT pggit.show(%s)", (tid,)).fetchone()
    assert set(doc) == {"commit", "changes", "tree"}
    assert doc["commit"]["hash"] == tid and doc["commit"]["parent_hash"] == first
    assert doc["commit"]["branch"] == "main" and doc["commit"]["message"] == "ñ message"
    assert set(doc["commit"]) == {"hash", "parent_hash", "branch", "message", "author", "committed_at",
                                  "schema_hash"}
    stored = pggit_conn.execute("SELECT schema_hash FROM pggit.commits WHERE hash = %s", (tid,)).fetchone()[0]
    assert doc["commit"]["schema_hash"] == stored
    assert [(c["object_identity"], c["change"]) for c in doc["changes"]] == [
        ('public."Shown"', "create"), ('public."Shown"', "patch"), (None, "pause")]
    assert [c["id"] for c in doc["changes"]] == sorted(c["id"] for c in doc["changes"])
    tree = commit_tree(pggit_conn, tid)
    assert [(t["object_kind"], t["object_identity"], t["blob_hash"]) for t in doc["tree"]] == [
        (k, i, b) for (k, i), b in tree.items()]
    assert tree[("table", 'public."Shown"')] == obj.blob
    (empty,) = pggit_conn.execute("SELECT pggit.show(%s)", (first,)).fetchone()
    assert empty["commit"]["parent_hash"] is None


@pytest.mark.pggit_level(min=8)
def test_show_takes_refs(pggit_conn: psycopg.Connection) -> None:
    """Level 8: show's argument is any ref resolve_ref reads, as the CLI's ``show REF``."""
    conn = pggit_conn
    cap = FakeCapture(conn)
    cap.create("table", "public.a", "a")
    first = commit(conn, message="first")
    cap.create("table", "public.b", "b")
    second = commit(conn, message="second")
    conn.execute("SELECT pggit.tag('v1', %s)", (first,))
    conn.execute("SELECT pggit.create_branch('feature')")

    def shown(ref: str) -> str:
        (doc,) = conn.execute("SELECT pggit.show(%s)", (ref,)).fetchone()
        return doc["commit"]["hash"]

    for ref, expected in [(second, second), ("main", second), ("refs/heads/main", second), ("v1", first),
                          ("refs/tags/v1", first), ("main~1", first), ("main^", first), ("feature", second)]:
        assert shown(ref) == expected, ref
    by_id = conn.execute("SELECT pggit.show(%s)", (second,)).fetchone()[0]
    assert conn.execute("SELECT pggit.show('main')").fetchone()[0] == by_id  # same document, same contract
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="show needs a commit, branch or tag, not WORKING"):
        conn.execute("SELECT pggit.show('WORKING')")
    with pytest.raises(psycopg.errors.UndefinedObject, match=r'ref "main~5" does not exist: .* has no parent'):
        conn.execute("SELECT pggit.show('main~5')")
    conn.execute("SELECT pggit.create_branch(%s)", (first,))  # a branch named like a commit id
    with pytest.raises(psycopg.errors.AmbiguousAlias):
        conn.execute("SELECT pggit.show(%s)", (first,))
    conn.execute("SELECT pggit.create_branch('empty')")
    conn.execute("UPDATE pggit.branches SET head_commit_hash = NULL WHERE name = 'empty'")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match='branch "empty" has no commits yet'):
        conn.execute("SELECT pggit.show('empty')")
    # the ref-taking functions give one answer for an unknown ref
    errors = set()
    for query in ("SELECT pggit.show(%s)", "SELECT pggit.resolve_ref(%s)", "SELECT * FROM pggit.schema_at(%s)"):
        with pytest.raises(psycopg.errors.UndefinedObject) as caught:
            conn.execute(query, ("nope",))
        errors.add(caught.value.diag.message_primary)
    assert errors == {'ref "nope" does not exist: no commit, branch or tag of that name'}
