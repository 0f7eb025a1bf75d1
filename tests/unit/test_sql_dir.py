"""Where pggit's SQL tree is read from: the wheel's copy, else the checkout's sql/; writers refuse the copy.

The wheel end to end is tests/packaging/test_wheel.py; here the resolver's choices and the
refusals, with the packaged copy simulated by pointing ``PACKAGED_SQL_DIR`` at a folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pggit_sql import cli, devdb, snapshot_writer, snapshots
from pggit_sql import levels as levelslib
from pggit_sql.errors import LevelError

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the checkout's sql/ standing in for an installed wheel's pggit_sql/sql."""
    copy = tmp_path / "site-packages" / "pggit_sql" / "sql"
    shutil.copytree(CHECKOUT / "sql" / "migrations", copy / "migrations")
    shutil.copytree(CHECKOUT / "sql" / "grants", copy / "grants")
    (copy / "catalog").mkdir()
    monkeypatch.setattr(levelslib, "PACKAGED_SQL_DIR", copy)
    monkeypatch.delenv(levelslib.MIGRATIONS_DIR_ENV, raising=False)
    return copy


def test_a_checkout_reads_its_own_sql_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(levelslib.MIGRATIONS_DIR_ENV, raising=False)
    assert not levelslib.PACKAGED_SQL_DIR.exists()  # nothing is copied into pggit_sql/ in a checkout
    assert levelslib.checkout_root() == CHECKOUT
    assert levelslib.sql_dir() == CHECKOUT / "sql"
    assert levelslib.default_migrations_dir() == CHECKOUT / "sql" / "migrations"
    assert levelslib.functions_dir() == CHECKOUT / "sql" / "functions"
    assert devdb.cluster().root == CHECKOUT / ".pggit"


def test_the_packaged_copy_wins_when_present(packaged: Path) -> None:
    assert levelslib.sql_dir() == packaged
    assert levelslib.default_migrations_dir() == packaged / "migrations"
    assert [lv.name for lv in levelslib.discover()] == [p.stem for p in
                                                         sorted((CHECKOUT / "sql" / "migrations").glob("*_*.sql"))
                                                         if not p.name.endswith(".rollback.sql")]
    assert snapshots.default_catalog_dir() == packaged / "catalog"


def test_neither_copy_nor_checkout_is_an_error_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(levelslib, "PACKAGED_SQL_DIR", tmp_path / "absent")
    monkeypatch.setattr(levelslib, "checkout_root", lambda: None)
    with pytest.raises(LevelError, match=r"pggit's SQL files are missing: neither .*absent "
                                         r"\(an installed wheel's copy\) nor a checkout's sql/"):
        levelslib.sql_dir()


def test_a_wheel_without_checkout_keeps_its_dev_cluster_in_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devdb, "checkout_root", lambda: None)
    monkeypatch.chdir(tmp_path)
    assert devdb.cluster().root == tmp_path / ".pggit"


def test_refuse_packaged_only_inside_the_copy(packaged: Path, tmp_path: Path) -> None:
    with pytest.raises(LevelError, match=r"^pggit-sql snapshot writes pggit's own levels, which this installed package "
                                         r"only carries read-only \(.*\): run it in a checkout of pggit, or pass "
                                         r"--migrations DIR for your own levels$"):
        levelslib.refuse_packaged(packaged / "catalog", "pggit-sql snapshot")
    levelslib.refuse_packaged(tmp_path / "mine" / "catalog", "pggit-sql snapshot")  # a project's own folder
    levelslib.refuse_packaged(CHECKOUT / "sql" / "catalog", "pggit-sql snapshot")  # a checkout


@pytest.mark.parametrize("argv", [["snapshot"], ["new-level", "next_change"]])
def test_writers_refuse_the_packaged_copy_before_starting_a_server(
        argv: list[str], packaged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def no_server() -> str:
        raise AssertionError("a development cluster was started before the refusal")

    monkeypatch.setattr(devdb, "start", no_server)
    before = sorted(p.name for p in packaged.rglob("*"))
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"pggit-sql: error: pggit-sql {argv[0]} writes pggit's own levels, which this installed "
                          "package only carries read-only"), err
    assert len(err.splitlines()) == 1
    assert sorted(p.name for p in packaged.rglob("*")) == before  # nothing written


def test_snapshot_module_refuses_the_packaged_copy(packaged: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(devdb, "start", lambda: pytest.fail("a development cluster was started"))
    assert snapshot_writer.main([]) == 1
    assert "pggit-sql snapshot writes pggit's own levels" in capsys.readouterr().err
