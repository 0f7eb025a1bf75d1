"""What a rollback of pggit's levels would delete that only pggit holds, counted before it runs.

``pggit-sql rollback --to N`` refuses without ``--force`` when :func:`assess` finds
anything, and ``--dry-run`` prints the same list.  Derived, not hand-kept per level:

- **Tables** the rollback drops: every live table of pggit's schemas (``pggit``,
  ``pggit_*`` other than the bookkeeping ones, and ``pggit_data``).  A table a level
  created (named in the catalog snapshot ``sql/catalog/NNNN_name.json`` of the
  current level) is dropped when the target level's snapshot does not name it.  A
  table created at run time (a data branch's storage ``pggit_data.d<id>`` / ``b<id>``)
  is in no snapshot: it is dropped when it no longer exists after the rolled-back
  levels' rollback files ran (in a transaction that is rolled back, see below).  So is
  every table when the folder has no snapshots (a copy of the levels without
  ``catalog/``); ``pggit-sql verify`` fails there anyway.
- **Columns** the rollback drops from tables it keeps: named in the current level's
  snapshot, not in the target's; their non-NULL values count.
- **What would go** is, per table or column, its rows (values) minus those a fresh
  install of the rolled-back levels writes itself in this very database (the 'main'
  branch, the registration of objects that already exist, the instance row, ...).
  That baseline is measured, not guessed: inside one transaction that is always rolled
  back, the rollback files run, then the level files again, and the same counts are
  taken.  A data branch's storage counts as the rows that exist only on the branch:
  delta rows in state ``w`` (written on the branch) or ``c`` (main's pre-image of a row
  main changed since); ``d`` rows (deleted on the branch) are named apart; the merge
  base ``b<id>`` holds copies of those and is not counted again.

Only pggit's own levels are assessed (a user's folder's rollbacks are the user's).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pggit_sql import catalog
from pggit_sql.errors import PggitError, SnapshotMissing
from pggit_sql.levels import Level

DATA_SCHEMA = "pggit_data"
_STORAGE = re.compile(r"^(?P<kind>[db])(?P<id>\d+)$")


@dataclass(frozen=True)
class Loss:
    """One thing a rollback would delete: rows of a table, values of a column, or data-branch rows."""

    what: str  # "pggit.commits", "pggit.commits.merge_parent_hash" or "data branches"
    count: int
    unit: str  # "rows", "values", "branch-only rows"
    deletions: int = 0  # data branches: rows deleted only on the branch
    branches: list[str] = field(default_factory=list)  # data branches: their relations

    def text(self) -> str:
        if self.unit == "branch-only rows":
            many = len(self.branches)
            parts = [f"{self.count} branch-only row{'' if self.count == 1 else 's'}"] if self.count else []
            if self.deletions:
                parts.append(f"{self.deletions} branch-only deletion{'' if self.deletions == 1 else 's'}")
            return (" and ".join(parts) + f" of {many} data branch{'' if many == 1 else 'es'} ("
                    + ", ".join(self.branches) + ")")
        unit = self.unit[:-1] if self.count == 1 else self.unit
        return f"{self.what} ({self.count} {unit})"


@dataclass(frozen=True)
class LossReport:
    """The result of :func:`assess`: what rolling back from ``level`` to ``target`` would delete."""

    level: int
    target: int
    tables: list[str]  # every table the rollback drops (considered)
    columns: list[str]  # every column it drops from a table it keeps (considered)
    losses: list[Loss]

    @property
    def summary(self) -> str:
        return ", ".join(loss.text() for loss in self.losses)

    def message(self) -> str:
        return (f"rollback to {self.target} would delete: {self.summary}; "
                "run again with --force to delete them")

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self), would_delete=[loss.text() for loss in self.losses])


def snapshot_keys(catalog_dir: Path, levels: list[Level], number: int) -> set[str]:
    """The keys of level ``number``'s catalog snapshot (empty for level 0); SnapshotMissing without it."""
    if number == 0:
        return set()
    path = catalog_dir / f"{levels[number - 1].name}.json"
    try:
        return set(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise SnapshotMissing(f"no catalog snapshot {path} for level {number}: "
                              "write it with pggit-sql snapshot") from None
    except (OSError, ValueError) as exc:
        raise PggitError(f"cannot read {path}: {exc}") from None


@dataclass(frozen=True)
class _Probe:
    schema: str
    table: str
    column: str | None = None  # count its non-NULL values
    states: tuple[str, ...] = ()  # count rows whose _pggit_state is one of these

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}" + (f".{self.column}" if self.column else "")


