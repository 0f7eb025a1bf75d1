"""A plain Python model of data branches, and helpers to read relations (imported by name)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

Rows = dict[int, int]


def relation_name(table: str, branch: str) -> str:
    """What pggit.data_relation_name promises: <table>__<branch>, shortened past 63 bytes."""
    full = f"{table}__{branch}"
    if len(full.encode()) <= 63:
        return full
    prefix = ""
    for char in full:
        if len((prefix + char).encode()) > 54:
            break
        prefix += char
    return prefix + "_" + hashlib.md5(full.encode()).hexdigest()[:8]


def read(conn: psycopg.Connection, schema: str, relation: str) -> Rows:
    query = sql.SQL("SELECT id, v FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(relation))
    return {row[0]: row[1] for row in conn.execute(query).fetchall()}


@dataclass
class BranchModel:
    """A data branch: what it reads, its base (branch point), the keys written since."""

    content: Rows
    base: Rows
    written: set[int] = field(default_factory=set)

    def diff(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for key in self.written:
            before, after = self.base.get(key), self.content.get(key)
            if before == after:
                continue
            out[key] = "insert" if before is None else "delete" if after is None else "update"
        return out


@dataclass
class MergeOutcome:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    conflicts: int = 0

    def counts(self) -> tuple[int, int, int, int]:
        return (self.inserted, self.updated, self.deleted, self.conflicts)


def merge(main: Rows, branch: BranchModel, strategy: str) -> MergeOutcome:
    """Three-way merge of ``branch`` into ``main`` as pggit promises it (mutates both)."""
    out = MergeOutcome()
    plan: list[tuple[int, int | None, int | None]] = []  # key, ours, theirs to apply
    for key in sorted(branch.written):
        base, ours, theirs = branch.base.get(key), main.get(key), branch.content.get(key)
        if theirs in (base, ours):
            continue
        if ours == base:
            plan.append((key, ours, theirs))
        else:
            out.conflicts += 1
            if strategy == "theirs":
                plan.append((key, ours, theirs))
    if strategy == "fail" and out.conflicts:
        return out
    for key, ours, theirs in plan:
        if theirs is None:
            del main[key]
            out.deleted += 1
        elif ours is None:
            main[key] = theirs
            out.inserted += 1
        else:
            main[key] = theirs
            out.updated += 1
    branch.base = dict(branch.content)
    branch.written = set()
    return out
