"""plpgsql_check over pggit's PL/pgSQL functions.

:func:`check_functions` runs ``plpgsql_check_function_tb`` (fatal errors off, so that
every problem of a function is listed; other, extra and security warnings on) over
every PL/pgSQL function of a schema and returns :class:`Finding` rows.  The extension
is created in the database checked (use a throw-away clone).  Trigger functions get
the table of one of their triggers as ``relid``; event-trigger functions need none.

Known exceptions (:data:`KNOWN_EXCEPTIONS`) are functions whose findings are reported
but not fixed here; each entry says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psycopg

REQUIRE_ENV = "PGGIT_REQUIRE_PLPGSQL_CHECK"

#: Functions whose plpgsql_check errors are known and owned elsewhere (name -> reason).
#: Level 2's tracking internals are being reworked by another engineer; findings in them
#: are listed in the reliability report (docs/RELIABILITY.md, "Static checks") instead.
KNOWN_EXCEPTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Finding:
    function: str  # pggit.name(argtypes)
    lineno: int | None
    level: str  # error, warning, warning extra, performance, security
    sqlstate: str | None
    message: str
    detail: str | None = None

    def __str__(self) -> str:
        where = f":{self.lineno}" if self.lineno is not None else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.function}{where}: {self.level} [{self.sqlstate}] {self.message}{extra}"


def extension_available(conn: psycopg.Connection, *, require_env: bool = False) -> bool:
    """True when the server can create plpgsql_check; under pytest, skip (or fail when required) otherwise."""
    row = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'plpgsql_check'").fetchone()
    if row and row[0]:
        return True
    if require_env:
        import pytest

        message = "plpgsql_check is not installed on the server (Debian: postgresql-15-plpgsql-check)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(message)
        pytest.skip(message)
    return False


_FUNCTIONS = r"""
SELECT p.oid, p.oid::regprocedure::text,
       CASE WHEN p.prorettype = 'trigger'::regtype THEN
            coalesce((SELECT t.tgrelid FROM pg_trigger AS t WHERE t.tgfoid = p.oid ORDER BY t.oid LIMIT 1),
                     -- a trigger function attached to no relation yet (e.g. level 5's branch-view
                     -- statement trigger): a statement trigger reads no row, so any relation will do
                     CASE WHEN p.prosrc !~* '\m(new|old)\M' THEN 'pggit.branches'::regclass END)
       END
  FROM pg_proc AS p
  JOIN pg_language AS l ON l.oid = p.prolang
 WHERE p.pronamespace = %s::regnamespace
   AND l.lanname = 'plpgsql'
 ORDER BY 2
"""

_CHECK = """
SELECT lineno, level, sqlstate, message, detail
  FROM plpgsql_check_function_tb(%s::oid, coalesce(%s::oid, 0::oid),
                                 fatal_errors => false, other_warnings => true,
                                 performance_warnings => false, extra_warnings => true,
                                 security_warnings => true)
"""


def check_functions(conn: psycopg.Connection, schema: str = "pggit") -> list[Finding]:
    """Every plpgsql_check finding in the PL/pgSQL functions of ``schema`` (autocommit connection)."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    findings: list[Finding] = []
    for oid, name, relid in conn.execute(_FUNCTIONS, (schema,)).fetchall():
        for lineno, level, sqlstate, message, detail in conn.execute(_CHECK, (oid, relid)).fetchall():
            findings.append(Finding(name, lineno, level, sqlstate, message, detail))
    return findings
