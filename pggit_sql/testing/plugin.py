"""pytest plugin: a throw-away PostgreSQL server, a template per level, a fresh database per test.

Registered as the ``pggit`` pytest11 entry point, so it is active wherever pggit-sql
is installed; it starts nothing until a test asks for one of its fixtures.

Fixtures
    ``pggit_server`` (session)  the server: ``host``, ``port``, ``user``, ``datadir``,
        ``conninfo(dbname)``, ``connect(dbname)``, ``kill()`` (SIGKILL the postmaster)
        and ``restart()`` (:class:`~pggit_sql.testing.server.PggitServer`, a throw-away
        :class:`~pggit_sql.pgserver.Cluster`).  Run as the ``postgres`` account when
        pytest runs as root, and removed at the end of the session.
    ``pggit_templates`` (session)  the :class:`~pggit_sql.testing.templates.TemplateChain`.
    ``pggit_admin_conninfo`` (session)  conninfo of the maintenance database.
    ``pggit_migrations_dir``, ``pggit_head`` (session)  the levels in use.
    ``pggit_level``  the level this test runs at (parametrized, ids ``L1``, ``L2``...).
    ``pggit_dsn``  conninfo of a fresh clone of the level's template, dropped afterwards.
    ``pggit_conn``  an autocommit connection to it; ``pggit_connect()`` opens more.
    ``pggit_new_database(level)``  conninfo of another fresh database at ``level``.
    ``pggit_stairway`` (session)  the data stairway: a template chain whose level-N template
        holds every fixture of levels 1..N (``fixtures/NNNN_slug.sql`` beside the
        migrations, :mod:`pggit_sql.fixtures`) as the migrations carried it.
    ``pggit_fixture_dsn``, ``pggit_fixture_conn``, ``pggit_new_fixture_database(level)``
        like ``pggit_dsn``, ``pggit_conn`` and ``pggit_new_database``, on the data stairway.
    ``pggit_pooler`` (session)  a real PgBouncer in transaction mode with a pool of 2 in
        front of ``pggit_server`` (:class:`~pggit_sql.testing.pooler.Pooler`):
        ``dsn(dbname)`` connects through it, ``pools(dbname)`` reads its SHOW POOLS;
        ``pggit_pooler_factory(pool_size=N, pool_mode=...)`` starts others.  Tests that
        use them are skipped, saying why, where no ``pgbouncer`` is installed.

Options
    ``--pggit-level=N|head|all|span`` (ini ``pggit_level``; default ``head``): run the
    tests that use ``pggit_level`` at head, at level N, at every level 1..head, or (span)
    at the first level each test exists at and at its last (head, or the marker's max).
    ``--pggit-migrations=DIR`` (ini ``pggit_migrations``): the levels to use; default
    :func:`pggit_sql.levels.default_migrations_dir`, so other projects can test their
    own migrations.  Templates are migrated by :class:`pggit_sql.migrate.Migrator`, which
    decides where a database's level comes from by the folder's level-1 file: if it
    contains ``COMMENT ON SCHEMA pggit IS 'pggit-sql level 1'`` the levels are pggit's
    and the comment on schema ``pggit`` is the claim (checked after every level);
    otherwise (a project's own migrations) the claim is the highest level yoyo recorded,
    kept in the bookkeeping schema ``pggit_meta_<folder name>``, the only thing named
    pggit the test databases then contain.
    ``--pggit-fixtures=on|off|DIR`` (ini ``pggit_fixtures``; default off): with ``on``
    (fixtures/ beside the migrations) or a folder, ``pggit_dsn``, ``pggit_conn`` and
    ``pggit_new_database`` clone the data stairway too, so every test sees the fixtures.
    Marker ``pggit_level(min=N, max=M)``: the test exists from level N (up to M).  With
    ``all`` it is generated only for those levels; with a single level outside the range
    it is deselected, and the count is reported after collection.

Hypothesis profiles (:mod:`pggit_sql.testing.profiles`) are registered here when
hypothesis is installed; ``ci`` is loaded unless ``--hypothesis-profile`` or
``$PGGIT_HYPOTHESIS_PROFILE`` says otherwise (or a conftest already loaded a profile of its
own).  Without hypothesis the plugin loads all the same (it comes with the ``test`` extra,
as does psutil, which ``pggit_server`` needs).
"""

