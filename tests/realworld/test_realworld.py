"""The real-world oracle (issue 13): pggit's generated migrations against migration histories nobody here wrote.

A corpus of Django applications (tests/realworld/corpus.py) is replayed one migration at a
time into a database with pggit (a commit per migration) and a plain one (a schema dump per
migration). For adjacent and far pairs of steps (A, B) generate_migration(A, B) is applied
to a fresh database restored from A's dump and the result compared with B's dump
(tests/realworld/oracle.py); the populated pggit database is walked backwards with
pggit.revert and pggit.checkout(branch, apply => true) (tests/realworld/walks.py).

The targets: no pair's script fails, every pair is exact, every walk step succeeds and no
row or value is lost but by a step marked lossy. ``--realworld=full`` (make
test-realworld) runs the whole corpus; the default is Django's contrib apps.
"""

from __future__ import annotations

import pytest

from tests.realworld.oracle import DIFFERS, EXACT, FAILS
from tests.realworld.report import KINDS, Outcome

pytestmark = pytest.mark.timeout(7200)  # the first test replays the corpus (make test-realworld: minutes)


def _listed(results: list) -> str:
    return "\n".join(f"{r.pair.kind} {r.pair.a} -> {r.pair.b} [{r.migrations}]: {r.failing_step[:200]} "
                     f"{r.error.splitlines()[0] if r.error else ''}" for r in results)


def test_the_corpus_was_replayed(realworld_outcome: Outcome) -> None:
    outcome = realworld_outcome
    assert outcome.steps > 20
    kinds = {r.pair.kind for r in outcome.summary.results}
    assert kinds == set(KINDS)
    assert sum(1 for r in outcome.summary.results if r.pair.kind == "adjacent-forward") == outcome.steps


def test_both_databases_replayed_the_same_schema(realworld_outcome: Outcome) -> None:
    """The harness' own check: the pggit database's public schema is the plain database's at the end."""
    assert realworld_outcome.replay_diff == []


def test_no_generated_script_fails(realworld_outcome: Outcome) -> None:
    failing = [r for r in realworld_outcome.summary.results if r.status == FAILS]
    assert not failing, f"{len(failing)} pairs' scripts fail:\n{_listed(failing)}"


def test_every_pair_reaches_its_target_exactly(realworld_outcome: Outcome) -> None:
    differing = [r for r in realworld_outcome.summary.results if r.status == DIFFERS]
    assert not differing, f"{len(differing)} pairs run but differ:\n{_listed(differing)}"
    assert all(r.status == EXACT for r in realworld_outcome.summary.results)


def test_revert_walk_back_to_the_start_loses_no_row(realworld_outcome: Outcome) -> None:
    walk = realworld_outcome.revert
    assert sum(walk.seeded.rows.values()) > 0
    assert not walk.failed, "\n".join(f"to step {s.target}: {s.error or s.lost}" for s in walk.failed)
    assert len(walk.steps) == walk.planned


def test_checkout_walk_loses_no_row(realworld_outcome: Outcome) -> None:
    walk = realworld_outcome.checkout
    assert sum(walk.seeded.rows.values()) > 0
    assert not walk.failed, "\n".join(f"to step {s.target}: {s.error or s.lost}" for s in walk.failed)
    assert len(walk.steps) == walk.planned
