"""The wheel, installed into a clean venv with no checkout anywhere, does what a new user needs.

Built with ``python -m build`` (sdist, then the wheel from the unpacked sdist, as a release
would; the isolated build fetches setuptools from the package index), installed with pip
into a fresh venv together with what the example's tests need but without hypothesis, and
then used only through that venv's binaries, from a folder outside any checkout, with
PYTHONPATH and the database/migrations variables removed:

- the package is the venv's, and finds its SQL tree inside itself (``pggit_sql/sql``);
- ``pggit-sql levels``, ``migrate`` and ``verify`` work on a database of the test server;
- the commands that write pggit's own levels refuse, and write nothing;
- examples/shop is migrated and verified with ``--migrations``, and its per-level tests pass
  with the venv's pytest (which starts a server of its own, as ``postgres`` when we are root);
- the pytest plugin loads where hypothesis is not installed.

Building and installing take most of the time, once per module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pggit_sql import pgserver
from pggit_sql.levels import discover, head

CHECKOUT = Path(__file__).resolve().parents[2]
EXAMPLE = CHECKOUT / "examples" / "shop"
EXAMPLE_TESTS = 22  # examples/shop/README.md says so too
# variables that would point the venv's tools back at a checkout or at some database
CLEARED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL", "PGGIT_MIGRATIONS_DIR", "PGGIT_DEBUG",
               "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PGOPTIONS")


def run(argv: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def succeeded(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def example_requirements() -> list[str]:
    """The ``test`` extra without hypothesis: what the plugin's server and the example's tests need."""
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [text for text in project["optional-dependencies"]["test"] if Requirement(text).name != "hypothesis"]


@dataclass(frozen=True)
class Installed:
    """The built wheel, the clean venv it is installed in, and a folder outside any checkout."""

    wheel: Path
    venv: Path
    work: Path

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        # the server binaries this suite runs: on a machine without PostgreSQL they are a server
        # wheel of this suite's venv, which the clean venv does not have (its users add [server])
        env[pgserver.PG_BINDIR_ENV] = str(pgserver.bindir())
        return env

    def run(self, program: str, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """``program`` from the venv's bin/, in ``work`` (or ``cwd``), with the cleaned environment."""
        return run([self.venv / "bin" / program, *args], cwd or self.work, self.env)

    def python(self, code: str) -> str:
        return succeeded(self.run("python", "-c", code)).stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    dist, venv, work = root / "dist", root / "venv", root / "work"
    work.mkdir()
    succeeded(run([sys.executable, "-m", "build", "--outdir", dist, CHECKOUT], cwd=root))
    wheels = sorted(dist.glob("pggit_sql-*.whl"))
    assert len(wheels) == 1, wheels
    succeeded(run([sys.executable, "-m", "venv", venv], cwd=root))
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    succeeded(run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   wheels[0], *example_requirements()], cwd=root, env=env, timeout=600))
    return Installed(wheels[0], venv, work)


@pytest.fixture(scope="module")
def checkout_head() -> int:
    return head(discover(CHECKOUT / "sql" / "migrations"))


# --------------------------------------------------------------------------- the wheel and the venv


def test_the_wheel_carries_the_whole_sql_tree(installed: Installed) -> None:
    in_checkout = sorted(str(p.relative_to(CHECKOUT / "sql")) for p in (CHECKOUT / "sql").rglob("*") if p.is_file())
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = sorted(name.removeprefix("pggit_sql/sql/") for name in wheel.namelist()
                          if name.startswith("pggit_sql/sql/"))
        names = wheel.namelist()
    assert in_wheel == in_checkout  # every file of sql/, nothing else
    assert len(in_wheel) > 100
    assert not [name for name in names if name.startswith(("sql/", "tests/", "examples/"))]
    assert "pggit_sql/py.typed" in names  # PEP 561: users' type checkers read the package's hints


