"""Run the ```sql blocks of a Markdown file as one story and compare their results.

The convention (README.md's "The SQL in this README" says the same to readers):

* Every ```sql block of the file runs, in file order, on one connection to one fresh
  database, statement by statement as ``psql`` sends them: autocommit, so a statement
  is its own transaction unless the block says ``BEGIN`` (then up to ``COMMIT`` /
  ``ROLLBACK``).
* A statement's result is written in ``-- =>`` comments right after its ``;`` (on the
  same line or the lines that follow, before the next statement): one ``-- =>`` line per
  row, its columns separated by ``|`` (spaces around a value do not count, ``\\|`` is a
  ``|`` inside a value), values as PostgreSQL prints them (``t``/``f``, ``1.1.0``,
  ``{"id": 1}``), ``NULL`` for a null. ``-- => (0 rows)`` is no row.
  ``-- => ERROR 42501`` (optionally ``: <start of the message>``) is an error.
  A statement that returns no rows (DDL, INSERT without RETURNING) may show its command
  tag (``-- => INSERT 0 3``).
* Every statement that returns rows shows them: a query without ``-- =>`` fails the test.
* Values that differ per run are placeholders: ``<id>`` (a Trinity ID, a commit's id),
  ``<hash>`` (64 hex digits), ``<time>`` (a timestamp with time zone), ``<n>`` (an integer),
  ``<any>`` (anything without ``|``). ``<id:c1>`` names one: every ``<id:c1>`` in the
  file must be the same value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

RESULT_MARK = "-- =>"

PLACEHOLDERS = {
    "id": r"\d{20}-[0-9a-z]{6}-[0-9a-f]{8}",
    "hash": r"[0-9a-f]{64}",
    "time": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d(?::\d\d)?",
    "n": r"-?\d+",
    "any": r"[^|]*?",
}
_PLACEHOLDER = re.compile(r"<(" + "|".join(PLACEHOLDERS) + r")(?::([A-Za-z0-9_]+))?>")
_ERROR = re.compile(r"^ERROR ([0-9A-Z]{5})(?::\s*(.*))?$")


@dataclass
class Statement:
    """One statement of a block, with the result its comments show."""

    sql: str
    line: int  # line in the Markdown file where the statement starts
    expected: list[str] = field(default_factory=list)  # the text after each "-- =>"


@dataclass
class Block:
    line: int  # line of the opening ```sql fence
    statements: list[Statement]


class StoryError(AssertionError):
    pass


def sql_blocks(markdown: str) -> list[Block]:
    """Every ```sql block of ``markdown``, in order, split into statements."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```sql":
            start = index
            index += 1
            body: list[str] = []
            while index < len(lines) and lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            if index == len(lines):
                raise StoryError(f"line {start + 1}: ```sql block is not closed")
            blocks.append(Block(start + 1, split_statements("\n".join(body), first_line=start + 2)))
        index += 1
    return blocks


def split_statements(text: str, first_line: int) -> list[Statement]:
    """Statements of ``text`` (SQL with comments) and the ``-- =>`` comments after each.

    Quotes ('..', E'..', "..", $tag$..$tag$) and comments (-- and nested /* */) are
    skipped when looking for the ``;`` that ends a statement, as psql does.
    """
    statements: list[Statement] = []
    current: list[str] = []
    start_line: int | None = None
    last: Statement | None = None  # the statement whose results may follow
    pos = 0
    line = first_line
    n = len(text)

    def take(upto: int) -> None:
        nonlocal pos, line
        chunk = text[pos:upto]
        current.append(chunk)
        line += chunk.count("\n")
        pos = upto

    while pos < n:
        char = text[pos]
        if text.startswith("--", pos):
            end = text.find("\n", pos)
            end = n if end == -1 else end
            comment = text[pos:end]
            if comment.startswith(RESULT_MARK):
                if "".join(current).strip():
                    raise StoryError(f"line {line}: a {RESULT_MARK} comment inside a statement (before its ;)")
                if last is None:
                    raise StoryError(f"line {line}: a {RESULT_MARK} comment with no statement before it")
                last.expected.append(comment[len(RESULT_MARK):].strip())
                pos = end
                continue
            if "".join(current).strip():
                take(end)
            else:
                pos = end  # a comment between statements is no part of the next one
            continue
        if not char.isspace() and start_line is None:
            start_line = line
            last = None
        if text.startswith("/*", pos):
            depth, scan = 0, pos
            while scan < n:
                if text.startswith("/*", scan):
                    depth, scan = depth + 1, scan + 2
                elif text.startswith("*/", scan):
                    depth, scan = depth - 1, scan + 2
                    if depth == 0:
                        break
                else:
                    scan += 1
            take(scan)
            continue
        if char == "'" or (char in "eE" and text.startswith("'", pos + 1) and not _word_before(text, pos)):
            quote = pos + (1 if char != "'" else 0)
            backslash = char != "'"
            scan = quote + 1
            while scan < n:
                if backslash and text[scan] == "\\":
                    scan += 2
                    continue
                if text[scan] == "'":
                    if text.startswith("''", scan):
                        scan += 2
                        continue
                    break
                scan += 1
            take(min(scan + 1, n))
            continue
        if char == '"':
            scan = pos + 1
            while scan < n and not (text[scan] == '"' and not text.startswith('""', scan)):
                scan += 2 if text.startswith('""', scan) else 1
            take(min(scan + 1, n))
            continue
        if char == "$":
            match = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", text[pos:])
            if match and not _word_before(text, pos):
                tag = match.group(0)
                end = text.find(tag, pos + len(tag))
                end = n if end == -1 else end + len(tag)
                take(end)
                continue
        if char == ";":
            take(pos + 1)
            sql = "".join(current).strip()
            assert start_line is not None
            last = Statement(sql, start_line)
            statements.append(last)
            current.clear()
            start_line = None
            continue
        take(pos + 1)
    if "".join(current).strip():
        raise StoryError(f"line {start_line}: statement without a closing ; : {''.join(current).strip()[:80]}")
    return statements


