"""merge_base and the commit DAG (level 4): generations, hand-built DAGs and random ones against dagmodel.

DAGs are written straight into pggit.commits by the owner (:class:`dagmodel.DagBuilder`),
since no level-4 function makes merge commits yet; the generation trigger and the
constraints still apply.  Every answer is compared with the plain-dict model.
"""

from __future__ import annotations

import itertools

import psycopg
import pytest
from dagmodel import DagBuilder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=4)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check_all_pairs(b: DagBuilder) -> None:
    commits = list(b.dag.parents)
    for x, y in itertools.product(commits, repeat=2):
        expected = b.dag.merge_base(x, y)
        got = b.merge_base(x, y)
        assert got == expected, f"merge_base({x}, {y}) = {got}, model says {expected}"
        if expected is not None:
            assert got in b.dag.best_common_ancestors(x, y)
    generations = dict(b.conn.execute("SELECT hash, generation FROM pggit.commits WHERE hash = ANY(%s)",
                                      (commits,)).fetchall())
    assert generations == {c: b.dag.generation(c) for c in commits}


def test_linear_and_branch_of_branch(pggit_conn: psycopg.Connection) -> None:
    b = DagBuilder(pggit_conn)
    b.branch("l")
    c1, c2, c3 = (b.commit("l") for _ in range(3))
    b.branch("f", at=c2)
    f1 = b.commit("f")
    b.branch("f/g", at=f1)  # a branch of a branch
    g1 = b.commit("f/g")
    f2 = b.commit("f")
    assert b.merge_base(c3, g1) == c2
    assert b.merge_base(g1, f2) == f1
    assert b.merge_base(c1, c3) == c1  # an ancestor is its own merge base
    assert b.merge_base(g1, g1) == g1
    assert b.merge_base("l", "f/g") == c2  # refs: branch names
    check_all_pairs(b)


def test_merge_commit_makes_the_merged_head_the_base(pggit_conn: psycopg.Connection) -> None:
    b = DagBuilder(pggit_conn)
    b.branch("m")
    base = b.commit("m")
    b.branch("x", at=base)
    x1 = b.commit("x")
    m1 = b.commit("m")
    merge = b.commit("m", merge=x1)
    x2 = b.commit("x")
    assert b.merge_base(merge, x2) == x1
    assert b.merge_base(m1, x2) == base
    (gen,) = pggit_conn.execute("SELECT generation FROM pggit.commits WHERE hash = %s", (merge,)).fetchone()
    assert gen == 3
    check_all_pairs(b)


def test_criss_cross_merge_has_a_deterministic_base(pggit_conn: psycopg.Connection) -> None:
    """Two best common ancestors: the newer (greater hash) of equal generation is chosen, both ways round."""
    b = DagBuilder(pggit_conn)
    b.branch("a")
    root = b.commit("a")
    b.branch("b", at=root)
    a1 = b.commit("a")
    b1 = b.commit("b")
    a2 = b.commit("a", merge=b1)
    b2 = b.commit("b", merge=a1)
    assert b.dag.best_common_ancestors(a2, b2) == {a1, b1}
    assert b.merge_base(a2, b2) == b.merge_base(b2, a2) == max(a1, b1)
    check_all_pairs(b)


def test_unrelated_roots_have_no_base(pggit_conn: psycopg.Connection) -> None:
    b = DagBuilder(pggit_conn)
    b.branch("r1")
    b.branch("r2")
    x = b.commit("r1")
    y = b.commit("r2")
    assert b.merge_base(x, y) is None
    check_all_pairs(b)


def test_long_history_windows(pggit_conn: psycopg.Connection) -> None:
    """Bases 1, 63, 64, 65, 600 and 5,000 generations back: every window size of the search is crossed."""
    b = DagBuilder(pggit_conn)
    b.branch("long")
    chain = [b.commit("long") for _ in range(5200)]
    for back in (1, 63, 64, 65, 600, 5000):
        base = chain[-1 - back]
        name = f"side{back}"
        b.branch(name, at=base)
        side = b.commit(name)
        assert b.merge_base(chain[-1], side) == base
        assert b.merge_base(side, chain[-1]) == base
    assert b.merge_base(chain[-1], chain[0]) == chain[0]


