"""The real-world oracle's session fixture and its ``--realworld`` option.

``--realworld=fast`` (the default, what ``make test`` runs): Django's contrib apps.
``--realworld=full`` (``make test-realworld``): the whole corpus (tests/realworld/corpus.py).
(The option is declared in tests/conftest.py.) The replay and the oracle run once per
session (in the first test's setup); the summary (tests.realworld.report's) is printed at
the end of the session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pggit_sql.testing.server import PggitServer
from pggit_sql.testing.templates import TemplateChain

_OUTCOME = pytest.StashKey[object]()


@pytest.fixture(scope="session")
def realworld_outcome(
    pytestconfig: pytest.Config,
    pggit_server: PggitServer,
    pggit_templates: TemplateChain,
    pggit_head: int,
    tmp_path_factory: pytest.TempPathFactory,
):
    from tests.realworld.harness import prepare
    from tests.realworld.report import run

    corpus = pytestconfig.getoption("realworld")
    folder: Path = tmp_path_factory.mktemp(f"realworld-{corpus}")
    replay = prepare(pggit_server, pggit_templates, pggit_head, corpus, folder)
    outcome = run(replay)
    pytestconfig.stash[_OUTCOME] = outcome
    return outcome


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    outcome = config.stash.get(_OUTCOME, None)
    if outcome is None:
        return
    from tests.realworld.report import format_outcome

    terminalreporter.section("real-world migrations")
    for line in format_outcome(outcome).splitlines():  # type: ignore[arg-type]
        terminalreporter.write_line(line)
