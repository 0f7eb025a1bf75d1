"""The pytest plugin keeps its promises: per-level clones, fresh databases, a non-root server."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql.migrate import claimed_level
from pggit_sql.testing.plugin import server_account_uid
from pggit_sql.testing.server import PggitServer
from pggit_sql.testing.templates import TEMPLATE_PREFIX, TemplateChain, template_name


def test_database_is_a_clone_of_its_level_template(
    pggit_conn: psycopg.Connection, pggit_level: int, pggit_admin_conninfo: str, pggit_migrations_dir: Path
) -> None:
    assert claimed_level(pggit_conn) == pggit_level
    if pggit_level > 0:
        recorded = pggit_conn.execute("SELECT migration_id FROM pggit_meta._yoyo_migration ORDER BY 1").fetchall()
        expected = sorted(path.stem for path in pggit_migrations_dir.glob("[0-9][0-9][0-9][0-9]_*.sql")
                          if not path.name.endswith(".rollback.sql"))[:pggit_level]
        assert [row[0] for row in recorded] == expected
    name = pggit_conn.execute("SELECT current_database()").fetchone()[0]
    with psycopg.connect(pggit_admin_conninfo) as admin:
        flags = dict(admin.execute(
            "SELECT datname, datistemplate FROM pg_catalog.pg_database WHERE datname IN (%s, %s)",
            (name, template_name(pggit_level)),
        ).fetchall())
    assert flags == {name: False, template_name(pggit_level): True}


_SEEN: list[str] = []


def test_fresh_database_per_test_a(pggit_conn: psycopg.Connection) -> None:
    assert pggit_conn.execute("SELECT to_regclass('public.probe_table')").fetchone()[0] is None
    pggit_conn.execute("CREATE TABLE public.probe_table (id int)")
    _SEEN.append(pggit_conn.execute("SELECT current_database()").fetchone()[0])


def test_fresh_database_per_test_b(pggit_conn: psycopg.Connection, pggit_admin_conninfo: str) -> None:
    """Runs after ..._a: its table is not here, and its databases were dropped."""
    assert pggit_conn.execute("SELECT to_regclass('public.probe_table')").fetchone()[0] is None
    assert _SEEN, "test_fresh_database_per_test_a did not run first"
    name = pggit_conn.execute("SELECT current_database()").fetchone()[0]
    assert name not in _SEEN
    with psycopg.connect(pggit_admin_conninfo) as admin:
        left = admin.execute("SELECT datname FROM pg_catalog.pg_database WHERE datname = ANY(%s)", (_SEEN,))
        assert left.fetchall() == []


def test_more_connections_reach_the_same_database(
    pggit_conn: psycopg.Connection, pggit_connect: Callable[[], psycopg.Connection]
) -> None:
    other = pggit_connect()
    assert other.autocommit and pggit_conn.autocommit
    assert other.info.backend_pid != pggit_conn.info.backend_pid
    pggit_conn.execute("CREATE TABLE public.shared (v text)")
    pggit_conn.execute("INSERT INTO public.shared VALUES ('seen')")
    assert other.execute("SELECT v FROM public.shared").fetchall() == [("seen",)]


def test_new_databases_at_every_level(
    pggit_new_database: Callable[[int], str], pggit_head: int, pggit_templates: TemplateChain
) -> None:
    names = set()
    for level in range(pggit_head + 1):
        with psycopg.connect(pggit_new_database(level)) as conn:
            assert claimed_level(conn) == level
            names.add(conn.execute("SELECT current_database()").fetchone()[0])
    assert len(names) == pggit_head + 1
    assert set(pggit_templates.stats.build_seconds) >= set(range(pggit_head + 1))
    assert pggit_templates.stats.clone_seconds  # cloning works; its speed is measured in bench/


def test_nobody_stays_connected_to_a_template(pggit_conn: psycopg.Connection, pggit_admin_conninfo: str) -> None:
    with psycopg.connect(pggit_admin_conninfo) as admin:
        rows = admin.execute(
            "SELECT datname, application_name, state FROM pg_catalog.pg_stat_activity WHERE datname LIKE %s",
            (TEMPLATE_PREFIX + "%",),
        ).fetchall()
    assert rows == []


def test_server_runs_as_an_unprivileged_account(pggit_conn: psycopg.Connection, pggit_server: PggitServer) -> None:
    datadir = pggit_conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
    assert Path(datadir) == pggit_server.datadir
    owner = os.stat(datadir).st_uid
    assert owner == server_account_uid()
    assert owner != 0  # PostgreSQL refuses root; when pytest is root the server is not


def test_kill_and_restart(pggit_server: PggitServer, pggit_new_database: Callable[[int], str]) -> None:
    """The crash tests' tools: SIGKILL the postmaster, restart with crash recovery, data kept."""
    db = pggit_new_database(0)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)")
    pid = pggit_server.postmaster_pid()
    pggit_server.kill()
    assert not pggit_server.running()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(db, connect_timeout=2).close()
    pggit_server.restart()
    assert pggit_server.postmaster_pid() != pid
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [(1,)]
    pggit_server.restart()  # a clean restart of a running server works too
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone()[0] == 1