def test_generation_is_kept_by_the_trigger(pggit_conn: psycopg.Connection) -> None:
    first = pggit_conn.execute("SELECT pggit.commit_changes('main', 'one')").fetchone()[0]
    second = pggit_conn.execute("SELECT pggit.commit_changes('main', 'two')").fetchone()[0]
    rows = dict(pggit_conn.execute("SELECT hash, generation FROM pggit.commits").fetchall())
    assert rows[second] == rows[first] + 1
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="immutable"):
        pggit_conn.execute("UPDATE pggit.commits SET generation = 99 WHERE hash = %s", (second,))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="immutable"):
        pggit_conn.execute("UPDATE pggit.commits SET merge_parent_hash = %s WHERE hash = %s", (first, second))
    pggit_conn.execute("UPDATE pggit.commits SET message = 'owner may fix a message' WHERE hash = %s", (second,))
    with pytest.raises(psycopg.errors.CheckViolation):  # a merge parent equal to the parent
        pggit_conn.execute("INSERT INTO pggit.commits (hash, branch_id, parent_hash, merge_parent_hash, message)"
                           " SELECT pggit.generate_trinity_id(), id, %s, %s, 'x' FROM pggit.branches"
                           " WHERE name = 'main'", (second, second))


def test_errors(pggit_conn: psycopg.Connection) -> None:
    c = pggit_conn.execute("SELECT pggit.commit_changes('main', 'one')").fetchone()[0]
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="WORKING is not a commit"):
        pggit_conn.execute("SELECT pggit.merge_base('WORKING', %s)", (c,))
    with pytest.raises(psycopg.errors.UndefinedObject):
        pggit_conn.execute("SELECT pggit.merge_base('nope', %s)", (c,))
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        pggit_conn.execute("SELECT pggit.merge_base(NULL, %s)", (c,))
    assert pggit_conn.execute("SELECT pggit.dag_merge_base(NULL, %s), pggit.dag_merge_base('x', %s)",
                              (c, c)).fetchone() == (None, None)


@st.composite
def dag_plans(draw: st.DrawFn) -> list[tuple[str, int, int | None]]:
    """Steps: ("extend", branch, merge) or ("branch", from commit, merge) or ("root", 0, None)."""
    steps: list[tuple[str, int, int | None]] = [("root", 0, None)]
    branches = 1
    for n in range(1, draw(st.integers(1, 24))):
        kind = draw(st.sampled_from(["extend", "extend", "branch", "root"]))
        merge = draw(st.one_of(st.none(), st.integers(0, n - 1)))
        if kind == "extend":
            steps.append(("extend", draw(st.integers(0, branches - 1)), merge))
        elif kind == "branch":
            steps.append(("branch", draw(st.integers(0, n - 1)), merge))
            branches += 1
        else:
            steps.append(("root", 0, None))
            branches += 1
    return steps


@reuse_db
@given(plan=dag_plans())
def test_random_dags_match_the_model(pggit_conn: psycopg.Connection, plan: list[tuple[str, int, int | None]]) -> None:
    with pggit_conn.transaction(force_rollback=True):
        b = DagBuilder(pggit_conn)
        commits: list[str] = []
        names: list[str] = []
        for kind, arg, merge in plan:
            if kind == "extend":
                name = names[arg]
            else:
                name = f"r{len(names)}"
                names.append(name)
                b.branch(name, at=commits[arg] if kind == "branch" else None)
            parent = b.heads[name]
            m = commits[merge] if merge is not None else None
            if m is not None and (parent is None or m == parent):
                m = None  # a root cannot merge; a merge parent differs from the parent
            commits.append(b.commit(name, merge=m))
        check_all_pairs(b)
        for x, y in itertools.islice(itertools.product(commits, repeat=2), 0, None, 7):
            got = dict(pggit_conn.execute("SELECT hash, side FROM pggit.dag_path(%s, %s)", (x, y)).fetchall())
            assert got == b.dag.symmetric_difference(x, y)
