"""Error messages stay short whatever the input (level 8, ``pggit.clip``).

Every function of schema pggit that PUBLIC may execute and that takes a text argument is
called once per text argument with a 10,000-character value there (two shapes: a plain
name, and a ref with 5,000 ancestry suffixes) and ordinary values elsewhere. Each error
it raises must have a message, DETAIL and HINT of at most :data:`BOUND` characters, and
the same message as the call with the value cut to 300 characters: the echoed input is
clipped to its first characters (so the message still begins with what the caller
wrote), never dropped or garbled. Before level 8 a 10,000-byte branch name gave a
10,049-character message.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

pytestmark = pytest.mark.pggit_level(min=8)

BOUND = 300
LONG_VALUES = {"name": "a" * 10_000, "ref": "main" + "~1" * 5_000}

_TEXT_FUNCTIONS = """
SELECT p.oid::regprocedure::text, p.proname,
       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, o) ORDER BY o)
  FROM pg_proc AS p
 WHERE p.pronamespace = 'pggit'::regnamespace
   AND p.prokind = 'f'
   AND p.prorettype NOT IN ('event_trigger'::regtype, 'trigger'::regtype)
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND 'text'::regtype = ANY (p.proargtypes::oid[])
 ORDER BY 1
"""


def ordinary(sql_type: str, oid: int) -> object:
    """A plain value of ``sql_type`` for the arguments that are not under test."""
    return {
        "text": "main", "name": "public", "integer": 1, "bigint": 1, "boolean": False, "oid": oid,
        "jsonb": "[]", "json": "{}", "text[]": "{}", "name[]": "{}",
        "timestamp with time zone": "2026-01-01 00:00:00+00",
    }[sql_type]


def prepare(conn: psycopg.Connection) -> int:
    """A commit on main, a tag, a table with a data branch; returns the table's OID."""
    conn.execute("CREATE TABLE public.clip_t (id int PRIMARY KEY, v text)")
    conn.execute("INSERT INTO public.clip_t VALUES (1, 'a')")
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    conn.execute("SELECT pggit.tag('v1', 'main')")
    conn.execute("SELECT pggit.create_data_branch('clip_t', 'main', 'db')")
    return conn.execute("SELECT 'public.clip_t'::regclass::oid::bigint").fetchone()[0]  # type: ignore[index]


def call_error(conn: psycopg.Connection, call: sql.Composed, args: list[object]) -> psycopg.Error | None:
    """The error the call raises (rolled back either way), or None."""
    conn.execute("BEGIN")
    try:
        conn.execute(call, args).fetchall()
        return None
    except psycopg.Error as exc:
        return exc
    finally:
        conn.execute("ROLLBACK")


def test_clip(pggit_conn: psycopg.Connection) -> None:
    def clip(value: str | None) -> str | None:
        return pggit_conn.execute("SELECT pggit.clip(%s)", (value,)).fetchone()[0]  # type: ignore[index]

    assert clip(None) is None
    assert clip("") == ""
    assert clip("x" * 64) == "x" * 64
    assert clip("x" * 65) == "x" * 61 + "..."
    assert clip("é" * 10_000) == "é" * 61 + "..."  # characters, not bytes
    assert pggit_conn.execute("SELECT provolatile FROM pg_proc WHERE oid = 'pggit.clip(text)'::regprocedure"
                              ).fetchone() == ("i",)


def test_error_messages_of_long_input_are_bounded(pggit_conn: psycopg.Connection) -> None:
    oid = prepare(pggit_conn)
    functions = pggit_conn.execute(_TEXT_FUNCTIONS).fetchall()
    names = {name for _, name, _ in functions}
    assert {"resolve_ref", "create_branch", "tag", "checkout", "show", "commit_changes",
            "create_data_branch", "merge", "generate_migration", "delete_branch"} <= names
    failures: list[str] = []
    raised = 0
    for signature, name, types in functions:
        call = sql.SQL("SELECT * FROM pggit.{}({})").format(
            sql.Identifier(name), sql.SQL(", ").join(sql.SQL("%s::" + t) for t in types))
        for position, sql_type in enumerate(types):
            if sql_type != "text":
                continue
            for shape, long_value in LONG_VALUES.items():
                args = [ordinary(t, oid) for t in types]
                args[position] = long_value
                error = call_error(pggit_conn, call, args)
                if error is None:
                    continue
                raised += 1
                where = f"{signature} argument {position + 1} ({shape})"
                diag = error.diag
                for part, text in (("message", diag.message_primary), ("DETAIL", diag.message_detail),
                                   ("HINT", diag.message_hint)):
                    if text is not None and len(text) > BOUND:
                        failures.append(f"{where}: {part} of {len(text)} characters: {text[:120]}...")
                args[position] = long_value[:300]
                shorter = call_error(pggit_conn, call, args)
                if (shorter is not None and shorter.sqlstate == error.sqlstate
                        and shorter.diag.message_primary != diag.message_primary):
                    failures.append(f"{where}: message differs from the 300-character value's:"
                                    f" {diag.message_primary[:150]!r} vs {shorter.diag.message_primary[:150]!r}")
    assert failures == [], "\n".join(failures)
    assert raised >= 100  # most of them refuse such input: the bound was checked many times


def test_reference_errors_start_with_the_input(pggit_conn: psycopg.Connection) -> None:
    long_name = "feature-" + "x" * 10_000
    cases = [
        ("SELECT pggit.resolve_ref(%s)", "42704", 'ref "feature-xxxx'),
        ("SELECT pggit.create_branch(%s)", "22023", 'invalid branch name "feature-xxx'),
        ("SELECT pggit.checkout(%s)", "22023", 'invalid branch name "feature-xxx'),
        ("SELECT pggit.show(%s)", "42704", 'ref "feature-xxx'),
    ]
    for query, sqlstate, start in cases:
        with pytest.raises(psycopg.Error) as caught:
            pggit_conn.execute(query, (long_name,))
        message = caught.value.diag.message_primary or ""
        assert caught.value.sqlstate == sqlstate
        assert message.startswith(start), message
        assert ("feature-" + "x" * 53 + "...") in message, message
        assert len(message) <= BOUND
