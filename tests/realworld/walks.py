"""Backward walks with rows: pggit.revert of each commit in turn, and pggit.checkout(branch, apply => true).

Both start from a copy of the replay's pggit database at the end of the history, seeded with
rows (:func:`seed`: a few rows in every table, every column given a value of its type,
foreign keys pointing at rows of the referenced table, tables in foreign-key order).

Each step must succeed. The revert walk goes on after a failed step (a failed revert
leaves nothing), counting the reverts refused because of it as blocked; the checkout walk
stops at its first failure (every later checkout would include the failed step).
``force`` is passed only when the step's script has lossy (commented) steps. Before and
after each step every table's row count and every column's non-NULL count are taken,
keyed by the table's OID and the column's number (renames keep both): a table or column
that is gone, or holds fewer rows or values, is a loss unless a lossy step of that
script names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from tests.realworld.harness import Replay, connect
from tests.realworld.oracle import generate, is_lossy

ROWS = 3
_USER_TABLES = """
SELECT c.oid, n.nspname, c.relname
  FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
   AND n.nspname NOT IN ('pggit', 'pggit_data', 'pggit_meta')
 ORDER BY 2, 3
"""
_COLUMNS = """
SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> '',
       t.typcategory, t.typname, t.oid
  FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
 WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
"""
_FOREIGN_KEYS = """
SELECT conrelid, conkey[1], confrelid, confkey[1]
  FROM pg_catalog.pg_constraint WHERE contype = 'f' AND cardinality(conkey) = 1
"""


# --------------------------------------------------------------------------- seeding


def _value(
    n: int, type_name: str, category: str, typname: str, type_oid: int, conn: psycopg.Connection
) -> sql.Composable | None:
    """A value of the column's type for row ``n`` (distinct per row where the type allows)."""
    m = re.match(r"character(?: varying)?\((\d+)\)", type_name)
    if typname == "uuid":
        return sql.SQL("md5({})::uuid").format(sql.Literal(f"row {n}"))
    if typname in ("json", "jsonb"):
        return sql.SQL("{}::{}").format(sql.Literal(f'{{"n": {n}}}'), sql.SQL(typname))
    if typname == "bytea":
        return sql.SQL("'\\x00'::bytea")
    if typname == "tsvector":
        return sql.SQL(f"'w{n}'::tsvector")
    if category == "N":  # above the keys data migrations use; numeric(p, s) may hold only small values
        return sql.Literal(n if type_name.startswith("numeric(") else 1000 + n)
    if category == "S":  # digits: a text column that goes back to a number keeps its values
        text = str(1000 + n)
        if m:
            text = text[: int(m.group(1))]
        return sql.Literal(text)
    if category == "B":
        return sql.Literal(n % 2 == 0)
    if category == "D":
        return sql.SQL("{}::{}").format(sql.Literal(f"2020-01-{n:02d} 00:00:{n:02d}+00"), sql.SQL(type_name))
    if category == "T":
        return sql.SQL("{}::interval").format(sql.Literal(f"{n} seconds"))
    if category == "A":
        return sql.SQL("'{{}}'::{}").format(sql.SQL(type_name))
    if category == "I":
        return sql.SQL("{}::{}").format(sql.Literal(f"10.0.0.{n}"), sql.SQL(type_name))
    if category == "E":
        label = conn.execute("SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = %s ORDER BY enumsortorder"
                             " LIMIT 1", (type_oid,)).fetchone()
        return sql.SQL("{}::{}").format(sql.Literal(label[0]), sql.SQL(type_name)) if label else None
    return None


@dataclass
class Seeded:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows inserted
    errors: dict[str, str] = field(default_factory=dict)  # table -> the first error


