"""The pggit pytest plugin (entry point ``pggit``) provides the fixtures; pytester runs inner suites;
``run`` runs the CLI in-process."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pggit_sql import cli

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    # here, not in tests/realworld/conftest.py: only a root conftest's options exist in every run
    parser.addoption("--realworld", choices=("fast", "full"), default="fast",
                     help="tests/realworld corpus: fast (Django's contrib apps, the default) or full"
                          " (make test-realworld)")


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``run(*argv) -> (exit status, stdout, stderr)`` of the CLI in-process, without the caller's environment.

    $DATABASE_URL, $PGGIT_DEBUG and $PGOPTIONS are unset, so only the arguments (and what
    a test sets itself) decide where the CLI connects and how it reports errors.
    """
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PGGIT_DEBUG", raising=False)
    monkeypatch.delenv("PGOPTIONS", raising=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = cli.main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return invoke
