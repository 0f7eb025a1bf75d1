"""The local development cluster: a throw-away PostgreSQL under ``<project>/.pggit/``.

``<project>`` is pggit's checkout when the package runs from one, else the current
folder (an installed wheel has no project folder of its own; see :func:`project_dir`).

:func:`start` initialises the cluster if needed, starts it unless it runs, and creates
the database ``pggit_dev`` if missing; :func:`stop` stops it; :func:`status` says where
it is and whether it runs.  The cluster trusts local connections and listens on
127.0.0.1 only (see :class:`pggit_sql.pgserver.Cluster`).
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from psycopg import sql

from pggit_sql.db import connect, db_errors
from pggit_sql.levels import checkout_root
from pggit_sql.pgserver import Cluster

DEV_DATABASE = "pggit_dev"


def project_dir() -> Path:
    """The folder the cluster's ``.pggit/`` goes in: pggit's checkout, else the current folder."""
    return checkout_root() or Path.cwd()


def cluster(root: Path | None = None) -> Cluster:
    """The development cluster object (nothing is started)."""
    return Cluster(root=root or project_dir() / ".pggit")


def conninfo(root: Path | None = None) -> str:
    """libpq conninfo of the development database."""
    return cluster(root).conninfo(DEV_DATABASE)


def psql_command(root: Path | None = None) -> str:
    """A shell command connecting psql to the development database."""
    return f"psql {shlex.quote(conninfo(root))}"


def start(root: Path | None = None, *, fresh: bool = False) -> str:
    """Initialise and start the cluster if needed, create ``pggit_dev`` if missing; returns its conninfo.

    ``fresh``: drop ``pggit_dev`` first (terminating its sessions), so it is created empty.
    """
    dev = cluster(root)
    dev.start()
    with connect(dev.conninfo("postgres")) as admin:
        if fresh:
            with db_errors("cannot drop the development database"):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DEV_DATABASE)))
        with db_errors("cannot create the development database"):
            exists = admin.execute("SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s",
                                   (DEV_DATABASE,)).fetchone()
            if exists is None:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DEV_DATABASE)))
    return dev.conninfo(DEV_DATABASE)


def stop(root: Path | None = None) -> bool:
    """Stop the cluster; True when it was running."""
    return cluster(root).stop()


@dataclass(frozen=True)
class DevStatus:
    root: str
    initialised: bool
    running: bool
    conninfo: str | None
    psql: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def status(root: Path | None = None) -> DevStatus:
    """Where the cluster lives, whether it exists and runs, and how to connect when it does."""
    dev = cluster(root)
    initialised = dev.initialised()
    running = dev.running() if initialised else False
    return DevStatus(
        root=str(dev.root),
        initialised=initialised,
        running=running,
        conninfo=dev.conninfo(DEV_DATABASE) if running else None,
        psql=psql_command(root) if running else None,
    )
