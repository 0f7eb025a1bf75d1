"""Concurrent committers with changes: every change attached to exactly one commit, one chain per branch.

Ten sessions record changes (FakeCapture rows, each in its own transaction, as DDL
would) and commit, on their own branches or all on main.  Afterwards: no change is
pending or attached twice, each change's commit is on the change's branch, every
branch is one linear chain, and every commit's tree is its parent's tree with exactly
its attached changes applied (replayed by the Python model).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import psycopg
import pytest
from treemodel import FakeCapture, assert_capture_installed, check_commit, commit, live_registry

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=2)

SESSIONS = 10
ROUNDS = 8


def run_sessions(connect: Callable[[], psycopg.Connection], work: Callable[[int, psycopg.Connection], None]) -> None:
    conns = [connect() for _ in range(SESSIONS)]
    run_together([functools.partial(work, n, conns[n]) for n in range(SESSIONS)], name="session")


def apply(parent: dict[tuple[str, str], str], rows: list[tuple]) -> dict[tuple[str, str], str]:
    """The model of tree_apply: rows are (id, object_id, kind, identity, old_identity, change, new_hash)."""
    rows = [r for r in rows if r[1] is not None and r[2] is not None
            and r[5] not in ("pause", "resume", "untracked")]
    tree = dict(parent)
    for _, _, kind, identity, old_identity, _, _ in rows:
        for name in (identity, old_identity):
            if name is not None:
                tree.pop((kind, name), None)
    last = {}
    for row in sorted(rows):
        last[row[1]] = row
    for _, _, kind, identity, _, change, new_hash in sorted(last.values()):
        if change != "drop" and identity is not None and new_hash is not None:
            tree[(kind, identity)] = new_hash
    return tree


def check_history(conn: psycopg.Connection) -> None:
    (pending,) = conn.execute("SELECT count(*) FROM pggit.history WHERE commit_hash IS NULL").fetchone()
    assert pending == 0
    (wrong_branch,) = conn.execute(
        "SELECT count(*) FROM pggit.history h JOIN pggit.commits c ON c.hash = h.commit_hash"
        " JOIN pggit.branches b ON b.id = c.branch_id WHERE b.name <> h.branch").fetchone()
    assert wrong_branch == 0, "a change was attached to another branch's commit"
    # linear chains: one root per branch (whose parent is the branch point), one child per parent
    for (branch,) in conn.execute("SELECT name FROM pggit.branches").fetchall():
        commits = conn.execute(
            "SELECT c.hash, c.parent_hash FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id"
            " WHERE b.name = %s", (branch,)).fetchall()
        if not commits:
            continue
        parents = [p for _, p in commits]
        assert len(set(parents)) == len(parents), f"{branch} forks"
        hashes = {h for h, _ in commits}
        roots = [h for h, p in commits if p not in hashes]
        assert len(roots) == 1, f"{branch} has {len(roots)} roots"
        walked = conn.execute("SELECT count(*) FROM pggit.log(%s, 100000) WHERE branch = %s",
                              (branch, branch)).fetchone()[0]
        assert walked == len(commits), f"{branch}: the log from the head does not reach every commit"
    # every tree = parent's tree + its attached changes
    for tid, parent in conn.execute(
            "SELECT hash, parent_hash FROM pggit.commits WHERE schema_hash IS NOT NULL ORDER BY hash").fetchall():
        entries = check_commit(conn, tid)
        if parent is None:
            continue
        rows = conn.execute(
            "SELECT id, object_id, object_kind, object_identity, old_identity, change, new_hash"
            " FROM pggit.history WHERE commit_hash = %s", (tid,)).fetchall()
        assert entries == apply(check_commit(conn, parent), rows), f"tree of {tid} is not parent + changes"


def test_ten_sessions_on_their_own_branches(pggit_conn: psycopg.Connection, pggit_connect) -> None:
    commit(pggit_conn, message="base")  # the registry-based first tree, before the race

    def work(n: int, conn: psycopg.Connection) -> None:
        cap = FakeCapture(conn)
        branch = f"session-{n}"
        made = []
        for r in range(ROUNDS):
            made.append(cap.create("table", f"public.s{n}_{r}", f"s{n} r{r}", branch=branch))
            if made[1:] and r % 3 == 0:
                cap.alter(made[-2], f"altered {r}", branch=branch)
            if r % 4 == 3:
                cap.drop(made.pop(0), branch=branch)
            commit(conn, branch, f"round {r}")

    run_sessions(pggit_connect, work)
    check_history(pggit_conn)
    (count,) = pggit_conn.execute("SELECT count(*) FROM pggit.commits").fetchone()
    assert count == 1 + SESSIONS * ROUNDS


def test_ten_sessions_committing_to_main(pggit_conn: psycopg.Connection, pggit_connect) -> None:
    commit(pggit_conn, message="base")

    def work(n: int, conn: psycopg.Connection) -> None:
        cap = FakeCapture(conn)
        for r in range(ROUNDS):
            obj = cap.create("table", f"public.m{n}_{r}", f"m{n} r{r}")
            if r % 2:
                cap.alter(obj, "second version")
            commit(conn, "main", f"session {n} round {r}")

    run_sessions(pggit_connect, work)
    check_history(pggit_conn)
    final = commit(pggit_conn, message="final")
    assert check_commit(pggit_conn, final) == live_registry(pggit_conn)


def test_ten_sessions_doing_ddl_on_their_own_branches(pggit_conn: psycopg.Connection, pggit_connect) -> None:
    """The same through real DDL (level 2's event triggers), each session on its own branch."""
    assert_capture_installed(pggit_conn)
    commit(pggit_conn, message="base")

    def work(n: int, conn: psycopg.Connection) -> None:
        branch = f"ddl-{n}"
        commit(conn, branch, "create the branch")  # level 8: pggit.branch must name a branch that exists
        conn.execute("SELECT set_config('pggit.branch', %s, false)", (branch,))
        names: list[str] = []  # the session's live tables
        for r in range(ROUNDS):
            names.append(f"c{n}_{r}")
            conn.execute(f"CREATE TABLE public.{names[-1]} (id integer PRIMARY KEY, v text)")
            if r % 2:
                conn.execute(f"ALTER TABLE public.{names[-2]} ADD COLUMN extra integer")
            if r % 3 == 2:
                conn.execute(f"DROP TABLE public.{names.pop(0)}")
            if r % 4 == 3:
                conn.execute(f"ALTER TABLE public.{names[-1]} RENAME TO {names[-1]}_renamed")
                names[-1] += "_renamed"
            commit(conn, branch, f"round {r}")

    run_sessions(pggit_connect, work)
    check_history(pggit_conn)
    for n in range(SESSIONS):
        head_commit = pggit_conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = %s",
                                         (f"ddl-{n}",)).fetchone()[0]
        tables = {identity for (kind, identity) in check_commit(pggit_conn, head_commit)
                  if kind == "table" and identity.startswith("public.c")}
        live = {row[0] for row in pggit_conn.execute(
            "SELECT identity FROM pggit.objects WHERE dropped_at IS NULL AND kind = 'table'"
            " AND identity LIKE %s", (f"public.c{n}\\_%",)).fetchall()}
        assert tables == live, f"branch ddl-{n} holds exactly its own session's tables"
