"""Figures and lists in README.md and docs/DESIGN.md that can be computed are checked here.

Measured figures (test counts and times, benchmarks) name the command that printed them
and its date in the README; what is cheap to compute (the levels, pggit's tables, the
hypothesis profiles, the timeout, limits of the API) is compared with its source.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import levels as levelslib
from pggit_sql import refname
from pggit_sql.testing import profiles

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DESIGN = (ROOT / "docs" / "DESIGN.md").read_text()
COMMITS = (ROOT / "docs" / "COMMITS.md").read_text()


def test_the_levels_table_lists_every_level_in_order() -> None:
    rows = re.findall(r"^\| (\d+) `(\d{4}_[a-z0-9_]+)` \|", README, re.MULTILINE)
    shipped = [(str(level.number), level.name) for level in levelslib.discover()]
    assert len(shipped) >= 7
    assert rows == shipped


def test_hypothesis_profiles_and_timeout_are_as_the_readme_says() -> None:
    examples = {name: options["max_examples"] for name, options in profiles.PROFILES.items()}
    assert f"(ci: {examples['ci']} examples, dev: {examples['dev']}, thorough: {examples['thorough']})" in README
    timeout = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["timeout"]
    assert f"the per-test timeout ({timeout} s under ci)" in README


def test_api_limits_are_as_the_reference_says() -> None:
    layout = re.search(r"(\d+) characters `([A-Za-z-]+)`", COMMITS)
    assert layout is not None and int(layout.group(1)) == len(layout.group(2)) == 36
    assert f"at most {refname.MAX_BYTES} bytes" in COMMITS


DOCUMENTS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
             "examples/shop/README.md"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_relative_links_point_to_files_that_exist(name: str) -> None:
    path = ROOT / name
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text())
    if name in ("README.md", "docs/DESIGN.md"):
        assert targets, f"{name} links to nothing"
    missing = [target for target in targets if not (path.parent / target).exists()]
    assert missing == []


def test_no_document_points_outside_the_repository() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for pattern in ("*.md", "docs/*.md", "pggit_sql/**/*.py", "tests/**/*.py", "tools/*.py", "sql/**/*.sql")
        for path in ROOT.glob(pattern)
        if "shared/DESIGN" in path.read_text() and path != Path(__file__)
    ]
    assert offenders == []


def _design_tables(schema: str) -> set[str]:
    """The tables docs/DESIGN.md names in its data-model table (schema pggit) or prose (pggit_meta)."""
    if schema == "pggit":
        return set(re.findall(r"^\| `([a-z_]+)` \| \d+ \|", DESIGN, re.MULTILINE))
    section = DESIGN[DESIGN.index("Schema `pggit_meta`:"):]
    section = section[:section.index("\n\n")]
    return set(re.findall(r"`([a-z_]+)`", section)) - {"pggit_meta", "migration_id"}


def test_design_lists_every_table_of_pggit_at_head(
    pggit_new_database: Callable[[int], str], pggit_head: int
) -> None:
    with psycopg.connect(pggit_new_database(pggit_head), autocommit=True) as conn:
        found = {
            schema: {name for (name,) in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')", [schema]).fetchall()}
            for schema in ("pggit", "pggit_meta")
        }
        views = {name for (name,) in conn.execute(
            "SELECT viewname FROM pg_views WHERE schemaname = 'pggit'").fetchall()}
    assert len(found["pggit"]) >= 20
    assert _design_tables("pggit") == found["pggit"]
    assert _design_tables("pggit_meta") == found["pggit_meta"]
    assert {view for view in views if f"`{view}`" in DESIGN} == views
