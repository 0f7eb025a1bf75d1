"""The template chain: one template database per level, and cheap clones of them for tests.

``pggit_tmpl_0`` is an empty database made from ``template0``; ``pggit_tmpl_k`` is a
clone of ``pggit_tmpl_{k-1}`` migrated to level ``k`` with
:class:`pggit_sql.migrate.Migrator`, then marked ``IS_TEMPLATE``.  Templates are built
lazily, in chain order, once per :class:`TemplateChain` (once per test session): asking
for level 2 builds 0, 1 and 2; asking for level 1 afterwards builds nothing.

Promises:

- nobody stays connected to a template: after each build the chain waits (briefly)
  for ``pg_stat_activity`` to show no session on it, and fails naming the leftover
  otherwise, because ``CREATE DATABASE ... TEMPLATE`` refuses a source in use;
- a level whose build failed fails every later request for it with the same message,
  without retrying (and its half-built database is dropped);
- :meth:`TemplateChain.clone` returns a fresh database nobody else uses;
  :meth:`TemplateChain.drop` removes it, terminating whatever is still connected.

With ``fixtures`` (:mod:`pggit_sql.fixtures`) the chain is the **data stairway**: each
template is migrated, the kept rows of the fixtures below it are compared with what the
level left of them, and then the level's own fixtures are loaded, so a clone at level N
holds every fixture of levels 1..N as the migrations carried it.  A fixture that fails
to load, a level that fails on the data, or one that loses or changes kept rows fails
the build (:class:`~pggit_sql.errors.FixtureError`) naming the file, the level and the
statement (found by replaying the level on a copy of the template below it).
:meth:`TemplateChain.round_trip` checks one level up, down and up again on a clone.
Such a chain uses its own template names (``prefix``), beside the empty ones.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from pggit_sql import fixtures as fixtureslib
from pggit_sql.db import first_line
from pggit_sql.errors import FixtureError, PggitError, TemplateError
from pggit_sql.levels import Level, discover, display_path
from pggit_sql.migrate import Migrator

TEMPLATE_PREFIX = "pggit_tmpl_"
FIXTURE_TEMPLATE_PREFIX = "pggit_fxtmpl_"
CLONE_PREFIX = "test_"
_MAX_NAME_BYTES = 63


def template_name(level: int) -> str:
    return f"{TEMPLATE_PREFIX}{level}"


def clone_name(number: int, hint: str = "") -> str:
    """``test_<number>_<hint reduced to [a-z0-9_]>``, at most 63 bytes."""
    prefix = f"{CLONE_PREFIX}{number}"
    slug = re.sub(r"[^a-z0-9_]+", "_", hint.lower()).strip("_")
    if not slug:
        return prefix
    return f"{prefix}_{slug}"[:_MAX_NAME_BYTES]


@dataclass
class ChainStats:
    """Wall times, for the terminal summary and the benchmarks."""

    build_seconds: dict[int, float] = field(default_factory=dict)  # level -> seconds to build its template
    clone_seconds: list[float] = field(default_factory=list)  # one per clone


class TemplateChain:
    """Templates per level on one server, and the per-test clones made from them.

    ``conninfo(dbname)`` gives a libpq conninfo for a database on the server (superuser);
    ``maintenance_db`` is where CREATE/DROP DATABASE run from.
    """

    def __init__(
        self,
        conninfo: Callable[[str], str],
        migrations_dir: Path,
        head: int,
        *,
        maintenance_db: str = "postgres",
        disconnect_timeout: float = 5.0,
        fixtures: list[fixtureslib.Fixture] | None = None,
        prefix: str | None = None,
    ) -> None:
        self.conninfo = conninfo
        self.migrations_dir = migrations_dir
        self.head = head
        self.maintenance_db = maintenance_db
        self.disconnect_timeout = disconnect_timeout
        self.fixtures = fixtures
        self.prefix = prefix or (FIXTURE_TEMPLATE_PREFIX if fixtures is not None else TEMPLATE_PREFIX)
        # level -> kept rows of the fixtures at or below it once its fixtures are loaded, and
        # (carried) of the fixtures below it as the level's migration left them
        self.kept: dict[int, list[fixtureslib.KeptRows]] = {0: []}
        self.carried: dict[int, list[fixtureslib.KeptRows]] = {0: []}
        self.stats = ChainStats()
        self._built: set[int] = set()
        self._failed: dict[int, tuple[str, type[PggitError]]] = {}  # level -> (message, error class)
        self._numbers = itertools.count(1)

    # ----- connections

    def admin(self) -> psycopg.Connection:
        """A new autocommit connection to the maintenance database (close it yourself)."""
        return psycopg.connect(self.conninfo(self.maintenance_db), autocommit=True)

    def sessions_on(self, dbname: str) -> list[tuple[int, str, str, str]]:
        """``(pid, application_name, state, query)`` of every session connected to ``dbname``."""
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT pid, application_name, coalesce(state, ''), left(query, 200)"
                " FROM pg_catalog.pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            ).fetchall()
        return [(int(pid), str(app), str(state), str(query)) for pid, app, state, query in rows]

    def wait_disconnected(self, dbname: str) -> None:
        """Return once nobody is connected to ``dbname``; TemplateError naming them after the timeout.

        A closed client connection's backend exits asynchronously, hence the short wait.
        """
        deadline = time.monotonic() + self.disconnect_timeout
        while True:
            sessions = self.sessions_on(dbname)
            if not sessions:
                return
            if time.monotonic() > deadline:
                described = "; ".join(
                    f"pid {pid} app {app!r} state {state!r} query {query!r}" for pid, app, state, query in sessions
                )
                raise TemplateError(
                    f"{len(sessions)} connection(s) left open to template database {dbname}: {described}"
                )
            time.sleep(0.02)

    # ----- templates

    def name_of(self, level: int) -> str:
        """The template database's name at ``level`` (built or not)."""
        return f"{self.prefix}{level}"

    def template(self, level: int) -> str:
        """The name of the template database at ``level``, building the chain up to it if needed."""
        if not 0 <= level <= self.head:
            raise TemplateError(f"no level {level}: the migrations in {self.migrations_dir} go from 0 to {self.head}")
        for step in range(level + 1):
            if step in self._failed:
                message, kind = self._failed[step]
                raise kind(message)
            if step not in self._built:
                try:
                    self._build(step)
                except Exception as exc:
                    kind = FixtureError if isinstance(exc, FixtureError) else TemplateError
                    self._failed[step] = (f"building template {self.name_of(step)} failed: {exc}", kind)
                    self._discard(self.name_of(step))
                    raise kind(self._failed[step][0]) from exc
                self._built.add(step)
        return self.name_of(level)

    def _build(self, level: int) -> None:
        name = self.name_of(level)
        started = time.perf_counter()
        with self.admin() as conn:
            self._drop_with(conn, name)  # left over from an earlier failed attempt
            if level == 0:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
                )
            else:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(self.name_of(level - 1))
                    )
                )
        if level > 0:
            migrator = Migrator(self.conninfo(name), self.migrations_dir)
            try:
                applied = migrator.migrate(to=level)
            except PggitError as exc:
                if self.fixtures is None:
                    raise
                raise FixtureError(self._rejected(level, "apply", exc)) from None
            numbers = [lv.number for lv in applied]
            if numbers != [level]:
                raise TemplateError(f"migrating a clone of level {level - 1} to {level} applied levels {numbers}")
            if self.fixtures is not None:
                self._carry(level, name, migrator.bookkeeping_schema)
        self.wait_disconnected(name)
        with self.admin() as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(sql.Identifier(name)))
        self.stats.build_seconds[level] = time.perf_counter() - started

    # ----- the data stairway

    def _level(self, level: int) -> Level:
        return discover(self.migrations_dir)[level - 1]

    def _carry(self, level: int, name: str, schema: str) -> None:
        """Compare the kept rows below ``level`` with what its migration left, then load its fixtures."""
        assert self.fixtures is not None
        with psycopg.connect(self.conninfo(name), autocommit=True) as conn:
            problems = fixtureslib.compare(conn, self.kept[level - 1])
            if problems:
                raise FixtureError(self._lost(level, "apply", problems))
            below = [fx for fx in self.fixtures if fx.level < level]
            # the rows the level carried, not the ones it made itself (such as the history rows
            # of its own DDL): another run of the level makes those again with other txids and times
            self.carried[level] = fixtureslib.restrict(fixtureslib.capture(conn, below), self.kept[level - 1])
            fixtureslib.ensure_table(conn, schema)
            for fixture in (fx for fx in self.fixtures if fx.level == level):
                fixtureslib.load(conn, fixture)
                fixtureslib.record(conn, schema, fixture)
            self.kept[level] = fixtureslib.capture(conn, [fx for fx in self.fixtures if fx.level <= level])

    def _loaded_below(self, level: int) -> str:
        names = [fx.path.name for fx in self.fixtures or [] if fx.level < level]
        return ", ".join(names) or "none"

    def _culprit(self, level: int, direction: str) -> str | None:
        """Replay ``level``'s file (``apply``) or its rollback on a copy of the database before it."""
        lv = self._level(level)
        db = self.clone(level - 1, hint=f"blame_{level}")
        try:
            migrator = Migrator(self.conninfo(db), self.migrations_dir)
            if direction == "rollback":  # the rollback replays on the database just migrated to the level
                migrator.migrate(to=level)
            with psycopg.connect(self.conninfo(db), autocommit=True) as conn:
                return fixtureslib.blame(conn, self._file(lv, direction), migrator.bookkeeping_schema,
                                         self.kept[level - 1])
        finally:
            self.drop(db)

    @staticmethod
    def _file(lv: Level, direction: str) -> Path:
        return lv.path if direction == "apply" else lv.rollback_path

    def _where(self, level: int, direction: str) -> str:
        where = display_path(self._file(self._level(level), direction))
        return f"level {level} ({where})" if direction == "apply" else f"the rollback of level {level} ({where})"

    def _rejected(self, level: int, direction: str, exc: BaseException) -> str:
        culprit = self._culprit(level, direction)
        return (f"{self._where(level, direction)} failed on the fixtures' data (loaded: {self._loaded_below(level)})"
                f": {culprit or first_line(exc)}")

    def _lost(self, level: int, direction: str, problems: list[str]) -> str:
        culprit = self._culprit(level, direction)
        return (f"{self._where(level, direction)} did not carry the fixtures' kept rows: {'; '.join(problems)}"
                + (f"; first at {culprit}" if culprit else ""))

    def round_trip(self, level: int) -> list[str]:
        """Level ``level`` up, down and up again on a clone of the stairway below it: the problems
        (a step that fails, kept rows lost or changed), each naming file, level and statement."""
        if self.fixtures is None:
            raise TemplateError("round_trip needs a chain with fixtures")
        self.template(level)
        db = self.clone(level - 1, hint=f"round_trip_{level}")
        problems: list[str] = []
        try:
            migrator = Migrator(self.conninfo(db), self.migrations_dir)
            steps: list[tuple[str, str, list[fixtureslib.KeptRows]]] = [
                ("up", "apply", self.carried[level]), ("down", "rollback", self.kept[level - 1]),
                ("up again", "apply", self.carried[level])]
            for label, direction, expected in steps:
                try:
                    if direction == "apply":
                        migrator.migrate(to=level)
                    else:
                        migrator.rollback(to=level - 1, force=True)
                except PggitError as exc:
                    problems.append(f"{label}: {self._rejected(level, direction, exc)}")
                    break
                with psycopg.connect(self.conninfo(db), autocommit=True) as conn:
                    found = fixtureslib.compare(conn, expected)
                if found:
                    problems.append(f"{label}: {self._lost(level, direction, found)}")
                    break
        finally:
            self.drop(db)
        return problems

    # ----- clones

    def clone(self, level: int, hint: str = "") -> str:
        """A fresh database at ``level`` (a clone of its template); returns its name."""
        template = self.template(level)
        name = clone_name(next(self._numbers), hint)
        started = time.perf_counter()
        with self.admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            )
        self.stats.clone_seconds.append(time.perf_counter() - started)
        return name

    def drop(self, dbname: str) -> None:
        """Drop ``dbname`` (a clone), terminating the sessions still connected to it."""
        with self.admin() as conn:
            self._drop_with(conn, dbname)

    def _discard(self, dbname: str) -> None:
        with contextlib.suppress(psycopg.Error):  # the original failure is what matters
            self.drop(dbname)

    @staticmethod
    def _drop_with(conn: psycopg.Connection, dbname: str) -> None:
        ident = sql.Identifier(dbname)
        exists = conn.execute("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = %s", (dbname,))
        row = exists.fetchone()
        if row is None:
            return
        if row[0]:
            conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(ident))
        conn.execute(
            "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
