"""The unprivileged account PostgreSQL runs as when we are root.

PostgreSQL's ``initdb``, ``pg_ctl`` and ``postgres`` refuse to run as root.  When the
current process is root, server programs run as the ``postgres`` account (or
``$PGGIT_SERVER_USER``), and every folder the server writes to is handed to it.  As an
ordinary user there is no account to switch to and nothing changes hands.

Used by :mod:`pggit_sql.pgserver` (clusters), :mod:`pggit_sql.majors` (``postgres
--version``) and the test layer; it imports nothing of pggit_sql but its errors.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from pggit_sql.errors import PggitError

SERVER_USER_ENV = "PGGIT_SERVER_USER"
DEFAULT_SERVER_USER = "postgres"


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
