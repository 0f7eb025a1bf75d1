"""pggit.split_statements: the lexer behind history trimming and resolution checks.

The oracle is PostgreSQL itself: a script of generated SELECTs whose literals, quoted
identifiers, dollar quotes and comments hold semicolons, quotes and comment marks is
sent as one simple query; the server's count of result sets and each result must equal
what running the split statements one by one gives.
"""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=5)

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
SPLIT = "SELECT ordinal, statement, unterminated FROM pggit.split_statements(%s) ORDER BY ordinal"

# Characters that matter to a lexer, plus some that do not.
hostile = st.text(alphabet=st.sampled_from(list(";'\"$-/*\\\nEe aZ_1\u00e9\u2028vftrn\v\f")), max_size=24)


@st.composite
def literal(draw: st.DrawFn) -> str:
    """One SQL expression (or quoted alias) whose text holds hostile characters."""
    text = draw(hostile)
    kind = draw(st.sampled_from(["string", "estring", "ident", "dollar", "block", "line", "number"]))
    if kind == "string":
        return "'" + text.replace("'", "''") + "'"
    if kind == "estring":
        return "E'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if kind == "ident":
        return "1 AS \"c" + text.replace('"', '""') + "\""
    if kind == "dollar":
        tag = draw(st.sampled_from(["", "q", "a_1", "\u00e9"]))
        if f"${tag}$" in text + "$" or text.endswith("$"):
            text = text.replace("$", "")
        return f"${tag}${text}${tag}$"
    if kind == "block":
        body = text.replace("/*", "").replace("*/", "").rstrip("/*")
        inner = draw(st.booleans())
        return f"/* {body} {'/* nested; */' if inner else ''} */ 2"
    if kind == "line":
        return "-- " + text.replace("\n", " ").replace("\r", " ") + "\n 3"
    return str(draw(st.integers(min_value=0, max_value=10**6)))


statements = st.lists(literal(), min_size=1, max_size=3).map(lambda parts: "SELECT " + ", ".join(parts))
separators = st.sampled_from([";", ";\n", " ; ", ";-- after\n", ";/* between; */", ";;", "; \n\t"])


@reuse_db
@given(body=st.lists(st.tuples(statements, separators), min_size=1, max_size=5), trailing=st.booleans())
def test_split_agrees_with_the_server(pggit_conn: psycopg.Connection,
                                      body: list[tuple[str, str]], trailing: bool) -> None:
    script = "".join(stmt + sep for stmt, sep in body)
    if not trailing:
        script = script.rstrip().rstrip(";")
    rows = pggit_conn.execute(SPLIT, (script,)).fetchall()
    # a comment after a semicolon opens the next statement's text
    leading = [""] + [sep[1:].removeprefix(";") for _, sep in body[:-1]]
    assert [r[1] for r in rows] == [(lead + stmt).strip() for lead, (stmt, _) in zip(leading, body, strict=True)]
    assert not any(r[2] for r in rows)
    cur = pggit_conn.execute(script.encode())  # simple query: every statement gives a result set
    results = [cur.fetchall()]
    while cur.nextset():
        results.append(cur.fetchall())
    assert results == [pggit_conn.execute(stmt.encode()).fetchall() for _, stmt, _ in rows]


@pytest.mark.parametrize(("script", "expected"), [
    ("ALTER ROLE v PASSWORD 'se;cret'; CREATE TABLE t (\"a;b\" int)",
     ["ALTER ROLE v PASSWORD 'se;cret'", "CREATE TABLE t (\"a;b\" int)"]),
    ("SELECT E'it\\'s; fine'; SELECT 1", ["SELECT E'it\\'s; fine'", "SELECT 1"]),
    ("SELECT 'a\\'; SELECT 1 -- b'", ["SELECT 'a\\'", "SELECT 1 -- b'"]),  # plain string: no escapes
    ("SELECT $$;$$, $a$ $$ ; $a$; SELECT 2", ["SELECT $$;$$, $a$ $$ ; $a$", "SELECT 2"]),
    ("SELECT a$b$c; SELECT 2", ["SELECT a$b$c", "SELECT 2"]),  # $ inside an identifier
    ("/* x /* y; */ ; */ SELECT 1; -- only a comment;\n", ["/* x /* y; */ ; */ SELECT 1"]),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; "
     "SELECT CASE WHEN true THEN 2 END; END; SELECT 3",
     ["CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; "
      "SELECT CASE WHEN true THEN 2 END; END", "SELECT 3"]),
    ("create or replace procedure p() language sql begin atomic select 1; end", None),
    ("", []), (" ;; -- x\n /* y */ ;", []),
])
def test_tricky_scripts(pggit_conn: psycopg.Connection, script: str, expected: list[str] | None) -> None:
    rows = pggit_conn.execute(SPLIT, (script,)).fetchall()
    assert [r[1] for r in rows] == (expected if expected is not None else [script])
    assert not any(r[2] for r in rows)


@pytest.mark.parametrize("script", ["SELECT 'open; SELECT 1", 'SELECT "open', "SELECT $q$ open",
                                    "SELECT 1 /* open", "SELECT E'open\\'",
                                    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;"])
def test_an_unterminated_text_is_marked(pggit_conn: psycopg.Connection, script: str) -> None:
    rows = pggit_conn.execute(SPLIT, (script,)).fetchall()
    assert rows[-1][2] is True and [r[2] for r in rows[:-1]] == [False] * (len(rows) - 1)


def test_null_gives_no_row(pggit_conn: psycopg.Connection) -> None:
    assert pggit_conn.execute(SPLIT, (None,)).fetchall() == []


@pytest.mark.pggit_level(min=7)
def test_statements_keep_their_first_and_last_letters(pggit_conn: psycopg.Connection) -> None:
    """Only white space is trimmed: E'..\\v' is no vertical tab in PostgreSQL, it was a 'v'."""
    got = pggit_conn.execute(SPLIT, ("values (1);\vSELECT h FROM app.epv;\f select 1 AS t\n",)).fetchall()
    assert [s for _, s, _ in got] == ["values (1)", "SELECT h FROM app.epv", "select 1 AS t"]