def test_the_package_is_the_venvs_and_reads_its_own_sql(installed: Installed) -> None:
    out = installed.python("import pggit_sql, pggit_sql.levels as l; "
                           "print(pggit_sql.__file__); print(l.sql_dir()); print(l.checkout_root())")
    module, sql, checkout = out.splitlines()
    site = installed.venv.resolve()
    assert Path(module).resolve().is_relative_to(site), module
    assert Path(sql) == Path(module).resolve().parent / "sql"
    assert checkout == "None"
    assert installed.python("import importlib.util; print(importlib.util.find_spec('hypothesis'))").strip() == "None"


def test_levels(installed: Installed, checkout_head: int) -> None:
    data = json.loads(succeeded(installed.run("pggit-sql", "--json", "levels")).stdout)
    assert data["head"] == checkout_head
    expected = [lv.name for lv in discover(CHECKOUT / "sql" / "migrations")]
    assert [lv["name"] for lv in data["levels"]] == expected


def test_migrate_and_verify_a_database(installed: Installed, checkout_head: int,
                                       pggit_new_database: Callable[[int], str]) -> None:
    dsn = pggit_new_database(0)
    out = succeeded(installed.run("pggit-sql", "--dsn", dsn, "migrate")).stdout
    assert [int(n) for n in re.findall(r"^applied level (\d+) ", out, re.M)] == list(range(1, checkout_head + 1))
    assert f"is now at level {checkout_head}" in out
    out = succeeded(installed.run("pggit-sql", "--dsn", dsn, "verify")).stdout
    assert out.startswith("ok: ") and f"matches level {checkout_head}" in out, out
    status = json.loads(succeeded(installed.run("pggit-sql", "--dsn", dsn, "--json", "status")).stdout)
    assert (status["catalog_level"], status["pending"], status["problems"]) == (checkout_head, [], [])


@pytest.mark.parametrize("argv", [["snapshot"], ["new-level", "next_change"]])
def test_commands_writing_pggits_levels_refuse(installed: Installed, argv: list[str]) -> None:
    packaged = Path(installed.python("import pggit_sql.levels as l; print(l.sql_dir())").strip())
    before = sorted(packaged.rglob("*"))
    result = installed.run("pggit-sql", *argv)
    assert result.returncode == 1, result
    assert result.stderr == (f"pggit-sql: error: pggit-sql {argv[0]} writes pggit's own levels, which this installed "
                             f"package only carries read-only ({packaged}): run it in a checkout of pggit, or pass "
                             "--migrations DIR for your own levels\n")
    assert sorted(packaged.rglob("*")) == before
    assert not (installed.work / ".pggit").exists()  # no development cluster was started


# --------------------------------------------------------------------------- a project's own levels


def test_the_example_project_migrates_verifies_and_passes_its_tests(
        installed: Installed, pggit_new_database: Callable[[int], str]) -> None:
    shop = installed.work / "shop"
    shutil.copytree(EXAMPLE, shop, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    dsn = pggit_new_database(0)
    out = succeeded(installed.run("pggit-sql", "--dsn", dsn, "--migrations", "migrations", "migrate", cwd=shop)).stdout
    assert re.findall(r"^applied level \d+ \((\w+)\)", out, re.M) == ["0001_customers", "0002_orders",
                                                                      "0003_order_totals"]
    out = succeeded(installed.run("pggit-sql", "--dsn", dsn, "--migrations", "migrations", "verify", cwd=shop)).stdout
    assert out.startswith("ok: ") and "catalog/0003_order_totals.json" in out, out

    result = succeeded(installed.run("pytest", "-q", "-p", "no:cacheprovider", cwd=shop))
    assert re.search(rf"^{EXAMPLE_TESTS} passed in ", result.stdout, re.M), result.stdout
    assert "skipped" not in result.stdout and "hypothesis" not in result.stdout


def test_the_plugin_loads_without_hypothesis(installed: Installed) -> None:
    folder = installed.work / "trivial"
    folder.mkdir()
    (folder / "test_trivial.py").write_text("def test_sum():\n    assert 1 + 1 == 2\n")
    # --pggit-level is the plugin's option: pytest would refuse it (exit 4) if the plugin were not loaded
    result = succeeded(installed.run("pytest", "-q", "-p", "no:cacheprovider", "--pggit-level=head", cwd=folder))
    assert re.search(r"^1 passed in ", result.stdout, re.M), result.stdout
