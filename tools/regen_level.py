"""Regenerate the unreleased head level from sql/functions, keeping its hand-written parts.

Usage: python tools/regen_level.py [--no-snapshot]

The head level's migration and rollback are each split at the line
``-- ---- functions (generated) ----``: everything above it (the header comment and the
table section) is kept as written; everything below it is generated again by
``pggit-sql new-level`` from the drift between ``sql/functions`` and the level before.
Then ``pggit-sql snapshot`` rewrites ``sql/catalog`` (unless ``--no-snapshot``).
Both run on the development cluster (``pggit-sql dev-db``), started when needed.
Only for a level that has not been released: a released level never changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

# this checkout's pggit_sql (and so its sql/), even when the venv's editable install points elsewhere
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pggit_sql import devdb, newlevel, snapshot_writer  # noqa: E402
from pggit_sql.levels import default_migrations_dir, discover  # noqa: E402

MARK = "-- ---- functions (generated) ----"
# Hand-written statements that need the level's functions (they run after them) follow
# this line at the very end of a level file; kept as written, like the table section.
AFTER = "-- ---- after the functions (hand-written) ----"


def split(text: str, path: Path) -> tuple[str, str]:
    head, sep, tail = text.partition(MARK)
    if not sep:
        raise SystemExit(f"{path}: no line {MARK!r}")
    return head, tail


def main(argv: list[str]) -> int:
    migrations = default_migrations_dir()
    level = discover(migrations)[-1]
    kept = {}
    after = {}
    for path in (level.path, level.rollback_path):
        head, tail = split(path.read_text(encoding="utf-8"), path)
        kept[path] = head
        _, sep, end = tail.partition(AFTER)
        after[path] = sep + end if sep else ""
        path.unlink()
    name = level.name[5:]
    server = devdb.start()
    try:
        result = newlevel.new_level(name, server, migrations)
    except BaseException:
        for path, head in kept.items():  # put the old files back
            path.write_text(head + MARK + "\n-- regeneration failed: run tools/regen_level.py again\n" + after[path])
        raise
    for path, old in zip((result.migration, result.rollback), kept, strict=True):
        _, tail = split(path.read_text(encoding="utf-8"), path)
        path.write_text(kept[old] + MARK + tail + ("\n" + after[old] if after[old] else ""), encoding="utf-8")
    for change in result.changes:
        print(f"{change.kind:8} {change.key}")
    if "--no-snapshot" not in argv:
        for written in snapshot_writer.write_snapshots(server, migrations):
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