def _count(conn: psycopg.Connection, probe: _Probe) -> int:
    """Rows (or non-NULL values, or rows in the given states) of ``probe``; 0 when it does not exist."""
    exists = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a WHERE a.attrelid OPERATOR(pg_catalog.=)"
        " pg_catalog.to_regclass(%s) AND a.attname OPERATOR(pg_catalog.=) %s AND NOT a.attisdropped)",
        (sql.Identifier(probe.schema, probe.table).as_string(conn), probe.column or "tableoid"),
    ).fetchone()
    if not (exists and exists[0]):
        return 0
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(probe.schema, probe.table))
    if probe.column:
        query += sql.SQL(" WHERE {} IS NOT NULL").format(sql.Identifier(probe.column))
    elif probe.states:
        query += sql.SQL(" WHERE _pggit_state::text = ANY({})").format(sql.Literal(list(probe.states)))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _live_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    schemas = [*catalog.pggit_schemas(conn), DATA_SCHEMA]
    rows = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n"
        " ON n.oid OPERATOR(pg_catalog.=) c.relnamespace WHERE c.relkind IN ('r', 'p')"
        " AND n.nspname OPERATOR(pg_catalog.=) ANY(%s) ORDER BY 1, 2", (schemas,)).fetchall()
    return [(row[0], row[1]) for row in rows]


def _live_columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_catalog.pg_attribute AS a WHERE a.attrelid OPERATOR(pg_catalog.=)"
        " pg_catalog.to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (sql.Identifier(schema, table).as_string(conn),)).fetchall()
    return [row[0] for row in rows]


def _data_branches(conn: psycopg.Connection) -> dict[int, str]:
    """Data branch id → its relation (schema.name); empty below level 3."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pggit.data_branches') IS NOT NULL").fetchone()[0]:  # type: ignore[index]
        return {}
    rows = conn.execute("SELECT id, pg_catalog.format('%I.%I', relation_schema, relation_name)"
                        " FROM pggit.data_branches ORDER BY id").fetchall()
    return {int(row[0]): row[1] for row in rows}


def _run(conn: psycopg.Connection, path: Path) -> None:
    conn.execute(path.read_text(encoding="utf-8").encode())


def assess(conn: psycopg.Connection, levels: list[Level], level: int, target: int,
           catalog_dir: Path) -> LossReport:
    """What rolling back from ``level`` to ``target`` would delete (see the module's doc).

    ``conn`` is in autocommit; the measuring transaction is always rolled back, so the
    database is left as it was (sequences aside: a value they hand out in it is spent).
    """
    if target >= level:
        return LossReport(level, target, [], [], [])
    try:
        current, kept = snapshot_keys(catalog_dir, levels, level), snapshot_keys(catalog_dir, levels, target)
    except SnapshotMissing:  # no snapshots (a copy of the levels without catalog/): every table is probed
        current, kept = set(), set()
    branches = _data_branches(conn)
    known: list[_Probe] = []  # tables and columns the snapshots say go
    runtime: list[tuple[str, str]] = []  # tables of no snapshot: dropped if gone after the rollback files
    for schema, table in _live_tables(conn):
        key = f"table {schema}.{table}"
        if key in kept:
            known += [_Probe(schema, table, column) for column in _live_columns(conn, schema, table)
                      if f"column {schema}.{table}.{column}" in current
                      and f"column {schema}.{table}.{column}" not in kept]
        elif key in current:
            known.append(_Probe(schema, table))
        else:
            runtime.append((schema, table))

    def probes_of(schema: str, table: str) -> list[_Probe]:
        match = _STORAGE.match(table) if schema == DATA_SCHEMA else None
        if match and int(match["id"]) in branches:
            if match["kind"] == "b":
                return []  # the merge base: copies of rows the delta table already counts
            return [_Probe(schema, table, states=("w", "c")), _Probe(schema, table, states=("d",))]
        return [_Probe(schema, table)]

    before: dict[_Probe, int] = {}
    with conn.transaction(force_rollback=True):
        for probe in known + [p for schema, table in runtime for p in probes_of(schema, table)]:
            before[probe] = _count(conn, probe)
        for lv in reversed(levels[target:level]):
            _run(conn, lv.rollback_path)
        gone = [(schema, table) for schema, table in runtime
                if not conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                                    (sql.Identifier(schema, table).as_string(conn),)).fetchone()[0]]  # type: ignore[index]
        for lv in levels[target:level]:
            _run(conn, lv.path)
        probes = known + [p for schema, table in gone for p in probes_of(schema, table)]
        fresh = {probe: _count(conn, probe) for probe in probes}
    extra = {probe: before[probe] - fresh[probe] for probe in probes}

    losses: list[Loss] = []
    branch_rows = branch_deletions = 0
    touched: list[str] = []
    for probe in probes:
        if extra[probe] <= 0:
            continue
        match = _STORAGE.match(probe.table) if probe.schema == DATA_SCHEMA and probe.states else None
        if match:
            relation = branches[int(match["id"])]
            touched += [relation] if relation not in touched else []
            if probe.states == ("d",):
                branch_deletions += extra[probe]
            else:
                branch_rows += extra[probe]
        else:
            losses.append(Loss(probe.name, extra[probe], "values" if probe.column else "rows"))
    if touched:
        losses.append(Loss("data branches", branch_rows, "branch-only rows", branch_deletions, touched))
    tables = sorted({f"{p.schema}.{p.table}" for p in known if p.column is None} | {f"{s}.{t}" for s, t in gone})
    columns = sorted(p.name for p in known if p.column)
    return LossReport(level, target, tables, columns, losses)
