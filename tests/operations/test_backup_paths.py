"""Every backup and upgrade path a DBA takes, from one realistic database (issue 12).

The database (:func:`opshelp.build_realistic`, built once per module) has a tracked schema
with FKs, a view, a function, an enum, a sequence and identity columns, commits on main,
tags, a branch merged into main, and two data branches with rows changed on both sides,
one merged and one not.  Each path below moves it into a new database once (module-scoped
fixture), and every test then works on its own copy of the result (``CREATE DATABASE ..
TEMPLATE``, which keeps OIDs, so the copy is the restored database):

``no-backup``
    a copy of the source itself: the control, every test must pass on it.
``custom``, ``custom-j2``, ``custom-single-transaction``
    ``pg_dump -Fc``, then ``pg_restore -d new`` (as is, with ``-j 2``, with
    ``--single-transaction``) into an empty database made from ``template0``.
``plain-psql``
    plain ``pg_dump`` replayed with ``psql -X -v ON_ERROR_STOP=1 -f``.
``schema-then-data`` (not a path of the table: see
:func:`test_plain_data_only_restore_adds_no_error_and_no_history_of_pggit`)
    ``pg_restore --schema-only`` then ``pg_restore --data-only``, plain, as a DBA runs it
    first (a common CI step: the schema from one job, the data from another).  Foreign keys
    are checked row by row during the data step and ``pg_restore`` loads a full archive's
    tables in archive order, not foreign-key order, so PostgreSQL itself refuses some rows
    (``app.items`` before ``app.orders``; pggit's ``branches`` and ``commits`` reference each
    other, so no order would do); PostgreSQL's documented answers are the next two paths.
``schema-then-data-disable-triggers``
    the same with ``--disable-triggers`` on the data step: PostgreSQL's documented option
    for a data-only restore into tables with triggers and foreign keys; it needs a
    superuser (the tests run as one) and works by ``ALTER TABLE .. DISABLE/ENABLE TRIGGER
    ALL`` around each table, statements that event triggers see.
``schema-then-data-replica``
    the data step run with ``PGOPTIONS='-c session_replication_role=replica'``: the other
    choice PostgreSQL leaves (superuser too), which fires neither ordinary triggers
    (foreign keys included) nor event triggers; issue 12 accepts documenting it for
    data-only restores.
``dump15-restore18``
    18's ``pg_dump -Fc`` of the 15 database, 18's ``pg_restore`` into a fresh 18 cluster
    (pggit's roles first, as ``pg_dumpall --globals-only`` gives them); runs only when
    the session's server is 15 and 18's binaries are installed.
``pg_upgrade-15-18``
    a 15 cluster of its own with the realistic database, moved by 18's ``pg_upgrade``
    (copy mode, 18's initdb with ``--no-data-checksums``).

After each path the tests assert that nothing changed (catalog fingerprints of pggit's
schemas and of ``app``, every pggit and data-branch storage table's rows apart from OID
columns, every data-branch view's rows, zero new history rows) and that everything made
before the backup still works (versions, ALTER continuing a version history, a new
CREATE recorded as a create, commit, data branches read/write/diff/merge/drop, a new data
branch not seeing main's later writes, ``delete_branch(.., force => true)``, checkout,
tags, schema diff and merge, ``verify``).  Expected values are exact; the ``no-backup``
column shows they are what pggit does without a backup in between.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from opshelp import (
    FEATURE,
    MERGED_BRANCH,
    MERGED_TABLE,
    MERGED_VIEW,
    OPEN_BRANCH,
    OPEN_TABLE,
    OPEN_VIEW,
    TRACKED,
    State,
    branch_views,
    build_realistic,
    capture,
    client,
    connected,
    server_major,
    table_rows,
    use_oids,
)
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pggit_sql import accounts, catalog, cli, majors, pgserver
from pggit_sql.errors import PggitError
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer, server_tmpdir
from pggit_sql.testing.templates import TemplateChain

pytestmark = pytest.mark.timeout(600)

PATHS = (
    "no-backup",
    "custom",
    "custom-j2",
    "custom-single-transaction",
    "plain-psql",
    "schema-then-data-disable-triggers",
    "schema-then-data-replica",
    "dump15-restore18",
    "pg_upgrade-15-18",
)


# --------------------------------------------------------------------------- fixtures


@dataclass
class Source:
    dsn: str
    state: State
    folder: Path  # dumps go here
    dumps: dict[str, Path] = field(default_factory=dict)


@dataclass
class Restored:
    """The result of one path: a database ``dbname`` reached through ``admin`` (its cluster's
    maintenance database), the state before the path, and what the path's programs said."""

    path: str
    admin: str
    conninfo: Callable[[str], str]
    dbname: str
    before: State
    steps: list[tuple[str, int, str]] = field(default_factory=list)  # (command, exit code, output)
    major: int = 0


def _run(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
    return result.returncode, (result.stdout + result.stderr)


def _create(admin: str, name: str, template: str = "template0") -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))


