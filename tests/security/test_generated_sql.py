"""Generated SQL cannot be broken out of (issue 11 item 3).

Whatever a name or a stored definition holds, a commented step of
``pggit.generate_migration`` (and of ``merge().migration``, ``pggit-sql script``)
stays a comment on every line, and a statement stays one statement. Checked with the
lead's lexer (``pggit.split_statements``, read from a level-5 database even when the
probes run at level 4) and end to end: the script is run by a superuser with
``psql -1 -f`` and the ``ALTER ROLE .. SUPERUSER`` planted in the names never runs.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from sechelp import assert_not_escalated, role_state

from pggit_sql import pgserver
from pggit_sql.refs import Step
from pggit_sql.render import comment_step, schema_script

pytestmark = pytest.mark.pggit_level(min=5)

LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_SEQ = itertools.count(1)


@pytest.fixture
def lexer(pggit_level: int, pggit_new_database: Callable[[int], str]) -> Iterator[psycopg.Connection]:
    """A connection to a level-5 database, for pggit.split_statements (also when probing level 4)."""
    conn = psycopg.connect(pggit_new_database(max(pggit_level, 5)), autocommit=True)
    yield conn
    conn.close()


def split(lexer: psycopg.Connection, text: str) -> list[tuple[str, bool]]:
    return [(s, u) for (s, u) in lexer.execute(
        "SELECT statement, unterminated FROM pggit.split_statements(%s) ORDER BY ordinal", (text,))]


def assert_script_is_safe(lexer: psycopg.Connection, steps: list[tuple[int, str, str | None]]) -> None:
    """Every commented step is comment on every line; every other step is exactly one statement."""
    plain = 0
    for step, statement, _warning in steps:
        if statement.startswith("--"):
            lines = LINE_BREAK.split(statement)
            assert all(line.startswith("--") for line in lines), f"step {step} leaves a line uncommented: {statement!r}"
            assert split(lexer, statement) == [], f"step {step} is not only comment: {statement!r}"
        else:
            plain += 1
            parts = split(lexer, statement)
            assert len(parts) == 1 and not parts[0][1], f"step {step} is not one statement: {statement!r} -> {parts}"
    script = "\n".join(s for _, s, _ in steps)
    assert len(split(lexer, script)) == plain, "the script's statements do not line up with its steps"


def migration(conn: psycopg.Connection, a: str, b: str) -> list[tuple[int, str, str | None]]:
    return conn.execute("SELECT step, statement, warning FROM pggit.generate_migration(%s, %s) ORDER BY step",
                        (a, b)).fetchall()


def run_psql(dsn: str, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"script_{next(_SEQ)}.sql"
    path.write_text(script, encoding="utf-8")
    psql = pgserver.bindir() / "psql"  # the session server's own (a server wheel's where no PostgreSQL is installed)
    return subprocess.run([str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(path), dsn],
                          capture_output=True, text=True, check=False)


def escalation(role: str) -> str:
    return f"\nALTER ROLE {role} SUPERUSER; --"


def commit(conn: psycopg.Connection, message: str) -> str:
    return conn.execute("SELECT pggit.commit_changes('main', %s)", (message,)).fetchone()[0]


# ------------------------------------------------------------------ the example


def test_commented_drop_column_stays_a_comment_in_psql(
        admin: psycopg.Connection, sec_dsn: str, make_role: Callable[..., str],
        lexer: psycopg.Connection, tmp_path: Path) -> None:
    mallory = make_role()
    before = role_state(admin, mallory)
    column = sql.Identifier("x" + escalation(mallory))
    admin.execute("CREATE SCHEMA app")
    admin.execute(sql.SQL("CREATE TABLE app.t (id int, {} int)").format(column))
    a = commit(admin, "with the column")
    admin.execute(sql.SQL("ALTER TABLE app.t DROP COLUMN {}").format(column))
    b = commit(admin, "without it")
    steps = migration(admin, a, b)
    assert any(s.startswith("-- ALTER TABLE app.t DROP COLUMN") for _, s, _ in steps)
    assert_script_is_safe(lexer, steps)
    # back to a (the column again), then the lossy script a -> b, run as a superuser
    back = run_psql(sec_dsn, "\n".join(s for _, s, _ in migration(admin, b, a)) + "\n", tmp_path)
    assert back.returncode == 0, back.stderr
    done = run_psql(sec_dsn, "\n".join(s for _, s, _ in steps) + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert_not_escalated(admin, mallory, before)


def test_merge_migration_keeps_comments_and_warnings_commented(
        admin: psycopg.Connection, sec_dsn: str, make_role: Callable[..., str],
        lexer: psycopg.Connection, tmp_path: Path) -> None:
    mallory = make_role()
    before = role_state(admin, mallory)
    column = sql.Identifier("x" + escalation(mallory))
    admin.execute("CREATE SCHEMA app")
    admin.execute(sql.SQL("CREATE TABLE app.t (id int, {} int)").format(column))
    commit(admin, "base")
    admin.execute("SELECT pggit.create_branch('f')")
    admin.execute("SET pggit.branch = 'f'")
    admin.execute(sql.SQL("ALTER TABLE app.t DROP COLUMN {}").format(column))
    admin.execute("SELECT pggit.commit_changes('f', 'drop')")
    admin.execute("SET pggit.branch = 'main'")
    admin.execute("CREATE TABLE app.other (id int)")
    commit(admin, "other")
    row = admin.execute("SELECT status, migration FROM pggit.merge('f')").fetchone()
    assert row[0] == "merged"
    script = row[1]
    assert "DROP COLUMN" in script and "WARNING" in script
    assert split(lexer, script) == [], f"the merge script is not only comment: {script!r}"
    assert all(line.startswith("--") for line in LINE_BREAK.split(script))
    done = run_psql(sec_dsn, script + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert_not_escalated(admin, mallory, before)


def test_cli_script_comments_every_line_of_a_commented_step() -> None:
    """The CLI closes a level-4 database's broken comment too (pure Python: passes at every level)."""
    broken = '-- ALTER TABLE s.t DROP COLUMN "x\nALTER ROLE m SUPERUSER; --\r\u2028";'
    fixed = comment_step(broken)
    assert all(line.startswith("--") for line in LINE_BREAK.split(fixed))
    assert comment_step(fixed) == fixed  # level 5's already commented lines stay as they are
    assert comment_step("ALTER TABLE s.t ADD COLUMN \"a\nb\" int;") == "ALTER TABLE s.t ADD COLUMN \"a\nb\" int;"
    script = schema_script([Step(1, broken, 'column "x\nALTER ROLE m SUPERUSER; --" is dropped')], ["h"])
    assert all(line.startswith("--") or line == "" for line in LINE_BREAK.split(script))


