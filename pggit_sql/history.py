"""Reading pggit's history from Python: commit logs and the changes not yet committed.

Thin, typed wrappers over the level-2 SQL functions ``pggit.log(branch, max_count)`` and
``pggit.status(branch)`` (see ``sql/functions/history/``), used by ``pggit-sql log`` and
``pggit-sql status``.

Promises: every function takes an open psycopg connection and leaves it as it found it
(read-only queries; no transaction left open on an autocommit connection).  Errors are
:class:`~pggit_sql.errors.PggitError` with one line meant for people: the database's own
message for bad input (``branch "x" does not exist``, ``invalid branch name ...``), and
``NotTracking`` when the database has no level-2 history functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg

from pggit_sql.errors import NotTracking, PggitError, clip

DEFAULT_BRANCH = "main"
DEFAULT_MAX_COUNT = 50

_LOG = (
    "SELECT hash, parent_hash, branch, message, author, committed_at, schema_hash, changes"
    " FROM pggit.log(%s, %s)"
)
_STATUS = (
    "SELECT id, branch, object_kind, object_identity, old_identity, subobject_identity, command_tag,"
    " change, old_version, new_version, statement, role, changed_at FROM pggit.status(%s)"
)


@dataclass(frozen=True)
class Commit:
    """One row of ``pggit.log``."""

    hash: str
    parent_hash: str | None
    branch: str  # the branch the commit was made on
    message: str
    author: str
    committed_at: datetime
    schema_hash: str | None  # Merkle root of its schema tree; None for commits made before level 2
    changes: int  # history rows attached to it

    @property
    def subject(self) -> str:
        """The message's first line ('' for an empty message)."""
        return self.message.splitlines()[0] if self.message else ""

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self), committed_at=self.committed_at.isoformat())


@dataclass(frozen=True)
class PendingChange:
    """One row of ``pggit.status``: a tracked change not yet attached to a commit."""

    id: int
    branch: str
    object_kind: str | None
    object_identity: str | None
    old_identity: str | None
    subobject_identity: str | None
    command_tag: str
    change: str
    old_version: str | None
    new_version: str | None
    statement: str | None
    role: str
    changed_at: datetime

    @property
    def target(self) -> str:
        """What changed, for people: ``table public.t`` (``old -> new`` for a rename)."""
        name = self.object_identity or ""
        if self.old_identity and self.old_identity != self.object_identity:
            name = f"{self.old_identity} -> {name}"
        return " ".join(part for part in (self.object_kind, name) if part) or "-"

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self), changed_at=self.changed_at.isoformat())


def has_tracking(conn: psycopg.Connection) -> bool:
    """True when the database has the level-2 history functions ``pggit.log`` and ``pggit.status``."""
    row = conn.execute(
        "SELECT pg_catalog.to_regprocedure('pggit.log(text, integer)') IS NOT NULL"
        " AND pg_catalog.to_regprocedure('pggit.status(text)') IS NOT NULL"
    ).fetchone()
    return bool(row and row[0])


def _require_tracking(conn: psycopg.Connection, what: str) -> None:
    if not has_tracking(conn):
        raise NotTracking(f"{what} needs pggit level 2 (tracking): run pggit-sql migrate")


def _query(conn: psycopg.Connection, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of a read-only query; the database's message as a one-line PggitError on bad input."""
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()
    except (psycopg.DataError, psycopg.errors.UndefinedObject) as exc:
        # 22xxx (NULL, invalid branch name, negative count) and 42704 (unknown branch)
        message = (exc.diag.message_primary or str(exc)).strip()
        if not conn.autocommit:
            conn.rollback()
        raise PggitError(message) from None


def log(conn: psycopg.Connection, branch: str = DEFAULT_BRANCH, max_count: int = DEFAULT_MAX_COUNT) -> list[Commit]:
    """``pggit.log(branch, max_count)``: the branch's commits, newest first, across branch points."""
    _require_tracking(conn, "log")
    return [Commit(*row) for row in _query(conn, _LOG, (branch, max_count))]


def pending_changes(conn: psycopg.Connection, branch: str | None = None) -> list[PendingChange]:
    """``pggit.status(branch)``: uncommitted tracked changes, oldest first (None: the session's branch)."""
    _require_tracking(conn, "status")
    return [PendingChange(*row) for row in _query(conn, _STATUS, (branch,))]


def require_branch(conn: psycopg.Connection, branch: str) -> None:
    """PggitError ``branch "x" does not exist``, as ``pggit.log`` raises it, when ``branch`` is in no
    pggit.branches row (a branch with uncommitted changes but no commit yet is fine)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pggit.branches AS b WHERE b.name = %s)", (branch,)).fetchone()
    if not (row and row[0]):
        raise PggitError(f'branch "{clip(branch)}" does not exist')


def session_branch(conn: psycopg.Connection) -> str:
    """The session's branch (``pggit.current_branch()``: the setting ``pggit.branch``, else ``main``)."""
    row = conn.execute("SELECT pggit.current_branch()").fetchone()
    return (row[0] if row else None) or DEFAULT_BRANCH
