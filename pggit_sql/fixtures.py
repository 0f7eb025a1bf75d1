"""Fixtures: data written for one migration level, loaded at it and carried up by the later levels.

A fixtures folder sits beside a migrations folder (``sql/fixtures`` beside pggit's
``sql/migrations``; ``fixtures/`` beside a project's ``migrations/``).  Each file is plain
SQL named ``NNNN_slug.sql``: ``NNNN`` is the level it is written for, so it runs on a
database just migrated to that level, before any later level.  Several files may share
a level; they load in name order.  Comment lines of the form

    -- keep: public.customers
    -- keep: public.orders by (id) columns (customer_id, qty)

declare rows every later level must carry: the table's rows as they stand once the
file is loaded, identified by the key (``by``, default the primary key) and compared on
the named columns (``columns``, default all of them; a column a later level drops or a
table it renames is reported, a column it adds is not compared).  Values are compared
as text.

Promises:

- :func:`discover` names every misnamed file and every fixture for a level the folder
  does not have; a missing folder is no fixtures;
- :func:`load` runs a file's statements in one transaction and names the file, the
  level, the statement's number and line and the server's message when one fails;
- :func:`compare` says which kept rows a level lost (missing keys), mangled (other
  values) or made unreadable (table or key column gone), with up to three examples;
- :func:`blame` replays one level file statement by statement (as yoyo splits it) on a
  copy of the database before it, in a transaction that is always rolled back, and
  names the first statement that fails or after which kept rows differ;
- :func:`record` / :func:`changed` keep each loaded file's sha256 in the bookkeeping
  schema, so a fixture edited after it was loaded is noticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import sqlparse
from psycopg import sql
from yoyo.migrations import read_sql_migration

from pggit_sql.db import first_line
from pggit_sql.errors import FixtureError, clip
from pggit_sql.levels import Level, display_path, sha256_file
from pggit_sql.levels import discover as discover_levels

FIXTURES_TABLE = "fixture_checksums"
_FIXTURE_FILE = re.compile(r"^(?P<number>\d{4})_(?P<slug>[a-z0-9_]+)\.sql$")
_KEEP = re.compile(
    r'^--\s*keep:\s*(?P<table>(?:"(?:[^"]|"")*"|[^\s("])+)'
    r"(?:\s+by\s*\((?P<key>[^)]*)\))?"
    r"(?:\s+columns\s*\((?P<columns>[^)]*)\))?\s*$",
    re.IGNORECASE,
)
FILE_PATTERN = "NNNN_slug.sql (NNNN: the level it is written for, 4 digits; slug: a-z, 0-9, _)"
_EXAMPLES = 3


def default_fixtures_dir(migrations_dir: Path) -> Path:
    """``fixtures/`` beside the migrations folder."""
    return migrations_dir.parent / "fixtures"


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class Keep:
    """A ``-- keep:`` line: whose rows later levels must carry, by which key, on which columns."""

    table: str
    key: tuple[str, ...] = ()  # empty: the primary key
    columns: tuple[str, ...] = ()  # empty: every column


@dataclass(frozen=True)
class Statement:
    number: int  # 1-based, in file order
    line: int  # 1-based line of the file where it starts
    text: str

    def describe(self) -> str:
        first = next((ln.strip() for ln in self.text.splitlines() if ln.strip() and not ln.strip().startswith("--")),
                     self.text.strip())
        return f"statement {self.number} (line {self.line}): {clip(first)}"


@dataclass(frozen=True)
class Fixture:
    level: int
    name: str  # file name without .sql, e.g. "0002_customers"
    path: Path
    keeps: tuple[Keep, ...]

    @property
    def checksum(self) -> str:
        return sha256_file(self.path)

    def statements(self) -> list[Statement]:
        return split_statements(self.path.read_text(encoding="utf-8"))

    def __str__(self) -> str:
        return f"fixture {self.path.name} (level {self.level})"


def _names(text: str | None) -> tuple[str, ...]:
    """Column names as the catalog spells them: ``a, "Line Item"`` -> ``a``, ``Line Item``."""
    names = (part.strip() for part in (text or "").split(",") if part.strip())
    return tuple(n[1:-1].replace('""', '"') if len(n) > 1 and n[0] == n[-1] == '"' else n for n in names)


def parse_keeps(text: str, path: Path) -> tuple[Keep, ...]:
    keeps = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not re.match(r"^--\s*keep\s*:", stripped, re.IGNORECASE):
            continue
        match = _KEEP.match(stripped)
        if match is None:
            raise FixtureError(f"{path.name} line {number}: cannot read {clip(stripped)!r}; write "
                               "'-- keep: schema.table [by (col, ...)] [columns (col, ...)]'")
        keeps.append(Keep(match["table"], _names(match["key"]), _names(match["columns"])))
    return tuple(keeps)


def _code_line(text: str, found: int, piece: str) -> int:
    """The 1-based line of ``text`` where ``piece`` (found at offset ``found``) has its first line of code."""
    offset = found
    for ln in piece.splitlines(keepends=True):
        if ln.strip() and not ln.strip().startswith("--"):
            break
        offset += len(ln)
    return text.count("\n", 0, min(offset, len(text))) + 1


def _located(text: str, pieces: Iterable[str]) -> list[Statement]:
    """``pieces`` of ``text`` (its statements, in order) numbered, with the line each one's code starts on."""
    statements: list[Statement] = []
    position = 0
    for piece in pieces:
        found = text.find(piece.strip(), position)
        if found < 0:
            found = position
        position = found + len(piece.strip())
        statements.append(Statement(len(statements) + 1, _code_line(text, found, piece.strip()), piece))
    return statements


