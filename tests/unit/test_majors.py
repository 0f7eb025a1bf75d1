"""pggit_sql.majors: finding each PostgreSQL major's server binaries (no server started)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pggit_sql import majors
from pggit_sql.errors import ServerBinariesMissing


def _fake_install(root: Path, package: str, subdir: str) -> Path:
    """A package folder ``root/package`` (importable once root is on sys.path) with server programs in subdir."""
    pkg = root / package
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('majors must not import the package')\n")
    folder = pkg / subdir
    folder.mkdir(parents=True)
    for name in majors.SERVER_PROGRAMS:
        (folder / name).write_text("#!/bin/sh\n")
    return folder


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty site folder first on sys.path, no Debian installation, and two made-up wheels."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(majors, "DEBIAN_ROOT", tmp_path / "debian")
    monkeypatch.setattr(majors, "WHEELS", (
        majors.WheelSource(16, "fake-pg-a", "fake_pg_a", "pginstall/bin", "pg16"),
        majors.WheelSource(16, "fake-pg-b", "fake_pg_b", "pginstall/bin", "pg16"),
        majors.WheelSource(18, "fake-pg-b", "fake_pg_b", "pginstall18/bin", "pg16"),
    ))
    yield site
    for name in ("fake_pg_a", "fake_pg_b"):
        sys.modules.pop(name, None)


def _probe_from(versions: dict[Path, str]) -> majors.VersionProbe:
    def probe(folder: Path) -> str:
        return versions[folder]
    return probe


def test_parse_version() -> None:
    assert majors.parse_version("postgres (PostgreSQL) 18.6\n") == (18, 6)
    assert majors.parse_version("postgres (PostgreSQL) 16.14 (Debian 16.14-1)") == (16, 14)
    assert majors.parse_version("postgres (PostgreSQL) 19devel") == (19, 0)
    with pytest.raises(ValueError):
        majors.parse_version("bash: postgres: not found")


def test_a_wheel_is_found_without_importing_it(fake_site: Path) -> None:
    folder = _fake_install(fake_site, "fake_pg_b", "pginstall18/bin")
    found = majors.bindir(18, _probe_from({folder: "postgres (PostgreSQL) 18.6"}))
    assert found == folder
    assert "fake_pg_b" not in sys.modules


def test_preference_order_and_version_check(fake_site: Path) -> None:
    a = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")
    b = _fake_install(fake_site, "fake_pg_b", "pginstall/bin")
    assert majors.bindir(16, _probe_from({a: "postgres (PostgreSQL) 16.14", b: "postgres (PostgreSQL) 16.2"})) == a
    # a folder whose postgres reports another major does not count: the next source does
    assert majors.bindir(16, _probe_from({a: "postgres (PostgreSQL) 17.1", b: "postgres (PostgreSQL) 16.2"})) == b


def test_debian_comes_first(fake_site: Path, tmp_path: Path) -> None:
    wheel = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")
    debian = tmp_path / "debian" / "16" / "bin"
    debian.mkdir(parents=True)
    for name in majors.SERVER_PROGRAMS:
        (debian / name).write_text("")
    versions = {debian: "postgres (PostgreSQL) 16.9", wheel: "postgres (PostgreSQL) 16.14"}
    assert majors.bindir(16, _probe_from(versions)) == debian
    assert [description for description, _ in majors.candidates(16)] == ["Debian's postgresql-16", "wheel fake-pg-a"]


def test_incomplete_folder_does_not_count(fake_site: Path) -> None:
    folder = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")
    (folder / "initdb").unlink()
    with pytest.raises(ServerBinariesMissing, match=r"pip install -e '\.\[pg16\]'"):
        majors.bindir(16, _probe_from({}))


def test_missing_major_says_what_to_do(fake_site: Path) -> None:
    with pytest.raises(ServerBinariesMissing, match="no known source"):
        majors.bindir(14, _probe_from({}))
    with pytest.raises(ServerBinariesMissing, match="apt-get install postgresql-15"):
        majors.bindir(15, _probe_from({}))


def test_binaries_that_do_not_run_are_reported(fake_site: Path) -> None:
    folder = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")

    def probe(path: Path) -> str:
        raise OSError(13, "Permission denied")

    with pytest.raises(ServerBinariesMissing, match="wheel fake-pg-a: .*Permission denied"):
        majors.bindir(16, probe)
    assert folder.is_dir()


def test_available_lists_each_major_once(fake_site: Path) -> None:
    a = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")
    b18 = _fake_install(fake_site, "fake_pg_b", "pginstall18/bin")
    versions = {a: "postgres (PostgreSQL) 16.14", b18: "postgres (PostgreSQL) 18.4"}
    assert majors.available(_probe_from(versions)) == {16: a, 18: b18}


def test_cli(fake_site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")
    monkeypatch.setattr(majors, "_run_version", lambda path: "postgres (PostgreSQL) 16.14")
    assert majors.main(["bindir", "16"]) == 0
    assert capsys.readouterr().out.strip() == str(folder)
    assert majors.main(["bindir", "17"]) == 1
    assert "no PostgreSQL 17 server binaries" in capsys.readouterr().err


def test_the_real_lookup_runs_the_binaries() -> None:
    """Whatever is installed here: every folder found reports its own major (as the server account when root)."""
    for major, folder in majors.available().items():
        assert majors.parse_version(majors._run_version(folder))[0] == major


def _debian_install(root: Path, major: str, programs: tuple[str, ...] = majors.SERVER_PROGRAMS) -> Path:
    folder = root / major / "bin"
    folder.mkdir(parents=True)
    for name in programs:
        (folder / name).write_text("")
    return folder


def test_installed_wheels_newest_major_first_then_preference(fake_site: Path) -> None:
    assert majors.installed_wheels() == []
    a = _fake_install(fake_site, "fake_pg_a", "pginstall/bin")
    b16 = _fake_install(fake_site, "fake_pg_b", "pginstall/bin")
    b18 = _fake_install(fake_site, "fake_pg_b", "pginstall18/bin")
    found = [(source.distribution, source.major, folder) for source, folder in majors.installed_wheels()]
    assert found == [("fake-pg-b", 18, b18), ("fake-pg-a", 16, a), ("fake-pg-b", 16, b16)]
    assert "fake_pg_a" not in sys.modules and "fake_pg_b" not in sys.modules


def test_debian_bindirs_newest_first_complete_only(fake_site: Path, tmp_path: Path) -> None:
    root = tmp_path / "debian"
    assert majors.debian_bindirs() == []
    nine, fifteen = _debian_install(root, "9"), _debian_install(root, "15")
    _debian_install(root, "17", ("pg_ctl", "pg_config"))  # a client-only folder: no server there
    _debian_install(root, "common")
    assert majors.debian_bindirs() == [fifteen, nine]  # by number, not as text


def test_debian_root_follows_the_environment(fake_site: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    sixteen = _debian_install(elsewhere, "16")
    _debian_install(tmp_path / "debian", "15")
    monkeypatch.setenv(majors.DEBIAN_ROOT_ENV, str(elsewhere))
    assert majors.debian_root() == elsewhere
    assert majors.debian_bindirs() == [sixteen]
    assert [d for d, _ in majors.candidates(16)] == ["Debian's postgresql-16"]
    assert majors.candidates(15) == []
    monkeypatch.setenv(majors.DEBIAN_ROOT_ENV, "")
    assert majors.debian_root() == tmp_path / "debian"  # empty: the default (patched here)
