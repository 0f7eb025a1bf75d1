"""Names by theme, not by level number (issue 16): no module, test, bench file or document is
called ``level4.py`` or ``LEVEL3.md``; a level is a step in time, a file lives as long as its theme."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", ".pggit", ".hypothesis", ".pytest_cache", "__pycache__", "build", "dist"}
BY_LEVEL = re.compile(r"level_?\d", re.IGNORECASE)


def test_no_file_is_named_by_a_level_number() -> None:
    named = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIP or part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and BY_LEVEL.search(path.name):
            named.append(str(path.relative_to(ROOT)))
    assert named == []