def split_statements(text: str) -> list[Statement]:
    """``text``'s statements as sqlparse (and so yoyo) splits them, with their line numbers."""
    return _located(text, (piece for piece in sqlparse.split(text) if piece.strip()))


def level_statements(path: Path) -> list[Statement]:
    """A level (or rollback) file's statements exactly as yoyo runs them, with their lines."""
    _, _, pieces = read_sql_migration(str(path))
    return _located(path.read_text(encoding="utf-8"), pieces)


def discover(directory: Path, levels: Sequence[Level]) -> list[Fixture]:
    """The fixtures in ``directory`` in load order (level, then name); none when it does not exist."""
    if not directory.is_dir():
        return []
    files = sorted(path for path in directory.iterdir() if path.is_file() and path.name.lower().endswith(".sql"))
    misnamed = [path.name for path in files if not _FIXTURE_FILE.match(path.name)]
    if misnamed:
        raise FixtureError(f"misnamed fixture file{'s' if len(misnamed) > 1 else ''} in {clip(directory)}: "
                           f"{', '.join(clip(n) for n in misnamed[:20])}; fixture files must be named {FILE_PATTERN}")
    top = levels[-1].number if levels else 0
    fixtures = []
    for path in files:
        match = _FIXTURE_FILE.match(path.name)
        assert match is not None
        number = int(match["number"])
        if not 1 <= number <= top:
            raise FixtureError(f"fixture {path.name} is written for level {number}, but the migrations go from "
                               f"1 to {top}")
        fixtures.append(Fixture(number, path.stem, path, parse_keeps(path.read_text(encoding="utf-8"), path)))
    return sorted(fixtures, key=lambda fx: (fx.level, fx.name))


def required(migrations_dir: Path, fixtures_dir: Path | None = None) -> list[Fixture]:
    """The fixtures of ``migrations_dir``'s levels (``fixtures_dir``, else ``fixtures/`` beside it);
    FixtureError when there are none."""
    directory = fixtures_dir or default_fixtures_dir(migrations_dir)
    found = discover(directory, discover_levels(migrations_dir))
    if not found:
        raise FixtureError(f"no fixtures in {display_path(directory)} (files named {FILE_PATTERN})")
    return found


# --------------------------------------------------------------------------- loading


def load(conn: psycopg.Connection, fixture: Fixture) -> None:
    """Run ``fixture``'s statements in one transaction; FixtureError naming the failing statement."""
    statements = fixture.statements()
    with conn.transaction():  # the first failure ends it: rolled back
        for statement in statements:
            try:
                conn.execute(statement.text.encode("utf-8"))  # bytes: no client-side % parsing
            except psycopg.Error as exc:
                raise FixtureError(f"{fixture} failed to load at {statement.describe()}: "
                                   f"{first_line(exc)}") from None