def _drop(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def source(pggit_server: PggitServer, pggit_templates: TemplateChain, pggit_head: int) -> Iterator[Source]:
    """The realistic database on the session's server, with its state and its dumps."""
    name = pggit_templates.clone(pggit_head, hint="ops_source")
    dsn = pggit_server.conninfo(name)
    folder = Path(tempfile.mkdtemp(prefix="pggit-dumps-"))
    try:
        build_realistic(dsn)
        yield Source(dsn, capture(dsn), folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        pggit_templates.drop(name)


def _dump(source: Source, kind: str) -> Path:
    """``pg_dump -Fc`` (kind ``custom``) or plain (``plain``) of the source, made once."""
    if kind not in source.dumps:
        target = source.folder / f"source.{kind}"
        fmt = ["-Fc"] if kind == "custom" else ["-Fp"]
        code, output = _run([client("pg_dump"), *fmt, "-f", str(target), "-d", source.dsn])
        assert code == 0, output[-3000:]
        source.dumps[kind] = target
    return source.dumps[kind]


def _cluster(root: Path, folder: Path, *options: str) -> pgserver.Cluster:
    return pgserver.Cluster(root, bin_folder=folder, initdb_options=tuple(options))


def _stop_all(clusters: list[pgserver.Cluster], root: Path) -> None:
    for cluster in clusters:
        with contextlib.suppress(PggitError, OSError, subprocess.SubprocessError):
            cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


def _same_cluster(path: str, server: PggitServer, source: Source) -> Restored:
    admin = server.conninfo("postgres")
    name = "ops_" + path.replace("-", "_")
    restored = Restored(path, admin, server.conninfo, name, source.state, major=server_major(server))
    if path == "no-backup":
        _create(admin, name, template=str(conninfo_to_dict(source.dsn)["dbname"]))
        return restored
    _create(admin, name)
    target = server.conninfo(name)
    pg_restore = client("pg_restore")
    if path == "plain-psql":
        steps = [[client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target, "-f", str(_dump(source, "plain"))]]
    elif path.startswith("custom"):
        extra = {"custom": [], "custom-j2": ["-j", "2"], "custom-single-transaction": ["--single-transaction"]}[path]
        steps = [[pg_restore, *extra, "-d", target, str(_dump(source, "custom"))]]
    else:
        dump = str(_dump(source, "custom"))
        data = [pg_restore, "--data-only", "-d", target, dump]
        if path.endswith("disable-triggers"):
            data.insert(2, "--disable-triggers")
        steps = [[pg_restore, "--schema-only", "-d", target, dump], data]
    for number, command in enumerate(steps):
        env = None
        if path.endswith("replica") and number == 1:
            env = dict(os.environ, PGOPTIONS="-c session_replication_role=replica")
        code, output = _run(command, env=env)
        restored.steps.append((" ".join(command), code, output))
    return restored


def _roles_of(source_dsn: str, bin18: Path, admin: str) -> None:
    """pggit's roles on another cluster, as ``pg_dumpall --globals-only`` prints them."""
    code, output = _run([str(bin18 / "pg_dumpall"), "--globals-only", "-d", source_dsn])
    assert code == 0, output[-2000:]
    with psycopg.connect(admin, autocommit=True) as conn:
        for line in output.splitlines():
            if line.startswith(("CREATE ROLE pggit_", "GRANT pggit_")):
                conn.execute(line.encode())


@pytest.fixture(scope="module", params=PATHS)
def restored(request: pytest.FixtureRequest, pggit_server: PggitServer, pggit_head: int) -> Iterator[Restored]:
    path: str = request.param
    if path == "dump15-restore18":
        yield from _dump15_restore18(request, pggit_server)
    elif path == "pg_upgrade-15-18":
        yield from _pg_upgrade(pggit_head)
    else:
        source: Source = request.getfixturevalue("source")
        result = _same_cluster(path, pggit_server, source)
        try:
            yield result
        finally:
            _drop(result.admin, result.dbname)


def _bindir(major: int) -> Path:
    try:
        return majors.bindir(major)
    except PggitError as exc:
        pytest.skip(str(exc))


def _dump15_restore18(request: pytest.FixtureRequest, server: PggitServer) -> Iterator[Restored]:
    if server_major(server) != 15:
        pytest.skip("the session's server is not PostgreSQL 15")
    bin18 = _bindir(18)
    source: Source = request.getfixturevalue("source")
    root = Path(tempfile.mkdtemp(prefix="pggit-ops18-", dir=server_tmpdir()))
    root.chmod(0o711)
    cluster = _cluster(root, bin18)
    try:
        cluster.start()
        admin = cluster.conninfo()
        _roles_of(source.dsn, bin18, admin)
        _create(admin, "moved")
        dump = root / "source.custom"
        code, output = _run([str(bin18 / "pg_dump"), "-Fc", "-f", str(dump), "-d", source.dsn])
        assert code == 0, output[-3000:]
        restored = Restored("dump15-restore18", admin, cluster.conninfo, "moved", source.state, major=18)
        code, output = _run([str(bin18 / "pg_restore"), "-d", cluster.conninfo("moved"), str(dump)])
        restored.steps.append(("pg_restore (18) -d moved", code, output))
        yield restored
    finally:
        _stop_all([cluster], root)


def _pg_upgrade(head: int) -> Iterator[Restored]:
    bin15, bin18 = _bindir(15), _bindir(18)
    root = Path(tempfile.mkdtemp(prefix="pggit-upgrade-", dir=server_tmpdir()))
    root.chmod(0o711)
    old = _cluster(root / "pg15", bin15)
    new = _cluster(root / "pg18", bin18, "--no-data-checksums")  # 15's initdb made none
    try:
        old.start()
        _create(old.conninfo(), "moved")
        Migrator(old.conninfo("moved")).migrate(to=head)
        build_realistic(old.conninfo("moved"))
        before = capture(old.conninfo("moved"))
        new.init()
        old.stop()
        work = accounts.hand_over(root / "work")
        command = [str(bin18 / "pg_upgrade"), "-b", str(bin15), "-B", str(bin18),
                   "-d", str(old.datadir), "-D", str(new.datadir), "-U", old.superuser, "-s", str(work),
                   "-p", str(pgserver.free_port()), "-P", str(pgserver.free_port())]
        account = accounts.server_account()
        if account is not None:  # pg_upgrade refuses root, like initdb
            command = ["runuser", "-u", account, "--", *command]
        code, output = _run(command, cwd=work)
        assert code == 0, output[-3000:]
        new.start()
        restored = Restored("pg_upgrade-15-18", new.conninfo(), new.conninfo, "moved", before, major=18)
        restored.steps.append(("pg_upgrade 15 -> 18", code, output))
        yield restored
    finally:
        _stop_all([old, new], root)


@pytest.fixture
def work(restored: Restored) -> Iterator[str]:
    """A copy of the restored database for one test (a file copy: OIDs and all)."""
    name = restored.dbname + "_w"
    _create(restored.admin, name, template=restored.dbname)
    try:
        yield restored.conninfo(name)
    finally:
        _drop(restored.admin, name)


def _one(conn: psycopg.Connection, query: str, params: tuple[object, ...] = ()) -> tuple:
    row = conn.execute(query.encode(), params).fetchone()
    assert row is not None, query
    return tuple(row)


def _all(conn: psycopg.Connection, query: str, params: tuple[object, ...] = ()) -> list[tuple]:
    return [tuple(row) for row in conn.execute(query.encode(), params).fetchall()]


def _new_history(conn: psycopg.Connection, before: State) -> list[tuple]:
    return _all(conn, "SELECT object_identity, change, old_version, new_version, command_tag, branch"
                      " FROM pggit.history WHERE id > %s ORDER BY id", (before.history[1],))


# --------------------------------------------------------------------------- the path itself


def test_restore_runs_without_errors(restored: Restored) -> None:
    """Every program of the path exits 0 and prints no error or warning."""
    for command, code, output in restored.steps:
        noisy = [line for line in output.splitlines() if "error" in line.lower() or "warning" in line.lower()]
        assert (code, noisy) == (0, []), f"{command}: exit {code}\n{output[-3000:]}"


# --------------------------------------------------------------------------- nothing changed


def test_pggit_catalog_is_unchanged(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        after = catalog.fingerprint(conn, catalog.pggit_schemas(conn))
        assert catalog.diff(catalog.rebase_views(conn, restored.before.pggit_catalog, after), after) == []


def test_user_catalog_is_unchanged(restored: Restored, work: str) -> None:
    """Schema ``app``: tables, the view, the function, the enum, the sequence, and the data
    branches' views with their INSTEAD OF triggers and main's capture triggers."""
    with connected(work) as conn:
        after = catalog.fingerprint(conn, ["app"])
        assert catalog.diff(catalog.rebase_views(conn, restored.before.user_catalog, after), after) == []


def test_pggit_rows_are_unchanged(restored: Restored, work: str) -> None:
    """Every table of pggit's schemas and of the data-branch storage ``pggit_data``: the same
    row count and rows (columns of OID types left out: no logical backup keeps OIDs)."""
    with connected(work) as conn:
        after = table_rows(conn, (*catalog.pggit_schemas(conn), catalog.DATA_SCHEMA))
    changed = {name: (restored.before.pggit_rows.get(name), after.get(name))
               for name in restored.before.pggit_rows.keys() | after.keys()
               if restored.before.pggit_rows.get(name) != after.get(name)}
    assert changed == {}


def test_user_rows_are_unchanged(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        assert table_rows(conn, ("app",)) == restored.before.user_rows
        assert _one(conn, "SELECT count(*) FROM app.customers") == (21,)
        assert _one(conn, "SELECT count(*) FROM app.orders") == (30,)


def test_data_branch_views_are_unchanged(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        views = branch_views(conn)
    assert views == restored.before.views
    assert {name: len(rows) for name, rows in views.items()} == {
        'app."customers__data/cleanup"': 20, 'app."orders__data/pricing"': 29}


def test_restore_records_no_history(restored: Restored, work: str) -> None:
    """Zero history rows from the restore itself, nothing pending on any branch."""
    with connected(work) as conn:
        assert _one(conn, "SELECT count(*), coalesce(max(id), 0) FROM pggit.history") == restored.before.history
        assert _new_history(conn, restored.before) == []
        assert _one(conn, "SELECT count(*) FROM pggit.history WHERE commit_hash IS NULL AND object_id IS NOT NULL"
                          " AND change <> 'register'") == (0,)
        for branch in ("main", FEATURE, OPEN_BRANCH, MERGED_BRANCH):
            assert _all(conn, "SELECT * FROM pggit.status(%s)", (branch,)) == [], branch


# --------------------------------------------------------------------------- everything still works


def test_old_objects_keep_their_versions(restored: Restored, work: str) -> None:
    """get_version of every object made before the backup; one live registry row per identity."""
    with connected(work) as conn:
        versions = {name: _all(conn, "SELECT version, identity FROM pggit.get_version(%s)", (name,))
                    for name in TRACKED}
        registry = _all(conn, "SELECT kind, identity, count(*)::int FROM pggit.objects WHERE dropped_at IS NULL"
                              " GROUP BY 1, 2 ORDER BY 1, 2")
    assert versions == {name: [(version, name)] for name, version in TRACKED.items()}
    assert registry == restored.before.registry
    assert len(registry) == 10 and all(count == 1 for _kind, _identity, count in registry)


def test_schema_hashes_compute_as_recorded(restored: Restored, work: str) -> None:
    """calculate_schema_hash of every live table equals the hash recorded before the path."""
    with connected(work) as conn:
        rows = _all(conn, "SELECT identity, hash, pggit.calculate_schema_hash(identity) FROM pggit.objects"
                          " WHERE kind = 'table' AND dropped_at IS NULL ORDER BY 1")
    assert [identity for identity, _r, _c in rows] == ["app.audit", "app.customers", "app.items", "app.orders"]
    assert [(identity, computed) for identity, _r, computed in rows] == [
        (identity, recorded) for identity, recorded, _c in rows]


def test_alter_of_an_old_table_continues_its_history(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        registry_id = _one(conn, "SELECT id FROM pggit.objects WHERE identity = 'app.customers' AND kind = 'table'")
        conn.execute("ALTER TABLE app.customers ADD COLUMN note text")
        assert _all(conn, "SELECT version FROM pggit.get_version('app.customers')") == [("1.2.0",)]
        assert _new_history(conn, restored.before) == [
            ("app.customers", "minor", "1.1.0", "1.2.0", "ALTER TABLE", "main")]
        assert _one(conn, "SELECT object_id FROM pggit.history WHERE id > %s", (restored.before.history[1],)
                    ) == registry_id
        assert _all(conn, "SELECT id, major, minor, patch, dropped_at IS NULL FROM pggit.objects"
                          " WHERE identity = 'app.customers' ORDER BY id") == [(*registry_id, 1, 2, 0, True)]
        conn.execute("ALTER TABLE app.items ALTER COLUMN sku SET NOT NULL, ADD COLUMN price numeric")
        conn.execute("ALTER TABLE app.items RENAME COLUMN price TO unit_price")
        assert _all(conn, "SELECT version FROM pggit.get_version('app.items')") == [("2.0.0",)]
        assert _all(conn, "SELECT count(*)::int FROM pggit.objects WHERE identity = 'app.items'") == [(1,)]


def test_changes_of_other_old_objects_continue_their_history(restored: Restored, work: str) -> None:
    """The function, view, enum, sequence and schema made before the path (pg_upgrade keeps table
    and type OIDs but not schema or function OIDs): each change bumps the old version, one registry row each."""
    with connected(work) as conn:
        conn.execute("CREATE OR REPLACE FUNCTION app.order_total(bigint) RETURNS bigint LANGUAGE sql STABLE"
                     " AS $$ SELECT coalesce(sum(qty), 0) + 0 FROM app.items WHERE order_id = $1 $$")
        conn.execute("CREATE OR REPLACE VIEW app.order_summary AS SELECT o.id, c.name, o.status, o.total, o.no"
                     " FROM app.orders o JOIN app.customers c ON c.id = o.customer_id")
        conn.execute("ALTER TYPE app.status ADD VALUE 'returned'")
        conn.execute("ALTER SEQUENCE app.order_no INCREMENT BY 2")
        conn.execute("COMMENT ON SCHEMA app IS 'the shop'")
        assert [(identity, change, old, new) for identity, change, old, new, _tag, _branch
                in _new_history(conn, restored.before)] == [
            ("app.order_total(bigint)", "patch", "1.0.0", "1.0.1"),
            ("app.order_summary", "minor", "1.0.0", "1.1.0"),  # a column added
            ("app.status", "minor", "1.0.0", "1.1.0"),
            ("app.order_no", "patch", "1.0.0", "1.0.1"),
            ("app", "patch", "1.0.0", "1.0.1"),
        ]
        assert _all(conn, "SELECT kind, identity, count(*)::int FROM pggit.objects WHERE dropped_at IS NULL"
                          " GROUP BY 1, 2 ORDER BY 1, 2") == restored.before.registry


def test_alter_of_a_branched_table_reaches_its_data_branches(restored: Restored, work: str) -> None:
    """ADD COLUMN on a table with data branches: tracked as a minor change, carried over to both branch views."""
    with connected(work) as conn:
        conn.execute("ALTER TABLE app.orders ADD COLUMN discount numeric NOT NULL DEFAULT 0")
        assert _all(conn, "SELECT version FROM pggit.get_version('app.orders')") == [("1.3.0",)]
        assert _new_history(conn, restored.before) == [("app.orders", "minor", "1.2.1", "1.3.0", "ALTER TABLE", "main")]
        assert _one(conn, f"SELECT count(*), sum(discount) FROM {OPEN_VIEW}") == (29, 0)
        assert _one(conn, f"SELECT total FROM {OPEN_VIEW} WHERE id = 1") == (20,)
        assert _all(conn, "SELECT count(*)::int FROM pggit.objects WHERE identity = 'app.orders'") == [(1,)]


def test_new_objects_are_recorded_as_creates(restored: Restored, work: str) -> None:
    """New tables (enough to reach any OID an old object had in a fresh cluster), a function and a
    view: each a ``create`` at 1.0.0, never a rename of an old object; diff and migration agree."""
    created = [f"app.fresh_{n}" for n in range(8)]
    with connected(work) as conn:
        for name in created:
            conn.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, v text)".encode())
        conn.execute("CREATE FUNCTION app.fresh_f(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1'")
        conn.execute("CREATE VIEW app.fresh_v AS SELECT id FROM app.fresh_0")
        every = [*created, "app.fresh_f(integer)", "app.fresh_v"]
        assert _new_history(conn, restored.before) == [
            (name, "create", None, "1.0.0", tag, "main")
            for name, tag in zip(every, ["CREATE TABLE"] * 8 + ["CREATE FUNCTION", "CREATE VIEW"], strict=True)]
        assert _all(conn, "SELECT old_identity FROM pggit.history WHERE id > %s AND old_identity IS NOT NULL",
                    (restored.before.history[1],)) == []
        assert [_all(conn, "SELECT version FROM pggit.get_version(%s)", (name,))
                for name in every] == [[("1.0.0",)]] * 10
        diff = _all(conn, "SELECT object_identity, change, old_identity FROM pggit.diff('main', 'WORKING') ORDER BY 1")
        assert diff == sorted((name, "added", None) for name in every)
        steps = [row[0] for row in _all(conn, "SELECT statement FROM pggit.generate_migration('main', 'WORKING')")]
        assert steps and not [s for s in steps if "RENAME" in s.upper() or "DROP" in s.upper()]
        # the old objects are all still there, each once
        assert _all(conn, "SELECT kind, identity, count(*)::int FROM pggit.objects WHERE dropped_at IS NULL"
                          " AND identity NOT LIKE 'app.fresh%%' GROUP BY 1, 2 ORDER BY 1, 2"
                    ) == restored.before.registry


def test_new_table_on_an_old_oid_is_a_create(restored: Restored, work: str) -> None:
    """In a fresh cluster a new table can get the OID an old table had in the source (OIDs are
    not kept by pg_dump): it must be recorded as a create, the old table keep its registry row.

    The OID counter is moved up to the smallest such OID that is free here (large objects made and
    removed), so that the collision is not left to chance; on a path where no old OID lies ahead of
    the counter (same cluster, pg_upgrade) the new table is still checked as a plain create.
    """
    with connected(work) as conn:
        next_oid = _one(conn, "SELECT lo_create(0)")[0]
        conn.execute("SELECT lo_unlink(%s)", (next_oid,))
        taken = {row[0] for row in _all(conn, "SELECT oid::bigint FROM pg_class")}
        ahead = sorted(oid for oid in restored.before.oids.values() if oid > next_oid + 1 and oid not in taken)
        target = ahead[0] if ahead and ahead[0] - next_oid < 2_000_000 else None
        if target is not None:
            use_oids(conn, target - next_oid - 1)
        conn.execute("CREATE TABLE app.reborn (id int PRIMARY KEY, v text)")
        oid = _one(conn, "SELECT 'app.reborn'::regclass::oid::bigint")[0]
        old = {value: key for key, value in restored.before.oids.items()}.get(oid)
        if restored.path == "dump15-restore18":  # a fresh cluster: the collision must be reached
            assert old is not None, (oid, restored.before.oids)
        assert _new_history(conn, restored.before) == [("app.reborn", "create", None, "1.0.0", "CREATE TABLE", "main")]
        assert _all(conn, "SELECT old_identity FROM pggit.history WHERE id > %s", (restored.before.history[1],)
                    ) == [(None,)]
        assert _all(conn, "SELECT version FROM pggit.get_version('app.reborn')") == [("1.0.0",)]
        if old is not None:
            assert _all(conn, "SELECT version FROM pggit.get_version(%s)", (old,)) == [(TRACKED[old],)]
        assert _all(conn, "SELECT object_identity, change, old_identity FROM pggit.diff('main', 'WORKING')"
                    ) == [("app.reborn", "added", None)]
        steps = [row[0] for row in _all(conn, "SELECT statement FROM pggit.generate_migration('main', 'WORKING')")]
        assert steps and not [s for s in steps if "RENAME" in s.upper() or "DROP" in s.upper()]
        assert _all(conn, "SELECT kind, identity, count(*)::int FROM pggit.objects WHERE dropped_at IS NULL"
                          " AND identity <> 'app.reborn' GROUP BY 1, 2 ORDER BY 1, 2") == restored.before.registry


def test_commit_after_the_path(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        conn.execute("ALTER TABLE app.items ADD COLUMN note text")
        head = _one(conn, "SELECT pggit.commit_changes('main', 'after the path')")[0]
        assert _all(conn, "SELECT hash FROM pggit.log('main', 2)") == [(head,), (restored.before.heads["main"],)]
        assert _one(conn, "SELECT parent_hash, generation FROM pggit.commits WHERE hash = %s", (head,)) == (
            restored.before.heads["main"],
            _one(conn, "SELECT generation + 1 FROM pggit.commits WHERE hash = %s", (restored.before.heads["main"],))[0])
        assert _one(conn, "SELECT jsonb_array_length(pggit.show(%s) -> 'changes')", (head,)) == (1,)
        tree = _all(conn, "SELECT object_kind, object_identity, blob_hash FROM pggit.commit_tree(%s) ORDER BY 1, 2",
                    (head,))
        old = [tuple(row) for row in restored.before.refs["tree main"]]
        assert [row for row in tree if row[1] != "app.items"] == [row for row in old if row[1] != "app.items"]
        assert len(tree) == len(old) == 10
        assert _all(conn, "SELECT * FROM pggit.status()") == []


def test_old_open_data_branch_reads_and_diffs_as_before(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        assert _one(conn, f"SELECT total, status::text FROM {OPEN_VIEW} WHERE id = 3") == (60, "paid")
        assert _one(conn, f"SELECT total FROM {OPEN_VIEW} WHERE id = 4") == (40,)  # main's later write unseen
        assert _all(conn, f"SELECT id FROM {OPEN_VIEW} WHERE id IN (28, 29, 30, 201, 202) ORDER BY 1"
                    ) == [(28,), (201,)]
        diff = _all(conn, "SELECT key::text, change, before::text, after::text FROM pggit.diff_data_branch(%s, %s)"
                          " ORDER BY key::text", (OPEN_TABLE, OPEN_BRANCH))
        assert [(key, change) for key, change, _b, _a in diff] == [
            ('{"id": 1}', "update"), ('{"id": 201}', "insert"), ('{"id": 29}', "delete"),
            ('{"id": 2}', "update"), ('{"id": 30}', "delete"), ('{"id": 3}', "update")]
        assert _all(conn, "SELECT * FROM pggit.diff_data_branch(%s, %s)", (MERGED_TABLE, MERGED_BRANCH)) == []


def test_old_open_data_branch_takes_writes(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        conn.execute(f"INSERT INTO {OPEN_VIEW} (id, customer_id, total) VALUES (203, 7, 3)")
        conn.execute(f"UPDATE {OPEN_VIEW} SET total = 55 WHERE id = 5")
        conn.execute(f"DELETE FROM {OPEN_VIEW} WHERE id = 6")
        assert _all(conn, f"SELECT id, total FROM {OPEN_VIEW} WHERE id IN (5, 6, 203) ORDER BY 1"
                    ) == [(5, 55), (203, 3)]
        assert _all(conn, "SELECT id, total FROM app.orders WHERE id IN (5, 6, 203) ORDER BY 1") == [(5, 50), (6, 60)]
        diff = _all(conn, "SELECT key::text, change FROM pggit.diff_data_branch(%s, %s) ORDER BY key::text",
                    (OPEN_TABLE, OPEN_BRANCH))
        assert diff == [('{"id": 1}', "update"), ('{"id": 201}', "insert"), ('{"id": 203}', "insert"),
                        ('{"id": 29}', "delete"), ('{"id": 2}', "update"), ('{"id": 30}', "delete"),
                        ('{"id": 3}', "update"), ('{"id": 5}', "update"), ('{"id": 6}', "delete")]
        assert _new_history(conn, restored.before) == []


def test_old_open_data_branch_merges(restored: Restored, work: str) -> None:
    """The unmerged branch: ``fail`` finds the key both sides changed; ``theirs`` applies all of it."""
    with connected(work) as conn:
        assert _one(conn, "SELECT inserted, updated, deleted, conflicts, commit_hash IS NULL"
                          " FROM pggit.merge_data_branch(%s, %s)", (OPEN_TABLE, OPEN_BRANCH)) == (0, 0, 0, 1, True)
        assert _all(conn, "SELECT key::text, ours ->> 'total', theirs ->> 'total' FROM pggit.data_conflicts"
                          " WHERE branch = %s", (OPEN_BRANCH,)) == [('{"id": 3}', "1.00", "60.00")]
        merged = _one(conn, "SELECT inserted, updated, deleted, conflicts, commit_hash FROM pggit.merge_data_branch("
                            "%s, %s, strategy => 'theirs')", (OPEN_TABLE, OPEN_BRANCH))
        assert merged[:4] == (1, 3, 2, 1)
        assert _one(conn, "SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'") == (merged[4],)
        assert _all(conn, "SELECT id, total, status::text FROM app.orders WHERE id IN (1, 2, 3, 4, 29, 30, 201, 202)"
                          " ORDER BY 1") == [(1, 20, "paid"), (2, 40, "paid"), (3, 60, "paid"), (4, 1, "paid"),
                                             (201, 99.5, "new"), (202, 7, "new")]
        assert _all(conn, "SELECT * FROM pggit.diff_data_branch(%s, %s)", (OPEN_TABLE, OPEN_BRANCH)) == []


def test_old_data_branches_drop(restored: Restored, work: str) -> None:
    """drop_data_branch of both old branches: views, storage and main's capture triggers go."""
    with connected(work) as conn:
        conn.execute("SELECT pggit.drop_data_branch(%s, %s)", (OPEN_TABLE, OPEN_BRANCH))
        conn.execute("SELECT pggit.drop_data_branch(%s, %s)", (MERGED_TABLE, MERGED_BRANCH))
        assert _all(conn, "SELECT count(*)::int FROM pggit.data_branches") == [(0,)]
        assert _all(conn, "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE n.nspname IN ('app', 'pggit_data') AND relname LIKE '%%\\_\\_%%'") == []
        assert _all(conn, "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                          " JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE n.nspname = 'app' AND NOT t.tgisinternal") == []
        assert _all(conn, "SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE n.nspname = 'pggit_data'") == [(0,)]
        assert _all(conn, "SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                          " WHERE n.nspname = 'pggit_data'") == [(0,)]
        assert _one(conn, "SELECT count(*) FROM app.orders") == (30,)


def test_old_data_branch_ignores_main_writes_after_the_path(restored: Restored, work: str) -> None:
    """Main's writes after the restore are captured for the old branches: their views keep the branch point."""
    with connected(work) as conn:
        conn.execute("UPDATE app.orders SET total = 12345 WHERE id IN (10, 1)")
        conn.execute("INSERT INTO app.orders (id, customer_id, total) VALUES (300, 1, 1)")
        conn.execute("DELETE FROM app.orders WHERE id = 11")
        conn.execute("UPDATE app.customers SET name = 'changed after the path' WHERE id IN (1, 5)")
        assert _all(conn, f"SELECT id, total FROM {OPEN_VIEW} WHERE id IN (1, 10, 11, 300) ORDER BY 1") == [
            (1, 20), (10, 100), (11, 110)]
        assert _all(conn, f"SELECT id, name FROM {MERGED_VIEW} WHERE id IN (1, 5) ORDER BY 1") == [
            (1, "customer 1"), (5, "customer 5")]
        assert _all(conn, "SELECT key::text, change FROM pggit.diff_data_branch(%s, %s) ORDER BY 1",
                    (OPEN_TABLE, OPEN_BRANCH)) == [(row[0], row[1]) for row in restored.before.diffs[OPEN_TABLE]]


def test_new_data_branch_ignores_main_writes(restored: Restored, work: str) -> None:
    """A data branch made after the path on an old branched table does not see main's later writes."""
    with connected(work) as conn:
        view = _one(conn, "SELECT pggit.create_data_branch(%s, 'main', 'data/after')", (OPEN_TABLE,))[0]
        other = _one(conn, "SELECT pggit.create_data_branch(%s, 'main', 'data/after')", (MERGED_TABLE,))[0]
        assert (view, other) == ("orders__data/after", "customers__data/after")
        conn.execute("UPDATE app.orders SET total = 12345 WHERE id IN (7, 1)")
        conn.execute("INSERT INTO app.orders (id, customer_id, total) VALUES (301, 1, 1)")
        conn.execute("DELETE FROM app.orders WHERE id = 8")
        conn.execute("UPDATE app.customers SET name = 'changed after the branch' WHERE id = 4")
        assert _all(conn, 'SELECT id, total FROM app."orders__data/after" WHERE id IN (1, 7, 8, 301) ORDER BY 1') == [
            (1, 10), (7, 70), (8, 80)]
        assert _all(conn, 'SELECT name FROM app."customers__data/after" WHERE id = 4') == [("customer 4",)]
        assert _all(conn, "SELECT * FROM pggit.diff_data_branch(%s, 'data/after')", (OPEN_TABLE,)) == []
        # and the old branch, made before the path, did not see them either
        assert _all(conn, f"SELECT id, total FROM {OPEN_VIEW} WHERE id IN (1, 7, 8, 301) ORDER BY 1") == [
            (1, 20), (7, 70), (8, 80)]


def test_delete_branch_with_force(restored: Restored, work: str) -> None:
    with connected(work) as conn:
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            conn.execute("SELECT pggit.delete_branch(%s)", (OPEN_BRANCH,))
        conn.execute("SELECT pggit.delete_branch(%s, force => true)", (OPEN_BRANCH,))
        conn.execute("SELECT pggit.delete_branch(%s)", (MERGED_BRANCH,))  # merged: no force needed
        assert _all(conn, "SELECT name, status FROM pggit.branches WHERE name LIKE 'data/%%' ORDER BY 1") == [
            (MERGED_BRANCH, "deleted"), (OPEN_BRANCH, "deleted")]
        assert _all(conn, "SELECT count(*)::int FROM pggit.data_branches") == [(0,)]
        assert _all(conn, "SELECT to_regclass(%s), to_regclass(%s)", (OPEN_VIEW, MERGED_VIEW)) == [(None, None)]
        assert _all(conn, "SELECT count(*)::int FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                          " JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE n.nspname = 'app' AND NOT t.tgisinternal") == [(0,)]
        assert _one(conn, "SELECT count(*) FROM app.orders") == (30,)


def test_tags_and_refs_read_as_before(restored: Restored, work: str) -> None:
    """Tags, ref resolution, schema diffs, ``schema_at`` and ``generate_migration`` from a tag: as in the source."""
    before = restored.before
    with connected(work) as conn:
        assert _all(conn, "SELECT name, commit_hash FROM pggit.tags ORDER BY 1") == sorted(before.tags.items())
        main_parent = _one(conn, "SELECT parent_hash FROM pggit.commits WHERE hash = %s", (before.heads["main"],))[0]
        assert _one(conn, "SELECT pggit.resolve_ref('v1'), pggit.resolve_ref('refs/tags/v2'),"
                          " pggit.resolve_ref('main~1')") == (before.tags["v1"], before.tags["v2"], main_parent)
        got = {ref: _refs(conn, ref) for ref in REFS}
    assert got == {ref: before.refs[ref] for ref in REFS}


def test_checkout_tag_and_schema_merge(restored: Restored, work: str) -> None:
    """checkout (with apply, and of a branch), DDL recorded on that branch, commit there, a new
    tag, and a schema merge of the branch into main."""
    before = restored.before
    with connected(work) as conn:
        assert _one(conn, "SELECT pggit.checkout('main', apply => true)") == (0,)
        assert _one(conn, "SELECT pggit.checkout(%s)", (FEATURE,)) == (FEATURE,)
        conn.execute("ALTER TABLE app.audit ADD COLUMN who text")
        assert _new_history(conn, before) == [("app.audit", "minor", "1.0.0", "1.1.0", "ALTER TABLE", FEATURE)]
        feature = _one(conn, "SELECT pggit.commit_changes(%s, 'audit: who')", (FEATURE,))[0]
        assert _one(conn, "SELECT parent_hash FROM pggit.commits WHERE hash = %s", (feature,)
                    ) == (before.heads[FEATURE],)
        assert _one(conn, "SELECT pggit.checkout('main')") == ("main",)
        assert _one(conn, "SELECT pggit.tag('v3', %s)", (FEATURE,)) == (feature,)
        assert _all(conn, "SELECT object_identity, change FROM pggit.diff(%s, 'v3')", (before.heads[FEATURE],)
                    ) == [("app.audit", "modified")]
        status = _one(conn, "SELECT status, conflicts FROM pggit.merge(%s)", (FEATURE,))
        assert status == ("merged", 0)
        assert _all(conn, "SELECT * FROM pggit.status()") == []
        assert _all(conn, "SELECT version FROM pggit.get_version('app.audit')") == [("1.1.0",)]


REFS = ("diff v1 v2", "diff v1 WORKING", "migration v1 WORKING", "schema_at v1", "schema_at WORKING")


def _refs(conn: psycopg.Connection, ref: str) -> list[tuple[str, ...]]:
    query = {
        "diff v1 v2": "SELECT object_identity, object_kind, change, old_identity FROM pggit.diff('v1', 'v2')"
                      " ORDER BY 1, 2",
        "diff v1 WORKING": "SELECT object_identity, object_kind, change, old_identity FROM pggit.diff('v1', 'WORKING')"
                           " ORDER BY 1, 2",
        "migration v1 WORKING": "SELECT step::text, statement, coalesce(warning, '')"
                                " FROM pggit.generate_migration('v1', 'WORKING') ORDER BY step",
        "schema_at v1": "SELECT object_kind, object_identity, blob_hash FROM pggit.schema_at('v1')",
        "schema_at WORKING": "SELECT object_kind, object_identity, blob_hash FROM pggit.schema_at('WORKING')",
    }[ref]
    return [tuple("" if v is None else str(v) for v in row) for row in conn.execute(query.encode()).fetchall()]


def test_verify_reports_no_drift(restored: Restored, work: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``pggit-sql verify`` against the head level's snapshot: zero differences, by the API and the CLI."""
    assert Migrator(work).verify().differences == []
    capsys.readouterr()
    code = cli.main(["verify", "--dsn", work, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert (code, report["differences"]) == (0, [])


def test_plain_data_only_restore_adds_no_error_and_no_history_of_pggit(
        pggit_server: PggitServer, source: Source) -> None:
    """``pg_restore --schema-only`` then a plain ``--data-only``: only PostgreSQL's own refusals.

    PostgreSQL refuses rows whose foreign key points at a table loaded later (the user's
    ``app.items`` as much as pggit's tables): that is why ``--disable-triggers`` and
    ``session_replication_role = replica`` exist (the two paths above).  What pggit must not
    add: its capture triggers filling branch storage during the COPY (duplicate keys when
    the storage's own rows arrive), derived rows colliding with restored ones, history.
    """
    restored = _same_cluster("schema-then-data", pggit_server, source)
    try:
        (_, schema_code, schema_out), (_, code, output) = restored.steps
        assert schema_code == 0, schema_out[-2000:]
        errors = [line for line in output.splitlines() if line.startswith("pg_restore: error:")
                  or line.startswith("ERROR:")]
        refusals = [line for line in errors if "violates foreign key constraint" in line]
        assert code == 1 and errors and refusals == errors, output[-3000:]
        assert "duplicate key" not in output
        def storage(conn: psycopg.Connection) -> list[tuple[str, int]]:
            names = [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r'"
                                                " AND relnamespace = 'pggit_data'::regnamespace ORDER BY 1")]
            return [(n, conn.execute(sql.SQL("SELECT count(*) FROM pggit_data.{}").format(
                sql.Identifier(n))).fetchone()[0]) for n in names]

        with psycopg.connect(source.dsn, autocommit=True) as conn:
            expected = storage(conn)
        with psycopg.connect(restored.conninfo(restored.dbname), autocommit=True) as conn:
            count, last = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM pggit.history").fetchone()
            assert count <= source.state.history[0] and last <= source.state.history[1]  # none by the restore
            assert storage(conn) == expected  # branch storage exactly as dumped
    finally:
        _drop(restored.admin, restored.dbname)