from __future__ import annotations

import os
import pwd
import re
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from pggit_sql import fixtures as fixtureslib
from pggit_sql import levels as levelslib
from pggit_sql import pgserver
from pggit_sql.errors import PggitError
from pggit_sql.testing import profiles
from pggit_sql.testing.pooler import Pooler, missing_reason, pgbouncer_binary
from pggit_sql.testing.server import PggitServer, server_binaries_description
from pggit_sql.testing.templates import TemplateChain

LEVEL_MARKER = "pggit_level"
_LEVEL_OPTION = re.compile(r"^(head|all|span|\d+)$")


# --------------------------------------------------------------------------- levels and options


@dataclass
class LevelSettings:
    """What ``--pggit-level`` and ``--pggit-migrations`` resolved to for this session."""

    migrations_dir: Path
    mode: str  # "head", "all", "span" or a level number as text
    head: int = 0
    error: str | None = None  # why the levels could not be read
    deselected: dict[str, int] = field(default_factory=dict)  # "higher"/"lower" -> number of tests

    @property
    def levels(self) -> list[int]:
        """The levels the tests run at."""
        if self.mode in ("all", "span"):
            return list(range(1, self.head + 1)) or [self.head]
        if self.mode == "head":
            return [self.head]
        return [int(self.mode)]

    def check(self) -> None:
        if self.error is not None:
            raise pytest.UsageError(f"pggit: {self.error}")
        if self.mode not in ("head", "all", "span") and int(self.mode) > self.head:
            raise pytest.UsageError(
                f"pggit: --pggit-level={self.mode}, but {self.migrations_dir} has levels 0 to {self.head}"
            )


_SETTINGS = pytest.StashKey[LevelSettings]()
_CHAIN = pytest.StashKey[TemplateChain]()
_STAIRWAY = pytest.StashKey[TemplateChain]()


def settings_of(config: pytest.Config) -> LevelSettings:
    """The session's level settings (for test modules that iterate levels themselves)."""
    return config.stash[_SETTINGS]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pggit", "pggit: per-level PostgreSQL test databases")
    group.addoption(
        "--pggit-level",
        dest="pggit_level",
        default=None,
        help="level the database tests run at: N, head (default), all (every level 1..head) or span"
         " (each test at its first level and its last)",
    )
    group.addoption(
        "--pggit-fixtures",
        dest="pggit_fixtures",
        default=None,
        help="on: every test database holds the fixtures (fixtures/ beside the migrations, loaded level by"
             " level: the data stairway); DIR: the same from that folder; off (default): empty databases",
    )
    group.addoption(
        "--pggit-migrations",
        dest="pggit_migrations",
        default=None,
        help="folder of the yoyo migrations (levels) to test; default: pggit-sql's sql/migrations",
    )
    parser.addini("pggit_level", "default for --pggit-level", default="head")
    parser.addini("pggit_migrations", "default for --pggit-migrations (relative to the ini file)", default="")
    parser.addini("pggit_fixtures", "default for --pggit-fixtures (on, off, or a folder relative to the ini file)",
                  default="")


def _migrations_dir(config: pytest.Config) -> Path:
    option = config.getoption("pggit_migrations")
    if option:
        return Path(option).resolve()
    ini = str(config.getini("pggit_migrations") or "")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / ini).resolve()
    return levelslib.default_migrations_dir()


_ON = ("on", "true", "yes", "1")
_OFF = ("", "off", "false", "no", "0")