# --------------------------------------------------------------------------- inner suites (pytester)

INNER_TESTS = """
import pytest

def test_plain(pggit_level):
    pass

@pytest.mark.pggit_level(min=2)
def test_from_two(pggit_level):
    pass

@pytest.mark.pggit_level(min=3)
def test_from_three(pggit_dsn):
    pass

@pytest.mark.pggit_level(max=1)
def test_until_one(pggit_level):
    pass

def test_no_database():
    pass
"""


def fake_levels(folder: Path, count: int) -> Path:
    """``count`` tiny levels: schema pggit with tables t1..tN, each claiming its level."""
    folder.mkdir()
    for n in range(1, count + 1):
        create = "CREATE SCHEMA pggit;\n" if n == 1 else ""
        (folder / f"{n:04d}_l{n}.sql").write_text(
            f"{create}CREATE TABLE pggit.t{n} (id int);\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level {n}';\n"
        )
        undo = "DROP SCHEMA pggit CASCADE;\n" if n == 1 else (
            f"DROP TABLE pggit.t{n};\nCOMMENT ON SCHEMA pggit IS 'pggit-sql level {n - 1}';\n")
        (folder / f"{n:04d}_l{n}.rollback.sql").write_text(undo)
    return folder


def collected(pytester: pytest.Pytester, *args: str) -> tuple[set[str], pytest.RunResult]:
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider", *args)
    ids = {line.split("::", 1)[1] for line in result.outlines if "::" in line}
    return ids, result


@pytest.fixture
def inner(pytester: pytest.Pytester) -> Path:
    pytester.makepyfile(test_inner=INNER_TESTS)
    return fake_levels(pytester.path / "migrations", 3)


def test_marker_at_one_level_deselects_what_needs_a_higher_one(pytester: pytest.Pytester, inner: Path) -> None:
    ids, result = collected(pytester, f"--pggit-migrations={inner}", "--pggit-level=1")
    assert ids == {"test_plain[L1]", "test_until_one[L1]", "test_no_database"}
    result.stdout.fnmatch_lines(["*pggit: level 1 of 3; deselected: 2 tests need a higher level*"])
    result.stdout.fnmatch_lines(["*3/5 tests collected (2 deselected)*"])


def test_all_generates_each_test_only_where_it_exists(pytester: pytest.Pytester, inner: Path) -> None:
    ids, result = collected(pytester, f"--pggit-migrations={inner}", "--pggit-level=all")
    assert ids == {
        "test_plain[L1]", "test_plain[L2]", "test_plain[L3]",
        "test_from_two[L2]", "test_from_two[L3]",
        "test_from_three[L3]",
        "test_until_one[L1]",
        "test_no_database",
    }
    assert "deselected" not in result.stdout.str()


def test_span_runs_each_test_at_its_first_and_its_last_level(pytester: pytest.Pytester, inner: Path) -> None:
    ids, result = collected(pytester, f"--pggit-migrations={inner}", "--pggit-level=span")
    assert ids == {
        "test_plain[L1]", "test_plain[L3]",
        "test_from_two[L2]", "test_from_two[L3]",
        "test_from_three[L3]",
        "test_until_one[L1]",
        "test_no_database",
    }
    assert "deselected" not in result.stdout.str()


