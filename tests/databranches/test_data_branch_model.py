"""Data branches against a plain Python model (hypothesis RuleBasedStateMachine).

Writes to main (insert/update/delete, TRUNCATE), writes to two or three data branches
(insert, update, delete, key changes), branch creation, merges with each strategy and
drops are interleaved; after every step the table, every branch relation and every
diff read exactly as the model says, and every merge returns the model's counts.
Each example uses its own table in the test's database.
"""

from __future__ import annotations

import itertools

import psycopg
import pytest
from datamodel import BranchModel, merge, read
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from psycopg import errors, sql

pytestmark = pytest.mark.pggit_level(min=3)

KEYS = st.integers(min_value=0, max_value=7)
VALUES = st.integers(min_value=-3, max_value=3)
BRANCHES = ("b1", "feature/x-1", "ünï")
_tables = itertools.count()
COVERAGE: dict[str, int] = {}


def _hit(what: str) -> None:
    COVERAGE[what] = COVERAGE.get(what, 0) + 1


def make_machine(conn: psycopg.Connection) -> type[RuleBasedStateMachine]:
    class DataBranches(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            self.table = f"model {next(_tables)}"
            self.t = sql.Identifier(self.table)
            conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, v int)").format(self.t))
            self.main: dict[int, int] = {}
            self.branches: dict[str, BranchModel] = {}
            self.views: dict[str, str] = {}
            self.create(BRANCHES[0])

        def teardown(self) -> None:
            if not hasattr(self, "branches"):  # setup failed before the model existed: its error is the report
                return
            for name in list(self.branches):
                conn.execute("SELECT pggit.drop_data_branch(%s, %s)", (self.t.as_string(conn), name))
            conn.execute(sql.SQL("DROP TABLE {}").format(self.t))

        def view(self, name: str) -> sql.Identifier:
            return sql.Identifier(self.views[name])

        # ---- main
        @rule(key=KEYS, value=VALUES)
        def main_upsert(self, key: int, value: int) -> None:
            conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v")
                         .format(self.t), (key, value))
            self.main[key] = value

        @rule(key=KEYS)
        def main_delete(self, key: int) -> None:
            conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(self.t), (key,))
            self.main.pop(key, None)

        @rule(delta=VALUES)
        def main_update_all(self, delta: int) -> None:
            conn.execute(sql.SQL("UPDATE {} SET v = v + %s WHERE id %% 2 = 0").format(self.t), (delta,))
            self.main = {k: v + delta if k % 2 == 0 else v for k, v in self.main.items()}

        @rule()
        def main_truncate(self) -> None:
            conn.execute(sql.SQL("TRUNCATE {}").format(self.t))
            self.main = {}

        # ---- branches
        @precondition(lambda self: len(self.branches) < 3)
        @rule(name=st.sampled_from(BRANCHES))
        def create(self, name: str) -> None:
            if name in self.branches:
                with pytest.raises(errors.DuplicateObject):
                    conn.execute("SELECT pggit.create_data_branch(%s, 'main', %s)", (self.t.as_string(conn), name))
                return
            (view,) = conn.execute("SELECT pggit.create_data_branch(%s, 'main', %s)",
                                   (self.t.as_string(conn), name)).fetchone()
            self.views[name] = view
            self.branches[name] = BranchModel(dict(self.main), dict(self.main))

        @precondition(lambda self: self.branches)
        @rule(data=st.data(), key=KEYS, value=VALUES)
        def branch_write(self, data: st.DataObject, key: int, value: int) -> None:
            name = data.draw(st.sampled_from(sorted(self.branches)))
            model = self.branches[name]
            if key in model.content:
                conn.execute(sql.SQL("UPDATE {} SET v = %s WHERE id = %s RETURNING id").format(self.view(name)),
                             (value, key))
            else:
                row = conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s) RETURNING id, v").format(self.view(name)),
                                   (key, value)).fetchone()
                assert row == (key, value)
            model.content[key] = value
            model.written.add(key)

        @precondition(lambda self: self.branches)
        @rule(data=st.data(), key=KEYS, ours=VALUES, theirs=VALUES)
        def both_sides_write(self, data: st.DataObject, key: int, ours: int, theirs: int) -> None:
            """The same key written on main and on a branch: a conflict when the values differ."""
            self.main_upsert(key, ours)
            self.branch_write(data, key, theirs)
            if data.draw(st.booleans()):
                self.merge(data, data.draw(st.sampled_from(("fail", "ours", "theirs"))))

        @precondition(lambda self: self.branches)
        @rule(data=st.data(), key=KEYS)
        def branch_delete(self, data: st.DataObject, key: int) -> None:
            name = data.draw(st.sampled_from(sorted(self.branches)))
            model = self.branches[name]
            cur = conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s RETURNING id").format(self.view(name)), (key,))
            assert cur.rowcount == (1 if key in model.content else 0)
            if key in model.content:
                del model.content[key]
                model.written.add(key)

        @precondition(lambda self: self.branches)
        @rule(data=st.data(), key=KEYS, new_key=KEYS)
        def branch_rekey(self, data: st.DataObject, key: int, new_key: int) -> None:
            name = data.draw(st.sampled_from(sorted(self.branches)))
            model = self.branches[name]
            statement = sql.SQL("UPDATE {} SET id = %s WHERE id = %s").format(self.view(name))
            if key in model.content and new_key != key and new_key in model.content:
                with pytest.raises(errors.UniqueViolation):
                    conn.execute(statement, (new_key, key))
                return
            conn.execute(statement, (new_key, key))
            if key in model.content:
                model.content[new_key] = model.content.pop(key)
                model.written |= {key, new_key}

        @precondition(lambda self: self.branches)
        @rule(data=st.data(), strategy=st.sampled_from(("fail", "ours", "theirs")))
        def merge(self, data: st.DataObject, strategy: str) -> None:
            name = data.draw(st.sampled_from(sorted(self.branches)))
            expected = merge(self.main, self.branches[name], strategy)
            _hit(f"merge {strategy}" + (" with conflicts" if expected.conflicts else ""))
            row = conn.execute("SELECT inserted, updated, deleted, conflicts, commit_hash"
                               " FROM pggit.merge_data_branch(%s, %s, strategy => %s)",
                               (self.t.as_string(conn), name, strategy)).fetchone()
            assert tuple(row[:4]) == expected.counts()
            applied = strategy != "fail" or expected.conflicts == 0
            assert (row[4] is not None) == (applied and any(expected.counts()))

        @precondition(lambda self: self.branches)
        @rule(data=st.data())
        def drop(self, data: st.DataObject) -> None:
            name = data.draw(st.sampled_from(sorted(self.branches)))
            conn.execute("SELECT pggit.drop_data_branch(%s, %s)", (self.t.as_string(conn), name))
            del self.branches[name]
            del self.views[name]

        # ---- after every step
        @invariant()
        def relations_read_as_the_model_says(self) -> None:
            if not hasattr(self, "table"):
                return
            _hit("step")
            _hit(f"{len(self.branches)} branches")
            assert read(conn, "public", self.table) == self.main
            for name, model in self.branches.items():
                assert read(conn, "public", self.views[name]) == model.content, f"branch {name}"
                diff = {row[0]["id"]: row[1] for row in conn.execute(
                    "SELECT key, change FROM pggit.diff_data_branch(%s, %s)", (self.t.as_string(conn), name))}
                assert diff == model.diff(), f"diff of branch {name}"

        @invariant()
        def no_capture_without_branches(self) -> None:
            if not hasattr(self, "table") or self.branches:
                return
            (triggers,) = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass",
                                       (self.t.as_string(conn),)).fetchone()
            assert triggers == 0

    return DataBranches


def test_data_branches_follow_the_model(pggit_conn: psycopg.Connection) -> None:
    machine = make_machine(pggit_conn)
    COVERAGE.clear()
    run_state_machine_as_test(machine, settings=settings(
        settings(), stateful_step_count=30, suppress_health_check=[HealthCheck.function_scoped_fixture]))
    # the run really interleaved what it claims to (a guard against a vacuous pass)
    assert COVERAGE.get("step", 0) >= 100, COVERAGE
    assert COVERAGE.get("2 branches", 0) > 0, COVERAGE
    print(sorted(COVERAGE.items()))