def fixtures_dir(config: pytest.Config, migrations_dir: Path) -> Path | None:
    """The folder whose fixtures every test database holds (``--pggit-fixtures``), or None (off)."""
    option = config.getoption("pggit_fixtures")
    value = str(option if option is not None else config.getini("pggit_fixtures") or "").strip()
    if value.lower() in _OFF:
        return None
    if value.lower() in _ON:
        return fixtureslib.default_fixtures_dir(migrations_dir)
    if option is None and config.inipath is not None:
        return (config.inipath.parent / value).resolve()
    return Path(value).resolve()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LEVEL_MARKER}(min=N, max=M): the test exists from pggit level N (up to level M); "
        "it is generated only for those levels and deselected at others",
    )
    _load_hypothesis_profile(config)
    _scale_timeout(config)
    mode = str(config.getoption("pggit_level") or config.getini("pggit_level") or "head").strip().lower()
    if not _LEVEL_OPTION.match(mode):
        raise pytest.UsageError(f"--pggit-level must be a level number, head or all, not {mode!r}")
    settings = LevelSettings(migrations_dir=_migrations_dir(config), mode=mode)
    try:
        settings.head = levelslib.head(levelslib.discover(settings.migrations_dir))
    except PggitError as exc:
        settings.error = str(exc)  # reported only if a test needs the levels
    else:
        settings.check()
    config.stash[_SETTINGS] = settings


def _scale_timeout(config: pytest.Config) -> None:
    """Stretch pytest-timeout's ini value (sized for ``ci``) by the heavier profile's example ratio.

    An explicit ``--timeout`` or ``$PYTEST_TIMEOUT`` wins. Runs before pytest-timeout reads
    its settings (this hook is ``tryfirst``); without the plugin it does nothing.
    """
    if not config.pluginmanager.hasplugin("timeout") or config.getoption("timeout", None) is not None:
        return
    if os.environ.get("PYTEST_TIMEOUT"):
        return
    try:
        configured = float(config.getini("timeout") or 0)
    except (TypeError, ValueError):
        return
    factor = profiles.timeout_factor(profiles.chosen(config.getoption("hypothesis_profile", None)))
    if configured > 0 and factor > 1:
        config.option.timeout = configured * factor


def _load_hypothesis_profile(config: pytest.Config) -> None:
    if not profiles.available():
        return
    from hypothesis import settings as hypothesis_settings

    profiles.register()
    if config.getoption("hypothesis_profile", None):
        return  # hypothesis' own plugin loads it (after us)
    if hypothesis_settings.get_current_profile_name() != "default" and not os.environ.get(profiles.PROFILE_ENV):
        return  # a conftest chose a profile of its own
    profiles.load()


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None:
        return []
    lines = [f"pggit: {server_binaries_description()}"]
    if settings.error:
        lines.append(f"pggit: levels unavailable: {settings.error}")
    else:
        chosen = ", ".join(str(level) for level in settings.levels)
        known = f"levels 1..{settings.head}" if settings.head else "no levels yet"
        lines.append(
            f"pggit: migrations {settings.migrations_dir} ({known}); "
            f"--pggit-level={settings.mode}: database tests run at level {chosen}"
        )
    return lines


def _marker_range(node: pytest.Item | pytest.Function | object) -> tuple[int, int | None]:
    get_marker = getattr(node, "get_closest_marker", None)
    marker = get_marker(LEVEL_MARKER) if get_marker else None
    if marker is None:
        return 0, None
    low = marker.kwargs.get("min", marker.args[0] if marker.args else 0)
    high = marker.kwargs.get("max", marker.args[1] if len(marker.args) > 1 else None)
    return int(low), (int(high) if high is not None else None)


