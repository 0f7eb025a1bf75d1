"""``pggit-sql script --online`` (level 7): the lock of every step, the online forms, autocommit."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest

Run = Callable[..., tuple[int, str, str]]  # the `run` fixture of tests/cli/conftest.py


@pytest.mark.pggit_level(min=7)
def test_migration_online_prints_locks_and_runs_in_autocommit(run: Run, pggit_dsn: str,
                                                              pggit_conn: psycopg.Connection) -> None:
    conn = pggit_conn
    conn.execute("CREATE SCHEMA s")
    conn.execute("CREATE TABLE s.t (id int NOT NULL, a int)")
    conn.execute("INSERT INTO s.t SELECT g, g FROM generate_series(1, 100) AS g")
    a = conn.execute("SELECT pggit.commit_changes('main', 'a')").fetchone()[0]
    conn.execute("CREATE INDEX t_a_idx ON s.t (a)")
    conn.execute("ALTER TABLE s.t ADD CONSTRAINT t_a_check CHECK (a > 0)")
    b = conn.execute("SELECT pggit.commit_changes('main', 'b')").fetchone()[0]

    status, plain, _ = run("--dsn", pggit_dsn, "script", a, b)
    assert status == 0
    assert "CREATE INDEX t_a_idx ON s.t USING btree (a);" in plain
    assert "-- lock: SHARE on s.t: blocks writes while the index is built" in plain
    assert "outside a transaction block" not in plain

    status, script, _ = run("--dsn", pggit_dsn, "script", "--online", a, b)
    assert status == 0
    lines = script.splitlines()
    assert lines[0].endswith("(online)")
    assert "CREATE INDEX CONCURRENTLY t_a_idx ON s.t USING btree (a);" in lines
    assert "ALTER TABLE s.t ADD CONSTRAINT t_a_check CHECK ((a > 0)) NOT VALID;" in lines
    assert "ALTER TABLE s.t VALIDATE CONSTRAINT t_a_check;" in lines
    at = lines.index("CREATE INDEX CONCURRENTLY t_a_idx ON s.t USING btree (a);")
    assert "-- outside a transaction block" in lines[at - 3:at]
    assert any(line.startswith("-- run this script in autocommit") or "autocommit" in line for line in lines[:4])

    status, out, _ = run("--dsn", pggit_dsn, "--json", "script", "--online", a, b)
    steps = json.loads(out)["steps"]
    assert status == 0 and {s["transactional"] for s in steps} == {True, False}
    assert all(s["locks"] for s in steps)

    # the script as psql runs it without --single-transaction: statement by statement, autocommit
    conn.execute("DROP INDEX s.t_a_idx")
    conn.execute("ALTER TABLE s.t DROP CONSTRAINT t_a_check")
    for statement in (s["statement"] for s in steps):
        conn.execute(statement)
    valid = "SELECT count(*) FROM pg_index WHERE indrelid = 's.t'::regclass AND indisvalid"
    assert conn.execute(valid).fetchone()[0] == 1
    assert conn.execute("SELECT convalidated FROM pg_constraint WHERE conname = 't_a_check'").fetchone()[0] is True
