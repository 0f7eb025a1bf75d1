"""The commit graph drawn as ``git log --graph`` draws it: lanes of ``*``, ``|``, ``\\`` and ``/``.

Pure Python, no database: :func:`layout` takes the commits newest first (every commit
before its parents, see :func:`topo_order`) with their parents (first parent, then the
merge parent) and returns the rows to print, plain ASCII.  Each lane is two characters
wide.  A lane waits for the commit it points to; a merge commit opens a lane for its
merge parent to the right (``|\\``), two lanes waiting for the same commit join just
above it (``|/``), and a root commit closes its lane.  Lanes move one column per row,
so a long move takes several rows.

Promises: every node gets exactly one row with ``*`` at column ``2 * lane``; rows are
right-stripped; a parent not among the nodes (history cut by ``-n``) keeps its lane open
to the bottom.  :func:`layout` raises ``ValueError`` when a node comes after one of its
parents or appears twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    """A commit: its id and its parents (first parent, then the merge parent)."""

    id: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One printed row: the graph text, and the node and its lane for a commit row (None for a connector)."""

    graph: str
    node: Node | None = None
    lane: int | None = None


def topo_order(nodes: Sequence[Node], key: Callable[[Node], Any] | None = None) -> list[Node]:
    """The nodes with every child before its parents, one line of history at a time (as ``git log --topo-order``).

    After a node its first parent comes next when all its children are out; otherwise the
    ready node with the greatest ``key`` (default: the earliest in the given order).
    Parents not among the nodes are ignored; a cycle raises ``ValueError``.
    """
    index = {n.id: i for i, n in enumerate(nodes)}
    rank: Callable[[Node], Any] = key or (lambda n: -index[n.id])
    by_id = {n.id: n for n in nodes}
    children: dict[str, int] = dict.fromkeys(by_id, 0)
    for n in nodes:
        for p in set(n.parents):
            if p in children:
                children[p] += 1
    ready = [n for n in nodes if children[n.id] == 0]
    out: list[Node] = []
    follow: str | None = None
    while ready:
        pick = next((n for n in ready if n.id == follow), None) or max(ready, key=rank)
        ready.remove(pick)
        out.append(pick)
        for p in set(pick.parents):
            if p in children:
                children[p] -= 1
                if children[p] == 0:
                    ready.append(by_id[p])
        follow = pick.parents[0] if pick.parents else None
    if len(out) != len(nodes):
        raise ValueError("the commits contain a cycle")
    return out


def _moves(starts: Sequence[int], targets: Sequence[int]) -> list[str]:
    """Connector rows moving lanes from ``starts`` to ``targets``, one column per row."""
    cur = list(starts)
    rows: list[str] = []
    while cur != list(targets):
        width = 2 * max(max(cur), max(targets)) + 2
        cells = [" "] * width
        for i, (c, t) in enumerate(zip(cur, targets, strict=True)):
            if c == t:
                if cells[2 * c] == " ":
                    cells[2 * c] = "|"
            elif c > t:
                cells[2 * c - 1] = "/"
                cur[i] = c - 1
            else:
                cells[2 * c + 1] = "\\"
                cur[i] = c + 1
        rows.append("".join(cells).rstrip())
    return rows


def layout(nodes: Sequence[Node]) -> list[Row]:
    """The graph rows for ``nodes`` (newest first, children before parents)."""
    seen: set[str] = set()
    for n in nodes:
        if n.id in seen:
            raise ValueError(f"commit {n.id} appears twice")
        seen.add(n.id)
    done: set[str] = set()
    for n in nodes:
        for p in n.parents:
            if p in done:
                raise ValueError(f"commit {n.id} comes after its parent {p}")
        done.add(n.id)

    lanes: list[str] = []  # the commit each lane waits for (a commit may have several lanes)
    rows: list[Row] = []
    for n in nodes:
        if n.id not in lanes:
            lanes.append(n.id)  # a new head
        col = lanes.index(n.id)
        if lanes.count(n.id) > 1:  # lanes waiting for this commit join its leftmost lane
            keep = [i for i, h in enumerate(lanes) if h != n.id or i == col]
            position = {old: new for new, old in enumerate(keep)}
            targets = [position.get(i, col) for i in range(len(lanes))]
            rows += [Row(r) for r in _moves(range(len(lanes)), targets)]
            lanes = [lanes[i] for i in keep]
        rows.append(Row(" ".join("*" if i == col else "|" for i in range(len(lanes))), n, col))
        parents = list(dict.fromkeys(n.parents))
        new = lanes[:col] + parents + lanes[col + 1:]
        starts = list(range(col)) + [col] * len(parents) + list(range(col + 1, len(lanes)))
        targets = list(range(len(new)))
        rows += [Row(r) for r in _moves(starts, targets)]
        lanes = new
    return rows


def render(rows: Sequence[Row], label: Callable[[Node], str]) -> list[str]:
    """Text lines: each row's graph, a commit row followed by two spaces and ``label(node)``."""
    return [f"{r.graph}  {label(r.node)}" if r.node else r.graph for r in rows]