def _in_range(level: int, bounds: tuple[int, int | None]) -> bool:
    low, high = bounds
    return level >= low and (high is None or level <= high)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pggit_level" not in metafunc.fixturenames:
        return
    settings = settings_of(metafunc.config)
    settings.check()
    bounds = _marker_range(metafunc.definition)
    chosen = settings.levels
    if settings.mode in ("all", "span"):
        # generated only where the test exists; when nowhere, one item that gets deselected
        chosen = [level for level in chosen if _in_range(level, bounds)] or [settings.head]
        if settings.mode == "span":  # the first level the test exists at, and its last
            chosen = sorted({chosen[0], chosen[-1]})
    metafunc.parametrize("pggit_level", chosen, indirect=True, ids=[f"L{level}" for level in chosen])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None:
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        level = callspec.params.get("pggit_level") if callspec is not None else None
        bounds = _marker_range(item)
        if level is not None and not _in_range(int(level), bounds):
            dropped.append(item)
            side = "higher" if int(level) < bounds[0] else "lower"
            settings.deselected[side] = settings.deselected.get(side, 0) + 1
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None or settings.error or not settings.deselected:
        return []
    chosen = ", ".join(str(level) for level in settings.levels)
    parts = [f"{count} test{' needs' if count == 1 else 's need'} a {side} level" for side, count in
             sorted(settings.deselected.items())]
    return [f"pggit: level {chosen} of {settings.head}; deselected: {'; '.join(parts)}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    stairway = config.stash.get(_STAIRWAY, None)
    if stairway is not None:
        terminalreporter.write_line(f"pggit: data stairway (fixtures) built: {_built(stairway)}")
    chain = config.stash.get(_CHAIN, None)
    if chain is None:
        return
    clones = chain.stats.clone_seconds
    cloned = (
        f"{len(clones)} test databases cloned, median {statistics.median(clones) * 1000:.0f} ms"
        if clones else "no test database cloned"
    )
    terminalreporter.write_line(f"pggit: templates built: {_built(chain)}; {cloned}")


def _built(chain: TemplateChain) -> str:
    """``L0 0.05 s, L1 0.13 s, ...``: how long each template of ``chain`` took to build, or none."""
    seconds = sorted(chain.stats.build_seconds.items())
    return ", ".join(f"L{level} {taken:.2f} s" for level, taken in seconds) or "none"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def pggit_server() -> Iterator[PggitServer]:
    """A PostgreSQL server for the whole session, removed afterwards."""
    server = PggitServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pggit_migrations_dir(pytestconfig: pytest.Config) -> Path:
    settings = settings_of(pytestconfig)
    settings.check()
    return settings.migrations_dir


@pytest.fixture(scope="session")
def pggit_head(pytestconfig: pytest.Config) -> int:
    settings = settings_of(pytestconfig)
    settings.check()
    return settings.head


@pytest.fixture(scope="session")
def pggit_templates(
    pytestconfig: pytest.Config, pggit_server: PggitServer, pggit_migrations_dir: Path, pggit_head: int
) -> TemplateChain:
    """The session's template chain (templates are built on first use)."""
    chain = TemplateChain(pggit_server.conninfo, pggit_migrations_dir, pggit_head)
    pytestconfig.stash[_CHAIN] = chain
    return chain


@pytest.fixture(scope="session")
def pggit_stairway(
    pytestconfig: pytest.Config, pggit_server: PggitServer, pggit_migrations_dir: Path, pggit_head: int
) -> TemplateChain:
    """The data stairway: templates per level holding the fixtures loaded at their levels and carried up
    (``--pggit-fixtures`` / ini ``pggit_fixtures`` names the folder; default ``fixtures/`` beside the
    migrations).  A fixture that fails to load, or kept rows a level loses or changes, fail the tests
    that ask for it, naming the file, the level and the statement."""
    found = fixtureslib.required(pggit_migrations_dir, fixtures_dir(pytestconfig, pggit_migrations_dir))
    chain = TemplateChain(pggit_server.conninfo, pggit_migrations_dir, pggit_head, fixtures=found)
    pytestconfig.stash[_STAIRWAY] = chain
    return chain


@pytest.fixture(scope="session")
def pggit_admin_conninfo(pggit_server: PggitServer) -> str:
    """conninfo of the maintenance database ``postgres`` (never a template)."""
    return pggit_server.conninfo("postgres")


@pytest.fixture
def pggit_level(request: pytest.FixtureRequest) -> int:
    """The level this test runs at (set by ``--pggit-level``)."""
    param = getattr(request, "param", None)
    if param is not None:
        return int(param)
    settings = settings_of(request.config)
    settings.check()
    return settings.levels[-1]


def _clones(request: pytest.FixtureRequest, server: PggitServer, chain: TemplateChain
            ) -> Iterator[Callable[[int], str]]:
    made: list[str] = []

    def make(level: int) -> str:
        name = chain.clone(level, hint=request.node.name)
        made.append(name)
        return server.conninfo(name)

    yield make
    for name in reversed(made):
        chain.drop(name)


@pytest.fixture
def pggit_new_database(
    request: pytest.FixtureRequest, pggit_server: PggitServer, pggit_templates: TemplateChain,
    pggit_migrations_dir: Path,
) -> Iterator[Callable[[int], str]]:
    """``make(level) -> conninfo`` of a fresh database at ``level`` (with the fixtures when
    ``--pggit-fixtures`` is on); all dropped at teardown."""
    with_data = fixtures_dir(request.config, pggit_migrations_dir) is not None
    chain = request.getfixturevalue("pggit_stairway") if with_data else pggit_templates
    yield from _clones(request, pggit_server, chain)


@pytest.fixture
def pggit_new_fixture_database(
    request: pytest.FixtureRequest, pggit_server: PggitServer, pggit_stairway: TemplateChain
) -> Iterator[Callable[[int], str]]:
    """``make(level) -> conninfo`` of a fresh database at ``level`` holding the fixtures of levels
    1..level as the migrations carried them; all dropped at teardown."""
    yield from _clones(request, pggit_server, pggit_stairway)


@pytest.fixture
def pggit_fixture_dsn(pggit_level: int, pggit_new_fixture_database: Callable[[int], str]) -> str:
    """conninfo of a fresh database at ``pggit_level`` holding the fixtures (the data stairway)."""
    return pggit_new_fixture_database(pggit_level)


@pytest.fixture
def pggit_fixture_conn(pggit_fixture_dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to ``pggit_fixture_dsn`` (closed at teardown)."""
    with psycopg.connect(pggit_fixture_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
def pggit_dsn(pggit_level: int, pggit_new_database: Callable[[int], str]) -> str:
    """conninfo of a fresh database at ``pggit_level``, dropped at teardown."""
    return pggit_new_database(pggit_level)


@pytest.fixture
def pggit_connect(pggit_dsn: str) -> Iterator[Callable[[], psycopg.Connection]]:
    """``connect() -> psycopg.Connection``: more autocommit connections to the test database."""
    opened: list[psycopg.Connection] = []

    def connect() -> psycopg.Connection:
        conn = psycopg.connect(pggit_dsn, autocommit=True)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


@pytest.fixture
def pggit_conn(pggit_connect: Callable[[], psycopg.Connection]) -> psycopg.Connection:
    """An autocommit connection to the test database (closed at teardown)."""
    return pggit_connect()


def server_account_uid() -> int:
    """The uid the server's files belong to: the server account's when root, ours otherwise."""
    account = pgserver.server_account()
    return pwd.getpwnam(account).pw_uid if account else os.geteuid()


@pytest.fixture(scope="session")
def pggit_pooler_factory(pggit_server: PggitServer) -> Iterator[Callable[..., Pooler]]:
    """``start(pool_size=2, pool_mode="transaction") -> Pooler``: a started PgBouncer in front of
    ``pggit_server``; every one started is stopped at the end of the session.  Skips the test
    when no ``pgbouncer`` is installed."""
    if pgbouncer_binary() is None:
        pytest.skip(missing_reason())
    started: list[Pooler] = []

    def start(pool_size: int = 2, pool_mode: str = "transaction") -> Pooler:
        pooler = Pooler(pggit_server.host, pggit_server.port, user=pggit_server.user, pool_size=pool_size,
                        pool_mode=pool_mode)
        started.append(pooler)
        return pooler.start()

    yield start
    for pooler in started:
        pooler.stop()


@pytest.fixture(scope="session")
def pggit_pooler(pggit_pooler_factory: Callable[..., Pooler]) -> Pooler:
    """A PgBouncer in transaction mode, pool of 2 per database, in front of ``pggit_server``:
    ``pggit_pooler.dsn(dbname)`` is the conninfo of ``dbname`` through it."""
    return pggit_pooler_factory()
