"""A real PgBouncer in front of the test server, for tests of what runs through a pooler.

:class:`Pooler` starts Debian's ``pgbouncer`` (``/usr/sbin/pgbouncer``, or the one on
``PATH``, or ``$PGGIT_PGBOUNCER``) in ``pool_mode = transaction`` with a small pool
(``default_pool_size = 2`` unless told otherwise) in front of a PostgreSQL server,
listening on 127.0.0.1 on a free port, with ``auth_type = trust`` (the test server trusts
127.0.0.1 too).  Every database of the server is reachable through it by name
(``* = host=... port=...``): :meth:`Pooler.dsn` gives the conninfo.  Its folder (config,
log, pid file) is a fresh temporary folder, removed by :meth:`Pooler.stop`.

PgBouncer refuses to run as root: as root it is started with ``-u <account>``, the same
unprivileged account the test server runs as (:func:`pggit_sql.accounts.server_account`),
and its folder is handed to that account.  As an ordinary user nothing changes hands.

The pytest plugin's ``pggit_pooler`` fixture (session scope) starts one in front of
``pggit_server`` and skips the test, saying why, when no ``pgbouncer`` binary is found
(``make install`` installs Debian's package where it runs as root with apt-get).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from pggit_sql import accounts, pgserver
from pggit_sql.errors import PggitError

PGBOUNCER_ENV = "PGGIT_PGBOUNCER"
_DEBIAN_PGBOUNCER = Path("/usr/sbin/pgbouncer")
NOT_INSTALLED = (
    "pgbouncer is not installed (Debian/Ubuntu: apt-get install pgbouncer, which make install does as root; "
    f"or set ${PGBOUNCER_ENV} to its path)"
)


def missing_reason() -> str:
    """Why no ``pgbouncer`` can be run (for a skip): a wrong ``$PGGIT_PGBOUNCER``, or none installed."""
    override = os.environ.get(PGBOUNCER_ENV)
    if override and not Path(override).is_file():
        return f"${PGBOUNCER_ENV} is {override!r}, which is not a file"
    return NOT_INSTALLED


def pgbouncer_binary() -> Path | None:
    """The ``pgbouncer`` to run: ``$PGGIT_PGBOUNCER``, else the one on PATH, else Debian's; None when none."""
    override = os.environ.get(PGBOUNCER_ENV)
    if override:
        return Path(override) if Path(override).is_file() else None
    found = shutil.which("pgbouncer")
    if found:
        return Path(found)
    return _DEBIAN_PGBOUNCER if _DEBIAN_PGBOUNCER.is_file() else None


def config_text(*, server_host: str, server_port: int, port: int, folder: Path, pool_size: int,
                pool_mode: str, admin_user: str) -> str:
    """The ``pgbouncer.ini`` of a test pooler (every database of the server, by name)."""
    return "\n".join([
        "[databases]",
        f"* = host={server_host} port={server_port}",
        "",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder / 'userlist.txt'}",
        f"admin_users = {admin_user}",
        f"pool_mode = {pool_mode}",
        f"default_pool_size = {pool_size}",
        "min_pool_size = 0",
        "reserve_pool_size = 0",
        f"max_db_connections = {pool_size}",
        "max_client_conn = 500",
        # a client waiting for a server connection fails after this long (the default 120 s
        # would turn a deadlock into a two-minute hang; 30 s still outlasts any level file)
        "query_wait_timeout = 30",
        "server_login_retry = 1",
        f"logfile = {folder / 'pgbouncer.log'}",
        f"pidfile = {folder / 'pgbouncer.pid'}",
        "",
    ])


class Pooler:
    """A PgBouncer process in front of ``server_host:server_port`` (see the module's docstring).

    ``pool_size`` is ``default_pool_size`` (and ``max_db_connections``): at most that many
    server connections per database.  ``pool_mode``: ``transaction`` (the default),
    ``session`` or ``statement``.
    """

    host = "127.0.0.1"
    start_timeout = 20.0

    def __init__(self, server_host: str, server_port: int, *, user: str = "postgres", pool_size: int = 2,
                 pool_mode: str = "transaction", binary: Path | None = None, tmpdir: str | None = None) -> None:
        found = binary or pgbouncer_binary()
        if found is None:
            raise PggitError(missing_reason())
        self.binary = found
        self.server_host = server_host
        self.server_port = server_port
        self.user = user
        self.pool_size = pool_size
        self.pool_mode = pool_mode
        self.account = accounts.server_account()  # None unless we are root
        self.root = Path(tempfile.mkdtemp(prefix="pggit-pgbouncer-", dir=tmpdir))
        self.root.chmod(0o711)
        self.folder = accounts.hand_over(self.root / "run")
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    # ----- connecting

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq conninfo of ``dbname`` through the pooler."""
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    conninfo = dsn

    def _console(self, command: str) -> tuple[list[str], list[tuple[object, ...]]]:
        """Column names and rows of a PgBouncer console command (its admin database, simple queries)."""
        with psycopg.connect(self.dsn("pgbouncer"), autocommit=True, prepare_threshold=None,
                             cursor_factory=psycopg.ClientCursor) as conn:
            cur = conn.execute(command)
            if cur.description is None:
                return [], []
            return [column.name for column in cur.description], list(cur.fetchall())

    def admin(self, command: str) -> list[tuple[object, ...]]:
        """Rows of a PgBouncer console command (``SHOW POOLS``, ``SHOW SERVERS``...)."""
        return self._console(command)[1]

    def pools(self, dbname: str) -> list[dict[str, object]]:
        """``SHOW POOLS`` rows of ``dbname`` as dicts (cl_active, cl_waiting, sv_active, sv_idle...)."""
        names, rows = self._console("SHOW POOLS")
        return [row for row in (dict(zip(names, values, strict=True)) for values in rows)
                if row.get("database") == dbname]

    # ----- life cycle

    def start(self, port_attempts: int = 5) -> Pooler:
        """Write the config and start PgBouncer; return once it accepts connections."""
        for attempt in range(1, port_attempts + 1):
            self.port = pgserver.free_port()
            self._write_config()
            self._launch()
            if self._wait_ready():
                return self
            taken = "Address already in use" in self.log_tail(20)
            self._terminate()
            if not taken or attempt == port_attempts:
                raise PggitError(f"pgbouncer did not start on port {self.port}: {self.log_tail()}")
        return self

    def _write_config(self) -> None:
        (self.folder / "userlist.txt").write_text(f'"{self.user}" ""\n')
        (self.folder / "pgbouncer.ini").write_text(config_text(
            server_host=self.server_host, server_port=self.server_port, port=self.port, folder=self.folder,
            pool_size=self.pool_size, pool_mode=self.pool_mode, admin_user=self.user))
        for path in self.folder.iterdir():
            accounts.give_to_server_account(path)

    def _launch(self) -> None:
        command = [str(self.binary)]
        if self.account is not None:  # pgbouncer refuses to run as root: it switches to the server account
            command += ["-u", self.account]
        command.append(str(self.folder / "pgbouncer.ini"))
        self.process = subprocess.Popen(command, cwd="/", stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with psycopg.connect(self.dsn("postgres"), autocommit=True, prepare_threshold=None,
                                     connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _terminate(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: immediate shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """Stop PgBouncer (if it runs) and remove its folder."""
        try:
            self._terminate()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 5) -> str:
        with contextlib.suppress(OSError):
            tail = (self.folder / "pgbouncer.log").read_text(errors="replace").strip().splitlines()[-lines:]
            return "pgbouncer log: " + " | ".join(tail)
        return f"no pgbouncer log in {self.folder}"

    def __enter__(self) -> Pooler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
