"""Every SECURITY DEFINER function is reviewed: docs/SECURITY.md's inventory equals pg_proc.

A definer function runs with pggit's owner's rights (a superuser's, as a rule), so each
one is a promise: it writes only pggit's bookkeeping, evaluates no user code, executes
no stored text. The inventory in docs/SECURITY.md states for each what it writes and
why it needs those rights; this test fails when pg_proc has a definer function the
inventory lacks (a new one arrives unreviewed), or the inventory names one that is
gone. The generated functions of pggit_data must be owned by the owner of the table
they serve, never by pggit's owner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
ROW = re.compile(r"^\| `(pggit\.[a-z_0-9]+\([^`]*\))` \|(.*)$", re.M)
SINCE = re.compile(r"\(level (\d+)\)")


def inventory(level: int = 10**6) -> set[str]:
    """The functions the inventory lists for ``level`` (a row saying "(level N)" is from level N on)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## SECURITY DEFINER inventory", 1)[1].split("\n## ", 1)[0]
    return {name for name, rest in ROW.findall(section)
            if all(int(n) <= level for n in SINCE.findall(rest))}


@pytest.mark.pggit_level(min=5)
def test_the_inventory_names_every_security_definer_function(admin: psycopg.Connection, sec_level: int) -> None:
    live = {r[0] for r in admin.execute(
        "SELECT p.oid::pg_catalog.regprocedure::text FROM pg_catalog.pg_proc AS p"
        " WHERE p.pronamespace = 'pggit'::pg_catalog.regnamespace AND p.prosecdef")}
    listed = inventory(sec_level)
    assert len(listed) > 10, "the inventory table could not be read from docs/SECURITY.md"
    assert sorted(live - listed) == [], "SECURITY DEFINER functions missing from docs/SECURITY.md's inventory"
    assert sorted(listed - live) == [], "the inventory lists functions that are not SECURITY DEFINER (any more)"


@pytest.mark.pggit_level(min=5)
def test_generated_definer_functions_belong_to_the_tables_owner(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    owner = make_role()
    admin.execute(f"GRANT CREATE ON SCHEMA public TO {owner}")
    conn = connect_as(owner)
    conn.execute("CREATE TABLE public.inv_t (id int PRIMARY KEY, v text)")
    conn.execute("INSERT INTO public.inv_t VALUES (1, 'a')")
    conn.execute("SELECT pggit.create_data_branch('public.inv_t', 'main', 'inv')")
    rows = admin.execute(
        "SELECT p.oid::pg_catalog.regprocedure::text, pg_catalog.pg_get_userbyid(p.proowner), p.proconfig"
        " FROM pg_catalog.pg_proc AS p WHERE p.pronamespace = 'pggit_data'::pg_catalog.regnamespace"
        " AND p.prosecdef").fetchall()
    assert len(rows) >= 2, rows  # the branch's write function and the table's capture function
    assert [r for r in rows if r[1] != owner] == []
    assert [r for r in rows if r[2] is None or not any(c.startswith("search_path=pg_catalog") for c in r[2])] == []
