"""The migration manager: apply, roll back, inspect and verify levels on a database.

Built on yoyo's API (``read_migrations``, its psycopg 3 backend as
:class:`PoolSafeBackend`, ``to_apply``, ``to_rollback``, ``apply_migrations_only``,
``rollback_migrations``, ``mark_migrations``, ``unmark_migrations``).  It migrates
pggit's own levels (``sql/migrations``) and, with the same promises where they apply,
any other folder of levels, such as a project's own migrations tested with the pytest
plugin's ``--pggit-migrations``.

**Where the claimed level comes from** (:func:`claim_source`): a folder holds *pggit's
levels* when its level-1 file contains the statement
``COMMENT ON SCHEMA pggit IS 'pggit-sql level 1'`` (outside ``--`` comments), as the
package's ``sql/migrations`` and every copy of it does.  Then the catalog is the truth:
the level is the comment on schema ``pggit``.  Any other folder (a user's own
migrations, which never touch schema ``pggit``) claims the highest level yoyo has
recorded in its bookkeeping schema.  The rule looks at the files, not at the folder's
path, so a copy of ``sql/migrations`` elsewhere is still pggit's.

What this module adds to yoyo, and promises:

- **Bookkeeping out of the way**: yoyo's tables and pggit's checksum table live in a
  bookkeeping schema created before yoyo connects, never in ``public``: ``pggit_meta``
  for pggit's levels, ``pggit_meta_<folder name>`` for any other folder
  (:func:`bookkeeping_schema`), so a project and pggit itself can both be installed in
  one database without mixing their records.
- **One applier at a time**: ``migrate`` and ``rollback`` hold a transaction-level
  advisory lock (:data:`LOCK_KEY`) in a transaction left open on a connection of its own
  for the whole run (:meth:`_Session.lock`).  A second applier polls for it (each try a
  short transaction of its own, so it never sits on a pooler's server connection the
  holder needs), gives up after ``lock_timeout`` seconds with a clear error, and plans
  from what the first one left once it has it.  Behind a pooler in transaction mode
  (PgBouncer) the open transaction pins one server connection to the holder, so the lock
  excludes there too (a session lock would be taken on one server connection and
  re-entered by any client that lands on it).  A killed applier's lock dies with its
  connection; yoyo's own row lock (``yoyo_lock``) is cleared under the advisory lock so it
  can never block.  An older pggit-sql's session lock on the same key still excludes.
- **Safe behind a transaction pooler**: no session-level ``SET`` (yoyo's ``SET
  search_path`` included: its tables are named with their schema, and each yoyo
  transaction sets ``search_path`` with ``SET LOCAL``), and no server-side prepared
  statements (``prepare_threshold=None`` on every connection, yoyo's too), since neither
  outlives a transaction there.  A level marked ``-- transactional: false`` runs its
  statements with the role's own ``search_path`` (qualify its names).
- **Applied files are immutable**: the sha256 of every applied level's migration and
  rollback file is recorded in the bookkeeping schema's ``level_checksums``; a file
  changed since is refused (:class:`ChecksumMismatch`) before anything runs.
- **For pggit's levels, the catalog is the truth**: every level ends with
  ``COMMENT ON SCHEMA pggit IS 'pggit-sql level N'`` (checked after each level and each
  rollback).  yoyo records a level on another connection after the level committed, so
  a crash in between leaves it unrecorded; under the lock, yoyo's records are reconciled
  to the level the catalog claims.  For other folders the records are the claim, so
  there is nothing to reconcile (and a crash in that window leaves the level applied but
  unrecorded: the next migrate runs it again).
- **One direction each**: ``migrate`` only goes up and ``rollback`` only goes down
  (:class:`WrongDirection` naming the command that would, before anything runs).
- **No silent loss**: ``rollback`` without ``force`` refuses (:class:`DataLoss`, nothing
  done) when it would delete data only pggit holds (:mod:`pggit_sql.rollback_loss`).
- **Refusals** (one-line :class:`PggitError` subclasses): unknown target level, a
  ``pggit`` schema this package did not create (pggit's levels only), a bookkeeping
  schema (``pggit_meta``...), a ``pggit_data`` or a ``pggit`` another role created
  before install (:func:`refuse_foreign_schema`: owned by neither the installing role
  nor a superuser), a database at a
  level newer than the folder knows (recorded levels missing from it), unreachable
  databases (named without their password).
- Every connection opened here is closed before returning, so databases can be cloned
  as templates right after.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import psycopg
from yoyo import read_migrations
from yoyo.backends.base import DatabaseBackend
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import default_migration_table, parse_uri
from yoyo.migrations import MigrationList

from pggit_sql import fixtures as fixtureslib
from pggit_sql import rollback_loss, snapshots
from pggit_sql.db import BOOKKEEPING_SCHEMA, Dsn, connect, db_errors, first_line
from pggit_sql.errors import (
    ChecksumMismatch,
    ConnectionFailed,
    DataLoss,
    FixtureError,
    ForeignSchema,
    LevelError,
    PggitError,
    WrongDirection,
    clip,
)
from pggit_sql.fixtures import FIXTURES_TABLE
from pggit_sql.levels import (
    Level,
    check_target,
    default_migrations_dir,
    discover,
    display_path,
    head,
    project_root,
    sql_dir,
)

META = BOOKKEEPING_SCHEMA  # pggit's own levels; other folders use META + "_<folder name>"
#: Key of the advisory lock held by an applier ("pggitsql" as a big-endian int64): a transaction-level
#: lock from this version on, a session-level one before; the two conflict, so either excludes the other.
LOCK_KEY = int.from_bytes(b"pggitsql", "big")
#: A waiting applier tries the lock again after this many seconds, doubling up to LOCK_POLL_MAX.
LOCK_POLL_FIRST = 0.02
LOCK_POLL_MAX = 0.5
CLAIM = re.compile(r"^pggit-sql level (\d+)$")
YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")
CHECKSUM_TABLE = "level_checksums"
ROLLED_BACK = "its transaction was rolled back"
#: The statement whose presence in a folder's level-1 file makes the folder pggit's levels.
PGGIT_LEVEL_1 = re.compile(r"\bCOMMENT\s+ON\s+SCHEMA\s+pggit\s+IS\s+'pggit-sql level 1'", re.IGNORECASE)
_MAX_IDENTIFIER = 63

Direction = Literal["apply", "rollback"]
#: Where the level a database is at comes from: the comment on schema pggit ("catalog",
#: pggit's own levels) or the highest level yoyo recorded in the bookkeeping schema ("records").
ClaimSource = Literal["catalog", "records"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LevelState:
    """One known level as seen in a database."""

    number: int
    name: str
    applied: bool  # the catalog claims this level (number <= catalog level)
    recorded: bool  # yoyo has a record of it
    applied_at: str | None  # when yoyo recorded it (UTC, ISO 8601)
    checksum: str  # "ok", "changed", "unrecorded" (applied, no checksum yet) or "-" (not applied)


@dataclass(frozen=True)
class Status:
    """What a database claims and records, against the levels this package knows."""

    database: str
    catalog_level: int  # the claimed level (see claim_source); 0 when nothing is installed
    recorded_levels: list[int]  # levels yoyo has records of
    head: int
    pending: list[int]  # levels above the catalog level
    levels: list[LevelState]
    problems: list[str] = field(default_factory=list)  # disagreements, changed files
    claim_source: ClaimSource = "catalog"  # "catalog": schema pggit's comment; "records": yoyo's records
    bookkeeping_schema: str = META
    fixtures: list[str] = field(default_factory=list)  # fixtures loaded into this database (pggit-sql fixtures)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VerifyReport:
    """The result of :meth:`Migrator.verify`: every difference found, empty when all agree."""

    database: str
    catalog_level: int
    snapshot: str | None  # the snapshot file compared against
    differences: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return dict(asdict(self), ok=self.ok)


# --------------------------------------------------------------------------- helpers


def claim_source(levels: list[Level]) -> ClaimSource:
    """"catalog" when ``levels`` are pggit's own, else "records".

    pggit's levels are recognised by their level-1 file, which contains the statement
    ``COMMENT ON SCHEMA pggit IS 'pggit-sql level 1'`` (line comments aside).  The files
    decide, not the folder's path, so copies of ``sql/migrations`` and toy pggit levels
    elsewhere are pggit's too.  An empty folder is not.
    """
    if not levels:
        return "records"
    text = re.sub(r"--[^\n]*", "", levels[0].path.read_text(encoding="utf-8"))
    return "catalog" if PGGIT_LEVEL_1.search(text) else "records"


def bookkeeping_schema(migrations_dir: Path, source: ClaimSource) -> str:
    """``pggit_meta`` for pggit's levels, ``pggit_meta_<folder name>`` for any other folder.

    The folder's own name (lower-cased, runs of characters other than ``[a-z0-9_]`` made
    ``_``, cut to PostgreSQL's 63 bytes) keeps the schema the same on every checkout.
    """
    if source == "catalog":
        return META
    slug = re.sub(r"[^a-z0-9_]+", "_", migrations_dir.resolve().name.lower()).strip("_") or "migrations"
    return f"{META}_{slug}"[:_MAX_IDENTIFIER]


def recorded_level(recorded: dict[str, datetime | None] | list[str]) -> int:
    """The claim of a folder that is not pggit's: the highest level yoyo records (0 when none)."""
    numbers = [_level_number(migration_id) for migration_id in recorded]
    return max((number for number in numbers if number is not None), default=0)


