"""A concurrent mix of commit_changes, create_branch, delete_branch, create_data_branch,
merge_data_branch and branch writes: every call ends in success or an expected refusal,
40001/40P01 are retried to success by :func:`pggit_sql.retry.run_transaction`, and the
history stays consistent (:func:`pggit_sql.testing.invariants.problems`).

Load: 8 workers x 15 operations (times ``$PGGIT_RELIABILITY_SCALE``).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import psycopg
import pytest
from relhelp import scale

from pggit_sql.retry import RetryStats, run_transaction
from pggit_sql.testing import invariants
from pggit_sql.testing.together import run_together

pytestmark = [pytest.mark.pggit_level(min=3), pytest.mark.timeout(600)]

Connect = Callable[[], psycopg.Connection]
BRANCHES = [f"mix{i}" for i in range(16)]
# Refusals the mix provokes on purpose: exists already, missing, deleted, has a data branch, view gone.
EXPECTED = {"23505", "42704", "55000", "42710", "42P01", "2BP01"}


def operation(rng: random.Random) -> tuple[str, str, tuple[object, ...]]:
    branch = rng.choice(BRANCHES)
    kind = rng.choices(["commit", "create_branch", "delete_branch", "create_data_branch", "merge", "write"],
                       weights=[3, 2, 1, 3, 2, 5])[0]
    if kind == "commit":
        return kind, "SELECT pggit.commit_changes(%s, 'mix')", (rng.choice([*BRANCHES, "main"]),)
    if kind == "create_branch":
        return kind, "SELECT pggit.create_branch(%s)", (branch,)
    if kind == "delete_branch":
        return kind, "SELECT pggit.delete_branch(%s, true)", (branch,)
    if kind == "create_data_branch":
        return kind, "SELECT pggit.create_data_branch('mix_t', 'main', %s)", (branch,)
    if kind == "merge":
        return kind, "SELECT * FROM pggit.merge_data_branch('mix_t', %s, 'main', 'theirs')", (branch,)
    row = rng.randint(1, 20)
    return kind, f'UPDATE "mix_t__{branch}" SET v = v + 1 WHERE id = %s', (row,)


def test_mix_runs_deadlock_free_or_retries_to_success(pggit_connect: Connect) -> None:
    setup = pggit_connect()
    setup.execute("CREATE TABLE mix_t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
    setup.execute("INSERT INTO mix_t (id) SELECT generate_series(1, 20)")
    workers, per_worker = 8, 15 * scale()
    conns = [pggit_connect() for _ in range(workers)]
    outcomes: list[Counter[str]] = [Counter() for _ in range(workers)]
    stats = [RetryStats() for _ in range(workers)]

    def job(i: int) -> Callable[[], None]:
        rng = random.Random(i)

        def run() -> None:
            for _ in range(per_worker):
                kind, statement, params = operation(rng)
                try:
                    run_transaction(conns[i], lambda c, s=statement, p=params: c.execute(s, p), stats=stats[i])
                    outcomes[i][f"{kind} ok"] += 1
                except psycopg.Error as exc:
                    assert exc.sqlstate in EXPECTED, f"{kind} {params}: [{exc.sqlstate}] {exc}"
                    outcomes[i][f"{kind} {exc.sqlstate}"] += 1
        return run

    run_together([job(i) for i in range(workers)], join_timeout=540)
    total = sum(outcomes, Counter())
    retried = Counter(state for s in stats for state in (s.retried or []))
    print(f"mix outcomes: {dict(sorted(total.items()))}; retried: {dict(retried)}")
    assert sum(total.values()) == workers * per_worker
    assert total["commit ok"] > 0
    assert invariants.problems(setup) == []
    for (relation,) in setup.execute(
            "SELECT format('%I.%I', relation_schema, relation_name) FROM pggit.data_branches").fetchall():
        assert setup.execute(f"SELECT count(*) FROM {relation}").fetchone() == (20,)
