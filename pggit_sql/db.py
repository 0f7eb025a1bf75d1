"""The connection core: a DSN parsed once, connections, and database errors as one line.

Users give ``postgresql://`` / ``postgres://`` URLs or libpq ``key=value`` strings.
:class:`Dsn` parses one once into an immutable value holding its libpq parameters; the
rest of the package passes that value around and asks it for what it needs: a libpq
``conninfo``, a message-safe :meth:`Dsn.describe` (never the password), or
:meth:`Dsn.yoyo_uri`.  yoyo only loads its psycopg 3 backend for the
``postgresql+psycopg://`` scheme, and only understands a database name in the URL path
without unquoting it, so every libpq parameter (database name included) is passed as a
query argument, which yoyo forwards to ``psycopg.connect`` unchanged.

:func:`connect` opens a connection that never prepares statements on the server (safe
behind a transaction pooler); :func:`db_errors` turns a database error inside a block into
a one-line :class:`~pggit_sql.errors.PggitError`; :func:`first_line` is the line of an
exception's message that such errors quote; :func:`scratch_database` is a throw-away
database on a server (catalog snapshots and ``new-level`` build one).

This module imports nothing of pggit_sql but :mod:`pggit_sql.errors`, so every other
module can import it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pggit_sql.errors import ConnectionFailed, PggitError

DATABASE_URL_ENV = "DATABASE_URL"
BOOKKEEPING_SCHEMA = "pggit_meta"
_YOYO_SCHEMES = ("postgresql+psycopg://", "postgres+psycopg://")


def _strip_yoyo_scheme(text: str) -> str:
    for scheme in _YOYO_SCHEMES:
        if text.startswith(scheme):
            return "postgresql://" + text[len(scheme):]
    return text


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


@dataclass(frozen=True)
class Dsn:
    """A connection string parsed once: its libpq parameters, in the order given.

    ``Dsn.parse(text)`` accepts a URL, a libpq ``key=value`` string, or yoyo's
    ``postgresql+psycopg://`` spelling, and raises PggitError naming the problem for a bad
    one.  The value is immutable and hashable; :meth:`replace` gives another one.
    """

    items: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str | Dsn) -> Dsn:
        """``text`` parsed (a Dsn is returned as it is); PggitError naming the problem for a bad DSN."""
        if isinstance(text, Dsn):
            return text
        try:
            params = conninfo_to_dict(_strip_yoyo_scheme(text.strip()))
        except psycopg.ProgrammingError as exc:
            raise PggitError(f"invalid DSN: {str(exc).strip().splitlines()[0]}") from None
        return cls(tuple((key, str(value)) for key, value in params.items() if value is not None))

    @classmethod
    def resolve(cls, text: str | None) -> Dsn:
        """The DSN to use: the given one, else ``$DATABASE_URL``; PggitError when neither is set."""
        chosen = text if text else os.environ.get(DATABASE_URL_ENV)
        if not chosen:
            raise PggitError(f"no database given: pass --dsn or set {DATABASE_URL_ENV}")
        return cls.parse(chosen)

    @property
    def params(self) -> dict[str, str]:
        """The libpq parameters (a new dict each time: the value itself never changes)."""
        return dict(self.items)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.params.get(key, default)

    def replace(self, **params: str) -> Dsn:
        """This DSN with ``params`` set (e.g. ``dbname="other"``)."""
        return Dsn(tuple({**self.params, **params}.items()))

    @property
    def conninfo(self) -> str:
        """The libpq ``key=value`` string."""
        return make_conninfo(**self.params)

    def yoyo_uri(self, schema: str = BOOKKEEPING_SCHEMA) -> str:
        """A ``postgresql+psycopg://`` URI for yoyo, ``schema`` its ``?schema=``: where its tables are.

        yoyo's own backend makes ``schema`` each connection's ``search_path`` with a session-level
        ``SET``; :class:`pggit_sql.migrate.PoolSafeBackend`, which pggit-sql uses, names its tables
        with the schema and sets the ``search_path`` per transaction (``SET LOCAL``).
        """
        return "postgresql+psycopg:///?" + urlencode({**self.params, "schema": schema})

    def describe(self) -> str:
        """This DSN without its password, for messages."""
        params = self.params
        where = params.get("host", "local socket")
        port = params.get("port")
        db = params.get("dbname", params.get("user", "default database"))
        return f"database {db!r} on {where}" + (f":{port}" if port else "")

    def __repr__(self) -> str:  # never the password, even in a traceback or a test report
        return f"Dsn({self.describe()!r})"


def parse(dsn: str | Dsn) -> dict[str, str]:
    """The libpq parameters of ``dsn``; raises PggitError naming the problem for a bad DSN."""
    return Dsn.parse(dsn).params


def describe(dsn: str | Dsn) -> str:
    """``dsn`` without its password, for messages."""
    return Dsn.parse(dsn).describe()


def connect(dsn: str | Dsn, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A psycopg connection to ``dsn`` that never prepares statements on the server.

    ConnectionFailed naming the database (never the password) when it cannot connect.
    """
    target = Dsn.parse(dsn)
    params: dict[str, Any] = target.params
    try:
        # no server-side prepared statements: behind a transaction pooler they would be
        # prepared on one server connection and used (or named again) on another
        return psycopg.connect(autocommit=autocommit, prepare_threshold=None, **params)
    except psycopg.Error as exc:
        raise ConnectionFailed(f"cannot connect to {target.describe()}: {first_line(exc)}") from None


@contextlib.contextmanager
def db_errors(action: str, consequence: str = "") -> Iterator[None]:
    """Turn a database error inside the block into a one-line PggitError.

    ``consequence`` (e.g. "its transaction was rolled back") is added in parentheses to
    errors the database raised; lost connections become ConnectionFailed as they are.
    """
    try:
        yield
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(f"{action}: {first_line(exc)}") from None
    except psycopg.Error as exc:
        note = f" ({consequence})" if consequence else ""
        raise PggitError(f"{action}{note}: {first_line(exc)}") from None


@contextlib.contextmanager
def scratch_database(server_dsn: str | Dsn, prefix: str) -> Iterator[str]:
    """A fresh, empty database on ``server_dsn``'s server; yields its conninfo, drops it afterwards."""
    server = Dsn.parse(server_dsn)
    name = f"{prefix}_{os.getpid()}"
    admin = connect(server)
    try:
        with db_errors(f"cannot create scratch database {name} on {server.describe()}"):
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        try:
            yield server.replace(dbname=name).conninfo
        finally:
            with db_errors(f"cannot drop scratch database {name}"):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        admin.close()
