"""The pggit pytest plugin loads where hypothesis is not installed (it comes with the ``test`` extra).

A pytest run in a subprocess whose ``import hypothesis`` fails, as in an environment
without it.  Plugins are not auto-loaded there (pytest would look into hypothesis' own
entry point) and the pggit plugin is named with ``-p``; tests/packaging/test_wheel.py
runs pytest in a real venv without hypothesis, the plugin loaded by its entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
# hypothesis made unimportable: find_spec answers None, import raises ImportError
RUNNER = """
import sys
sys.modules["hypothesis"] = None
import pytest
sys.exit(pytest.main(["-q", "-p", "pggit_sql.testing.plugin", "-p", "no:cacheprovider", *sys.argv[1:]]))
"""


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # this checkout's pggit_sql, whatever the venv's editable install points at
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPATH=str(CHECKOUT))
    return subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=folder, capture_output=True, text=True,
                          timeout=120, env=env)


def test_a_trivial_test_passes_and_the_plugin_is_active(tmp_path: Path) -> None:
    (tmp_path / "test_trivial.py").write_text(
        "def test_sum(pytestconfig):\n"
        "    assert pytestconfig.pluginmanager.hasplugin('pggit_sql.testing.plugin')\n"
        "    assert pytestconfig.getoption('pggit_level') == '2'\n"
        "    assert 1 + 1 == 2\n"
    )
    result = run_pytest(tmp_path, "--pggit-level=2", "test_trivial.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "hypothesis" not in result.stdout + result.stderr


def test_importing_the_strategies_still_needs_hypothesis(tmp_path: Path) -> None:
    (tmp_path / "test_strategies.py").write_text("import pggit_sql.testing.strategies\n\ndef test_x():\n    pass\n")
    result = run_pytest(tmp_path, "test_strategies.py")
    assert result.returncode == 2, result.stdout + result.stderr  # collection error: what uses it needs it
    assert "hypothesis" in result.stdout