def _word_before(text: str, pos: int) -> bool:
    return pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "_$")


@dataclass
class Outcome:
    """What running a story did: numbers a test asserts on."""

    blocks: int = 0
    statements: int = 0
    queries_compared: int = 0


class Story:
    """Runs blocks on one connection, binding named placeholders across the whole story."""

    def __init__(self, conn: psycopg.Connection, source: str) -> None:
        self.conn = conn
        self.source = source
        self.bound: dict[str, str] = {}
        self.outcome = Outcome()

    def run(self, blocks: list[Block]) -> Outcome:
        for block in blocks:
            for statement in block.statements:
                self._run_statement(block, statement)
                self.outcome.statements += 1
            self.outcome.blocks += 1
        return self.outcome

    def _where(self, block: Block, statement: Statement) -> str:
        return f"{self.source}:{statement.line} (block at line {block.line}): {statement.sql}"

    def _run_statement(self, block: Block, statement: Statement) -> None:
        expected = statement.expected
        error = _ERROR.match(expected[0]) if len(expected) == 1 else None
        with self.conn.cursor() as cur:
            try:
                cur.execute(statement.sql.encode(), prepare=False)
            except psycopg.Error as exc:
                state = exc.sqlstate or "?"
                message = exc.diag.message_primary or str(exc)
                if error is None:
                    raise StoryError(f"{self._where(block, statement)}\n  failed: {state} {message}") from exc
                if state != error.group(1) or (error.group(2) and not message.startswith(error.group(2))):
                    raise StoryError(
                        f"{self._where(block, statement)}\n  expected ERROR {error.group(1)}"
                        f"{': ' + error.group(2) if error.group(2) else ''}\n  got ERROR {state}: {message}"
                    ) from exc
                self.outcome.queries_compared += 1
                return
            if error is not None:
                raise StoryError(f"{self._where(block, statement)}\n  expected {expected[0]}, but it succeeded")
            if cur.description is None:
                if expected:
                    if expected != [cur.statusmessage]:
                        raise StoryError(
                            f"{self._where(block, statement)}\n  expected {expected}\n  got {cur.statusmessage}"
                        )
                    self.outcome.queries_compared += 1
                return
            result = cur.pgresult
            assert result is not None
            rows = [
                [_text(result.get_value(row, col)) for col in range(result.nfields)]
                for row in range(result.ntuples)
            ]
        if not expected:
            shown = "\n".join(f"  {RESULT_MARK} {format_row(row)}" for row in rows) or f"  {RESULT_MARK} (0 rows)"
            raise StoryError(f"{self._where(block, statement)}\n  returns rows but shows none:\n{shown}")
        self._compare(block, statement, rows)
        self.outcome.queries_compared += 1

    def _compare(self, block: Block, statement: Statement, rows: list[list[str | None]]) -> None:
        expected = statement.expected
        if expected == ["(0 rows)"]:
            expected = []
        got = "\n".join(f"  {RESULT_MARK} {format_row(row)}" for row in rows) or f"  {RESULT_MARK} (0 rows)"
        want = "\n".join(f"  {RESULT_MARK} {line}" for line in expected) or f"  {RESULT_MARK} (0 rows)"
        mismatch = StoryError(f"{self._where(block, statement)}\n  expected:\n{want}\n  got:\n{got}")
        if len(rows) != len(expected):
            raise mismatch
        binding = dict(self.bound)
        for row, line in zip(rows, expected, strict=True):
            cells = split_cells(line)
            if len(cells) != len(row):
                raise mismatch
            for value, cell in zip(row, cells, strict=True):
                if not cell_matches(cell, value, binding):
                    raise mismatch
        self.bound = binding


def split_cells(line: str) -> list[str]:
    """The cells of one ``-- =>`` line: split at ``|`` (not ``\\|``), trimmed."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)]


def format_row(row: list[str | None]) -> str:
    return " | ".join("NULL" if value is None else value.replace("|", "\\|") for value in row)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def cell_matches(cell: str, value: str | None, binding: dict[str, str]) -> bool:
    if value is None:
        return cell == "NULL"
    names: list[tuple[str, str | None]] = []
    pattern = ""
    last = 0
    for match in _PLACEHOLDER.finditer(cell):
        pattern += re.escape(cell[last:match.start()]) + f"({PLACEHOLDERS[match.group(1)]})"
        names.append((match.group(1), match.group(2)))
        last = match.end()
    pattern += re.escape(cell[last:])
    found = re.fullmatch(pattern, value.strip(), re.DOTALL)
    if found is None:
        return False
    for (kind, label), text in zip(names, found.groups(), strict=True):
        if label is None:
            continue
        key = f"{kind}:{label}"
        if binding.setdefault(key, text) != text:
            return False
    return True


def run_markdown(path: Path, conn: psycopg.Connection) -> tuple[list[Block], Outcome]:
    """Run every ```sql block of ``path`` on ``conn``; raises StoryError naming the line."""
    blocks = sql_blocks(path.read_text())
    return blocks, Story(conn, path.name).run(blocks)
