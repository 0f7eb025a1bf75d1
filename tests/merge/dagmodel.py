"""A plain-dict model of the commit DAG, written from the promises of sql/functions/dag/.

``parents[c]`` lists c's parents (first parent, then the merge parent).  The model knows
nothing about the SQL: generations, ancestor sets and the merge base are computed from
the definitions (generation = 1 + max of the parents'; merge base = the common ancestor
with the greatest generation, then the greatest hash).
"""

from __future__ import annotations

import psycopg


class Dag:
    def __init__(self) -> None:
        self.parents: dict[str, list[str]] = {}

    def add(self, commit: str, parents: list[str]) -> None:
        assert all(p in self.parents for p in parents), "parents first"
        self.parents[commit] = parents

    def generation(self, commit: str) -> int:
        memo: dict[str, int] = {}
        for c in self.parents:  # insertion order is a topological order
            memo[c] = 1 + max((memo[p] for p in self.parents[c]), default=0)
        return memo[commit]

    def ancestors(self, commit: str) -> set[str]:
        seen = {commit}
        stack = [commit]
        while stack:
            for p in self.parents[stack.pop()]:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    def merge_base(self, a: str, b: str) -> str | None:
        common = self.ancestors(a) & self.ancestors(b)
        if not common:
            return None
        return max(common, key=lambda c: (self.generation(c), c))

    def best_common_ancestors(self, a: str, b: str) -> set[str]:
        """git's merge bases: common ancestors that no other common ancestor descends from."""
        common = self.ancestors(a) & self.ancestors(b)
        return {c for c in common if not any(c in self.ancestors(o) for o in common if o != c)}

    def symmetric_difference(self, a: str, b: str) -> dict[str, int]:
        """Commits reachable from exactly one side: 1 = a only, 2 = b only."""
        ra, rb = self.ancestors(a), self.ancestors(b)
        return {**{c: 1 for c in ra - rb}, **{c: 2 for c in rb - ra}}


class DagBuilder:
    """Writes a DAG into pggit.commits as the owner (every branch stays one chain, as level 1 demands)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.dag = Dag()
        self.heads: dict[str, str | None] = {}
        self.branch_ids: dict[str, int] = {}

    def branch(self, name: str, at: str | None = None) -> None:
        (bid,) = self.conn.execute(
            "INSERT INTO pggit.branches (name, head_commit_hash) VALUES (%s, %s) RETURNING id", (name, at)
        ).fetchone()
        self.branch_ids[name] = bid
        self.heads[name] = at

    def commit(self, branch: str, merge: str | None = None) -> str:
        """A commit on ``branch`` (parent: its head), merging ``merge`` when given."""
        parent = self.heads[branch]
        (commit,) = self.conn.execute(
            "INSERT INTO pggit.commits (hash, branch_id, parent_hash, merge_parent_hash, message)"
            " VALUES (pggit.generate_trinity_id(), %s, %s, %s, 'dag') RETURNING hash",
            (self.branch_ids[branch], parent, merge),
        ).fetchone()
        self.conn.execute("UPDATE pggit.branches SET head_commit_hash = %s WHERE name = %s", (commit, branch))
        self.dag.add(commit, [p for p in (parent, merge) if p is not None])
        self.heads[branch] = commit
        return commit

    def merge_base(self, a: str, b: str) -> str | None:
        return self.conn.execute("SELECT pggit.merge_base(%s, %s)", (a, b)).fetchone()[0]
