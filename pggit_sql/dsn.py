"""Connection strings: accept what libpq accepts, hand yoyo what its psycopg 3 backend needs.

Users give ``postgresql://`` / ``postgres://`` URLs or libpq ``key=value`` strings.  yoyo
only loads its psycopg 3 backend for the ``postgresql+psycopg://`` scheme, and only
understands a database name in the URL path without unquoting it, so every libpq
parameter (database name included) is passed as a query argument, which yoyo forwards
to ``psycopg.connect`` unchanged.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pggit_sql.errors import PggitError

DATABASE_URL_ENV = "DATABASE_URL"
BOOKKEEPING_SCHEMA = "pggit_meta"
_YOYO_SCHEMES = ("postgresql+psycopg://", "postgres+psycopg://")


def _strip_yoyo_scheme(dsn: str) -> str:
    for scheme in _YOYO_SCHEMES:
        if dsn.startswith(scheme):
            return "postgresql://" + dsn[len(scheme):]
    return dsn


def parse(dsn: str) -> dict[str, str]:
    """The libpq parameters of ``dsn``; raises PggitError naming the problem for a bad DSN."""
    try:
        params = conninfo_to_dict(_strip_yoyo_scheme(dsn.strip()))
    except psycopg.ProgrammingError as exc:
        raise PggitError(f"invalid DSN: {str(exc).strip().splitlines()[0]}") from None
    return {key: str(value) for key, value in params.items() if value is not None}


def to_conninfo(dsn: str) -> str:
    """``dsn`` normalised to a libpq ``key=value`` string (validated)."""
    return make_conninfo(**parse(dsn))


def resolve(dsn: str | None) -> str:
    """The DSN to use: the given one, else ``$DATABASE_URL``; PggitError when neither is set."""
    chosen = dsn if dsn else os.environ.get(DATABASE_URL_ENV)
    if not chosen:
        raise PggitError(f"no database given: pass --dsn or set {DATABASE_URL_ENV}")
    return to_conninfo(chosen)


def to_yoyo_uri(dsn: str, schema: str = BOOKKEEPING_SCHEMA) -> str:
    """A ``postgresql+psycopg://`` URI for yoyo, ``schema`` its ``?schema=``: where its tables are.

    yoyo's own backend makes ``schema`` each connection's ``search_path`` with a session-level
    ``SET``; :class:`pggit_sql.migrate.PoolSafeBackend`, which pggit-sql uses, names its tables
    with the schema and sets the ``search_path`` per transaction (``SET LOCAL``).
    """
    params = parse(dsn)
    params["schema"] = schema
    return "postgresql+psycopg:///?" + urlencode(params)


def describe(dsn: str) -> str:
    """``dsn`` without its password, for messages."""
    params = parse(dsn)
    params.pop("password", None)
    where = params.get("host", "local socket")
    port = params.get("port")
    db = params.get("dbname", params.get("user", "default database"))
    return f"database {db!r} on {where}" + (f":{port}" if port else "")