def test_apply_migration_runs_the_commented_statement_exactly(
        admin: psycopg.Connection, make_role: Callable[..., str]) -> None:
    """comment_lines is undone exactly before a commented step runs (with force, or when nothing is lost)."""
    mallory = make_role()
    before = role_state(admin, mallory)
    name = "x" + escalation(mallory) + "\r\n-- \u2028y"
    admin.execute("CREATE SCHEMA app")
    admin.execute(sql.SQL("CREATE TABLE app.t (id int, {} int)").format(sql.Identifier(name)))
    commit(admin, "a")
    admin.execute("SELECT pggit.create_branch('f')")
    admin.execute("SET pggit.branch = 'f'")
    admin.execute(sql.SQL("ALTER TABLE app.t DROP COLUMN {}").format(sql.Identifier(name)))
    admin.execute("SELECT pggit.commit_changes('f', 'b')")
    admin.execute("SET pggit.branch = 'main'")
    assert admin.execute("SELECT pggit.checkout('main', apply => true)").fetchone() == (1,)  # the column back
    admin.execute("INSERT INTO app.t VALUES (1, 2)")
    assert admin.execute("SELECT pggit.checkout('f', apply => true, force => true)").fetchone() == (1,)
    cols = [r[0] for r in admin.execute(
        "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = 'app.t'::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum")]
    assert cols == ["id"]
    assert_not_escalated(admin, mallory, before)


