"""Helpers of the adversarial suite: role state, escalators, SQLSTATEs (see conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.sql


def role_state(admin: psycopg.Connection, role: str) -> dict[str, Any]:
    """What a role may do and own: attributes, memberships (direct and inherited), owned objects."""
    attrs = admin.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit"
        " FROM pg_catalog.pg_roles WHERE rolname = %s", (role,)).fetchone()
    assert attrs is not None, f"role {role} does not exist"
    memberships = sorted(r[0] for r in admin.execute(
        "SELECT g.rolname FROM pg_catalog.pg_roles AS g"
        " WHERE g.rolname <> %s AND pg_catalog.pg_has_role(%s, g.oid, 'MEMBER')", (role, role)))
    owned = sorted(r[0] for r in admin.execute(
        """SELECT 'class ' || c.oid::regclass::text FROM pg_catalog.pg_class AS c
            WHERE c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %(r)s)
           UNION ALL
           SELECT 'function ' || p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
            WHERE p.proowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %(r)s)
           UNION ALL
           SELECT 'schema ' || n.nspname FROM pg_catalog.pg_namespace AS n
            WHERE n.nspowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = %(r)s)""",
        {"r": role}))
    return {"attributes": attrs, "memberships": memberships, "owned": owned}


def superusers(admin: psycopg.Connection) -> list[str]:
    return sorted(r[0] for r in admin.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE rolsuper"))


def assert_not_escalated(admin: psycopg.Connection, role: str, before: dict[str, Any],
                         *, owned_may_change: bool = False) -> None:
    """The role gained no attribute and no membership (and, unless allowed, owns the same objects)."""
    after = role_state(admin, role)
    assert after["attributes"] == before["attributes"], f"{role}'s attributes changed: {after['attributes']}"
    assert after["memberships"] == before["memberships"], f"{role} gained memberships: {after['memberships']}"
    if not owned_may_change:
        assert after["owned"] == before["owned"], f"{role}'s ownerships changed"


def plant_escalator(conn: psycopg.Connection, author: str, name: str, *, returns: str = "integer",
                    result: str = "1", args: str = "") -> str:
    """Create (as ``conn``'s role) function ``name(args)`` that logs and tries to make ``author`` superuser.

    It returns ``result`` (an SQL expression of type ``returns``); VOLATILE, plpgsql.
    """
    tag = name
    conn.execute(f"""
        CREATE OR REPLACE FUNCTION {name}({args}) RETURNS {returns} LANGUAGE plpgsql VOLATILE AS $esc$
        BEGIN
            INSERT INTO public.sec_log (tag, current_role_name, session_role_name)
                 VALUES ({psycopg.sql.quote(tag)}, current_user, session_user);
            BEGIN
                EXECUTE 'ALTER ROLE {author} SUPERUSER';
            EXCEPTION WHEN OTHERS THEN NULL;
            END;
            RETURN {result};
        END $esc$""")
    conn.execute(f"GRANT EXECUTE ON FUNCTION {name}({args}) TO PUBLIC")
    return name


def ran_as(admin: psycopg.Connection, tag: str | None = None) -> list[str]:
    """The roles an escalator ran as (current_user), in order; all escalators when ``tag`` is None."""
    rows = admin.execute("SELECT current_role_name FROM public.sec_log WHERE %s::text IS NULL OR tag = %s"
                         " ORDER BY at", (tag, tag)).fetchall()
    return [r[0] for r in rows]


def sqlstate_of(conn: psycopg.Connection, statement: str, params: Any = None) -> str | None:
    """The SQLSTATE ``statement`` fails with (None when it succeeds), in its own transaction/savepoint."""
    try:
        with conn.transaction():
            conn.execute(statement, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


@contextmanager
def as_session_role(conn: psycopg.Connection, role: str) -> Iterator[psycopg.Connection]:
    """SET ROLE for a block (only for a superuser connection), RESET afterwards."""
    conn.execute(f"SET ROLE {role}")
    try:
        yield conn
    finally:
        conn.execute("RESET ROLE")
