"""Copy sql/functions files into an unreleased level's migration, where `-- from <path>` headers mark them.

Usage: python tools/sync_level_functions.py sql/migrations/0003_branches.sql
Each block runs from its `-- from sql/functions/...` header line to the line before the
next such header (or the `-- ====` banner that ends the generated functions); the block's
body is replaced by the file's text, followed by one blank line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HEADER = re.compile(r"^-- from (sql/functions/\S+\.sql)")


def sync(migration: Path, root: Path) -> int:
    lines = migration.read_text().splitlines(keepends=True)
    out: list[str] = []
    changed = 0
    i = 0
    while i < len(lines):
        match = HEADER.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        out.append(lines[i])
        j = i + 1
        while j < len(lines) and not HEADER.match(lines[j]) and not lines[j].startswith("-- ===="):
            j += 1
        old = "".join(lines[i + 1:j])
        new = (root / match.group(1)).read_text().rstrip("\n") + "\n\n"
        changed += old != new
        out.append(new)
        i = j
    migration.write_text("".join(out))
    return changed


if __name__ == "__main__":
    target = Path(sys.argv[1])
    print(f"{sync(target, Path.cwd())} block(s) updated in {target}")