def claimed_level(conn: psycopg.Connection) -> int:
    """The level the catalog claims: the comment on schema pggit; 0 without a pggit schema."""
    row = conn.execute(
        "SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace"
        " WHERE nspname = 'pggit'"
    ).fetchone()
    if row is None:
        return 0
    match = CLAIM.match(row[0] or "")
    if match is None:
        found = f"its comment is {row[0]!r}" if row[0] else "it has no comment"
        raise ForeignSchema(
            f"schema pggit exists but was not created by pggit-sql ({found}, expected "
            "'pggit-sql level N'); refusing to touch it"
        )
    return int(match[1])


#: The schema holding data-branch storage, created by level 3 (pggit's levels only).
DATA_SCHEMA = "pggit_data"

# Who owns a schema, whether the owner is a superuser, and the installing role.
_SCHEMA_OWNER = """
SELECT r.rolname, r.rolsuper, current_user
  FROM pg_catalog.pg_namespace AS n JOIN pg_catalog.pg_roles AS r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
 WHERE n.nspname OPERATOR(pg_catalog.=) %s
"""


def refuse_foreign_schema(conn: psycopg.Connection, schema: str, *, created_by: str) -> None:
    """ForeignSchema when ``schema`` exists and pggit-sql did not create it.

    pggit-sql created a schema when its owner is the installing role (``current_user``)
    or a superuser (pggit's levels create event triggers, so whoever installed them was
    a superuser).  Any other owner is a role that created the schema before pggit-sql
    did (any role with CREATE on the database can): adopting it would leave that role
    able to drop or replace what pggit-sql keeps there (the owner of a schema may drop
    any object in it), e.g. the checksums of ``pggit_meta``.  ``created_by`` names what
    would have created it, for the message.
    """
    row = conn.execute(_SCHEMA_OWNER, (schema,)).fetchone()
    if row is None:
        return
    owner, owner_is_super, installer = row
    if owner_is_super or owner == installer:
        return
    raise ForeignSchema(
        f'schema {schema} exists but is owned by role "{owner}", neither the installing role "{installer}" '
        f"nor a superuser: {created_by} did not create it, and refuses to adopt it; check what it holds, "
        f"then drop it (DROP SCHEMA {schema} CASCADE) or, if you trust it, "
        f'ALTER SCHEMA {schema} OWNER TO "{installer}", and run again'
    )


