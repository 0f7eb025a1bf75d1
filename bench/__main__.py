"""``make bench``: run the benchmarks of every level up to head on a throw-away server.

``python -m bench [ids_and_install] [commits] [history]`` runs only the named groups (named by theme;
the old level-numbered names ``level1``..``level4`` still work, see :data:`ALIASES`).  Prints the ratio table
(medians) and exits non-zero when a target is missed.

``python -m bench --at-level N [groups]`` runs them with the database at level N instead of
head (the levels above N are hidden from the run): run it and a plain ``python -m bench``
back to back to see what a new level costs, in the same window of the machine.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import SERVER_SETTINGS, Result, bench_server, format_table
from pggit_sql.levels import MIGRATIONS_DIR_ENV, discover, head

# group name -> (the level it needs, its module); a group runs only when head reaches its level
GROUPS = {"ids_and_install": (1, "bench.ids_and_install"), "commits": (1, "bench.commits"),
          "history": (2, "bench.history"), "data_branches": (3, "bench.data_branches"),
          "merge_and_diff": (4, "bench.merge_and_diff"), "ddl_tracking": (2, "bench.ddl_tracking"),
          "data_branch_writes": (3, "bench.data_branch_writes")}
# the groups' names before they were named by theme (README and docs/BENCHMARKS.md quote runs made with them)
ALIASES = {"level1": "ids_and_install", "level2": "history", "level3": "data_branches", "level4": "merge_and_diff"}


def hide_levels_above(level: int) -> None:
    """Point $PGGIT_MIGRATIONS_DIR at a folder holding only the levels up to ``level`` (symlinks)."""
    levels = discover()
    if not 1 <= level <= head(levels):
        raise SystemExit(f"--at-level {level}: the levels are 1 to {head(levels)}")
    folder = Path(tempfile.mkdtemp(prefix=f"pggit-bench-L{level}-"))
    for lv in levels[:level]:
        for path in (lv.path, lv.rollback_path):
            (folder / path.name).symlink_to(path)
    os.environ[MIGRATIONS_DIR_ENV] = str(folder)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--at-level"] and len(argv) >= 2:
        hide_levels_above(int(argv[1]))
        argv = argv[2:]
    known = head(discover())
    chosen = [ALIASES.get(name, name) for name in argv] or [name for name, (level, _) in GROUPS.items()
                                                             if level <= known]
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        print(f"unknown benchmark group(s) {', '.join(unknown)}; known: {', '.join(GROUPS)} "
              f"(and the old names {', '.join(ALIASES)})", file=sys.stderr)
        return 2
    too_high = [name for name in chosen if GROUPS[name][0] > known]
    if too_high:
        print(f"{', '.join(too_high)} need(s) a level above head ({known})", file=sys.stderr)
        return 2
    results: list[Result] = []
    with bench_server() as server:
        for name in chosen:
            results.extend(importlib.import_module(GROUPS[name][1]).run(server))
    print(f"pggit benchmarks (make bench), level {known}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}, "
          f"{platform.machine()}, medians; server: {SERVER_SETTINGS}")
    print(format_table(results))
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
