"""``verify`` after a DBA's ``pg_dump``/``pg_restore``, on whatever major the session's server runs.

pg_dump leaves out an ACL equal to the object's default, so a restored object has a NULL
ACL where the original had an explicit one; and a snapshot written on 15 must verify on a
server of any major (17's MAINTAIN privilege, 18's NOT NULL constraint rows).  Only the
catalog comparison is tested here: what pggit's own tables and triggers do after a restore
is issue 12's identity work.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import psycopg
import pytest
from opshelp import client, drop, empty_database, head_snapshot, pggit_fingerprint, server_major

from pggit_sql import catalog, snapshots
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer


@pytest.mark.timeout(600)
def test_verify_is_clean_after_dump_and_restore(
    pggit_server: PggitServer, pggit_head: int, pggit_new_database: Callable[[int], str]
) -> None:
    source = pggit_new_database(pggit_head)
    with psycopg.connect(source, autocommit=True) as conn:
        # an explicit ACL equal to the default: pg_dump leaves it out, the restored object has NULL
        row = conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p"
            " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'pggit' AND p.proacl IS NULL AND p.prokind = 'f' ORDER BY 1 LIMIT 1"
        ).fetchone()
        if row is not None:
            conn.execute(f"GRANT EXECUTE ON FUNCTION {row[0]} TO PUBLIC")
            assert conn.execute(f"SELECT proacl IS NOT NULL FROM pg_proc WHERE oid = '{row[0]}'::regprocedure"
                                ).fetchone() == (True,)
    with psycopg.connect(source, autocommit=True) as conn:
        assert snapshots.compare(conn, head_snapshot(pggit_head)) == []

    name = "pggit_restored_verify"
    target = empty_database(pggit_server, name)
    try:
        dump = subprocess.run(
            [client("pg_dump"), "-Fc", "-d", source], capture_output=True, timeout=300, check=True
        ).stdout
        restore = subprocess.run(
            [client("pg_restore"), "--exit-on-error", "-d", target], input=dump, capture_output=True, timeout=300
        )
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")[-2000:]
        if row is not None:
            with psycopg.connect(target, autocommit=True) as conn:
                assert conn.execute(f"SELECT proacl IS NULL FROM pg_proc WHERE oid = '{row[0]}'::regprocedure"
                                    ).fetchone() == (True,)
        assert catalog.diff(pggit_fingerprint(source), pggit_fingerprint(target)) == []
        with psycopg.connect(target, autocommit=True) as conn:
            assert snapshots.compare(conn, head_snapshot(pggit_head)) == []
        if server_major(pggit_server) == 15:  # verify re-deparses views once migrate.verify uses snapshots.compare
            assert Migrator(target).verify().differences == []
    finally:
        drop(pggit_server, name)


def test_snapshot_of_another_major_compares_clean(pggit_head: int, pggit_new_database: Callable[[int], str]) -> None:
    """The head level's snapshot (written on 15) against a head database on this server's major:
    no difference once view texts are re-deparsed here; a real change still shows."""
    expected = head_snapshot(pggit_head)
    with psycopg.connect(pggit_new_database(pggit_head), autocommit=True) as conn:
        assert snapshots.compare(conn, expected) == []
        # a snapshot view text spelled otherwise (here: on one line) but meaning the same: still equal
        views = [key for key in expected if key.startswith("view ")]
        if views:
            key = views[0]
            text = catalog.view_text(expected[key])
            assert text is not None
            respelled = dict(expected, **{key: expected[key].replace(text, " ".join(text.split()))})
            assert respelled != expected
            assert snapshots.compare(conn, respelled) == []
            broken = dict(expected, **{key: expected[key].replace(text, "SELECT 1 AS one;")})
            assert [line.split("\n")[0] for line in snapshots.compare(conn, broken)] == [f"changed: {key}"]
        conn.execute("GRANT TRUNCATE ON ALL TABLES IN SCHEMA pggit TO PUBLIC")
        assert snapshots.compare(conn, expected)