# --------------------------------------------------------------------------- kept rows


@dataclass
class KeptRows:
    """One ``-- keep:`` table's rows at a moment: key values -> column values, all as text."""

    fixture: Fixture
    table: str  # schema-qualified, quoted where needed
    key: tuple[str, ...]
    columns: tuple[str, ...]
    rows: dict[tuple[str | None, ...], dict[str, str | None]] = field(default_factory=dict)


def _relation(conn: psycopg.Connection, table: str) -> tuple[int, str] | None:
    # the name schema-qualified whatever the search_path (a replay runs with the bookkeeping schema's)
    row = conn.execute("SELECT c.oid::int8, pg_catalog.format('%%I.%%I', n.nspname, c.relname)"
                       " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                       " WHERE c.oid = pg_catalog.to_regclass(%s)", (table,)).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _columns(conn: psycopg.Connection, oid: int) -> list[str]:
    rows = conn.execute("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::oid AND attnum > 0"
                        " AND NOT attisdropped ORDER BY attnum", (oid,)).fetchall()
    return [str(r[0]) for r in rows]


def _primary_key(conn: psycopg.Connection, oid: int) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_catalog.pg_index i"
        " CROSS JOIN LATERAL pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = %s::oid AND i.indisprimary ORDER BY k.n", (oid,)).fetchall()
    return [str(r[0]) for r in rows]


def _read(conn: psycopg.Connection, table: str, key: Sequence[str], columns: Sequence[str]
          ) -> dict[tuple[str | None, ...], dict[str, str | None]]:
    as_text = [sql.SQL("{}::text").format(sql.Identifier(c)) for c in (*key, *columns)]
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(as_text), sql.SQL(table))
    rows: dict[tuple[str | None, ...], dict[str, str | None]] = {}
    for values in conn.execute(query).fetchall():
        rows[tuple(values[:len(key)])] = dict(zip(columns, values[len(key):], strict=True))
    return rows


def capture(conn: psycopg.Connection, fixtures: Iterable[Fixture]) -> list[KeptRows]:
    """The kept rows of ``fixtures`` as they stand now (FixtureError for a keep that names nothing usable)."""
    captured = []
    for fixture in fixtures:
        for keep in fixture.keeps:
            relation = _relation(conn, keep.table)
            if relation is None:
                raise FixtureError(f"{fixture}: '-- keep: {keep.table}' names no table at level {fixture.level}")
            oid, table = relation
            existing = _columns(conn, oid)
            key = list(keep.key) or _primary_key(conn, oid)
            if not key:
                raise FixtureError(f"{fixture}: table {table} has no primary key; name the key: "
                                   f"'-- keep: {keep.table} by (column, ...)'")
            columns = list(keep.columns) or [c for c in existing if c not in key]
            unknown = [c for c in (*key, *columns) if c not in existing]
            if unknown:
                raise FixtureError(f"{fixture}: table {table} has no column {', '.join(map(clip, unknown))}")
            rows = _read(conn, table, key, columns)
            captured.append(KeptRows(fixture, table, tuple(key), tuple(columns), rows))
    return captured


def restrict(now: Sequence[KeptRows], before: Sequence[KeptRows]) -> list[KeptRows]:
    """``now`` (a capture of the same keeps as ``before``, later) with only the rows whose key
    ``before`` has: the kept rows as carried, without the rows made in between."""
    restricted = []
    for later, earlier in zip(now, before, strict=True):
        rows = {k: v for k, v in later.rows.items() if k in earlier.rows}
        restricted.append(KeptRows(later.fixture, later.table, later.key, later.columns, rows))
    return restricted


