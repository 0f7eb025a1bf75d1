"""A database made on 15 and restored on 18 (``pg_dump`` of 18, as upgrades are done) compares clean.

Runs when the session's server is 15 and 18's binaries are installed (the ``pg18`` extra);
skipped otherwise.  Checks the catalog only: the snapshot of the head level verifies on
18, and pggit's and the user's schemas fingerprint alike on both servers.  What pggit's
tables and triggers do after the restore is issue 12's identity work.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from opshelp import head_snapshot, server_major

from pggit_sql import catalog, majors, pgserver, snapshots
from pggit_sql.errors import PggitError
from pggit_sql.testing.server import PggitServer, server_tmpdir


@pytest.fixture
def cluster18(pggit_server: PggitServer) -> Iterator[pgserver.Cluster]:
    if server_major(pggit_server) != 15:
        pytest.skip("the session's server is not PostgreSQL 15")
    try:
        folder = majors.bindir(18)
    except PggitError as exc:
        pytest.skip(str(exc))
    root = Path(tempfile.mkdtemp(prefix="pggit-pg18-", dir=server_tmpdir()))
    root.chmod(0o711)  # the server account passes through
    cluster = pgserver.Cluster(root, bin_folder=folder)
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _fingerprint(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return catalog.fingerprint(conn)


@pytest.mark.timeout(600)
def test_dump_on_15_restore_on_18_compares_clean(
    cluster18: pgserver.Cluster, pggit_head: int, pggit_new_database: Callable[[int], str]
) -> None:
    source = pggit_new_database(pggit_head)
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text NOT NULL, b int CHECK (b > 0))")
        conn.execute("CREATE VIEW app.v AS SELECT id, a FROM app.t WHERE b > 1")
        conn.execute("GRANT SELECT ON app.t TO PUBLIC")
        conn.execute("SELECT pggit.commit_changes('main', 'before the move')")
    bin18 = majors.bindir(18)
    # roles are the cluster's, not the database's: a DBA restores them first (pg_dumpall --globals-only)
    globals_only = subprocess.run([str(bin18 / "pg_dumpall"), "--globals-only", "-d", source],
                                  capture_output=True, timeout=300, check=True, text=True)
    with psycopg.connect(cluster18.conninfo(), autocommit=True) as admin:
        for line in globals_only.stdout.splitlines():
            if line.startswith(("CREATE ROLE pggit_", "GRANT pggit_")):
                admin.execute(line)
        admin.execute("CREATE DATABASE moved TEMPLATE template0")
    target = cluster18.conninfo("moved")
    dump = subprocess.run([str(bin18 / "pg_dump"), "-Fc", "-d", source], capture_output=True, timeout=300, check=True)
    restore = subprocess.run([str(bin18 / "pg_restore"), "--exit-on-error", "-d", target],
                             input=dump.stdout, capture_output=True, timeout=300)
    assert restore.returncode == 0, restore.stderr.decode(errors="replace")[-2000:]

    with psycopg.connect(target, autocommit=True) as conn:
        assert conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone() == (18,)
        assert snapshots.compare(conn, head_snapshot(pggit_head)) == []
        before, after = _fingerprint(source), _fingerprint(target)
        assert catalog.diff(catalog.rebase_views(conn, before, after), after) == []
