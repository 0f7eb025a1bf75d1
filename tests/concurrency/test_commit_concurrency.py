"""Concurrent pggit.commit_changes: one linear chain per branch, nothing lost, nothing forked.

Every worker is a thread with its own connection; a barrier starts them together.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import psycopg
import pytest

from pggit_sql.testing.together import run_together

pytestmark = pytest.mark.pggit_level(min=1)

COMMITS_PER_WORKER = 25
WORKERS = [2, 5, 10, 20]

Connect = Callable[[], psycopg.Connection]


def run_workers(
    connect: Connect | list[psycopg.Connection], workers: int, work: Callable[[int, psycopg.Connection], list[str]]
) -> list[list[str]]:
    """Run ``work(worker, conn)`` in ``workers`` threads started together; their results in worker order.

    Each worker gets its own connection: new ones from ``connect``, or the given list's.
    """
    conns = connect[:workers] if isinstance(connect, list) else [connect() for _ in range(workers)]
    assert len(conns) == workers
    return run_together([functools.partial(work, w, conns[w]) for w in range(workers)], name="committer")


def committer(branch: str | Callable[[int], str], commits: int) -> Callable[[int, psycopg.Connection], list[str]]:
    def work(worker: int, conn: psycopg.Connection) -> list[str]:
        name = branch(worker) if callable(branch) else branch
        made = []
        for i in range(commits):
            (tid,) = conn.execute(
                "SELECT pggit.commit_changes(%s, %s)", (name, f"worker {worker} commit {i}")
            ).fetchone()
            made.append(tid)
        return made

    return work


def chain(conn: psycopg.Connection, branch: str) -> list[tuple[str, str | None]]:
    """(hash, parent_hash) from the branch head back to the branch's first commit."""
    limit = conn.execute("SELECT count(*) + 1 FROM pggit.commits").fetchone()[0]
    return conn.execute(
        """
        WITH RECURSIVE b AS (
            SELECT id, head_commit_hash FROM pggit.branches WHERE name = %(branch)s
        ), walk AS (
            SELECT c.hash, c.parent_hash, 1 AS depth
              FROM pggit.commits AS c JOIN b ON c.hash = b.head_commit_hash AND c.branch_id = b.id
            UNION ALL
            SELECT p.hash, p.parent_hash, walk.depth + 1
              FROM walk
              JOIN pggit.commits AS p ON p.hash = walk.parent_hash
              JOIN b ON p.branch_id = b.id
             WHERE walk.depth < %(limit)s
        )
        SELECT hash, parent_hash FROM walk ORDER BY depth
        """,
        {"branch": branch, "limit": limit},
    ).fetchall()


def assert_linear(conn: psycopg.Connection, branch: str, expected: set[str], root_parent: str | None) -> None:
    """The branch is one chain holding exactly ``expected``, starting from ``root_parent``."""
    rows = conn.execute(
        "SELECT count(*) FROM pggit.branches WHERE name = %s", (branch,)
    ).fetchone()
    assert rows == (1,), f"branch {branch!r} should exist exactly once"
    (on_branch,) = conn.execute(
        "SELECT count(*) FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id WHERE b.name = %s",
        (branch,),
    ).fetchone()
    assert on_branch == len(expected)
    walked = chain(conn, branch)
    hashes = [h for h, _ in walked]
    assert len(hashes) == len(expected), "the walk from the head does not reach every commit"
    assert len(set(hashes)) == len(hashes), "a commit was reached twice"
    assert set(hashes) == expected
    assert walked[-1][1] == root_parent, "the branch's first commit has the wrong parent"
    # committers queue on the branch lock: the chain is also in creation order
    assert hashes == sorted(hashes, reverse=True)
    head_row = conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = %s", (branch,)).fetchone()
    assert head_row == (hashes[0],)
    (latest,) = conn.execute(
        "SELECT c.hash FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id"
        " WHERE b.name = %s ORDER BY c.committed_at DESC, c.hash DESC LIMIT 1",
        (branch,),
    ).fetchone()
    assert head_row == (latest,), "the head is not the last commit"


def main_head(conn: psycopg.Connection) -> str | None:
    return conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'").fetchone()[0]


