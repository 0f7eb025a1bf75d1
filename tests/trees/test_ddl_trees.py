"""Commit trees through real DDL: after any sequence of DDL and commits, the tree is the live registry.

These go through level 2's event triggers (capture); while the triggers are not
installed the tests skip.  Each example runs in a transaction that is rolled back:
DDL, history, registry and commits all roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treemodel import assert_capture_installed, check_all_nodes, check_commit, commit, commit_row, live_registry

from pggit_sql.testing.strategies.identifiers import quote_ident

pytestmark = pytest.mark.pggit_level(min=2)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

NAMES = st.sampled_from(["t1", "t2", "Mixed Case", "ñandú", "x" * 63, "tab\there", "a.b"])


@pytest.fixture
def tracked(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    assert_capture_installed(pggit_conn)
    commit(pggit_conn, message="install's registrations")
    return pggit_conn


@dataclass
class Schema:
    """What the generated DDL has made so far, to draw only valid statements."""

    tables: dict[str, list[str]] = field(default_factory=dict)  # table -> extra columns
    views: dict[str, str] = field(default_factory=dict)  # view -> table
    counter: int = 0

    def fresh(self, base: str) -> str:
        self.counter += 1
        return f"{base[:55]}_{self.counter}"


@st.composite
def ddl_plans(draw: st.DrawFn) -> list[str]:
    """Valid DDL statements on schema trees_s (and "commit" markers)."""
    model = Schema()
    plan: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        options = ["create", "commit"]
        if model.tables:
            options += ["add", "rename", "index", "drop", "view", "comment"]
        if any(model.tables.values()):
            options += ["drop_column"]
        op = draw(st.sampled_from(options))
        q = lambda name: "trees_s." + quote_ident(name)  # noqa: E731
        if op == "commit":
            plan.append("commit")
        elif op == "create":
            name = model.fresh(draw(NAMES))
            model.tables[name] = []
            plan.append(f"CREATE TABLE {q(name)} (id integer PRIMARY KEY, a text)")
        else:
            table = draw(st.sampled_from(sorted(model.tables)))
            if op == "add":
                column = model.fresh("c")
                model.tables[table].append(column)
                plan.append(f"ALTER TABLE {q(table)} ADD COLUMN {quote_ident(column)} integer")
            elif op == "drop_column":
                table = draw(st.sampled_from(sorted(t for t, cols in model.tables.items() if cols)))
                column = model.tables[table].pop()
                plan.append(f"ALTER TABLE {q(table)} DROP COLUMN {quote_ident(column)} CASCADE")
                model.views = {v: t for v, t in model.views.items() if t != table}  # views use *
            elif op == "rename":
                new = model.fresh(draw(NAMES))
                model.tables[new] = model.tables.pop(table)
                model.views = {v: (new if t == table else t) for v, t in model.views.items()}
                plan.append(f"ALTER TABLE {q(table)} RENAME TO {quote_ident(new)}")
            elif op == "index":
                plan.append(f"CREATE INDEX {quote_ident(model.fresh('i'))} ON {q(table)} (a)")
            elif op == "comment":
                plan.append(f"COMMENT ON TABLE {q(table)} IS {draw(st.sampled_from(['x', 'y', 'ñ']))!r}")
            elif op == "view":
                view = model.fresh("v")
                model.views[view] = table
                plan.append(f"CREATE VIEW {q(view)} AS SELECT * FROM {q(table)}")
            elif op == "drop":
                del model.tables[table]
                model.views = {v: t for v, t in model.views.items() if t != table}
                plan.append(f"DROP TABLE {q(table)} CASCADE")
    plan.append("commit")
    return plan


@reuse_db
@given(plan=ddl_plans())
def test_tree_after_ddl_and_commits_is_the_live_registry(tracked: psycopg.Connection, plan: list[str]) -> None:
    with tracked.transaction(force_rollback=True):
        tracked.execute("CREATE SCHEMA trees_s")
        for statement in plan:
            if statement == "commit":
                tid = commit(tracked)
                assert check_commit(tracked, tid) == live_registry(tracked), f"after {plan}"
            else:
                tracked.execute(statement.encode())
        (pending,) = tracked.execute("SELECT count(*) FROM pggit.status()").fetchone()
        assert pending == 0
        check_all_nodes(tracked)


TABLES = [f"CREATE TABLE trees_o.{quote_ident(n)} (id integer PRIMARY KEY, v text)" for n in ("a", "B b", "ç")]


@reuse_db
@given(order=st.permutations(range(len(TABLES))), commits=st.lists(st.booleans(), min_size=3, max_size=3))
def test_same_schema_in_any_order_has_the_same_root(
    tracked: psycopg.Connection, order: list[int], commits: list[bool]
) -> None:
    roots = []
    for sequence, commit_between in ((range(len(TABLES)), [False] * 3), (order, commits)):
        with tracked.transaction(force_rollback=True):
            tracked.execute("CREATE SCHEMA trees_o")
            for n, between in zip(sequence, commit_between, strict=True):
                tracked.execute(TABLES[n].encode())
                if between:
                    commit(tracked)
            roots.append(commit_row(tracked, commit(tracked))[1])
    assert roots[0] == roots[1]


def test_definition_change_changes_the_root_and_undoing_it_restores_it(tracked: psycopg.Connection) -> None:
    with tracked.transaction(force_rollback=True):
        tracked.execute("CREATE TABLE public.r (id integer PRIMARY KEY)")
        first = commit_row(tracked, commit(tracked))[1]
        tracked.execute("ALTER TABLE public.r ADD COLUMN extra integer")
        second = commit_row(tracked, commit(tracked))[1]
        tracked.execute("ALTER TABLE public.r DROP COLUMN extra")
        third = commit_row(tracked, commit(tracked))[1]
        assert second != first
        assert third == first
