"""Refs and what lies between them, from Python: the commit graph, schema diffs, show, schema scripts.

Thin, typed wrappers over ``pggit.resolve_ref``, ``pggit.show``, ``pggit.diff`` and
``pggit.generate_migration`` (see docs/REFS_AND_MERGE.md) and over ``pggit.commits`` with its
``merge_parent_hash``, used by ``pggit-sql log --graph``, ``diff``, ``show`` and
``script``. Words: a *level* is one of pggit's own migrations (``migrate.py``); a *schema
script* is the DDL pggit generates from one ref to another (:func:`script`).

Promises: read-only queries on an open psycopg connection.  Errors are
:class:`~pggit_sql.errors.PggitError` with one line: ``NeedsLevel4`` (``... needs level
4 ...``) when the database has no level-4 functions, and the database's own message
with its SQLSTATE for bad input (``ref "x" does not exist (SQLSTATE 42704)``,
ambiguous names 42P09, deleted branches 55000, NULL and invalid names 22xxx).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg

from pggit_sql.errors import NeedsLevel4, PggitError
from pggit_sql.graph import Node, topo_order

WORKING = "WORKING"
CHANGE_KINDS = ("added", "removed", "modified", "renamed")


def has_level4(conn: psycopg.Connection) -> bool:
    """True when the database has the level-4 functions this module calls."""
    row = conn.execute(
        "SELECT pg_catalog.to_regprocedure('pggit.resolve_ref(text)') IS NOT NULL"
        " AND pg_catalog.to_regprocedure('pggit.diff(text, text)') IS NOT NULL"
        " AND pg_catalog.to_regprocedure('pggit.generate_migration(text, text)') IS NOT NULL"
    ).fetchone()
    return bool(row and row[0])


def require_level4(conn: psycopg.Connection, what: str) -> None:
    if not has_level4(conn):
        raise NeedsLevel4(f"{what} needs level 4 of pggit (0004_merge): run pggit-sql migrate")


def _rows(conn: psycopg.Connection, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of a read-only query; bad input (SQLSTATE classes 22, 42, 55) as a one-line PggitError."""
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    except psycopg.Error as exc:
        state = exc.sqlstate or ""
        if not conn.autocommit:
            conn.rollback()
        if state[:2] in ("22", "42", "55"):
            message = (exc.diag.message_primary or str(exc)).strip()
            raise PggitError(f"{message} (SQLSTATE {state})") from None
        raise


def resolve(conn: psycopg.Connection, ref: str) -> str | None:
    """``pggit.resolve_ref(ref)``: the full commit id, None for ``WORKING``."""
    commit: str | None = _rows(conn, "SELECT pggit.resolve_ref(%s)", (ref,))[0][0]
    return commit


def resolve_commit(conn: psycopg.Connection, ref: str, what: str) -> str:
    """The commit id of ``ref``; a PggitError for ``WORKING``, which is no commit."""
    commit = resolve(conn, ref)
    if commit is None:
        raise PggitError(f"{what} needs a commit, branch or tag, not {WORKING} (the live schema)")
    return commit


# --------------------------------------------------------------------------- the DAG


@dataclass(frozen=True)
class GraphCommit:
    """A commit of the DAG: both parents, its branch, generation and message."""

    hash: str
    parent_hash: str | None
    merge_parent_hash: str | None
    branch: str
    generation: int
    message: str
    author: str
    committed_at: datetime

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(p for p in (self.parent_hash, self.merge_parent_hash) if p is not None)

    @property
    def subject(self) -> str:
        return self.message.splitlines()[0] if self.message else ""

    def node(self) -> Node:
        return Node(self.hash, self.parents)

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self), parents=list(self.parents), committed_at=self.committed_at.isoformat())


_COMMIT_COLUMNS = ("c.hash, c.parent_hash, c.merge_parent_hash, b.name, c.generation, c.message, c.author,"
                   " c.committed_at")