@pytest.mark.parametrize("workers", WORKERS)
def test_many_committers_one_branch(pggit_conn: psycopg.Connection, pggit_connect: Connect, workers: int) -> None:
    results = run_workers(pggit_connect, workers, committer("main", COMMITS_PER_WORKER))
    made = [tid for worker in results for tid in worker]
    assert len(made) == workers * COMMITS_PER_WORKER
    assert len(set(made)) == len(made), "duplicate commit IDs"
    assert all(worker == sorted(worker) for worker in results)
    assert pggit_conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == (len(made),)
    assert_linear(pggit_conn, "main", set(made), root_parent=None)


@pytest.mark.parametrize("workers", WORKERS)
def test_every_committer_on_its_own_new_branch(
    pggit_conn: psycopg.Connection, pggit_connect: Connect, workers: int
) -> None:
    (base,) = pggit_conn.execute("SELECT pggit.commit_changes('main', 'base')").fetchone()
    results = run_workers(pggit_connect, workers, committer(lambda w: f"worker/{w}", COMMITS_PER_WORKER))
    main_id = pggit_conn.execute("SELECT id FROM pggit.branches WHERE name = 'main'").fetchone()[0]
    for worker, made in enumerate(results):
        assert len(made) == COMMITS_PER_WORKER
        assert_linear(pggit_conn, f"worker/{worker}", set(made), root_parent=base)
        assert pggit_conn.execute(
            "SELECT parent_branch_id FROM pggit.branches WHERE name = %s", (f"worker/{worker}",)
        ).fetchone() == (main_id,)
    assert main_head(pggit_conn) == base
    assert pggit_conn.execute("SELECT count(*) FROM pggit.branches").fetchone() == (workers + 1,)


@pytest.mark.parametrize("workers", WORKERS)
def test_all_committers_create_the_same_branch(
    pggit_conn: psycopg.Connection, pggit_connect: Connect, workers: int
) -> None:
    (base,) = pggit_conn.execute("SELECT pggit.commit_changes('main', 'base')").fetchone()
    results = run_workers(pggit_connect, workers, committer("race/shared", COMMITS_PER_WORKER))
    made = {tid for worker in results for tid in worker}
    assert len(made) == workers * COMMITS_PER_WORKER
    assert_linear(pggit_conn, "race/shared", made, root_parent=base)
    assert main_head(pggit_conn) == base


@pytest.mark.parametrize("workers", [2, 5, 10, 20])
def test_all_committers_create_the_same_branch_with_one_commit_each(
    pggit_conn: psycopg.Connection, pggit_connect: Connect, workers: int
) -> None:
    """The sharpest race: every worker's first and only call creates the branch."""
    conns = [pggit_connect() for _ in range(workers)]
    for round_number in range(5):
        branch = f"race/once-{round_number}"
        results = run_workers(conns, workers, committer(branch, 1))
        made = {tid for worker in results for tid in worker}
        assert len(made) == workers
        assert_linear(pggit_conn, branch, made, root_parent=None)


@pytest.mark.parametrize("workers", [2, 5, 10, 20])
def test_rolled_back_commits_leave_nothing(
    pggit_conn: psycopg.Connection, pggit_connect: Connect, workers: int
) -> None:
    """Odd workers roll back every commit (on main and on a branch of their own); even ones keep theirs."""

    def work(worker: int, conn: psycopg.Connection) -> list[str]:
        made = []
        for i in range(COMMITS_PER_WORKER):
            if worker % 2:
                with conn.transaction(force_rollback=True):
                    conn.execute("SELECT pggit.commit_changes('main', 'discarded')")
                    (tid,) = conn.execute(
                        "SELECT pggit.commit_changes(%s, 'discarded')", (f"ghost/{worker}",)
                    ).fetchone()
                    made.append(tid)
            else:
                (tid,) = conn.execute("SELECT pggit.commit_changes('main', %s)", (f"kept {i}",)).fetchone()
                made.append(tid)
        return made

    results = run_workers(pggit_connect, workers, work)
    kept = {tid for w, made in enumerate(results) if w % 2 == 0 for tid in made}
    discarded = {tid for w, made in enumerate(results) if w % 2 for tid in made}
    assert pggit_conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == (len(kept),)
    assert pggit_conn.execute(
        "SELECT count(*) FROM pggit.commits WHERE hash = ANY(%s)", (list(discarded),)
    ).fetchone() == (0,)
    assert pggit_conn.execute(
        "SELECT count(*) FROM pggit.branches WHERE name LIKE 'ghost/%'"
    ).fetchone() == (0,)
    assert_linear(pggit_conn, "main", kept, root_parent=None)