def test_head_is_the_default(pytester: pytest.Pytester, inner: Path) -> None:
    ids, result = collected(pytester, f"--pggit-migrations={inner}")
    assert ids == {"test_plain[L3]", "test_from_two[L3]", "test_from_three[L3]", "test_no_database"}
    result.stdout.fnmatch_lines(["*pggit: level 3 of 3; deselected: 1 test needs a lower level*"])
    verbose = pytester.runpytest("--collect-only", "-p", "no:cacheprovider", f"--pggit-migrations={inner}")
    verbose.stdout.fnmatch_lines([
        "pggit: PostgreSQL * in *",
        f"pggit: migrations {inner} (levels 1..3); --pggit-level=head: database tests run at level 3",
    ])


@pytest.mark.parametrize("level", ["4", "one"])
def test_bad_levels_are_usage_errors(pytester: pytest.Pytester, inner: Path, level: str) -> None:
    _, result = collected(pytester, f"--pggit-migrations={inner}", f"--pggit-level={level}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pggit*"] if level == "4" else ["*--pggit-level must be*"])


def test_plugin_runs_a_project_s_own_migrations(pytester: pytest.Pytester, inner: Path) -> None:
    """A real inner session on its own server, over a migrations folder of its own."""
    pytester.makepyfile(test_inner=textwrap.dedent("""
        import pytest

        def claim(conn):
            return conn.execute("SELECT obj_description('pggit'::regnamespace, 'pg_namespace')").fetchone()[0]

        def test_level(pggit_conn, pggit_level):
            assert claim(pggit_conn) == f"pggit-sql level {pggit_level}"
            tables = pggit_conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'pggit'::regnamespace AND relkind = 'r'"
                " ORDER BY 1").fetchall()
            assert [t for (t,) in tables] == [f"t{n}" for n in range(1, pggit_level + 1)]

        @pytest.mark.pggit_level(min=2)
        def test_from_two(pggit_conn, pggit_level):
            assert pggit_level >= 2
            pggit_conn.execute("SELECT * FROM pggit.t2")
    """))
    result = pytester.runpytest_subprocess(f"--pggit-migrations={inner}", "--pggit-level=all", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*pggit: templates built: L0 *, L1 *, L2 *, L3 *; 5 test databases cloned*"])


@pytest.mark.parametrize(
    ("env", "args", "examples"),
    [(None, (), 25), ("dev", (), 100), ("dev", ("--hypothesis-profile=thorough",), 2000)],
    ids=["default-ci", "env-dev", "option-wins"],
)
def test_hypothesis_profile_selection(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: str | None, args: tuple[str, ...], examples: int
) -> None:
    if env is None:
        monkeypatch.delenv("PGGIT_HYPOTHESIS_PROFILE", raising=False)
    else:
        monkeypatch.setenv("PGGIT_HYPOTHESIS_PROFILE", env)
    pytester.makepyfile(test_profile=f"""
        from hypothesis import settings

        def test_examples():
            assert settings().max_examples == {examples}
            assert settings().deadline is None
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("env", "args", "timeout"),
    [(None, (), 300.0), ("dev", (), 1200.0), ("dev", ("--hypothesis-profile=thorough",), 24000.0),
     ("thorough", ("--timeout=7",), 7.0)],
    ids=["ci-as-configured", "dev-4x", "thorough-80x", "explicit-timeout-wins"],
)
def test_timeout_scales_with_the_hypothesis_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, env: str | None, args: tuple[str, ...], timeout: float
) -> None:
    """pytest-timeout's ini value is sized for ci; a heavier profile must not be cut off by it."""
    monkeypatch.delenv("PYTEST_TIMEOUT", raising=False)
    if env is None:
        monkeypatch.delenv("PGGIT_HYPOTHESIS_PROFILE", raising=False)
    else:
        monkeypatch.setenv("PGGIT_HYPOTHESIS_PROFILE", env)
    pytester.makeini("[pytest]\ntimeout = 300\n")
    pytester.makepyfile(test_timeout=f"""
        def test_timeout(pytestconfig):
            assert pytestconfig._env_timeout == {timeout}
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