def graph_commits(conn: psycopg.Connection, ref: str | None, max_count: int) -> list[GraphCommit]:
    """The first ``max_count`` commits reachable from ``ref`` over both parents (every commit for None).

    In :func:`~pggit_sql.graph.topo_order`: every commit before its parents, a line of
    history kept together (first parents), else the newest (generation, time, id) first.
    Reads every reachable commit (O(history)), then cuts.
    """
    require_level4(conn, "log --graph")
    if ref is None:
        query = f"SELECT {_COMMIT_COLUMNS} FROM pggit.commits AS c JOIN pggit.branches AS b ON b.id = c.branch_id"
        rows = _rows(conn, query, ())
    else:
        head = resolve_commit(conn, ref, "log --graph")
        query = ("WITH RECURSIVE reach (hash) AS (SELECT %s::text COLLATE \"C\""
                 " UNION SELECT p.hash FROM reach JOIN pggit.commits AS k ON k.hash = reach.hash"
                 " JOIN pggit.commits AS p ON p.hash IN (k.parent_hash, k.merge_parent_hash))"
                 f" SELECT {_COMMIT_COLUMNS} FROM reach JOIN pggit.commits AS c ON c.hash = reach.hash"
                 " JOIN pggit.branches AS b ON b.id = c.branch_id")
        rows = _rows(conn, query, (head,))
    commits = {c.hash: c for c in (GraphCommit(*r) for r in rows)}
    order = topo_order([c.node() for c in commits.values()],
                       key=lambda n: (commits[n.id].generation, commits[n.id].committed_at, n.id))
    return [commits[n.id] for n in order[:max_count]]


# --------------------------------------------------------------------------- diff, show, migration


@dataclass(frozen=True)
class Change:
    """One row of ``pggit.diff``.

    ``object_kind`` is an object's kind, or ``column`` for a column the history renamed
    (``change`` ``renamed``, identities ``schema.table.column``, definitions its
    ``COLUMN`` line); its table has a row of its own.
    """

    object_identity: str
    object_kind: str
    change: str  # added, removed, modified, renamed
    old_definition: str | None
    new_definition: str | None
    old_identity: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff(conn: psycopg.Connection, from_ref: str, to_ref: str) -> list[Change]:
    """``pggit.diff(from_ref, to_ref)`` in its order."""
    require_level4(conn, "diff")
    return [Change(*r) for r in _rows(
        conn, "SELECT object_identity, object_kind, change, old_definition, new_definition, old_identity"
        " FROM pggit.diff(%s, %s)", (from_ref, to_ref))]


@dataclass(frozen=True)
class Step:
    """One row of ``pggit.generate_migration``."""

    step: int
    statement: str
    warning: str | None
    #: level 7 (``pggit.migration_plan``): the strongest lock the step takes and what it means
    locks: str | None = None
    #: level 7: false for a step that must run outside a transaction block (CONCURRENTLY)
    transactional: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def has_plan(conn: psycopg.Connection) -> bool:
    """Level 7: ``pggit.migration_plan`` (locks per step, online forms) exists."""
    return bool(_rows(conn, "SELECT pg_catalog.to_regprocedure('pggit.migration_plan(text, text, boolean)')"
                            " IS NOT NULL", ())[0][0])


def script(conn: psycopg.Connection, from_ref: str, to_ref: str, online: bool = False) -> list[Step]:
    """The schema script from one ref to another: ``pggit.migration_plan(from_ref, to_ref, online)``
    in step order (level 7); before level 7 ``pggit.generate_migration(from_ref, to_ref)``, and
    ``online`` is refused. (The SQL functions keep their names: they are the API.)"""
    require_level4(conn, "script")
    if has_plan(conn):
        return [Step(*r) for r in _rows(
            conn, "SELECT step, statement, warning, locks, transactional"
                  " FROM pggit.migration_plan(%s, %s, %s) ORDER BY step", (from_ref, to_ref, online))]
    if online:
        raise PggitError("script --online needs pggit level 7 (run pggit-sql migrate)")
    return [Step(*r) for r in _rows(
        conn, "SELECT step, statement, warning FROM pggit.generate_migration(%s, %s) ORDER BY step",
        (from_ref, to_ref))]


#: The old name of :func:`script`, kept working for callers of the Python API.
migration = script


def show(conn: psycopg.Connection, ref: str) -> dict[str, Any]:
    """``pggit.show`` of the commit ``ref`` names, its commit gaining ``merge_parent_hash``,
    ``generation`` and ``parents`` (first parent, then the merge parent)."""
    require_level4(conn, "show")
    commit = resolve_commit(conn, ref, "show")
    (data,) = _rows(conn, "SELECT pggit.show(%s)", (commit,))[0]
    (merge_parent, generation) = _rows(
        conn, "SELECT merge_parent_hash, generation FROM pggit.commits WHERE hash = %s", (commit,))[0]
    info = data["commit"]
    info["merge_parent_hash"] = merge_parent
    info["generation"] = generation
    info["parents"] = [p for p in (info.get("parent_hash"), merge_parent) if p is not None]
    return {"ref": ref, **data}
