"""Shared fixtures of the adversarial suite (issue 11): fresh roles, role state, escalators.

Every test here is marked ``pggit_level(min=5)``. Its database comes from ``sec_dsn``, at
the test's level, or at ``$PGGIT_SECURITY_AT_LEVEL`` when set: that is how the suite is
shown to fail on an older level (``PGGIT_SECURITY_AT_LEVEL=4 pytest tests/security``):
a probe that passes there proves nothing.

The pattern of a probe (helpers in sechelp.py):

    mallory = make_role()                       # a fresh LOGIN role, no rights
    before = role_state(admin, mallory)
    with connect_as(mallory) as m:
        plant_escalator(m, mallory, "public.f")  # returns the function's name
        ... mallory plants it where pggit may evaluate it ...
    ... a superuser (admin) runs the pggit call that used to evaluate it ...
    assert_not_escalated(admin, mallory, before)

An escalator, when it runs, logs ``current_user`` into ``public.sec_log`` and tries
``ALTER ROLE <author> SUPERUSER`` (silently failing without the right). So a probe can
both see that the code ran, and as whom (``ran_as(admin, tag)``).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

_COUNTER = itertools.count(1)
AT_LEVEL_ENV = "PGGIT_SECURITY_AT_LEVEL"


@pytest.fixture
def sec_level(pggit_level: int) -> int:
    """The level the probes run against: the test's, or $PGGIT_SECURITY_AT_LEVEL."""
    override = os.environ.get(AT_LEVEL_ENV)
    return int(override) if override else pggit_level


@pytest.fixture
def sec_dsn(sec_level: int, pggit_new_database: Callable[[int], str]) -> str:
    """A fresh database at ``sec_level`` (conninfo of the test server's superuser)."""
    return pggit_new_database(sec_level)


@pytest.fixture
def admin(sec_dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection to the probe database, with a sec_log table anyone may write."""
    conn = psycopg.connect(sec_dsn, autocommit=True)
    conn.execute("CREATE TABLE IF NOT EXISTS public.sec_log (tag text, current_role_name name, "
                 "session_role_name name, at timestamptz DEFAULT clock_timestamp())")
    conn.execute("GRANT INSERT, SELECT ON public.sec_log TO PUBLIC")
    conn.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")  # PostgreSQL 15 no longer grants it
    # pggit's roles exist at level 5 (and wherever sql/grants/roles.sql ran): make them for
    # older levels too, so that a probe run there fails on what it probes, not on a missing role
    conn.execute("""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pggit_reader') THEN CREATE ROLE pggit_reader; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pggit_writer') THEN CREATE ROLE pggit_writer; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pggit_admin') THEN CREATE ROLE pggit_admin; END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$""")
    yield conn
    conn.close()


@pytest.fixture
def make_role(admin: psycopg.Connection) -> Callable[..., str]:
    """``make_role(*member_of, login=True) -> name``: a fresh role (unique in the cluster)."""

    def make(*member_of: str, login: bool = True) -> str:
        name = f"sec_{next(_COUNTER)}_{uuid.uuid4().hex[:8]}"
        admin.execute(f"CREATE ROLE {name} {'LOGIN' if login else 'NOLOGIN'}")
        for group in member_of:
            admin.execute(f"GRANT {group} TO {name}")
        return name

    return make


@pytest.fixture
def connect_as(sec_dsn: str) -> Iterator[Callable[[str], psycopg.Connection]]:
    """``connect_as(role) -> connection`` (autocommit; closed at teardown, or use ``with``)."""
    opened: list[psycopg.Connection] = []

    def connect(role: str) -> psycopg.Connection:
        params = conninfo_to_dict(sec_dsn)
        params["user"] = role
        conn = psycopg.connect(make_conninfo(**params), autocommit=True)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()
