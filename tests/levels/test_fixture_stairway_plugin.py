"""The pytest plugin's data stairway: fixtures loaded at their levels, carried up, seen by tests.

An inner pytest session (pytester, its own server) runs a project's folder of two levels
with ``fixtures/`` beside it, so what is checked is what a user's suite gets: the rows, at
every level, through ``pggit_fixture_conn`` always and through ``pggit_conn`` only with
``--pggit-fixtures=on``; and a level that loses a kept row failing the tests that need the
stairway with the file, the level and the statement named.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from pggit_sql import install_db
from pggit_sql.errors import PggitError

LEVELS = {
    "0001_accounts": ("CREATE TABLE public.accounts (id int PRIMARY KEY, name text NOT NULL);\n",
                      "DROP TABLE public.accounts;\n"),
    "0002_email": ("ALTER TABLE public.accounts ADD COLUMN email text UNIQUE;\n",
                   "ALTER TABLE public.accounts DROP COLUMN email;\n"),
}
FIXTURES = {
    "0001_accounts.sql": "-- keep: public.accounts\nINSERT INTO public.accounts VALUES (1, 'Ann'), (2, 'Bob');\n",
    "0002_emails.sql": "UPDATE public.accounts SET email = lower(name) || '@example.org';\n"
                       "INSERT INTO public.accounts VALUES (3, 'Cy', 'cy@example.org');\n",
}

INNER = '''
import pytest

def names(conn):
    return [row[0] for row in conn.execute("SELECT name FROM public.accounts ORDER BY id").fetchall()]

def test_fixture_conn_holds_the_fixtures_of_its_level(pggit_fixture_conn, pggit_level):
    assert names(pggit_fixture_conn) == {1: ["Ann", "Bob"], 2: ["Ann", "Bob", "Cy"]}[pggit_level]

@pytest.mark.pggit_level(min=2)
def test_level_2_fixture_saw_level_1_rows(pggit_fixture_conn):
    rows = pggit_fixture_conn.execute("SELECT email FROM public.accounts ORDER BY id").fetchall()
    assert rows == [("ann@example.org",), ("bob@example.org",), ("cy@example.org",)]

def test_plain_conn(pggit_conn, pggit_level, request):
    expected = {1: ["Ann", "Bob"], 2: ["Ann", "Bob", "Cy"]}[pggit_level]
    assert names(pggit_conn) == (expected if request.config.getoption("pggit_fixtures") == "on" else [])
'''


def project(parent: Path, levels: dict[str, tuple[str, str]] = LEVELS) -> Path:
    folder = parent / "migrations"
    folder.mkdir()
    for name, (up, down) in levels.items():
        (folder / f"{name}.sql").write_text(up)
        (folder / f"{name}.rollback.sql").write_text(down)
    fixtures = parent / "fixtures"
    fixtures.mkdir()
    for name, text in FIXTURES.items():
        (fixtures / name).write_text(text)
    return folder


@pytest.mark.parametrize("fixtures_option", ["on", "off"])
def test_the_stairway_carries_the_fixtures_to_every_level(pytester: pytest.Pytester, fixtures_option: str) -> None:
    folder = project(pytester.path)
    pytester.makepyfile(test_inner=textwrap.dedent(INNER))
    result = pytester.runpytest_subprocess(f"--pggit-migrations={folder}", "--pggit-level=all",
                                           f"--pggit-fixtures={fixtures_option}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*pggit: data stairway (fixtures) built: L0 *, L1 *, L2 *"])
    if fixtures_option == "off":  # the empty chain is built beside it, for pggit_conn
        result.stdout.fnmatch_lines(["*pggit: templates built: L0 *, L1 *, L2 *"])


def test_a_level_that_loses_a_kept_row_fails_naming_file_level_and_statement(pytester: pytest.Pytester) -> None:
    losing = dict(LEVELS)
    losing["0002_email"] = ("ALTER TABLE public.accounts ADD COLUMN email text UNIQUE;\n"
                            "DELETE FROM public.accounts WHERE id = 2;\n", LEVELS["0002_email"][1])
    folder = project(pytester.path, losing)
    pytester.makepyfile(test_inner=textwrap.dedent(INNER))
    result = pytester.runpytest_subprocess(f"--pggit-migrations={folder}", "--pggit-level=all",
                                           "-p", "no:cacheprovider")
    # level 1 passes (fixture and plain); level 2's stairway tests error, the plain one passes
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines([
        "*FixtureError: building template pggit_fxtmpl_2 failed: level 2 (*migrations/0002_email.sql) did not "
        "carry the fixtures' kept rows: 1 of 2 kept rows of public.accounts (kept by 0001_accounts.sql) lost: "
        "id='2'; first at statement 2 (line 2): DELETE FROM public.accounts WHERE id = 2;*"])


def test_a_fixture_that_fails_to_load_is_named_with_its_statement(pytester: pytest.Pytester) -> None:
    folder = project(pytester.path)
    (pytester.path / "fixtures" / "0002_emails.sql").write_text(
        "UPDATE public.accounts SET email = 'same@example.org';\n")
    pytester.makepyfile(test_inner=textwrap.dedent(INNER))
    result = pytester.runpytest_subprocess(f"--pggit-migrations={folder}", "--pggit-level=2",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines([
        "*fixture 0002_emails.sql (level 2) failed to load at statement 1 (line 1): UPDATE public.accounts SET "
        "email = 'same@example.org';: duplicate key value violates unique constraint*"])


# --------------------------------------------------------------------------- make install-db FIXTURES=...


@pytest.mark.parametrize(("value", "choice"), [("", None), ("0", None), ("off", None), ("1", "load"),
                                               ("on", "load"), ("fresh", "fresh"), ("Recreate", "fresh")])
def test_install_db_fixtures_choice(monkeypatch: pytest.MonkeyPatch, value: str, choice: str | None) -> None:
    monkeypatch.setenv(install_db.FIXTURES_ENV, value)
    assert install_db.fixtures_choice() == choice


def test_install_db_refuses_an_unknown_fixtures_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(install_db.FIXTURES_ENV, "please")
    with pytest.raises(PggitError, match=r"^PGGIT_FIXTURES \(make install-db FIXTURES=\.\.\.\) must be 1 or "
                                         r"fresh, not 'please'$"):
        install_db.fixtures_choice()


def test_install_db_never_loads_fixtures_into_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """With $DATABASE_URL set, FIXTURES is refused before anything connects (the URL points nowhere)."""
    monkeypatch.setenv(install_db.FIXTURES_ENV, "1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    with pytest.raises(PggitError, match=r"fixtures go into the development database only, and DATABASE_URL is "
                                         r"set: .*pggit-sql --dsn \"\$DATABASE_URL\" fixtures load"):
        install_db.install()
    assert os.environ["DATABASE_URL"].endswith("/nowhere")