def test_a_view_column_name_cannot_end_the_view_query(
        admin: psycopg.Connection, sec_dsn: str, make_role: Callable[..., str],
        lexer: psycopg.Connection, tmp_path: Path) -> None:
    """A view's canonical definition lists its columns before its "AS <query>" line: a column named
    "x<LF>AS SELECT 1; ALTER ROLE .." used to be taken for that line (level 4: the CREATE VIEW step
    held the planted statement, run by psql and by revert's EXECUTE)."""
    mallory = make_role()
    before = role_state(admin, mallory)
    column = sql.Identifier(f"x\nAS SELECT 1; ALTER ROLE {mallory} SUPERUSER; --")
    admin.execute("CREATE SCHEMA app")
    a = commit(admin, "base")
    admin.execute(sql.SQL("CREATE VIEW app.v AS SELECT 1 AS {}, 'q\nAS r;' AS l").format(column))
    b = commit(admin, "view")
    steps = migration(admin, a, b)
    assert_script_is_safe(lexer, steps)
    admin.execute("DROP VIEW app.v")
    commit(admin, "gone")
    done = run_psql(sec_dsn, "\n".join(s for _, s, _ in steps) + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert_not_escalated(admin, mallory, before)
    commit(admin, "by psql")
    admin.execute("DROP VIEW app.v")
    commit(admin, "gone again")
    admin.execute("SELECT pggit.revert('main')")  # the EXECUTE road: the view is back, nothing else ran
    assert admin.execute("SELECT l FROM app.v").fetchone() == ("q\nAS r;",)
    assert_not_escalated(admin, mallory, before)


# ------------------------------------------------------------------ the property

FRAGMENTS = ["a", "Z", "_1", " ", "\n", "\r", "\nAS SELECT 1; ", "\r\n", "\u2028", "\u0085", "\u2029", "*/", "/*",
             "--", ";", "'", '"', "$$", "$q$", "\\", "é", "ALTER", "SUPERUSER"]


@st.composite
def hostile_name(draw: st.DrawFn, role: str) -> str:
    parts = draw(st.lists(st.sampled_from(FRAGMENTS + [escalation(role)]), min_size=1, max_size=4))
    name = "".join(parts)
    while len(name.encode()) > 50:
        name = name[:-1]
    return name


NAME_KINDS = ["schema", "table", "column", "column2", "constraint", "index", "view", "viewcol", "function", "type",
              "domain"]


@pytest.mark.parametrize("seed", [0])
def test_generated_steps_stay_comments_and_single_statements(
        admin: psycopg.Connection, sec_dsn: str, make_role: Callable[..., str],
        lexer: psycopg.Connection, tmp_path: Path, seed: int) -> None:
    """Hypothesis: hostile names of every kind, both directions, checked by the lexer and run by psql."""
    mallory = make_role()
    before = role_state(admin, mallory)
    counter = itertools.count(1)

    @settings(max_examples=20, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(st.fixed_dictionaries({k: hostile_name(mallory) for k in NAME_KINDS}),
           st.sampled_from(["\n", "\r", "*/", "'", "$$"]))
    def check(names: dict[str, str], literal_part: str) -> None:
        n = next(counter)
        ident = {k: sql.Identifier(f"{v}{i}_{n}") for i, (k, v) in enumerate(names.items())}
        s = ident["schema"]
        q = {k: sql.SQL("{}.{}").format(s, v) for k, v in ident.items() if k != "schema"}
        text = sql.Literal("lit" + literal_part + escalation(mallory))
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(s))
        admin.execute(sql.SQL("CREATE TYPE {} AS ENUM ('a', {})").format(q["type"], text))
        admin.execute(sql.SQL("CREATE DOMAIN {} AS int CHECK (VALUE <> length({}))").format(q["domain"], text))
        admin.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, {} int, {} {}, d {}, "
                              "CONSTRAINT {} CHECK ({} > 0))").format(
            q["table"], ident["column"], ident["column2"], q["type"], q["domain"],
            ident["constraint"], ident["column"]))
        admin.execute(sql.SQL("CREATE INDEX {} ON {} ({})").format(ident["index"], q["table"], ident["column"]))
        admin.execute(sql.SQL("CREATE VIEW {} AS SELECT {} AS {}, {} AS l FROM {}").format(
            q["view"], ident["column"], ident["viewcol"], text, q["table"]))
        admin.execute(sql.SQL("CREATE FUNCTION {}() RETURNS text LANGUAGE sql RETURN {}").format(q["function"], text))
        a = commit(admin, f"a{n}")
        # B: the column, its constraint, index, view and function dropped; the enum loses
        # a label and the domain changes base type (both commented re-creations)
        admin.execute(sql.SQL("DROP VIEW {}").format(q["view"]))
        admin.execute(sql.SQL("DROP FUNCTION {}()").format(q["function"]))
        admin.execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}, DROP COLUMN {}, DROP COLUMN d").format(
            q["table"], ident["column"], ident["column2"]))
        admin.execute(sql.SQL("DROP TYPE {}").format(q["type"]))
        admin.execute(sql.SQL("CREATE TYPE {} AS ENUM ('a')").format(q["type"]))
        admin.execute(sql.SQL("DROP DOMAIN {}").format(q["domain"]))
        admin.execute(sql.SQL("CREATE DOMAIN {} AS bigint CHECK (VALUE <> length({}))").format(q["domain"], text))
        admin.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} text").format(q["table"], ident["column2"]))
        b = commit(admin, f"b{n}")
        ab, ba = migration(admin, a, b), migration(admin, b, a)
        assert any(st_.startswith("--") for _, st_, _ in ab)
        assert_script_is_safe(lexer, ab)
        assert_script_is_safe(lexer, ba)
        for script in (ba, ab):  # b -> a on the live b, then a -> b on that a
            done = run_psql(sec_dsn, "\n".join(x for _, x, _ in script) + "\n", tmp_path)
            assert done.returncode == 0, done.stderr
        assert_not_escalated(admin, mallory, before)
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(s))
        commit(admin, f"clean{n}")

    check()
