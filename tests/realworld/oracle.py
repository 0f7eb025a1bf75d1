"""The oracle: apply pggit.generate_migration(A, B) to a database at A and compare with B.

For a pair of replay steps (A, B): a fresh plain database gets A's schema dump, every
step of ``generate_migration(A_commit, B_commit)`` (generated in the pggit database) runs
in order in one transaction — lossy steps (commented, ending with ';') uncommented as
``force`` would, notes (commented, no ';') counted as a failure — and the result's
``pg_dump --schema-only`` is compared with B's dump, normalised only for what PostgreSQL
itself reprints (header, SET lines, comment lines, blank lines, ``\\restrict`` keys) and,
for a table a step's warning says ``cannot move a column`` of, that table's column
order (compared as a set). A matches B when it equals B's dump or, since A itself was
restored from a dump and PostgreSQL prints some expressions back differently from how
they were written, B's dump restored and dumped again.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from dataclasses import dataclass, field

import psycopg

from tests.realworld.harness import Replay, client, connect

EXACT, DIFFERS, FAILS = "exact", "differs", "fails"
COLUMN_ORDER_WARNING = "cannot move a column"


@dataclass(frozen=True)
class Pair:
    kind: str  # adjacent-forward, adjacent-backward, far-forward, far-backward
    a: int
    b: int


@dataclass
class PairResult:
    pair: Pair
    status: str = EXACT
    lossy: int = 0  # commented steps the script has (a person must review them)
    steps: int = 0
    error: str = ""  # FAILS: the error; DIFFERS: a unified diff excerpt
    failing_step: str = ""
    migrations: str = ""  # "<A's migration> -> <B's migration>"


# --------------------------------------------------------------------------- pairs


def pairs(last: int, far_spans: tuple[int, ...] = ()) -> list[Pair]:
    """Adjacent pairs both ways; far pairs 0 <-> last; for each span k, i <-> i+k at the start,
    middle and end of the history."""
    chosen = [Pair("adjacent-forward", i, i + 1) for i in range(last)]
    chosen += [Pair("adjacent-backward", i + 1, i) for i in range(last)]
    far = {(0, last)}
    for k in far_spans:
        if 1 < k < last:
            far |= {(i, i + k) for i in (0, (last - k) // 2, last - k)}
    for a, b in sorted(far):
        chosen += [Pair("far-forward", a, b), Pair("far-backward", b, a)]
    return chosen


# --------------------------------------------------------------------------- dumps


_REPRINTED = re.compile(r"^(--.*|\\(un)?restrict \S+|SET \w+ = .*;|SELECT pg_catalog\.set_config\(.*\);|\s*)$")
_CREATE_TABLE = re.compile(r"^CREATE (?:UNLOGGED )?TABLE (\S+) \($")


def normalise(dump: str, unordered_tables: frozenset[str] = frozenset()) -> list[str]:
    """The dump's entries in name order, without what PostgreSQL reprints; the column lines of
    ``unordered_tables`` (qualified names as pg_dump prints them) sorted, without their trailing commas.

    pg_dump sorts its entries by kind and name but moves some to satisfy dependencies, and
    where two objects' order is otherwise free by OID: two equal schemas built in different
    orders can print their entries in different orders. Each entry starts at its
    ``-- Name: ..; Type: ..`` header, which is kept (as its first line) to sort by."""
    entries: list[list[str]] = [[]]
    for line in dump.splitlines():
        if line.startswith("-- Name: "):
            entries.append([line])
        elif not _REPRINTED.match(line):
            entries[-1].append(line)
    lines = [line for entry in [entries[0], *sorted(entries[1:])] for line in entry]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        m = _CREATE_TABLE.match(line)
        if m and m.group(1) in unordered_tables:
            body: list[str] = []
            while i < len(lines) and not lines[i].startswith(")"):
                body.append(lines[i].rstrip(","))
                i += 1
            out.extend(sorted(body))
    return out


def tables_named(warnings: list[str], dump: str) -> frozenset[str]:
    """The tables of ``dump`` (qualified, as pg_dump prints them) that a column-order warning names."""
    named: set[str] = set()
    order_warnings = [w for w in warnings if COLUMN_ORDER_WARNING in w]
    if not order_warnings:
        return frozenset()
    for line in dump.splitlines():
        m = _CREATE_TABLE.match(line)
        if not m:
            continue
        qualified = m.group(1)
        bare = qualified.split(".", 1)[-1].strip('"')
        pattern = re.compile(rf"(?<![\w$]){re.escape(bare)}(?![\w$])")
        if any(qualified in w or pattern.search(w) for w in order_warnings):
            named.add(qualified)
    return frozenset(named)


def pg_dump(conninfo: str, *options: str) -> str:
    done = subprocess.run([client("pg_dump"), "--schema-only", "--no-password", *options, "-d", conninfo],
                          capture_output=True, text=True, check=True)
    return done.stdout


def restore(conn: psycopg.Connection, dump: str) -> None:
    """Run a plain-format schema dump (its psql meta-commands left out)."""
    body = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    conn.execute(body)
    conn.execute("SELECT pg_catalog.set_config('search_path', 'public', false)")


# --------------------------------------------------------------------------- one pair


def generate(gen: psycopg.Connection, a: str, b: str) -> list[tuple[int, str, str | None]]:
    return gen.execute("SELECT step, statement, warning FROM pggit.generate_migration(%s, %s) ORDER BY step",
                       (a, b)).fetchall()


def is_lossy(statement: str) -> bool:
    return statement.startswith("-- ") and statement.rstrip().endswith(";")


def is_note(statement: str) -> bool:
    return statement.startswith("-- ") and not statement.rstrip().endswith(";")


def run_pair(replay: Replay, gen: psycopg.Connection, pair: Pair) -> PairResult:
    steps = replay.steps
    result = PairResult(pair, migrations=f"{steps[pair.a].migration or '(empty)'} -> "
                                         f"{steps[pair.b].migration or '(empty)'}")
    try:
        script = generate(gen, steps[pair.a].commit, steps[pair.b].commit)
    except psycopg.Error as exc:
        result.status, result.error = FAILS, f"generate_migration: {exc.diag.sqlstate}: {exc}".strip()
        return result
    result.steps = len(script)
    result.lossy = sum(1 for _, statement, _ in script if is_lossy(statement))
    notes = [(step, statement, warning) for step, statement, warning in script if is_note(statement)]
    if notes:
        step, statement, warning = notes[0]
        result.status, result.failing_step = FAILS, f"step {step}: {statement}"
        result.error = f"note (not generated): {warning or ''}"
        return result
    name = replay.empty_database(f"rw_pair_{replay.corpus}")
    try:
        conninfo = replay.conninfo(name)
        with connect(conninfo) as conn:
            restore(conn, replay.dump_text(pair.a))
            current = ""
            try:
                with conn.transaction():
                    for step, statement, _ in script:
                        current = f"step {step}: {statement}"
                        if is_lossy(statement):
                            statement = gen.execute("SELECT pggit.uncomment_lines(%s)", (statement,)).fetchone()[0]
                        conn.execute(statement)
            except psycopg.Error as exc:
                result.status, result.failing_step = FAILS, current
                result.error = f"{exc.diag.sqlstate}: {str(exc).strip()}"
                return result
        got = pg_dump(conninfo)
    finally:
        replay.drop(name)
    want = replay.dump_text(pair.b)
    unordered = tables_named([w for _, _, w in script if w], want)
    got_lines = normalise(got, unordered)
    if normalise(want, unordered) == got_lines:
        return result
    # A was restored from its dump, and PostgreSQL does not always print back what it parsed
    # (e.g. `status IN ('a', 'b')` prints as `= ANY ((ARRAY[..])::text[])`, which, parsed again,
    # prints as `= ANY (ARRAY[(..)::text, ..])`): B restored from its own dump is the other reference.
    want_lines = normalise(roundtrip(replay, pair.b), unordered)
    if want_lines != got_lines:
        result.status = DIFFERS
        diff = list(difflib.unified_diff(want_lines, got_lines, "B (replayed, restored)", "A + script", n=1,
                                         lineterm=""))
        result.error = "\n".join(diff[:40])
    return result


def roundtrip(replay: Replay, index: int) -> str:
    """Step ``index``'s dump restored into a fresh database and dumped again (cached in the replay's folder)."""
    path = replay.folder / f"{index:04d}.restored.sql"
    if not path.exists():
        name = replay.empty_database(f"rw_restored_{replay.corpus}")
        try:
            with connect(replay.conninfo(name)) as conn:
                restore(conn, replay.dump_text(index))
            path.write_text(pg_dump(replay.conninfo(name)), "utf-8")
        finally:
            replay.drop(name)
    return path.read_text("utf-8")


@dataclass
class Summary:
    results: list[PairResult] = field(default_factory=list)

    def count(self, status: str, kind: str | None = None) -> int:
        return sum(1 for r in self.results if r.status == status and (kind is None or r.pair.kind == kind))

    @property
    def lossy_pairs(self) -> int:
        return sum(1 for r in self.results if r.lossy)

    def failing(self) -> list[PairResult]:
        return [r for r in self.results if r.status != EXACT]


def run_pairs(replay: Replay, chosen: list[Pair]) -> Summary:
    summary = Summary()
    with connect(replay.conninfo()) as gen:
        for pair in chosen:
            summary.results.append(run_pair(replay, gen, pair))
    return summary
