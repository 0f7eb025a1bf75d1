"""The README's SQL is one story that runs, in order, on a fresh database at head.

Every ```sql block of README.md runs on one connection (autocommit, as psql sends it)
and every query's rows are compared with the ``-- =>`` lines under it; the convention
is in tests/docs/sqlstory.py and at the top of the README's story. Every document under
docs/ with ```sql blocks is a story too, each on a fresh database of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.docs import sqlstory

ROOT = Path(__file__).resolve().parents[2]

# (file, at least this many statements, roles the story creates): the minimums keep the
# test from passing on a file whose blocks were emptied or lost their results.
STORIES = [
    ("README.md", 15, ()),
    ("docs/TRACKING.md", 30, ()),
    ("docs/SECURITY.md", 9, ("auditor", "clerk")),
    ("docs/OPERATIONS.md", 2, ()),
    ("docs/DATA_BRANCHES.md", 15, ()),
    ("docs/REFS_AND_MERGE.md", 40, ()),
    ("docs/LIVE_MIGRATIONS.md", 8, ()),
    ("docs/STRICT_REFS.md", 12, ()),
    ("docs/POOLING.md", 10, ()),
]


def test_every_file_with_sql_blocks_is_a_story() -> None:
    """A new document with ```sql blocks is run too: none escapes by not being listed."""
    with_sql = {str(path.relative_to(ROOT)) for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
                if _fences(path.read_text())}
    assert with_sql == {name for name, _, _ in STORIES}


def _fences(text: str) -> int:
    """```sql fences counted on the raw text, independently of the parser."""
    return sum(1 for line in text.splitlines() if line.strip() == "```sql")


@pytest.mark.parametrize(("name", "at_least", "roles"), STORIES, ids=[s[0] for s in STORIES])
def test_sql_blocks_run_as_one_story(
    name: str,
    at_least: int,
    roles: tuple[str, ...],
    pggit_new_database: Callable[[int], str],
    pggit_head: int,
) -> None:
    path = ROOT / name
    text = path.read_text()
    blocks = sqlstory.sql_blocks(text)
    statements = sum(len(block.statements) for block in blocks)
    assert len(blocks) == _fences(text) and blocks, f"{name}: every ```sql block is parsed"
    assert all(block.statements for block in blocks), f"{name}: a ```sql block without a statement"
    assert statements >= at_least, f"{name}: {statements} statements, expected at least {at_least}"

    with psycopg.connect(pggit_new_database(pggit_head), autocommit=True) as conn:
        try:
            outcome = sqlstory.Story(conn, name).run(blocks)
        finally:
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()
            conn.execute("RESET ROLE")
            for role in roles:  # roles are the server's, not the database's: leave none behind
                conn.execute(f'DROP ROLE IF EXISTS "{role}"'.encode())

    assert (outcome.blocks, outcome.statements) == (len(blocks), statements)
    # every query showed rows that were compared; a story of DDL alone proves nothing
    assert outcome.queries_compared >= statements // 3


# --------------------------------------------------------------------------- the runner itself


def test_statements_split_as_psql_splits_them() -> None:
    text = (
        "SELECT 'a;b', \"x;y\", E'\\';', $$;$$, $q$ ; $q$; -- => a;b\n"
        "/* ; /* nested ; */ */ SELECT 1;\n"
        "-- a comment ; between statements\n"
        "SELECT 2;\n-- => 2\n-- => 3\n"
    )
    statements = sqlstory.split_statements(text, first_line=10)
    assert [(s.line, s.expected) for s in statements] == [(10, ["a;b"]), (11, []), (13, ["2", "3"])]
    assert statements[1].sql == "/* ; /* nested ; */ */ SELECT 1;"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("SELECT 1", "statement without a closing ;"),
        ("-- => 1\nSELECT 1;", "with no statement before it"),
        ("SELECT\n-- => 1\n1;", "inside a statement"),
    ],
)
def test_malformed_blocks_are_refused(text: str, error: str) -> None:
    with pytest.raises(sqlstory.StoryError, match=error):
        sqlstory.split_statements(text, first_line=1)


def test_unclosed_block_is_refused() -> None:
    with pytest.raises(sqlstory.StoryError, match="line 2: ```sql block is not closed"):
        sqlstory.sql_blocks("text\n```sql\nSELECT 1;\n")


@pytest.mark.parametrize(
    ("cell", "value", "matches"),
    [
        ("<id>", "20261207050159952719-000000-26fb78a3", True),
        ("<id>", "2026120705015995271-000000-26fb78a3", False),
        ("<hash>", "ab" * 32, True),
        ("<hash>", "ab" * 31, False),
        ("<time>", "2026-12-07 05:01:59.953022+00", True),
        ("<n> rows", "12 rows", True),
        ("Revert \"<any>\"", 'Revert "keys"', True),
        ("NULL", None, True),
        ("", None, False),
        ("1.1.0", "1.1.1", False),
    ],
)
def test_placeholders(cell: str, value: str | None, matches: bool) -> None:
    assert sqlstory.cell_matches(cell, value, {}) is matches


def test_a_named_placeholder_is_one_value() -> None:
    binding: dict[str, str] = {}
    first, second = "20261207050159952719-000000-26fb78a3", "20261207050159957084-000001-dda9ce4b"
    assert sqlstory.cell_matches("<id:c1>", first, binding)
    assert sqlstory.cell_matches("<id:c1>", first, binding)
    assert not sqlstory.cell_matches("<id:c1>", second, binding)
    assert sqlstory.cell_matches("<id:c2>", second, binding)


def test_cells_split_at_unescaped_bars() -> None:
    assert sqlstory.split_cells(" a | b\\|c |  ") == ["a", "b|c", ""]
    assert sqlstory.format_row(["a", None, "b|c"]) == "a | NULL | b\\|c"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("SELECT 1;\n-- => 2", "expected:\n  -- => 2\n  got:\n  -- => 1"),
        ("SELECT 1;", "returns rows but shows none"),
        ("SELECT 1 UNION ALL SELECT 2;\n-- => 1", "expected:"),
        ("SELECT 1, 2;\n-- => 1", "expected:"),
        ("SELECT 1/0;", "failed: 22012"),
        ("SELECT 1/0;\n-- => ERROR 42501", "got ERROR 22012"),
        ("SELECT 1;\n-- => ERROR 22012", "but it succeeded"),
        ("SELECT 1/0;\n-- => ERROR 22012: permission", "got ERROR 22012: division by zero"),
        ("CREATE TEMP TABLE t (a int);\n-- => CREATE VIEW", "got CREATE TABLE"),
        ("SELECT '20261207050159952719-000000-26fb78a3', '20261207050159957084-000001-dda9ce4b';\n"
         "-- => <id:a> | <id:a>", "expected:"),
    ],
)
def test_a_wrong_result_fails_naming_its_line(
    block: str, message: str, pggit_new_database: Callable[[int], str], pggit_head: int
) -> None:
    markdown = f"# t\n\n```sql\n{block}\n```\n"
    with (
        psycopg.connect(pggit_new_database(pggit_head), autocommit=True) as conn,
        pytest.raises(sqlstory.StoryError) as failure,
    ):
        sqlstory.Story(conn, "T.md").run(sqlstory.sql_blocks(markdown))
    assert str(failure.value).startswith("T.md:4 (block at line 3): ")
    assert message in str(failure.value)


def test_transactions_in_a_block_work_as_in_psql(
    pggit_new_database: Callable[[int], str], pggit_head: int
) -> None:
    markdown = (
        "```sql\nCREATE TABLE t (a int);\nBEGIN;\nINSERT INTO t VALUES (1);\n-- => INSERT 0 1\n"
        "SELECT 1/0;\n-- => ERROR 22012\nSELECT 1;\n-- => ERROR 25P02\nROLLBACK;\n"
        "SELECT count(*) FROM t;\n-- => 0\n"
        "BEGIN;\nINSERT INTO t VALUES (2);\nCOMMIT;\nSELECT a FROM t;\n-- => 2\n"
        "SELECT a FROM t WHERE a > 2;\n-- => (0 rows)\n```\n"
    )
    with psycopg.connect(pggit_new_database(pggit_head), autocommit=True) as conn:
        outcome = sqlstory.Story(conn, "T.md").run(sqlstory.sql_blocks(markdown))
    assert (outcome.blocks, outcome.statements, outcome.queries_compared) == (1, 12, 6)


@pytest.mark.parametrize("name", [story[0] for story in STORIES])
def test_no_sql_hides_in_a_block_that_does_not_run(name: str) -> None:
    """SQL is shown only in ```sql blocks (which run); shell in ```sh / ```bash."""
    fences = [line.strip() for line in (ROOT / name).read_text().splitlines() if line.strip().startswith("```")]
    openings = fences[0::2]
    assert all(fence in ("```sql", "```sh", "```bash") for fence in openings), openings
    assert all(fence == "```" for fence in fences[1::2])
