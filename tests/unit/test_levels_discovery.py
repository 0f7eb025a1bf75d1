"""pggit_sql.levels.discover on folders in tmp_path: ordering, gaps, rollbacks (no database)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pggit_sql import levels as levelslib
from pggit_sql.errors import LevelError


def make(directory: Path, *names: str, rollback: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / f"{name}.sql").write_text(f"-- {name}\nSELECT 1;\n")
        if rollback:
            (directory / f"{name}.rollback.sql").write_text(f"-- undo {name}\nSELECT 2;\n")
    return directory


def test_levels_in_numeric_order(tmp_path: Path) -> None:
    folder = make(tmp_path, "0003_three", "0001_one", "0002_two")
    found = levelslib.discover(folder)
    assert [lv.number for lv in found] == [1, 2, 3]
    assert [lv.name for lv in found] == ["0001_one", "0002_two", "0003_three"]
    assert found[0].rollback_path == folder / "0001_one.rollback.sql"
    assert levelslib.head(found) == 3


def test_empty_folder_is_level_zero(tmp_path: Path) -> None:
    assert levelslib.discover(tmp_path) == []
    assert levelslib.head([]) == 0


def test_gap_is_refused(tmp_path: Path) -> None:
    folder = make(tmp_path, "0001_one", "0003_three")
    with pytest.raises(LevelError, match="expected 0002, found 0003_three.sql"):
        levelslib.discover(folder)


def test_not_starting_at_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LevelError, match="expected 0001"):
        levelslib.discover(make(tmp_path, "0002_two"))


def test_missing_rollback_is_refused(tmp_path: Path) -> None:
    folder = make(tmp_path, "0001_one")
    make(folder, "0002_two", rollback=False)
    with pytest.raises(LevelError, match="0002_two.sql has no rollback file 0002_two.rollback.sql"):
        levelslib.discover(folder)


def test_duplicate_number_is_refused(tmp_path: Path) -> None:
    folder = make(tmp_path, "0001_one", "0001_other")
    with pytest.raises(LevelError, match="^two levels numbered 0001: 0001_one.sql and 0001_other.sql$"):
        levelslib.discover(folder)


def test_files_not_ending_in_sql_are_ignored(tmp_path: Path) -> None:
    folder = make(tmp_path, "0001_one")
    (folder / "README.md").write_text("notes")
    (folder / "0002_two.sql.orig").write_text("SELECT 1;")
    (folder / "subdir").mkdir()
    assert [lv.name for lv in levelslib.discover(folder)] == ["0001_one"]


def test_misnamed_sql_files_are_refused_by_name(tmp_path: Path) -> None:
    folder = make(tmp_path, "0001_one")
    for name in ("0003_Add-Phone.sql", "3_x.sql", "notes.sql", "0002_two.down.sql"):
        (folder / name).write_text("SELECT 1;")
    with pytest.raises(LevelError) as info:
        levelslib.discover(folder)
    assert str(info.value) == (
        f"misnamed migration files in {folder}: 0002_two.down.sql, 0003_Add-Phone.sql, 3_x.sql, notes.sql; "
        "level files must be named NNNN_slug.sql and NNNN_slug.rollback.sql (NNNN: 4 digits; slug: a-z, 0-9, _)")


def test_rollback_without_level_is_refused(tmp_path: Path) -> None:
    folder = make(tmp_path, "0001_one")
    (folder / "0002_two.rollback.sql").write_text("SELECT 1;")
    with pytest.raises(LevelError, match="^rollback file 0002_two.rollback.sql has no level file 0002_two.sql$"):
        levelslib.discover(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LevelError, match="does not exist"):
        levelslib.discover(tmp_path / "nope")


def test_check_target(tmp_path: Path) -> None:
    found = levelslib.discover(make(tmp_path, "0001_one", "0002_two"))
    assert levelslib.check_target(found, 0) == 0
    assert levelslib.check_target(found, 2) == 2
    for bad in (-1, 3):
        with pytest.raises(LevelError, match=f"unknown level {bad}: this package knows levels 0 to 2"):
            levelslib.check_target(found, bad)


def test_checksums_follow_content(tmp_path: Path) -> None:
    level = levelslib.discover(make(tmp_path, "0001_one"))[0]
    assert level.checksum == hashlib.sha256(level.path.read_bytes()).hexdigest()
    before = level.checksum
    level.path.write_text("SELECT 'changed';\n")
    assert level.checksum != before
    assert level.rollback_checksum == hashlib.sha256(level.rollback_path.read_bytes()).hexdigest()


def test_environment_overrides_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(levelslib.MIGRATIONS_DIR_ENV, str(tmp_path))
    assert levelslib.default_migrations_dir() == tmp_path
    monkeypatch.delenv(levelslib.MIGRATIONS_DIR_ENV)
    assert levelslib.default_migrations_dir() == levelslib.project_root() / "sql" / "migrations"
