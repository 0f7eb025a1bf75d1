"""The pggit pytest plugin (entry point ``pggit``) provides the fixtures; pytester runs inner suites."""

import pytest

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    # here, not in tests/realworld/conftest.py: only a root conftest's options exist in every run
    parser.addoption("--realworld", choices=("fast", "full"), default="fast",
                     help="tests/realworld corpus: fast (Django's contrib apps, the default) or full"
                          " (make test-realworld)")