def seed(conn: psycopg.Connection, rows: int = ROWS) -> Seeded:
    """``rows`` rows in every user table, in foreign-key order (each row in a savepoint)."""
    tables = {oid: f"{sql.Identifier(ns).as_string(conn)}.{sql.Identifier(rel).as_string(conn)}"
              for oid, ns, rel in conn.execute(_USER_TABLES).fetchall()}
    fks: dict[tuple[int, int], tuple[int, int]] = {
        (rel, col): (ref, refcol) for rel, col, ref, refcol in conn.execute(_FOREIGN_KEYS).fetchall() if rel in tables
    }
    deps = {oid: {ref for (rel, _), (ref, _) in fks.items() if rel == oid and ref != oid} for oid in tables}
    order: list[int] = []
    pending = set(tables)
    while pending:
        ready = sorted(oid for oid in pending if deps[oid] <= set(order)) or sorted(pending)[:1]
        for oid in ready:
            order.append(oid)
            pending.discard(oid)
    done = Seeded()
    for oid in order:
        columns = conn.execute(_COLUMNS, (oid,)).fetchall()
        inserted = 0
        for n in range(1, rows + 1):
            values: dict[int, tuple[str, sql.Composable]] = {}
            for attnum, name, type_name, _, generated, category, typname, type_oid in columns:
                if generated or (oid, attnum) in fks:
                    continue
                value = _value(n, type_name, category, typname, type_oid, conn)
                if value is not None:
                    values[attnum] = (name, value)
            for attnum, name, type_name, _, _, _, _, _ in columns:
                if (oid, attnum) not in fks:
                    continue
                ref, refcol = fks[(oid, attnum)]
                if ref == oid:
                    own = values.get(refcol)
                    if own is not None:
                        values[attnum] = (name, own[1])
                    continue
                refname = conn.execute(
                    "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s AND attnum = %s", (ref, refcol)
                ).fetchone()[0]
                # the newest rows first: the rows the seeder made, not the ones data migrations made
                found = conn.execute(sql.SQL("SELECT {} FROM {} ORDER BY 1 DESC OFFSET %s LIMIT 1").format(
                    sql.Identifier(refname), sql.SQL(tables[ref])), (n - 1,)).fetchone() or conn.execute(
                    sql.SQL("SELECT {} FROM {} ORDER BY 1 DESC LIMIT 1").format(
                        sql.Identifier(refname), sql.SQL(tables[ref]))).fetchone()
                if found is not None:
                    values[attnum] = (name, sql.SQL("{}::{}").format(sql.Literal(found[0]), sql.SQL(type_name)))
            statement = sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ({})").format(
                sql.SQL(tables[oid]), sql.SQL(", ").join(sql.Identifier(name) for name, _ in values.values()),
                sql.SQL(", ").join(value for _, value in values.values()))
            try:
                with conn.transaction():
                    conn.execute(statement)
                inserted += 1
            except psycopg.Error as exc:
                done.errors.setdefault(tables[oid], f"{exc.diag.sqlstate}: {str(exc).strip()[:200]}")
        done.rows[tables[oid]] = inserted
    return done


# --------------------------------------------------------------------------- counting


Counts = dict[int, tuple[str, int, dict[int, tuple[str, int]]]]  # oid -> (table, rows, attnum -> (column, values))


def counts(conn: psycopg.Connection) -> Counts:
    found: Counts = {}
    for oid, ns, rel in conn.execute(_USER_TABLES).fetchall():
        name = f"{sql.Identifier(ns).as_string(conn)}.{sql.Identifier(rel).as_string(conn)}"
        columns = [(attnum, attname) for attnum, attname, *_ in conn.execute(_COLUMNS, (oid,)).fetchall()]
        query = sql.SQL("SELECT count(*){} FROM {}").format(
            sql.SQL("").join(sql.SQL(", count({})").format(sql.Identifier(c)) for _, c in columns), sql.SQL(name))
        row = conn.execute(query).fetchone()
        found[oid] = (name, row[0], {attnum: (c, row[i + 1]) for i, (attnum, c) in enumerate(columns)})
    return found


def _named(lossy: list[str], *names: str) -> bool:
    return any(all(re.search(rf"(?<![\w$]){re.escape(n)}(?![\w$])", s) for n in names) for s in lossy)


def losses(before: Counts, after: Counts, lossy: list[str]) -> list[str]:
    """What ``after`` lacks of ``before`` that no lossy statement names."""
    lost: list[str] = []
    for oid, (table, rows, columns) in before.items():
        bare = table.split(".", 1)[-1].strip('"')
        if oid not in after:
            if rows and not _named(lossy, bare):
                lost.append(f"table {table} ({rows} rows) dropped, not by a lossy step")
            continue
        _, rows_after, columns_after = after[oid]
        if rows_after < rows:
            lost.append(f"table {table}: {rows} rows before, {rows_after} after")
        for attnum, (column, values) in columns.items():
            if not values:
                continue
            got = columns_after.get(attnum, (column, 0))[1]
            if got < values and not _named(lossy, bare, column):
                lost.append(f"column {table}.{column}: {values} values before, {got} after, not by a lossy step")
    return lost


# --------------------------------------------------------------------------- walks


@dataclass
class WalkStep:
    target: int  # the replay step the live schema should be at afterwards
    action: str  # the SQL run
    forced: bool = False
    error: str = ""
    lost: list[str] = field(default_factory=list)
    blocked: bool = False  # refused only because an earlier step of the walk failed
    person: list[str] = field(default_factory=list)  # NULLs a person filled first (fill_nulls)

    @property
    def ok(self) -> bool:
        return not self.error and not self.lost


@dataclass
class Walk:
    kind: str  # revert or checkout
    seeded: Seeded
    steps: list[WalkStep] = field(default_factory=list)
    planned: int = 0

    @property
    def failed(self) -> list[WalkStep]:
        return [s for s in self.steps if not s.ok]


_SET_NOT_NULL = re.compile(r'^ALTER TABLE ((?:"(?:[^"]|"")*"|[^".\s]+)\.(?:"(?:[^"]|"")*"|[^".\s]+)) '
                           r'ALTER COLUMN ((?:"(?:[^"]|"")*"|[^".\s]+)) SET NOT NULL;$')


