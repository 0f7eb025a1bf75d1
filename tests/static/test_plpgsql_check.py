"""plpgsql_check over every PL/pgSQL function of schema pggit, at every level.

Runs when the server has the plpgsql_check extension (Debian package
``postgresql-15-plpgsql-check``, installed by ``make install``); ``make lint`` sets
``PGGIT_REQUIRE_PLPGSQL_CHECK=1`` so that a missing extension fails instead of skipping.
"""

from __future__ import annotations

import pytest

from pggit_sql.plcheck import KNOWN_EXCEPTIONS, check_functions, extension_available

pytestmark = pytest.mark.timeout(600)


def test_plpgsql_check_finds_no_error(pggit_conn, pggit_level: int) -> None:
    extension_available(pggit_conn, require_env=True)  # skips (or fails under make lint) when absent
    findings = check_functions(pggit_conn)
    errors = [f for f in findings if f.level == "error" and f.function not in KNOWN_EXCEPTIONS]
    assert errors == [], "\n".join(str(f) for f in errors)
    checked = pggit_conn.execute(
        "SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
        " WHERE p.pronamespace = 'pggit'::regnamespace AND l.lanname = 'plpgsql'").fetchone()[0]
    assert checked > 0