def _table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    row = conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (f"{schema}.{table}",)).fetchone()
    return bool(row and row[0])


def recorded_migrations(conn: psycopg.Connection, schema: str = META) -> dict[str, datetime | None]:
    """yoyo's records in ``schema``: migration id → applied_at (UTC); empty when none."""
    if not _table_exists(conn, schema, "_yoyo_migration"):
        return {}
    rows = conn.execute(
        f"SELECT migration_id, applied_at_utc FROM {schema}._yoyo_migration ORDER BY applied_at_utc"
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def recorded_checksums(conn: psycopg.Connection, schema: str = META) -> dict[str, tuple[str, str | None]]:
    """The checksum records in ``schema``: migration id → (sha256, rollback sha256); empty when none."""
    if not _table_exists(conn, schema, CHECKSUM_TABLE):
        return {}
    rows = conn.execute(f"SELECT migration_id, sha256, rollback_sha256 FROM {schema}.{CHECKSUM_TABLE}").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def checksum_problems(
    levels: list[Level], checksums: dict[str, tuple[str, str | None]], claim: int
) -> list[tuple[Level, str]]:
    """(level, message) per file of an applied level (up to ``claim``) changed since it was recorded."""
    problems: list[tuple[Level, str]] = []
    for level in levels:
        if level.number > claim or level.name not in checksums:
            continue
        recorded, recorded_rollback = checksums[level.name]
        pairs = [(level.path, recorded, level.checksum)]
        if recorded_rollback is not None:
            pairs.append((level.rollback_path, recorded_rollback, level.rollback_checksum))
        for path, was, now in pairs:
            if was != now:
                problems.append((level,
                    f"{display_path(path)} changed since it was applied to this database "
                    f"(recorded sha256 {was[:12]}…, now {now[:12]}…)"
                ))
    return problems


def _level_number(migration_id: str) -> int | None:
    match = re.match(r"^(\d{4})_", migration_id)
    return int(match[1]) if match else None


def check_known(levels: list[Level], claim: int, recorded: Iterator[str] | list[str],
                folder: str | None = None) -> None:
    """LevelError when the database claims or records levels this package does not know.

    ``folder``: None for pggit's levels, else how to name the (user's) migrations folder.
    """
    known = {level.name for level in levels}
    knower = "this pggit-sql" if folder is None else folder
    newest = claim
    for migration_id in recorded:
        number = _level_number(migration_id)
        if migration_id in known:
            continue
        if number is not None and number > head(levels):
            newest = max(newest, number)
        elif number is not None:
            raise LevelError(
                f"the database records level {migration_id}, but {knower}'s level {number} is "
                f"{levels[number - 1].name}; it was migrated by a different "
                + ("pggit-sql" if folder is None else "migrations folder")
            )
        else:
            what = "a pggit level" if folder is None else f"a level of {folder}"
            raise LevelError(f"the database records migration {migration_id!r}, which is not {what}")
    if newest > head(levels):
        raise LevelError(
            f"database is at level {newest} but {knower} knows levels up to {head(levels)}; "
            + ("upgrade pggit-sql" if folder is None else "it was migrated by a newer version of that folder")
        )


# --------------------------------------------------------------------------- the applier session


#: How pggit's event triggers begin the WARNING of a statement they could not record.
TRACKER_WARNING = "pggit: could not track"


# yoyo parses a level file (sqlparse) the first time a migration's steps are needed; a level of
# thousands of lines takes a second or more. Every Migrator reads the folder again, so a
# process that builds templates or migrates many databases (the test layer, fixtures check)
# would parse the same files over and over: the list is kept per folder while its files are
# unchanged (name, size and modification time of each).
_PARSED: dict[tuple[str, tuple[tuple[str, int, int], ...]], MigrationList] = {}


def parsed_migrations(directory: Path) -> MigrationList:
    """``yoyo.read_migrations(directory)``, the same list (with the files parsed once) while no file changed."""
    files = tuple(sorted((path.name, stat.st_size, stat.st_mtime_ns)
                         for path in directory.iterdir() if path.is_file() for stat in [path.stat()]))
    key = (str(directory.resolve()), files)
    found = _PARSED.get(key)
    if found is None:
        found = _PARSED[key] = read_migrations(str(directory))
    return found


class PoolSafeBackend(PostgresqlPsycopgBackend):
    """yoyo's psycopg 3 backend without session state, so it works behind a transaction pooler.

    yoyo's own backend runs ``SET search_path TO <schema>`` once per connection (from the
    URI's ``?schema=``) and names its tables without a schema; psycopg prepares a statement
    on the server after five executions.  Behind PgBouncer in transaction mode each of
    yoyo's transactions may run on another server connection: the ``SET`` stays behind on
    one (for whichever client lands there next) and yoyo's next statement, or its prepared
    statement, finds neither.  So here:

    - yoyo's four tables are always named with their schema (``"pggit_meta"."_yoyo_migration"``);
    - every transaction yoyo opens (a level's, a record's) begins with ``SET LOCAL
      search_path`` to that schema, so a level runs with the ``search_path`` it always had;
      statements outside a transaction (a ``-- transactional: false`` level's) run with the
      role's own;
    - its connections never prepare statements on the server (``prepare_threshold=None``);
    - PostgreSQL's DDL is transactional: no test table is created to find that out.

    :meth:`copy` (a new connection per level) makes another of these.
    """

    def connect(self, dburi: Any) -> Any:
        connection = super().connect(dburi)  # sets self.schema from the URI's ?schema=
        connection.prepare_threshold = None
        return connection

    def init_connection(self, connection: Any) -> None:
        """No session-level ``SET search_path`` (see the class); :meth:`begin` sets it per transaction."""

    def begin(self) -> None:
        super().begin()
        if self.schema:
            self.execute(f"SET LOCAL search_path TO {self._quote(self.schema)}")

    @staticmethod
    def _quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def quote_identifier(self, s: str) -> str:
        """``s`` quoted; yoyo's own tables with their schema too (every reference to them comes here)."""
        own = {getattr(self, attr, None) for attr in ("migration_table", "log_table", "lock_table", "version_table")}
        if self.schema and s in own:
            return f"{self._quote(self.schema)}.{self._quote(s)}"
        return self._quote(s)

    def list_tables(self, **kwargs: Any) -> list[str]:
        """yoyo's tables in its schema (yoyo asks ``current_schema``, which no ``SET`` fixes here)."""
        rows = self.execute(
            "SELECT c.relname FROM pg_catalog.pg_class AS c"
            " JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
            " WHERE n.nspname OPERATOR(pg_catalog.=) :schema AND c.relkind IN ('r', 'p')",
            {"schema": self.schema},
        ).fetchall()
        return [row[0] for row in rows]

    def _check_transactional_ddl(self) -> bool:
        return True


def open_pool_safe_backend(uri: str) -> PoolSafeBackend:
    """What ``yoyo.get_backend(uri)`` does, with :class:`PoolSafeBackend` (``uri``: a ``postgresql+psycopg://`` URI)."""
    backend = PoolSafeBackend(parse_uri(uri), default_migration_table)
    backend.init_database()
    return backend


# One try for the applier lock: the timeouts that would end the lock's idle transaction
# (transaction_timeout from PostgreSQL 17) off for this transaction only, and the lock.
_TRY_LOCK = """
SELECT (SELECT pg_catalog.count(pg_catalog.set_config(s.name, '0', true)) FROM pg_catalog.pg_settings AS s
         WHERE s.name OPERATOR(pg_catalog.=) ANY ('{idle_in_transaction_session_timeout,transaction_timeout}')),
       pg_catalog.pg_try_advisory_xact_lock(%s)
"""


class _Session:
    """An applier's run: a work connection (autocommit), the lock connection, on demand a yoyo backend."""

    def __init__(self, dsn: Dsn, levels: list[Level], migrations_dir: Path):
        self.dsn = dsn
        self.levels = levels
        self.by_name = {level.name: level for level in levels}
        self.migrations_dir = migrations_dir
        self.source = claim_source(levels)
        self.meta = bookkeeping_schema(migrations_dir, self.source)
        self.folder = None if self.source == "catalog" else display_path(migrations_dir)
        self.conn: psycopg.Connection = connect(dsn)  # checks, bookkeeping, checksums (autocommit)
        self.lock_conn: psycopg.Connection | None = None  # holds the applier lock in an open transaction
        self.backend: DatabaseBackend | None = None
        self.running: Level | None = None  # the level whose file runs now (for its warnings)
        self.warnings: list[str] = []  # WARNINGs the levels' SQL raised, "level N (name): message"

    def keep_warning(self, diag: psycopg.errors.Diagnostic) -> None:
        """Notice handler of yoyo's connection: a level's RAISE WARNING reaches the user, not only the log.

        Except, for pggit's own levels, the tracker's "could not track" WARNINGs: a level
        file replaces pggit's functions one statement at a time, and released rollbacks
        (level 5's) drop a function the event triggers of the level below still call
        before the file restores those triggers' own version. What the tracker fails to
        record there is pggit's own functions, which it never tracks.
        """
        if self.source == "catalog" and (diag.message_primary or "").startswith(TRACKER_WARNING):
            return
        if diag.severity_nonlocalized == "WARNING":
            where = f"level {self.running.number} ({self.running.name}): " if self.running else ""
            self.warnings.append(where + clip(diag.message_primary or "", 2000))

    def close(self) -> None:
        if self.backend is not None:
            with contextlib.suppress(Exception):
                self.backend.connection.close()
            self.backend = None
        self.conn.close()
        if self.lock_conn is not None:  # last: ending its transaction releases the applier lock
            with contextlib.suppress(Exception):
                self.lock_conn.rollback()  # hands a pooler's server connection back clean
            self.lock_conn.close()
            self.lock_conn = None

    def lock(self, timeout: float | None) -> None:
        """Take the applier lock, waiting at most ``timeout`` seconds (forever when None).

        The lock is ``pg_try_advisory_xact_lock(LOCK_KEY)`` in a transaction on a connection
        of its own, left open (idle in transaction) until :meth:`close` rolls it back, with
        ``idle_in_transaction_session_timeout`` and (PostgreSQL 17+) ``transaction_timeout``
        off for that transaction only; a killed applier's lock dies with its connection,
        and :meth:`check_lock` notices a lock lost on the way.  Behind a pooler in
        transaction mode the open transaction keeps one server connection for this applier
        alone, so no other client can land on it and re-enter the lock.  While another
        applier holds it, each try is a short transaction that is rolled back (the server
        connection goes back to the pool between tries, so a waiter never holds one the
        holder's own work needs), then a pause that doubles from LOCK_POLL_FIRST up to
        LOCK_POLL_MAX.  Never waits inside the database, so no ``lock_timeout`` is set;
        ``timeout`` is measured here.
        """
        conn = connect(self.dsn, autocommit=False)
        self.lock_conn = conn
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = LOCK_POLL_FIRST
        with db_errors("cannot take the migration lock"):
            while True:
                row = self._try_lock(conn)
                if row and row[1]:
                    return  # the transaction stays open: it holds the lock
                conn.rollback()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise PggitError(
                        f"another pggit-sql is migrating {self.dsn.describe()}; "
                        f"gave up waiting after {timeout:g} s"
                    )
                time.sleep(pause if left is None else min(pause, left))
                pause = min(pause * 2, LOCK_POLL_MAX)

    def _try_lock(self, conn: psycopg.Connection) -> tuple[Any, ...] | None:
        """One try (:data:`_TRY_LOCK`); a pooler that allows no transaction is refused by name."""
        try:
            return conn.execute(_TRY_LOCK, (LOCK_KEY,)).fetchone()
        except psycopg.Error as exc:
            if "pooling mode" not in str(exc):  # PgBouncer's pool_mode = statement
                raise
            raise PggitError(
                f"cannot take the migration lock on {self.dsn.describe()}: {first_line(exc)}; migrate and "
                "rollback hold a transaction open for the whole run: connect directly, or through a pool in "
                "transaction or session mode"
            ) from None

    def check_lock(self) -> None:
        """PggitError when the lock's transaction has ended (its connection was closed or killed).

        Run before each level: without the lock another applier could start, so nothing
        more is done.
        """
        why = "its transaction ended"
        if self.lock_conn is not None:
            try:  # the same transaction takes it again at once (and pg_stat_activity shows what it is)
                row = self.lock_conn.execute(_TRY_LOCK, (LOCK_KEY,)).fetchone()
                if row and row[1]:
                    return
            except psycopg.Error as exc:
                why = first_line(exc)
        raise PggitError(f"lost the migration lock on {self.dsn.describe()} ({why}); "
                         "stopped before the next level: run the command again")

    def refuse_foreign_schemas(self) -> None:
        """Refuse a bookkeeping schema (and, for pggit's levels, a pggit or pggit_data) pggit-sql did not create."""
        with db_errors("cannot read the owners of pggit's schemas"):
            if self.source == "catalog":
                refuse_foreign_schema(self.conn, "pggit", created_by="pggit-sql")
            refuse_foreign_schema(self.conn, self.meta, created_by="pggit-sql (its bookkeeping schema)")
            if self.source == "catalog":
                refuse_foreign_schema(self.conn, DATA_SCHEMA, created_by="pggit-sql (level 3)")

    def prepare_bookkeeping(self) -> None:
        """Create the bookkeeping schema and its checksum table (under the lock, before yoyo connects)."""
        with db_errors("cannot create the bookkeeping schema"):
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.meta}")
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {self.meta}.{CHECKSUM_TABLE} ("
                " migration_id text PRIMARY KEY, level int NOT NULL, sha256 text NOT NULL,"
                " rollback_sha256 text, applied_at timestamptz NOT NULL DEFAULT now())"
            )

    def open_backend(self) -> DatabaseBackend:
        if self.backend is None:
            try:
                self.backend = open_pool_safe_backend(self.dsn.yoyo_uri(self.meta))
            except psycopg.Error as exc:
                raise ConnectionFailed(f"cannot connect to {self.dsn.describe()}: {first_line(exc)}") from None
            self.backend.break_lock()  # we hold the advisory lock: any yoyo_lock row is stale
            self.keep_warnings_of(self.backend)
        return self.backend

    def keep_warnings_of(self, backend: DatabaseBackend) -> None:
        """Hear the WARNINGs of ``backend``'s connection and of every copy it makes.

        yoyo runs each level on a copy of the backend (``apply_one``/``rollback_one`` call
        ``copy()``, a new connection): the copy's connection gets the handler too.
        """
        backend.connection.add_notice_handler(self.keep_warning)
        make_copy = type(backend).copy

        def copy_that_keeps_warnings() -> DatabaseBackend:
            twin = make_copy(backend)
            self.keep_warnings_of(twin)
            return twin

        backend.copy = copy_that_keeps_warnings

    def migrations(self, keep: Callable[[Level], bool]) -> MigrationList:
        """yoyo's migration list restricted to known levels for which ``keep`` is true (post-apply kept)."""
        every = parsed_migrations(self.migrations_dir)
        return every.filter(lambda m: m.id in self.by_name and keep(self.by_name[m.id]))

    def claim(self) -> int:
        """The level the database is at: the catalog's claim for pggit's levels, else yoyo's records."""
        if self.source == "catalog":
            return claimed_level(self.conn)
        return recorded_level(recorded_migrations(self.conn, self.meta))

    def record_checksum(self, level: Level, sums: tuple[str, str] | None = None) -> None:
        """Record ``level``'s file checksums (``sums``: as read before applying, else read now)."""
        sha, rollback_sha = sums or (level.checksum, level.rollback_checksum)
        self.conn.execute(
            f"INSERT INTO {self.meta}.{CHECKSUM_TABLE} (migration_id, level, sha256, rollback_sha256)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (migration_id) DO UPDATE"
            " SET level = excluded.level, sha256 = excluded.sha256,"
            " rollback_sha256 = excluded.rollback_sha256, applied_at = excluded.applied_at",
            (level.name, level.number, sha, rollback_sha),
        )

    def forget_checksum(self, level: Level) -> None:
        self.conn.execute(f"DELETE FROM {self.meta}.{CHECKSUM_TABLE} WHERE migration_id = %s", (level.name,))

    def check(self) -> int:
        """Refuse foreign schemas, newer databases and changed files; return the claimed level."""
        claim = self.claim()
        check_known(self.levels, claim, list(recorded_migrations(self.conn, self.meta)), self.folder)
        checksums = recorded_checksums(self.conn, self.meta)
        problems = [message for _, message in checksum_problems(self.levels, checksums, claim)]
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ChecksumMismatch(problems[0] + more)
        return claim

    def reconcile(self, claim: int) -> None:
        """Make yoyo's records and the checksum table agree with the level the catalog claims.

        Nothing to do for a folder that is not pggit's: yoyo's records are its claim.
        """
        if self.source != "catalog":
            return
        backend = self.open_backend()
        backend.ensure_internal_schema_updated()
        recorded = set(recorded_migrations(self.conn, self.meta))
        want = {level.name for level in self.levels if level.number <= claim}
        missing = self.migrations(lambda lv: lv.name in want - recorded)
        extra = self.migrations(lambda lv: lv.name in recorded - want)
        if missing:
            backend.mark_migrations(missing)
        if extra:
            backend.unmark_migrations(extra)
        checksums = recorded_checksums(self.conn, self.meta)
        for level in self.levels:
            if level.number <= claim and level.name not in checksums:
                self.record_checksum(level)
            elif level.number > claim and level.name in checksums:
                self.forget_checksum(level)

    def expect_claim(self, level_number: int, after: str) -> None:
        """After each step of pggit's levels the catalog must claim ``level_number``."""
        if self.source != "catalog":
            return  # yoyo's records are the claim, and yoyo has just written them
        claim = self.claim()
        if claim != level_number:
            raise PggitError(
                f"after {after} the database claims level {claim}, expected {level_number}: every level "
                f"must end with COMMENT ON SCHEMA pggit IS 'pggit-sql level N' (and its rollback with N-1)"
            )

    def drop_bookkeeping(self) -> None:
        if self.backend is not None:
            self.backend.connection.close()
            self.backend = None
        self.conn.execute(f"DROP SCHEMA IF EXISTS {self.meta} CASCADE")


