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

from pggit_sql.errors import PggitError

TEMPLATE_PREFIX = "pggit_tmpl_"
CLONE_PREFIX = "test_"
_MAX_NAME_BYTES = 63


class TemplateError(PggitError):
    """A template database could not be built, or something still uses it."""


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
    ) -> None:
        self.conninfo = conninfo
        self.migrations_dir = migrations_dir
        self.head = head
        self.maintenance_db = maintenance_db
        self.disconnect_timeout = disconnect_timeout
        self.stats = ChainStats()
        self._built: set[int] = set()
        self._failed: dict[int, str] = {}
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

    def template(self, level: int) -> str:
        """The name of the template database at ``level``, building the chain up to it if needed."""
        if not 0 <= level <= self.head:
            raise TemplateError(f"no level {level}: the migrations in {self.migrations_dir} go from 0 to {self.head}")
        for step in range(level + 1):
            if step in self._failed:
                raise TemplateError(self._failed[step])
            if step not in self._built:
                try:
                    self._build(step)
                except Exception as exc:
                    self._failed[step] = f"building template {template_name(step)} failed: {exc}"
                    self._discard(template_name(step))
                    raise TemplateError(self._failed[step]) from exc
                self._built.add(step)
        return template_name(level)

    def _build(self, level: int) -> None:
        name = template_name(level)
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
                        sql.Identifier(name), sql.Identifier(template_name(level - 1))
                    )
                )
        if level > 0:
            from pggit_sql.migrate import Migrator  # the plugin must load even where migrate cannot

            applied = Migrator(self.conninfo(name), self.migrations_dir).migrate(to=level)
            numbers = [lv.number for lv in applied]
            if numbers != [level]:
                raise TemplateError(f"migrating a clone of level {level - 1} to {level} applied levels {numbers}")
        self.wait_disconnected(name)
        with self.admin() as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(sql.Identifier(name)))
        self.stats.build_seconds[level] = time.perf_counter() - started

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
