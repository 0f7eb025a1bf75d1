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


def test_schema_scripts_and_levels_have_distinct_words() -> None:
    """"migration" names pggit's own levels; the DDL pggit writes for a user's schema is a *schema
    script*: its SQL lives in ``sql/functions/scripts/`` and its CLI command is ``script`` (the old
    ``migration`` is an alias that says so)."""
    from pggit_sql import cli

    folders = {path.name for path in (ROOT / "sql" / "functions").iterdir() if path.is_dir()}
    assert "scripts" in folders and not {f for f in folders if "migration" in f}
    commands = set(cli.COMMANDS)
    assert {"script", "migrate", "rollback"} <= commands
    assert {c for c in commands if "migration" in c} == {"migration"}  # the old spelling, kept working