# --------------------------------------------------------------------------- roles.sql again

# roles.sql grants USAGE on schema pggit to pggit_reader: that marks a database it ran in.
_ROLES_APPLIED = """
SELECT EXISTS (SELECT FROM pg_catalog.pg_namespace AS n, pg_catalog.aclexplode(n.nspacl) AS a
                WHERE n.nspname = 'pggit' AND a.privilege_type = 'USAGE'
                  AND a.grantee = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'pggit_reader'))
"""


def roles_script(migrations_dir: Path) -> Path:
    """``grants/roles.sql`` beside the levels' folder, else pggit's (:func:`pggit_sql.levels.sql_dir`)."""
    beside = migrations_dir.parent / "grants" / "roles.sql"
    return beside if beside.is_file() else sql_dir() / "grants" / "roles.sql"


def bind_restored_oids(conn: psycopg.Connection) -> int:
    """Level 6+: re-bind the OIDs pggit stores when the database was restored or upgraded.

    ``pggit.bind_oids()`` would run by itself before the next DDL statement; a migrate (the
    usual last step of a restore: ``make install-db``) does it at once. Returns the registry
    rows re-bound: 0 when they were current or the level has no such function.
    """
    row = conn.execute("SELECT to_regprocedure('pggit.bind_oids()') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return 0
    bound = conn.execute("SELECT pggit.bind_oids()").fetchone()
    return int(bound[0]) if bound else 0


def reapply_roles(conn: psycopg.Connection, script: Path) -> bool:
    """Run roles.sql again when it ran in this database before; True when it did.

    A level creates its new functions executable by PUBLIC, and re-creating a function
    from its file re-grants PUBLIC: after a migration or rollback the roles' grants would
    otherwise be incomplete.
    """
    row = conn.execute(_ROLES_APPLIED).fetchone()
    if not (row and row[0]):
        return False
    if not script.is_file():
        raise PggitError(f"sql/grants/roles.sql ran in this database but {script} is missing: "
                         "run it again by hand (the new level's functions are executable by PUBLIC)")
    with conn.transaction():
        conn.execute(script.read_text(encoding="utf-8"))
    return True


# --------------------------------------------------------------------------- the manager


class Migrator:
    """Migrate one database (``dsn``: URL, libpq string or :class:`~pggit_sql.db.Dsn`) with the levels in
    ``migrations_dir``.  The DSN is parsed once, here (``self.dsn``, a Dsn).

    ``migrations_dir`` defaults to pggit's own levels; any other folder of levels works too,
    its claim then coming from yoyo's records (see :func:`claim_source`).
    """

    def __init__(self, dsn: str | Dsn, migrations_dir: Path | None = None, lock_timeout: float | None = None):
        self.dsn = Dsn.parse(dsn)
        self.migrations_dir = Path(migrations_dir) if migrations_dir else default_migrations_dir()
        self.lock_timeout = lock_timeout
        #: WARNINGs the level files raised in the last migrate() or rollback(), each
        #: "level N (name): message"; the CLI prints them (yoyo's connection would drop them)
        self.warnings: list[str] = []

    # ----- inspection (read only: takes no lock, creates nothing)

    def levels(self) -> list[Level]:
        return discover(self.migrations_dir)

    @property
    def claim_source(self) -> ClaimSource:
        """"catalog" for pggit's own levels (schema pggit's comment), else "records" (yoyo's)."""
        return claim_source(self.levels())

    @property
    def bookkeeping_schema(self) -> str:
        """Where yoyo's records and the checksums live: pggit_meta, or pggit_meta_<folder name>."""
        return bookkeeping_schema(self.migrations_dir, self.claim_source)

    def status(self, strict: bool = True) -> Status:
        """The database's level, records and checksum state.

        Refuses foreign schemas and newer databases; with ``strict`` also changed files
        (ChecksumMismatch), otherwise they are listed in ``problems``.
        """
        levels = self.levels()
        source = claim_source(levels)
        meta = bookkeeping_schema(self.migrations_dir, source)
        conn = connect(self.dsn)
        try:
            with db_errors(f"cannot read the status of {self.dsn.describe()}"):
                recorded = recorded_migrations(conn, meta)
                checksums = recorded_checksums(conn, meta)
                claim = claimed_level(conn) if source == "catalog" else recorded_level(recorded)
                loaded_fixtures = fixtureslib.loaded(conn, meta)
        finally:
            conn.close()
        check_known(levels, claim, list(recorded), None if source == "catalog" else display_path(self.migrations_dir))
        mismatches = checksum_problems(levels, checksums, claim)
        changed = [message for _, message in mismatches]
        if strict and changed:
            raise ChecksumMismatch(changed[0])
        changed_names = {level.name for level, _ in mismatches}
        states: list[LevelState] = []
        for level in levels:
            applied = level.number <= claim
            when = recorded.get(level.name)
            if level.name in changed_names:
                state = "changed"
            elif applied and level.name in checksums:
                state = "ok"
            else:
                state = "unrecorded" if applied else "-"
            states.append(LevelState(level.number, level.name, applied, level.name in recorded,
                                     when.isoformat() if when else None, state))
        problems = list(changed)
        if loaded_fixtures:  # a fixture edited (or removed) since this database loaded it
            try:
                found = fixtureslib.discover(fixtureslib.default_fixtures_dir(self.migrations_dir), levels)
            except FixtureError as exc:
                problems.append(str(exc))
            else:
                problems += fixtureslib.changed(found, loaded_fixtures)
        for st in states:
            if st.applied and not st.recorded and source == "records":
                problems.append(f"yoyo records level {claim} but has no record of level {st.name} "
                                "(the next migrate applies it again)")
            elif st.applied and not st.recorded:
                problems.append(f"level {st.name} is applied but yoyo has no record of it "
                                "(reconciled by the next migrate)")
            if st.recorded and not st.applied:
                problems.append(f"yoyo records level {st.name} but the catalog claims level {claim} "
                                "(reconciled by the next migrate)")
        return Status(
            database=self.dsn.describe(),
            catalog_level=claim,
            recorded_levels=sorted(lv.number for lv in levels if lv.name in recorded),
            head=head(levels),
            pending=[lv.number for lv in levels if lv.number > claim],
            levels=states,
            problems=problems,
            claim_source=source,
            bookkeeping_schema=meta,
            fixtures=sorted(loaded_fixtures),
        )

    def plan(self, to: int | None = None, direction: Direction | None = None) -> list[tuple[Direction, Level]]:
        """The steps from the database's current level to ``to`` (head when None), in order.

        ``direction`` "apply" (migrate) or "rollback": WrongDirection when ``to`` lies the
        other way (None: either way).
        """
        levels = self.levels()
        target = check_target(levels, head(levels) if to is None else to)
        claim = self.status().catalog_level
        check_direction(direction, claim, target)
        if target >= claim:
            return [("apply", lv) for lv in levels if claim < lv.number <= target]
        return [("rollback", lv) for lv in reversed(levels) if target < lv.number <= claim]

    def dry_run_sql(self, to: int | None = None, direction: Direction | None = None) -> str:
        """The SQL :meth:`migrate` / :meth:`rollback` would run to reach ``to``, file by file."""
        steps = self.plan(to, direction)
        parts: list[str] = []
        for direction, level in steps:
            path = level.path if direction == "apply" else level.rollback_path
            parts.append(f"-- pggit-sql: {direction} level {level.number} ({level.name}) from {display_path(path)}\n")
            text = path.read_text(encoding="utf-8")
            parts.append(text if text.endswith("\n") else text + "\n")
        if to == 0:
            parts.append(f"-- pggit-sql: then drop the bookkeeping schema\n"
                         f"DROP SCHEMA IF EXISTS {self.bookkeeping_schema} CASCADE;\n")
        elif steps and self.claim_source == "catalog" and self._roles_applied():
            script = roles_script(self.migrations_dir)
            parts.append(f"-- pggit-sql: then {display_path(script)} again (it ran in this database)\n")
            parts.append(script.read_text(encoding="utf-8"))
        return "\n".join(parts)

    def _roles_applied(self) -> bool:
        conn = connect(self.dsn)
        try:
            with db_errors(f"cannot read the grants of {self.dsn.describe()}"):
                row = conn.execute(_ROLES_APPLIED).fetchone()
        finally:
            conn.close()
        return bool(row and row[0])

    # ----- changes (under the advisory lock)

    @contextlib.contextmanager
    def _session(self) -> Iterator[tuple[_Session, int]]:
        levels = self.levels()
        session = _Session(self.dsn, levels, self.migrations_dir)
        self.warnings = session.warnings
        try:
            session.lock(self.lock_timeout)
            session.refuse_foreign_schemas()
            claim = session.check()
            session.prepare_bookkeeping()
            yield session, claim
        finally:
            session.close()

    def migrate(self, to: int | None = None) -> list[Level]:
        """Apply levels up to ``to`` (head when None); returns the levels applied (empty: nothing to do)."""
        levels = self.levels()
        target = check_target(levels, head(levels) if to is None else to)
        applied: list[Level] = []
        with self._session() as (session, claim):
            check_direction("apply", claim, target)
            session.reconcile(claim)
            backend = session.open_backend()
            todo = backend.to_apply(session.migrations(lambda lv: lv.number <= target))  # loads the files
            sums = {m.id: (session.by_name[m.id].checksum, session.by_name[m.id].rollback_checksum)
                    for m in todo}
            for migration in todo:
                level = session.by_name[migration.id]
                session.check_lock()
                session.running = level
                with _quiet(), db_errors(f"applying level {level.name} failed", ROLLED_BACK):
                    backend.apply_migrations_only(todo.replace([migration]))
                session.expect_claim(level.number, f"applying {level.name}")
                session.record_checksum(level, sums[level.name])
                applied.append(level)
            if applied:
                with _quiet(), db_errors("post-apply hook failed", ROLLED_BACK):
                    backend.run_post_apply(todo)
                if session.source == "catalog":
                    with db_errors("re-running sql/grants/roles.sql failed", ROLLED_BACK):
                        reapply_roles(session.conn, roles_script(self.migrations_dir))
            if session.source == "catalog":
                with db_errors("re-binding pggit's stored OIDs failed", ROLLED_BACK):
                    bind_restored_oids(session.conn)
        return applied

    def loss_report(self, to: int) -> rollback_loss.LossReport | None:
        """What rolling back to ``to`` would delete that only pggit holds (None for a user's folder)."""
        levels = self.levels()
        target = check_target(levels, to)
        status = self.status()
        check_direction("rollback", status.catalog_level, target)
        if status.claim_source != "catalog":
            return None
        conn = connect(self.dsn)
        try:
            with db_errors(f"cannot count what rolling back {self.dsn.describe()} would delete"):
                return rollback_loss.assess(conn, levels, status.catalog_level, target, self.catalog_dir)
        finally:
            conn.close()

    @property
    def catalog_dir(self) -> Path:
        return snapshots.default_catalog_dir(self.migrations_dir)

    def rollback(self, to: int, force: bool = False) -> list[Level]:
        """Roll back to level ``to`` (0 removes every level and the bookkeeping); returns the levels undone.

        Without ``force``, DataLoss (nothing done) when the rollback would delete data only
        pggit holds (:mod:`pggit_sql.rollback_loss`; pggit's own levels).
        """
        levels = self.levels()
        target = check_target(levels, to)
        undone: list[Level] = []
        with self._session() as (session, claim):
            check_direction("rollback", claim, target)
            if not force and session.source == "catalog" and target < claim:
                with db_errors(f"cannot count what rolling back {self.dsn.describe()} would delete"):
                    report = rollback_loss.assess(session.conn, levels, claim, target, self.catalog_dir)
                if report.losses:
                    raise DataLoss(report.message())
            session.reconcile(claim)
            backend = session.open_backend()
            todo = backend.to_rollback(session.migrations(lambda lv: lv.number > target))
            for migration in todo:
                level = session.by_name[migration.id]
                session.check_lock()
                session.running = level
                with _quiet(), db_errors(f"rolling back level {level.name} failed", ROLLED_BACK):
                    backend.rollback_migrations(todo.replace([migration]))
                session.expect_claim(level.number - 1, f"rolling back {level.name}")
                session.forget_checksum(level)
                undone.append(level)
            if target == 0:
                session.drop_bookkeeping()
            elif undone and session.source == "catalog":
                with db_errors("re-running sql/grants/roles.sql failed", ROLLED_BACK):
                    reapply_roles(session.conn, roles_script(self.migrations_dir))
        return undone

    # ----- verification

    def verify(self, catalog_dir: Path | None = None) -> VerifyReport:
        """Compare the live catalog, checksums and yoyo's records with the claimed level's snapshot.

        The snapshot ``../catalog/NNNN_name.json`` of the claimed level is required for every
        folder: without it verify fails (a difference naming the file and the command that
        writes it, ``pggit-sql snapshot [--migrations DIR]``); for pggit's levels at level 0
        no pggit object may be left.
        """
        status = self.status(strict=False)
        differences = list(status.problems)
        levels = self.levels()
        ours = status.claim_source == "catalog"
        catalog_dir = catalog_dir or snapshots.default_catalog_dir(self.migrations_dir)
        snapshot_path: Path | None = None
        expected: dict[str, str] = {}
        compare = ours and status.catalog_level == 0  # pggit at level 0: no pggit object at all
        if status.catalog_level > 0:
            path = snapshots.snapshot_path(catalog_dir, levels[status.catalog_level - 1])
            try:
                expected = json.loads(path.read_text(encoding="utf-8"))
                snapshot_path, compare = path, True
            except FileNotFoundError:
                differences.append(f"no catalog snapshot {display_path(path)} for level {status.catalog_level}: "
                                   f"write it with {snapshot_command(self.migrations_dir)}")
            except (OSError, ValueError) as exc:
                raise PggitError(f"cannot read {display_path(path)}: {first_line(exc)}") from None
        conn = connect(self.dsn)
        try:
            with db_errors(f"cannot read the catalog of {self.dsn.describe()}"):
                if compare:  # grants as sets, other majors' catalog rows normalised (snapshots.compare)
                    differences.extend(snapshots.compare(conn, expected, pggit_levels=ours))
                differences.extend(stray_bookkeeping_objects(conn, status.bookkeeping_schema))
        finally:
            conn.close()
        return VerifyReport(
            database=status.database,
            catalog_level=status.catalog_level,
            snapshot=display_path(snapshot_path) if snapshot_path else None,
            differences=differences,
        )


def check_direction(direction: Direction | None, claim: int, target: int) -> None:
    """WrongDirection when ``direction`` ("apply": migrate, "rollback") would have to go the other way."""
    if direction == "apply" and target < claim:
        raise WrongDirection(f"database is at level {claim}; migrate only goes up: to go down to level {target} "
                             f"run pggit-sql rollback --to {target}")
    if direction == "rollback" and target > claim:
        raise WrongDirection(f"database is at level {claim}; rollback only goes down: to go up to level {target} "
                             f"run pggit-sql migrate --to {target}")


def snapshot_command(migrations_dir: Path) -> str:
    """The command that writes ``migrations_dir``'s catalog snapshots."""
    if migrations_dir.resolve() == (project_root() / "sql" / "migrations").resolve():
        return "pggit-sql snapshot"
    return f"pggit-sql snapshot --migrations {clip(display_path(migrations_dir))}"


def stray_bookkeeping_objects(conn: psycopg.Connection, schema: str = META) -> list[str]:
    """Objects in the bookkeeping ``schema`` other than its tables (e.g. unqualified names in a level)."""
    allowed = [*YOYO_TABLES, CHECKSUM_TABLE, FIXTURES_TABLE]
    rows = conn.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND c.relname <> ALL(%s)"
        " UNION ALL SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p"
        " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s ORDER BY 1",
        (schema, allowed, schema),
    ).fetchall()
    return [f"unexpected object in bookkeeping schema {schema}: {row[0]} (a level created it unqualified?)"
            for row in rows]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Swallow what yoyo prints (rows returned by a level's statements) so stdout stays ours."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# --------------------------------------------------------------------------- convenience


def migrate(dsn: str | Dsn, to: int | None = None, migrations_dir: Path | None = None,
            lock_timeout: float | None = None) -> list[Level]:
    """Apply pggit levels to ``dsn`` up to ``to`` (head when None); returns the levels applied."""
    return Migrator(dsn, migrations_dir, lock_timeout).migrate(to)


def rollback(dsn: str | Dsn, to: int, migrations_dir: Path | None = None,
             lock_timeout: float | None = None, force: bool = False) -> list[Level]:
    """Roll ``dsn`` back to level ``to``; 0 removes pggit completely (``force``: even with data only pggit holds)."""
    return Migrator(dsn, migrations_dir, lock_timeout).rollback(to, force=force)
