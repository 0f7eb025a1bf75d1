"""What ``pggit-sql fixtures`` does: load the fixtures into a database, or check them on scratch ones.

:func:`load_into` climbs a database level by level to ``to`` (head by default), loading
each fixture right after its level is applied and recording its sha256 in the
bookkeeping schema.  It refuses (FixtureError, nothing changed) when a fixture not yet
loaded is written for a level below the one the database is already at, or when a
loaded fixture's file changed since: such data can only be had by building the
database again (``--recreate``, for the development database only).

:func:`check` builds the data stairway (:class:`pggit_sql.testing.templates.TemplateChain`
with fixtures) in scratch databases on a server, up to head, then takes every level up,
down and up again on a clone of the stairway below it; it reports per level and drops
every scratch database it made.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pggit_sql import fixtures as fixtureslib
from pggit_sql.db import Dsn, connect, db_errors
from pggit_sql.errors import FixtureError, PggitError
from pggit_sql.levels import check_target, discover, display_path, head
from pggit_sql.migrate import Migrator
from pggit_sql.testing.templates import TemplateChain


@dataclass
class LoadReport:
    database: str
    level_before: int
    level_after: int
    loaded: list[str] = field(default_factory=list)  # fixture files, in load order
    applied: list[str] = field(default_factory=list)  # levels applied on the way
    steps: list[str] = field(default_factory=list)  # both, in the order they happened, for people
    warnings: list[str] = field(default_factory=list)  # the WARNINGs the applied levels raised

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_into(dsn: str, migrations_dir: Path, fixtures_dir: Path | None = None, to: int | None = None) -> LoadReport:
    """Climb ``dsn``'s database to ``to`` loading every fixture at its level (see the module)."""
    migrator = Migrator(dsn, migrations_dir)
    levels = discover(migrations_dir)
    target = check_target(levels, head(levels) if to is None else to)
    fixtures = fixtureslib.required(migrations_dir, fixtures_dir)
    start = migrator.status().catalog_level
    schema = migrator.bookkeeping_schema
    with connect(dsn) as conn, db_errors("cannot read which fixtures are loaded"):
        recorded = fixtureslib.loaded(conn, schema)
    problems = fixtureslib.changed(fixtures, recorded)
    missed = [fx for fx in fixtures if fx.name not in recorded and fx.level < start and fx.level <= target]
    problems += [f"{fx} was never loaded and the database is already at level {start}" for fx in missed]
    if problems:
        raise FixtureError("; ".join(problems) + ": fixtures load only while a database climbs to their level"
                           " (the development database: pggit-sql fixtures load --recreate)")
    report = LoadReport(Dsn.parse(dsn).describe(), start, start)
    for level in range(start, target + 1):
        if level > start:
            for lv in migrator.migrate(to=level):
                report.applied.append(lv.name)
                report.steps.append(f"applied level {lv.number} ({lv.name})")
            report.warnings += migrator.warnings  # each migrate() has warnings of its own
        todo = [fx for fx in fixtures if fx.level == level and fx.name not in recorded]
        if not todo:
            continue
        with connect(dsn) as conn:
            with db_errors("cannot create the fixtures' checksum table"):
                fixtureslib.ensure_table(conn, schema)
            for fixture in todo:
                fixtureslib.load(conn, fixture)
                with db_errors(f"cannot record {fixture}"):
                    fixtureslib.record(conn, schema, fixture)
                report.loaded.append(fixture.path.name)
                report.steps.append(f"loaded {display_path(fixture.path)}")
    report.level_after = max(start, target)
    return report


@dataclass
class LevelCheck:
    level: int
    name: str
    fixtures: list[str]  # the fixture files written for this level
    kept_tables: int  # kept tables carried through this level
    kept_rows: int
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    levels: list[LevelCheck] = field(default_factory=list)
    stairway_error: str | None = None  # the climb to head failed here

    @property
    def ok(self) -> bool:
        return self.stairway_error is None and not any(lv.problems for lv in self.levels)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "stairway_error": self.stairway_error, "levels": [lv.to_dict() for lv in self.levels]}


def check(server_dsn: str, migrations_dir: Path, fixtures_dir: Path | None = None) -> CheckReport:
    """The data stairway to head on scratch databases, then each level up, down and up again."""
    levels = discover(migrations_dir)
    fixtures = fixtureslib.required(migrations_dir, fixtures_dir)
    server = Dsn.parse(server_dsn)
    chain = TemplateChain(lambda db: server.replace(dbname=db).conninfo, migrations_dir, head(levels),
                          maintenance_db=server.get("dbname") or "postgres", fixtures=fixtures,
                          prefix=f"pggit_fxcheck_{os.getpid()}_")
    report = CheckReport()
    try:
        try:
            chain.template(head(levels))
        except PggitError as exc:
            report.stairway_error = str(exc)
            return report
        for level in levels:
            problems = chain.round_trip(level.number)
            kept = chain.kept[level.number]
            report.levels.append(LevelCheck(
                level.number, level.name, [fx.path.name for fx in fixtures if fx.level == level.number],
                len(kept), sum(len(k.rows) for k in kept), problems))
    finally:
        for number in range(head(levels) + 1):
            chain.drop(chain.name_of(number))
    return report