def fill_nulls(conn: psycopg.Connection, script: list[tuple[int, str, str | None]]) -> list[str]:
    """The person's part of a script that makes a column NOT NULL while rows hold NULL in it.

    The generator cannot know what such rows should hold (a placeholder would break a unique
    key; the application's own reverse migration computes it from other data): it warns
    "fails if a row holds NULL". A DBA decides; the walk decides as one would, giving each
    such row a distinct value of the column's type (the seeder's), so that the walk goes on
    to test the rest. Returns what it filled ("table.column: n rows").
    """
    filled: list[str] = []
    for _, statement, _ in script:
        m = _SET_NOT_NULL.match(statement)
        if m is None:
            continue
        table, column = m.group(1), m.group(2)
        rel = conn.execute("SELECT pg_catalog.to_regclass(%s)::oid", (table,)).fetchone()[0]
        if rel is None:
            continue
        bare = column[1:-1].replace('""', '"') if column.startswith('"') else column
        info = [c for c in conn.execute(_COLUMNS, (rel,)).fetchall() if c[1] == bare]
        if not info:
            continue
        _, name, type_name, _, _, category, typname, type_oid = info[0]
        tids = [t for (t,) in conn.execute(sql.SQL("SELECT ctid::text FROM {} WHERE {} IS NULL").format(
            sql.SQL(table), sql.Identifier(name))).fetchall()]
        for i, tid in enumerate(tids):
            value = _value(900 + i, type_name, category, typname, type_oid, conn)
            if value is None:
                break
            conn.execute(sql.SQL("UPDATE {} SET {} = {} WHERE ctid = %s::tid").format(
                sql.SQL(table), sql.Identifier(name), value), (tid,))
        if tids:
            filled.append(f"{table}.{column}: {len(tids)} rows")
    return filled


def _step(conn: psycopg.Connection, step: WalkStep, query: str, args: tuple[object, ...], lossy: list[str],
          script: list[tuple[int, str, str | None]] | None = None) -> None:
    before = counts(conn)
    try:
        conn.execute(query, args)
    except psycopg.Error as exc:
        step.error = f"{exc.diag.sqlstate}: {str(exc).strip()[:600]}"
        # a column becoming NOT NULL over rows that hold NULL: the person's part, then once more
        if exc.diag.sqlstate in ("23502", "23505") and script is not None:
            step.person = fill_nulls(conn, script)
            if step.person:
                step.error = ""
                _step(conn, step, query, args, lossy)
        return
    step.lost = losses(before, counts(conn), lossy)


def revert_walk(replay: Replay, stop: int = 0) -> Walk:
    """pggit.revert of the last commit, then the one before, ... down to step ``stop``'s commit."""
    name = replay.clone(f"rw_revert_{replay.corpus}")
    try:
        with connect(replay.conninfo(name)) as conn:
            walk = Walk("revert", seed(conn))
            last = len(replay.steps) - 1
            walk.planned = last - stop
            for index in range(last, stop, -1):
                commit, parent = replay.steps[index].commit, replay.steps[index - 1].commit
                script = generate(conn, commit, parent)
                lossy = [s for _, s, _ in script if is_lossy(s)]
                step = WalkStep(index - 1, f"SELECT pggit.revert('{commit}', force => {bool(lossy)})", bool(lossy))
                walk.steps.append(step)
                _step(conn, step, "SELECT pggit.revert(%s, force => %s)", (commit, bool(lossy)), lossy, script)
                # a failed revert leaves nothing: the walk goes on with the commits before it, and a
                # revert refused because the failed one's objects are not back is counted as blocked
                step.blocked = bool(step.error) and "changed what it changed" in step.error and any(
                    s.error for s in walk.steps[:-1])
        return walk
    finally:
        replay.drop(name)


def checkout_walk(replay: Replay, targets: list[int]) -> Walk:
    """pggit.checkout(branch of step t, apply => true) for each t of ``targets`` in turn, from the last step."""
    name = replay.clone(f"rw_checkout_{replay.corpus}")
    try:
        with connect(replay.conninfo(name)) as conn:
            walk = Walk("checkout", seed(conn), planned=len(targets))
            for target in targets:
                branch = replay.steps[target].branch
                script = generate(conn, "WORKING", branch)
                lossy = [s for _, s, _ in script if is_lossy(s)]
                step = WalkStep(target, f"SELECT pggit.checkout('{branch}', apply => true, force => {bool(lossy)})",
                                bool(lossy))
                walk.steps.append(step)
                _step(conn, step, "SELECT pggit.checkout(%s, apply => true, force => %s)", (branch, bool(lossy)),
                      lossy, script)
                if step.error:
                    break  # every later target's script includes what failed
        return walk
    finally:
        replay.drop(name)