def compare(conn: psycopg.Connection, kept: Iterable[KeptRows]) -> list[str]:
    """What differs between ``kept`` and the database now; empty when every kept row is carried."""
    problems = []
    for before in kept:
        where = f"{before.table} (kept by {before.fixture.path.name})"
        relation = _relation(conn, before.table)
        if relation is None:
            problems.append(f"table {where} is gone with its {len(before.rows)} kept rows")
            continue
        existing = set(_columns(conn, relation[0]))
        lost_key = [c for c in before.key if c not in existing]
        if lost_key:
            problems.append(f"key column {', '.join(lost_key)} of {where} is gone")
            continue
        columns = [c for c in before.columns if c in existing]
        gone = [c for c in before.columns if c not in existing]
        if gone:
            problems.append(f"column {', '.join(gone)} of {where} is gone")
        now = _read(conn, relation[1], before.key, columns)
        missing = [k for k in before.rows if k not in now]
        if missing:
            shown = "; ".join(_key_text(before.key, k) for k in missing[:_EXAMPLES])
            problems.append(f"{len(missing)} of {len(before.rows)} kept rows of {where} lost: {shown}"
                            + (" ..." if len(missing) > _EXAMPLES else ""))
        changed = []
        for k, values in before.rows.items():
            after = now.get(k)
            if after is None:
                continue
            diffs = [f"{c} {values[c]!r} -> {after[c]!r}" for c in columns if values[c] != after[c]]
            if diffs:
                changed.append(f"{_key_text(before.key, k)}: {', '.join(diffs)}")
        if changed:
            shown = "; ".join(clip(c) for c in changed[:_EXAMPLES])
            problems.append(f"{len(changed)} kept rows of {where} changed: {shown}"
                            + (" ..." if len(changed) > _EXAMPLES else ""))
    return problems


def _key_text(key: Sequence[str], values: Sequence[str | None]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))


# --------------------------------------------------------------------------- blame


def blame(conn: psycopg.Connection, path: Path, search_path: str, kept: Sequence[KeptRows]) -> str | None:
    """Replay the level file ``path`` on ``conn`` (a copy of the database before it) statement by
    statement in one transaction, always rolled back; the first statement that fails or after
    which ``kept`` differs, described, else None."""
    found: str | None = None
    conn.execute("BEGIN")
    try:
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(search_path)))
        for statement in level_statements(path):
            try:
                conn.execute(statement.text.encode("utf-8"))
            except psycopg.Error as exc:  # the replay ends here, and is rolled back below
                found = f"{statement.describe()} failed: {first_line(exc)}"
                break
            problems = compare(conn, kept)
            if problems:
                found = f"{statement.describe()} ({problems[0]})"
                break
    finally:
        conn.execute("ROLLBACK")
    return found


# --------------------------------------------------------------------------- checksums


def ensure_table(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL(
        "CREATE TABLE IF NOT EXISTS {}.{} (fixture text PRIMARY KEY, level int NOT NULL, sha256 text NOT NULL,"
        " loaded_at timestamptz NOT NULL DEFAULT now())").format(
            sql.Identifier(schema), sql.Identifier(FIXTURES_TABLE)))


def record(conn: psycopg.Connection, schema: str, fixture: Fixture) -> None:
    """Note ``fixture`` (its sha256) as loaded into this database."""
    conn.execute(sql.SQL("INSERT INTO {}.{} (fixture, level, sha256) VALUES (%s, %s, %s)"
                         " ON CONFLICT (fixture) DO UPDATE SET sha256 = excluded.sha256, loaded_at = now()")
                 .format(sql.Identifier(schema), sql.Identifier(FIXTURES_TABLE)),
                 (fixture.name, fixture.level, fixture.checksum))


def loaded(conn: psycopg.Connection, schema: str) -> dict[str, str]:
    """fixture name -> sha256 of the fixtures recorded as loaded (empty without the table)."""
    exists = conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                          (sql.Identifier(schema, FIXTURES_TABLE).as_string(conn),)).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute(sql.SQL("SELECT fixture, sha256 FROM {}.{}")
                        .format(sql.Identifier(schema), sql.Identifier(FIXTURES_TABLE))).fetchall()
    return {str(name): str(sha) for name, sha in rows}


def changed(fixtures: Sequence[Fixture], recorded: dict[str, str]) -> list[str]:
    """Problems for loaded fixtures whose file changed or is gone since."""
    by_name = {fx.name: fx for fx in fixtures}
    problems = []
    for name, sha in sorted(recorded.items()):
        fixture = by_name.get(name)
        if fixture is None:
            problems.append(f"fixture {name}.sql was loaded but is no longer in the fixtures folder")
        elif (now := fixture.checksum) != sha:
            problems.append(f"{fixture} changed since it was loaded (sha256 {sha[:12]} -> {now[:12]})")
    return problems
