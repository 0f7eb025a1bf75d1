"""Discover pggit levels: the yoyo migrations ``NNNN_name.sql`` with their rollbacks.

A level is one migration file numbered from 0001 upwards without gaps, with a
``NNNN_name.rollback.sql`` beside it that returns the database to the previous level.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pggit_sql.errors import LevelError, clip

MIGRATIONS_DIR_ENV = "PGGIT_MIGRATIONS_DIR"
_LEVEL_FILE = re.compile(r"^(?P<number>\d{4})_(?P<slug>[a-z0-9_]+)\.sql$")
_ROLLBACK_FILE = re.compile(r"^(?P<number>\d{4})_(?P<slug>[a-z0-9_]+)\.rollback\.sql$")
#: How a level's files must be named, for messages.
FILE_PATTERN = "NNNN_slug.sql and NNNN_slug.rollback.sql (NNNN: 4 digits; slug: a-z, 0-9, _)"


PACKAGED_SQL_DIR = Path(__file__).resolve().parent / "sql"  # the wheel's copy of the repository's sql/


def checkout_root() -> Path | None:
    """The repository this package runs from (editable install or source tree), else None.

    A checkout is the folder above ``pggit_sql/`` when it holds ``pyproject.toml`` and
    ``sql/migrations``; an installed wheel's folder above (``site-packages``) is none.
    """
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "sql" / "migrations").is_dir() else None


def sql_dir() -> Path:
    """pggit's own SQL tree (``migrations``, ``functions``, ``catalog``, ``grants``).

    The copy inside the installed package (``pggit_sql/sql``, which the wheel carries) when
    it is there, else the checkout's ``sql/``; LevelError when there is neither.
    """
    if PACKAGED_SQL_DIR.is_dir():
        return PACKAGED_SQL_DIR
    root = checkout_root()
    if root is None:
        raise LevelError(f"pggit's SQL files are missing: neither {PACKAGED_SQL_DIR} (an installed wheel's copy) "
                         f"nor a checkout's sql/ beside {Path(__file__).resolve().parent}")
    return root / "sql"


def project_root() -> Path:
    """The folder holding pggit's ``sql/``: the checkout, or the installed package's folder."""
    return sql_dir().parent


def display_path(path: Path) -> str:
    """``path`` relative to the project (``sql/migrations/0001_core.sql``) or cwd when inside them."""
    resolved = path.resolve()
    for base in (project_root(), Path.cwd().resolve()):
        with contextlib.suppress(ValueError):
            return str(resolved.relative_to(base))
    return str(path)


def refuse_packaged(path: Path, action: str) -> None:
    """LevelError when ``path`` lies in the installed package's SQL copy, which ``action`` must not write.

    Commands that write pggit's own levels (``new-level``, ``snapshot``) work in a checkout
    of pggit; on a project's own folder (``--migrations DIR``) they work anywhere.
    """
    if PACKAGED_SQL_DIR.is_dir() and path.resolve().is_relative_to(PACKAGED_SQL_DIR):
        raise LevelError(
            f"{action} writes pggit's own levels, which this installed package only carries read-only "
            f"({PACKAGED_SQL_DIR}): run it in a checkout of pggit, or pass --migrations DIR for your own levels"
        )


def default_migrations_dir() -> Path:
    """``$PGGIT_MIGRATIONS_DIR`` if set, else pggit's ``sql/migrations`` (see :func:`sql_dir`)."""
    override = os.environ.get(MIGRATIONS_DIR_ENV)
    return Path(override) if override else sql_dir() / "migrations"


def functions_dir() -> Path:
    return sql_dir() / "functions"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Level:
    """One migration level."""

    number: int
    name: str  # the yoyo migration id, e.g. "0001_core"
    path: Path
    rollback_path: Path

    @property
    def checksum(self) -> str:
        return sha256_file(self.path)

    @property
    def rollback_checksum(self) -> str:
        return sha256_file(self.rollback_path)


def discover(directory: Path | None = None) -> list[Level]:
    """All levels in ``directory`` in order.

    LevelError on: a ``*.sql`` file named neither ``NNNN_slug.sql`` nor
    ``NNNN_slug.rollback.sql`` (every such file is named, with the pattern), a level
    without its rollback file, a rollback file without its level, two levels with one
    number, and gaps in the numbering.  Files not ending in ``.sql`` are ignored.
    """
    directory = directory or default_migrations_dir()
    if not directory.is_dir():
        raise LevelError(f"migrations folder {clip(directory)} does not exist")
    files = sorted(path for path in directory.iterdir() if path.is_file())
    misnamed = [path.name for path in files if path.name.lower().endswith(".sql")
                and not (_LEVEL_FILE.match(path.name) or _ROLLBACK_FILE.match(path.name))]
    if misnamed:
        shown = ", ".join(clip(name) for name in misnamed[:20]) + (
            f" and {len(misnamed) - 20} more" if len(misnamed) > 20 else "")
        raise LevelError(f"misnamed migration file{'s' if len(misnamed) > 1 else ''} in {clip(directory)}: "
                         f"{shown}; level files must be named {FILE_PATTERN}")
    names = {path.name for path in files}
    orphans = [path.name for path in files if _ROLLBACK_FILE.match(path.name)
               and path.name.removesuffix(".rollback.sql") + ".sql" not in names]
    if orphans:
        raise LevelError(f"rollback file {orphans[0]} has no level file "
                         f"{orphans[0].removesuffix('.rollback.sql')}.sql")
    levels: list[Level] = []
    for path in files:
        match = _LEVEL_FILE.match(path.name)
        if match is None:
            continue
        rollback = path.with_name(path.stem + ".rollback.sql")
        if not rollback.is_file():
            raise LevelError(f"level file {path.name} has no rollback file {rollback.name}")
        if levels and levels[-1].number == int(match["number"]):
            raise LevelError(f"two levels numbered {match['number']}: {levels[-1].path.name} and {path.name}")
        levels.append(Level(int(match["number"]), path.stem, path, rollback))
    for expected, level in enumerate(levels, start=1):
        if level.number != expected:
            raise LevelError(
                f"levels must be numbered 1, 2, 3, ... without gaps: expected {expected:04d}, "
                f"found {level.path.name}"
            )
    return levels


def head(levels: list[Level]) -> int:
    return levels[-1].number if levels else 0


def check_target(levels: list[Level], target: int) -> int:
    """``target`` if it is a known level (0 allowed), else LevelError naming the range."""
    if not 0 <= target <= head(levels):
        raise LevelError(f"unknown level {target}: this package knows levels 0 to {head(levels)}")
    return target
