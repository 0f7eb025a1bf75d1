"""``pggit-sql log`` and the level-2 part of ``pggit-sql status``: human and ``--json`` output, errors.

History rows are written directly (as level 2's capture writes them), so these tests
depend only on the commit and history functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest

Run = Callable[..., tuple[int, str, str]]  # the `run` fixture of tests/cli/conftest.py

pytestmark = pytest.mark.pggit_level(min=2)



def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pggit-sql: error: "), err
    assert "Traceback" not in err
    return lines[0]


def change(conn: psycopg.Connection, identity: str, branch: str = "main", kind: str = "create") -> int:
    """One tracked change of a made-up table, as capture records it."""
    definition = f"definition of {identity} ({kind})"
    conn.execute("INSERT INTO pggit.blobs VALUES (encode(sha256(convert_to(%s, 'UTF8')), 'hex'), %s)"
                 " ON CONFLICT DO NOTHING", (definition, definition))
    (oid,) = conn.execute(
        "INSERT INTO pggit.objects (kind, schema_name, object_name, identity, classid, objid, structure,"
        " definition, hash) VALUES ('table', 'public', %s, %s, 'pg_catalog.pg_class'::regclass,"
        " (SELECT coalesce(max(objid::text::bigint), 3000000000) + 1 FROM pggit.objects)::text::oid, '{}', %s,"
        " encode(sha256(convert_to(%s, 'UTF8')), 'hex')) RETURNING id",
        (identity, identity, definition, definition)).fetchone()
    (hid,) = conn.execute(
        "INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, command_tag, change,"
        " new_version, new_hash, role, branch) SELECT id, kind, identity, identity, 'CREATE TABLE', %s, '1.0.0',"
        " hash, current_user, %s FROM pggit.objects WHERE id = %s RETURNING id", (kind, branch, oid)).fetchone()
    return hid


def commit(conn: psycopg.Connection, branch: str = "main", message: str = "") -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, %s)", (branch, message)).fetchone()[0]


# --------------------------------------------------------------------------- log


def test_log_human_and_json(run: Run, pggit_dsn: str, pggit_conn: psycopg.Connection) -> None:
    first = commit(pggit_conn, message="first commit")
    change(pggit_conn, "public.a")
    change(pggit_conn, "public.b")
    second = commit(pggit_conn, message="two tables\n\nwith a body")
    feature = commit(pggit_conn, "feature/x", "on the branch")

    status, out, err = run("--dsn", pggit_dsn, "log")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(second) and "two tables  (2 changes)" in lines[0] and "with a body" not in lines[0]
    assert lines[1].startswith(first) and "first commit" in lines[1]
    author = pggit_conn.execute("SELECT session_user").fetchone()[0]
    assert f"Z  {author}  " in lines[0]

    status, out, _ = run("--dsn", pggit_dsn, "log", "--branch", "feature/x", "-n", "2")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 2
    assert lines[0].startswith(feature) and "[" not in lines[0] and "(0 changes)" in lines[0]
    assert lines[1].startswith(second) and "[main] two tables" in lines[1]  # inherited from main

    status, out, _ = run("--dsn", pggit_dsn, "--json", "log", "--branch", "feature/x")
    data = json.loads(out)
    assert status == 0 and data["branch"] == "feature/x"
    assert [c["hash"] for c in data["commits"]] == [feature, second, first]
    assert data["commits"][1]["parent_hash"] == first and data["commits"][2]["parent_hash"] is None
    assert data["commits"][1]["changes"] == 2 and data["commits"][1]["message"] == "two tables\n\nwith a body"
    assert data["commits"][0]["branch"] == "feature/x" and data["commits"][1]["branch"] == "main"
    assert len(data["commits"][0]["schema_hash"]) == 64 and "T" in data["commits"][0]["committed_at"]

    status, out, _ = run("--dsn", pggit_dsn, "log", "-n", "0")
    assert status == 0 and out.strip() == "no commits on branch main"


def test_log_of_an_empty_branch(run: Run, pggit_dsn: str) -> None:
    status, out, _ = run("--dsn", pggit_dsn, "log")
    assert status == 0 and out.strip() == "no commits on branch main"
    status, out, _ = run("--dsn", pggit_dsn, "log", "--json")
    assert status == 0 and json.loads(out) == {"branch": "main", "commits": []}


@pytest.mark.parametrize(("argv", "code", "message"), [
    (("log", "--branch", "nope"), 1, 'branch "nope" does not exist'),
    (("log", "--branch", "a b"), 1, 'invalid branch name "a b": must not contain a space'),
    (("log", "-n", "-3"), 2, "count must not be negative"),
    (("log", "-n", "many"), 2, "count must be a number"),
    (("status", "--branch", "x..y"), 1, 'invalid branch name "x..y"'),
])
def test_errors(run: Run, pggit_dsn: str, argv: tuple[str, ...], code: int, message: str) -> None:
    status, out, err = run("--dsn", pggit_dsn, *argv)
    assert status == code
    assert message in one_error_line(err)
    status, out, err = run("--dsn", pggit_dsn, "--json", *argv)
    assert status == code and message in json.loads(out)["error"]


def test_log_and_status_on_a_level_1_database(run: Run, pggit_new_database: Callable[[int], str]) -> None:
    dsn = pggit_new_database(1)
    status, _, err = run("--dsn", dsn, "log")
    assert status == 1 and "log needs pggit level 2" in one_error_line(err)
    status, out, _ = run("--dsn", dsn, "status")
    assert status == 0 and "catalog level: 1" in out and "uncommitted" not in out
    status, out, _ = run("--dsn", dsn, "--json", "status")
    assert status == 0 and "pending_changes" not in json.loads(out)


def test_log_unreachable_database(run: Run) -> None:
    from pggit_sql.pgserver import free_port

    status, _, err = run("--dsn", f"postgresql://u:secret@127.0.0.1:{free_port()}/nowhere", "log")
    line = one_error_line(err)
    assert status == 1 and "cannot connect" in line and "secret" not in line


# --------------------------------------------------------------------------- status


def test_status_appends_the_sessions_pending_changes(
    run: Run, pggit_dsn: str, pggit_conn: psycopg.Connection, pggit_level: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit(pggit_conn)  # install's registrations
    status, out, _ = run("--dsn", pggit_dsn, "status")
    assert status == 0 and f"catalog level: {pggit_level}" in out
    assert out.splitlines()[-1] == "uncommitted changes on branch main: none"

    a = change(pggit_conn, 'public."A table"')
    b = change(pggit_conn, "public.b")
    f = change(pggit_conn, "public.f", branch="feature/x")
    status, out, _ = run("--dsn", pggit_dsn, "status")
    lines = out.splitlines()
    assert status == 0 and any(line.startswith("pending: ") for line in lines)  # the migration status is still there
    at = lines.index("uncommitted changes on branch main: 2")
    assert lines[at + 1].startswith(f"  #{a}") and 'table public."A table"' in lines[at + 1]
    assert "create" in lines[at + 1] and "CREATE TABLE" in lines[at + 1] and "1.0.0" in lines[at + 1]
    assert lines[at + 2].startswith(f"  #{b}") and len(lines) == at + 3

    status, out, _ = run("--dsn", pggit_dsn, "--json", "status")
    data = json.loads(out)
    assert data["catalog_level"] == pggit_level and data["pending_branch"] == "main"
    assert [c["id"] for c in data["pending_changes"]] == [a, b]
    assert data["pending_changes"][0]["object_identity"] == 'public."A table"'
    assert data["pending_changes"][0]["change"] == "create" and "changed_at" in data["pending_changes"][0]

    status, out, _ = run("--dsn", pggit_dsn, "--json", "status", "--branch", "feature/x")
    data = json.loads(out)
    assert data["pending_branch"] == "feature/x" and [c["id"] for c in data["pending_changes"]] == [f]

    if pggit_level >= 8:  # the setting must name a branch that exists
        pggit_conn.execute("SELECT pggit.create_branch('feature/x')")
    monkeypatch.setenv("PGOPTIONS", "-c pggit.branch=feature/x")  # the session's branch
    status, out, _ = run("--dsn", pggit_dsn, "status")
    assert "uncommitted changes on branch feature/x: 1" in out and f"#{f}" in out

    commit(pggit_conn, "feature/x")
    status, out, _ = run("--dsn", pggit_dsn, "status")
    assert out.splitlines()[-1] == "uncommitted changes on branch feature/x: none"
