"""pyproject.toml: the installed libraries satisfy the declared ranges; internals-users have upper bounds.

pggit uses internals of yoyo-migrations (backends, MigrationList) and pytest (hooks, stash),
and psycopg's conninfo helpers: each is bounded at its next major, so a new major is a visible decision (raise
the bound once the suite passed on it), not something ``pip install`` does silently.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PROJECT = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
# what `make install` installs; realworld and the server-wheel extras are optional
INSTALLED_GROUPS = ["dependencies", "test", "dev"]
BOUNDED = {"psycopg", "yoyo-migrations", "pytest"}


def requirements(group: str) -> list[Requirement]:
    texts = PROJECT["dependencies"] if group == "dependencies" else PROJECT["optional-dependencies"][group]
    return [r for r in map(Requirement, texts) if r.name != PROJECT["name"]]  # "pggit-sql[test]" is the extra


def all_requirements() -> list[Requirement]:
    return [r for group in INSTALLED_GROUPS for r in requirements(group)]


@pytest.mark.parametrize("requirement", all_requirements(), ids=str)
def test_installed_version_is_in_the_declared_range(requirement: Requirement) -> None:
    installed = importlib.metadata.version(requirement.name)
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} is installed, pyproject.toml declares {requirement}: "
        "run the suite on it and move the bound, or install a version in range"
    )


def test_libraries_whose_internals_we_use_have_an_upper_bound() -> None:
    declared = {r.name.lower(): r for r in all_requirements()}
    assert declared.keys() >= BOUNDED, f"not declared: {sorted(BOUNDED - declared.keys())}"
    unbounded = sorted(name for name in BOUNDED if not any(s.operator in ("<", "<=", "==", "~=")
                                                           for s in declared[name].specifier))
    assert unbounded == []


def test_the_test_extra_brings_what_the_plugin_and_strategies_import() -> None:
    names = {r.name.lower() for r in requirements("test")}
    assert {"pytest", "psutil", "hypothesis"} <= names
    assert {r.name.lower() for r in requirements("dependencies")} == {"psycopg", "yoyo-migrations", "sqlparse"}
    assert "pggit-sql[test]" in PROJECT["optional-dependencies"]["dev"]


def test_the_packages_list_names_every_python_package() -> None:
    setuptools = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]
    root = PYPROJECT.parent
    found = sorted(".".join(p.parent.relative_to(root).parts) for p in (root / "pggit_sql").rglob("__init__.py"))
    assert sorted(setuptools["packages"]) == sorted([*found, "pggit_sql.sql"])
    assert setuptools["package-dir"] == {"pggit_sql.sql": "sql"}


def test_the_package_is_typed_and_make_lint_type_checks_it() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert (PYPROJECT.parent / "pggit_sql" / "py.typed").is_file()
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["pggit_sql"]  # so the wheel carries it
    mypy = config["tool"]["mypy"]
    assert mypy["files"] == ["pggit_sql"]
    assert mypy["disallow_untyped_defs"] is True and mypy["warn_unused_ignores"] is True
    assert "mypy" in {r.name.lower() for r in requirements("dev")}
    makefile = (PYPROJECT.parent / "Makefile").read_text(encoding="utf-8")
    assert "\t$(BIN)/mypy\n" in makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0] + "\n"
