"""Fixtures (issue 18): pggit's own (sql/fixtures) carried from level 1 to head, through every
rollback and up again; a user's folder whose levels, rollbacks and fixtures go wrong, each
named; ``pggit-sql fixtures load`` climbing a database level by level.

Every check runs on the plugin's server (``pggit_server``), never on the development cluster.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_sql import cli, fixture_runs
from pggit_sql import fixtures as fixtureslib
from pggit_sql.errors import FixtureError
from pggit_sql.levels import default_migrations_dir, discover, head
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
PGGIT_FIXTURES = default_migrations_dir().parent / "fixtures"
Run = Callable[..., tuple[int, str, str]]
NewDatabase = Callable[[int], str]

# sql/fixtures: the files per level, and the number of '-- keep:' tables carried through
# each level (the kept tables of the fixtures at or below it).
PGGIT_FIXTURE_FILES = {1: ["0001_commits.sql"], 2: ["0002_tracking.sql"],
                       3: ["0003_data_branches.sql", "0003_quoted_names.sql"], 4: ["0004_merge.sql"],
                       5: ["0005_security.sql"], 7: ["0007_reserved_refs.sql"],
                       9: ["0009_folded.sql"]}
HEAD = head(discover(default_migrations_dir()))
# levels above 10 have no fixture yet: they carry level 10's 51 kept tables (a new fixture changes this)
PGGIT_KEPT_TABLES = {1: 3, 2: 13, 3: 26, 4: 34, 5: 43, 6: 43, 7: 47, 8: 47, 9: 51, 10: 51,
                     **{level: 51 for level in range(11, HEAD + 1)}}


def scalar(dsn: str, query: str) -> object:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


# --------------------------------------------------------------------------- pggit's own levels


def test_pggit_fixtures_are_carried_through_every_level_up_down_and_up_again(pggit_server: PggitServer) -> None:
    """sql/fixtures on pggit's levels 1..10: the stairway builds and every level goes up, down and
    up again keeping every kept row; kept rows from level 1 on, and more as fixtures are added."""
    report = fixture_runs.check(pggit_server.conninfo("postgres"), default_migrations_dir())
    problems = [f"level {lv.level}: {p}" for lv in report.levels for p in lv.problems]
    assert report.stairway_error is None and not problems, report.stairway_error or "\n".join(problems)
    assert report.ok
    assert [lv.level for lv in report.levels] == list(range(1, HEAD + 1))
    assert {lv.level: lv.fixtures for lv in report.levels if lv.fixtures} == PGGIT_FIXTURE_FILES
    assert {lv.level: lv.kept_tables for lv in report.levels} == PGGIT_KEPT_TABLES
    rows = [lv.kept_rows for lv in report.levels]
    assert rows[0] == 10  # level 1: branches main and fx1/login, five commits, three accounts
    assert all(later >= earlier for earlier, later in zip(rows, rows[1:], strict=False)), rows
    assert rows[-1] > 300, rows
    with psycopg.connect(pggit_server.conninfo("postgres"), autocommit=True) as conn:
        left = conn.execute("SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE 'pggit\\_fxcheck\\_%'"
                            " OR datname LIKE 'test\\_%round\\_trip%'").fetchall()
    assert left == []


def test_pggit_fixtures_load_level_by_level_into_a_fresh_database(
        run: Run, pggit_new_database: NewDatabase) -> None:
    """`fixtures load` on an empty database: every level applied, each fixture loaded at its level
    and recorded with its sha256 in pggit_meta; what the fixtures made is all there at head."""
    dsn = pggit_new_database(0)
    status, out, err = run("--dsn", dsn, "--json", "fixtures", "load")
    assert status == 0, out + err
    report = json.loads(out)
    assert report["level_before"] == 0 and report["level_after"] == HEAD
    assert [name.split("_")[0] for name in report["applied"]] == [f"{n:04d}" for n in range(1, HEAD + 1)]
    assert report["loaded"] == [f for files in PGGIT_FIXTURE_FILES.values() for f in files]
    with psycopg.connect(dsn, autocommit=True) as conn:
        recorded = dict(conn.execute("SELECT fixture || '.sql', sha256 FROM pggit_meta.fixture_checksums").fetchall())
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM pggit.commits), (SELECT count(*) FROM pggit.commits"
            "        WHERE merge_parent_hash IS NOT NULL),"
            " (SELECT count(*) FROM pggit.branches), (SELECT count(*) FROM pggit.branches WHERE status = 'deleted'),"
            " (SELECT count(*) FROM pggit.tags), (SELECT count(*) FROM pggit.data_branches),"
            " (SELECT count(*) FROM pggit.merges), (SELECT count(*) FROM pggit.checkouts),"
            " (SELECT count(*) FROM pggit.history WHERE change = 'folded')").fetchone()
        history = conn.execute("SELECT change FROM pggit.history WHERE object_identity = 'legacy.accounts'"
                               " OR command_tag IN ('PGGIT PAUSE', 'PGGIT RESUME') ORDER BY id").fetchall()
        pricing = conn.execute('SELECT id, price::text, stock FROM fx."products__fx3/pricing" ORDER BY id').fetchall()
        bulk = conn.execute('SELECT id, qty FROM fx."orders__fx5/bulk" ORDER BY id').fetchall()
        lines = conn.execute(
            'SELECT order_no, "Line", "Qty" FROM "Fx Quoted"."Line Items__fx3/a-branch-name-long-enough-to-make-the-_'
            '47fcd198" ORDER BY 1, 2').fetchall()
        reserved = conn.execute("SELECT name FROM pggit.branches WHERE pggit.reserved_ref_name(name) IS NOT NULL"
                                " ORDER BY name").fetchall()
    assert recorded == {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
                        for path in PGGIT_FIXTURES.glob("*.sql")}
    # commits: 5 (level 1) + 4 + 2 (and a data merge) + 8 (a merge commit, a revert) + 1 (the
    # continued merge) + 2 + 1; branches: main, fx1/login, fx3/pricing, fx3/scratch (deleted), fx3/cleanup,
    # fx3/a-branch-name-long-enough-..., fx4/feature, fx4/left, fx4/right, fx5/bulk, HEAD,
    # WORKING, refs/fx7
    assert counts == (24, 2, 13, 1, 6, 4, 2, 2, 3)
    # the open data branch: 1 changed, 2 deleted, 5 inserted on it; 3 as it was at the branch point
    assert pricing == [(1, "3.95", 10), (3, "4.00", 5), (4, "5.10", 2), (5, "4.40", 7)]
    assert bulk == [(1, 1), (3, 20), (4, 99), (5, 1)]
    assert lines == [(1, "a", 1), (1, "b's", 20), (3, "it's new", 9)]
    assert reserved == [("HEAD",), ("WORKING",), ("refs/fx7",)]
    # the level-1 table: registered by level 2, changed while tracking was paused, caught up
    assert [c for (c,) in history] == ["register", "pause", "untracked", "resume", "minor"]


def test_level_5_renames_a_tag_that_has_a_branch_name_and_its_rollback_names_it_back(
        pggit_new_database: NewDatabase) -> None:
    """What sql/fixtures cannot keep by name (level 5 renames such a tag on purpose): the tag keeps
    its commit, creator and time under the new name, pggit.renamed_tags says so, and the rollback
    gives the old name back, so the level-4 rows are exactly as they were."""
    dsn = pggit_new_database(4)
    tags = "SELECT name, commit_hash, created_at::text, created_by FROM pggit.tags ORDER BY name"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pggit.commit_changes('main', 'base')")
        conn.execute("SELECT pggit.create_branch('release')")
        conn.execute("SELECT pggit.tag('release', 'main')")
        conn.execute("SELECT pggit.tag('release-tag', 'main')")  # so the rename takes release-tag-2
        before = conn.execute(tags).fetchall()
    migrator = Migrator(dsn, default_migrations_dir())
    migrator.migrate(to=5)
    with psycopg.connect(dsn, autocommit=True) as conn:
        after = conn.execute(tags).fetchall()
        renamed = conn.execute("SELECT old_name, new_name, commit_hash FROM pggit.renamed_tags").fetchall()
    assert [row[0] for row in after] == ["release-tag", "release-tag-2"]
    assert after[1][1:] == before[0][1:] and after[0] == before[1]
    assert renamed == [("release", "release-tag-2", before[0][1])]
    migrator.rollback(to=4, force=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(tags).fetchall() == before


def test_keep_lines_take_quoted_names() -> None:
    keeps = fixtureslib.parse_keeps(
        '-- keep: "Fx Quoted"."Line Items" by (order_no, "Line") columns ("Qty", "a""b")\n'
        "--keep: shop.orders\n-- KEEP:  public.orders by (id) columns (customer_id, qty)\n", Path("x.sql"))
    assert keeps == (fixtureslib.Keep('"Fx Quoted"."Line Items"', ("order_no", "Line"), ("Qty", 'a"b')),
                     fixtureslib.Keep("shop.orders"),
                     fixtureslib.Keep("public.orders", ("id",), ("customer_id", "qty")))


# --------------------------------------------------------------------------- a user's folder


def shop_copy(tmp_path: Path, extra_levels: dict[str, tuple[str, str]] | None = None,
              fixtures: dict[str, str | None] | None = None) -> Path:
    """A copy of examples/shop's migrations and fixtures under tmp_path; more levels
    (name -> (up, rollback)) and fixture files (name -> text, None to remove one)."""
    root = tmp_path / "shop"
    shutil.copytree(SHOP / "migrations", root / "migrations")
    shutil.copytree(SHOP / "fixtures", root / "fixtures")
    for name, (up, down) in (extra_levels or {}).items():
        (root / "migrations" / f"{name}.sql").write_text(up)
        (root / "migrations" / f"{name}.rollback.sql").write_text(down)
    for name, text in (fixtures or {}).items():
        path = root / "fixtures" / name
        if text is None:
            path.unlink()
        else:
            path.write_text(text)
    return root / "migrations"


def test_the_shop_copy_passes(pggit_server: PggitServer, tmp_path: Path) -> None:
    report = fixture_runs.check(pggit_server.conninfo("postgres"), shop_copy(tmp_path))
    assert report.ok, report.to_dict()
    assert [(lv.level, lv.kept_tables, lv.kept_rows) for lv in report.levels] == [(1, 1, 3), (2, 2, 7), (3, 2, 7)]


def test_rows_a_level_adds_to_a_kept_table_are_not_kept_rows(pggit_server: PggitServer, tmp_path: Path) -> None:
    """A level that inserts rows of its own into a kept table (as pggit's levels 5 and 6 add history
    rows for the DDL they run) makes them again, with other values, on every run: the round trip
    compares the rows the level carried, not those."""
    migrations = shop_copy(tmp_path, {"0004_walk_in": (
        "INSERT INTO shop.customers (email, name) VALUES ('walk-in@example.com', clock_timestamp()::text);\n",
        "DELETE FROM shop.customers WHERE email = 'walk-in@example.com';\n")})
    report = fixture_runs.check(pggit_server.conninfo("postgres"), migrations)
    assert report.ok, report.to_dict()
    assert report.levels[3].kept_rows == 8  # kept at level 4: the walk-in too, for the levels above it


LOSSES = {
    "delete": (
        {"0004_purge": ("-- level 4: free orders go\nDELETE FROM shop.orders WHERE unit_price = 0;\n",
                        "SELECT 1;\n")},
        ["level 4 (", "0004_purge.sql) did not carry the fixtures' kept rows: 1 of 4 kept rows of shop.orders "
         "(kept by 0002_orders.sql) lost: id='",
         "first at statement 1 (line 2): DELETE FROM shop.orders WHERE unit_price = 0;"]),
    "update": (
        {"0004_shout": ("CREATE TABLE shop.notes (id int PRIMARY KEY);\n"
                        "UPDATE shop.customers SET name = upper(name) WHERE email = 'ann@example.com';\n",
                        "DROP TABLE shop.notes;\n")},
        ["level 4 (", "0004_shout.sql) did not carry the fixtures' kept rows: 1 kept rows of shop.customers "
         "(kept by 0001_customers.sql) changed: id='1': name 'Ann' -> 'ANN'",
         "first at statement 2 (line 2): UPDATE shop.customers SET name = upper(name)"]),
    "failing level": (
        {"0004_strict": ("-- level 4: no order above 1000 a piece\n"
                         "ALTER TABLE shop.orders ADD CONSTRAINT orders_price_cap CHECK (unit_price <= 1000);\n",
                         "ALTER TABLE shop.orders DROP CONSTRAINT orders_price_cap;\n")},
        ["level 4 (", "0004_strict.sql) failed on the fixtures' data (loaded: 0001_customers.sql, 0002_orders.sql)",
         "statement 1 (line 2): ALTER TABLE shop.orders ADD CONSTRAINT orders_price_cap", "is violated by some row"]),
}


@pytest.mark.parametrize("case", sorted(LOSSES))
def test_a_level_that_loses_changes_or_refuses_fixture_rows_is_named(
        pggit_server: PggitServer, tmp_path: Path, case: str) -> None:
    levels, expected = LOSSES[case]
    report = fixture_runs.check(pggit_server.conninfo("postgres"), shop_copy(tmp_path, levels))
    assert not report.ok and report.stairway_error is not None
    for part in expected:
        assert part in report.stairway_error, report.stairway_error


def test_a_rollback_that_deletes_rows_is_named(pggit_server: PggitServer, tmp_path: Path, run: Run) -> None:
    """Found by the round trip (down), named with its file and statement, printed under its level."""
    migrations = shop_copy(tmp_path, {"0004_discounts": (
        "ALTER TABLE shop.orders ADD COLUMN discount numeric(4, 2) NOT NULL DEFAULT 0;\n",
        "-- back to level 3\nALTER TABLE shop.orders DROP COLUMN discount;\n"
        "DELETE FROM shop.orders WHERE qty > 50;\n")})
    status, out, _ = run("--dsn", pggit_server.conninfo("postgres"), "--migrations", str(migrations),
                         "fixtures", "check")
    assert status == 1
    lines = out.splitlines()
    assert [line.split()[1] for line in lines if line[:5].strip()] == [
        "0001_customers", "0002_orders", "0003_order_totals", "0004_discounts"]
    assert "    3  0003_order_totals            up, down, up again: ok; fixtures -; 7 kept rows in 2 tables" in lines
    assert ("    4  0004_discounts               up, down, up again: FAILED; fixtures -; 7 kept rows in 2 tables"
            in lines)
    (problem,) = [line.strip() for line in lines if not line[:5].strip()]  # the one problem, under level 4
    assert problem.startswith("down: the rollback of level 4 (")
    assert "0004_discounts.rollback.sql) did not carry the fixtures' kept rows: 1 of 4 kept rows of shop.orders" \
           " (kept by 0002_orders.sql) lost: id='" in problem
    assert "first at statement 2 (line 3): DELETE FROM shop.orders WHERE qty > 50;" in problem


BAD_FIXTURES = {
    "bad statement": (
        {"0002_more.sql": "-- more orders\nINSERT INTO shop.orders (customer_id, qty, unit_price)\n"
                          "SELECT id, 1, 1.00 FROM shop.customers WHERE email = 'bob@example.com';\n"
                          "INSERT INTO shop.orders (customer_id, qty, unit_price)\n"
                          "SELECT id, 0, 1.00 FROM shop.customers WHERE email = 'ann@example.com';\n"},
        "fixture 0002_more.sql (level 2) failed to load at statement 2 (line 4): INSERT INTO shop.orders "
        "(customer_id, qty, unit_price): new row for relation \"orders\" violates check constraint"),
    "missing table": (
        {"0001_customers.sql": "-- keep: shop.customers\n-- keep: shop.clients\n"
                               "INSERT INTO shop.customers (email, name) VALUES ('x@example.com', 'X');\n"},
        "fixture 0001_customers.sql (level 1): '-- keep: shop.clients' names no table at level 1"),
    "missing column": (
        {"0002_orders.sql": "-- keep: shop.orders columns (qty, price)\nSELECT 1;\n"},
        "fixture 0002_orders.sql (level 2): table shop.orders has no column price"),
    "no primary key": (
        {"0002_orders.sql": "CREATE TABLE shop.log (line text);\n-- keep: shop.log\nSELECT 1;\n"},
        "fixture 0002_orders.sql (level 2): table shop.log has no primary key; name the key: '-- keep: shop.log by"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIXTURES))
def test_a_fixture_that_cannot_load_or_keep_is_named(pggit_server: PggitServer, tmp_path: Path, case: str) -> None:
    files, expected = BAD_FIXTURES[case]
    report = fixture_runs.check(pggit_server.conninfo("postgres"), shop_copy(tmp_path, fixtures=files))
    assert report.stairway_error is not None and expected in report.stairway_error, report.stairway_error
    assert report.levels == []


FOLDER_ERRORS = {
    "misnamed": ({"2_orders.sql": "SELECT 1;\n", "0002_Orders.sql": "SELECT 1;\n"},
                 "misnamed fixture files in ",
                 "0002_Orders.sql, 2_orders.sql; fixture files must be named NNNN_slug.sql"),
    "no such level": ({"0009_later.sql": "SELECT 1;\n"},
                      "fixture 0009_later.sql is written for level 9, but the migrations go from 1 to 3", ""),
    "level 0": ({"0000_before.sql": "SELECT 1;\n"},
                "fixture 0000_before.sql is written for level 0, but the migrations go from 1 to 3", ""),
    "bad keep": ({"0001_customers.sql": "-- keep: shop.customers by id\nSELECT 1;\n"},
                 "0001_customers.sql line 1: cannot read '-- keep: shop.customers by id'", ""),
}


@pytest.mark.parametrize("case", sorted(FOLDER_ERRORS))
def test_a_fixtures_folder_that_cannot_be_read_is_refused_before_any_database(tmp_path: Path, run: Run,
                                                                               case: str) -> None:
    files, first, second = FOLDER_ERRORS[case]
    migrations = shop_copy(tmp_path, fixtures=files)
    with pytest.raises(FixtureError) as failure:
        fixtureslib.discover(migrations.parent / "fixtures", discover(migrations))
    assert first in str(failure.value) and second in str(failure.value)
    # no server is asked: the CLI fails on the folder (a --dsn that cannot connect is never tried)
    status, out, err = run("--dsn", "host=/nonexistent dbname=x", "--migrations", str(migrations), "fixtures", "check")
    assert status == 1 and first in out + err


# --------------------------------------------------------------------------- fixtures load


def test_load_climbs_level_by_level_and_records_checksums(run: Run, pggit_new_database: NewDatabase,
                                                          tmp_path: Path) -> None:
    migrations = shop_copy(tmp_path)
    dsn = pggit_new_database(0)
    status, out, err = run("--dsn", dsn, "--migrations", str(migrations), "fixtures", "load", "--to", "1")
    assert status == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "applied level 1 (0001_customers)" and len(lines) == 3, out
    assert lines[1].startswith("loaded ") and lines[1].endswith("/fixtures/0001_customers.sql"), out
    assert lines[2] == f"{lines[2].split(' is at ')[0]} is at level 1"
    status, out, err = run("--dsn", dsn, "--migrations", str(migrations), "--json", "fixtures", "load")
    assert status == 0, out + err
    report = json.loads(out)
    assert (report["level_before"], report["level_after"]) == (1, 3)
    assert report["applied"] == ["0002_orders", "0003_order_totals"] and report["loaded"] == ["0002_orders.sql"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        recorded = conn.execute("SELECT fixture, level, sha256 FROM pggit_meta_migrations.fixture_checksums"
                                " ORDER BY fixture").fetchall()
        totals = conn.execute("SELECT email, orders, spent::text FROM shop.customer_totals ORDER BY email").fetchall()
    folder = migrations.parent / "fixtures"
    assert recorded == [(p.stem, int(p.name[:4]), hashlib.sha256(p.read_bytes()).hexdigest())
                        for p in sorted(folder.glob("*.sql"))]
    assert totals == [("ann@example.com", 2, "9.90"), ("bob@example.com", 1, "241.00"),
                      ("siobhan@example.com", 1, "9899999999.01")]
    # loading again: nothing to do
    status, out, _ = run("--dsn", dsn, "--migrations", str(migrations), "fixtures", "load")
    assert status == 0 and out.rstrip().endswith("is at level 3 (no fixture to load)")

    # a loaded fixture edited afterwards: named, nothing loaded
    (folder / "0001_customers.sql").write_text((folder / "0001_customers.sql").read_text() + "-- edited\n")
    status, out, err = run("--dsn", dsn, "--migrations", str(migrations), "fixtures", "load")
    assert status == 1
    assert "fixture 0001_customers.sql (level 1) changed since it was loaded (sha256 " in out + err
    # a loaded fixture removed: named too
    (folder / "0001_customers.sql").unlink()
    status, out, err = run("--dsn", dsn, "--migrations", str(migrations), "fixtures", "load")
    assert status == 1 and "fixture 0001_customers.sql was loaded but is no longer in the fixtures folder" in out + err


def test_load_refuses_a_database_already_past_an_unloaded_fixture(run: Run, pggit_new_database: NewDatabase,
                                                                  tmp_path: Path) -> None:
    migrations = shop_copy(tmp_path)
    dsn = pggit_new_database(0)
    Migrator(dsn, migrations).migrate(to=2)
    status, out, err = run("--dsn", dsn, "--migrations", str(migrations), "fixtures", "load")
    assert status == 1
    assert ("fixture 0001_customers.sql (level 1) was never loaded and the database is already at level 2: "
            "fixtures load only while a database climbs to their level") in out + err
    assert "0002_orders.sql" not in out + err  # written for level 2, the level the database is at: loadable
    assert Migrator(dsn, migrations).status().catalog_level == 2
    assert scalar(dsn, "SELECT count(*) FROM shop.customers") == 0


def test_load_without_dsn_goes_to_the_development_database_never_to_database_url(
        run: Run, pggit_new_database: NewDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """cmd_fixtures: without --dsn the target is devdb.start() (--recreate: devdb.start(fresh=True)); a
    $DATABASE_URL set beside it is never read. The dev cluster is stood in for by a test database."""
    migrations = shop_copy(tmp_path)
    elsewhere, dev = pggit_new_database(0), pggit_new_database(0)
    calls: list[str] = []
    monkeypatch.setattr(cli.devdb, "start",
                        lambda root=None, *, fresh=False: calls.append("fresh" if fresh else "start") or dev)
    monkeypatch.setenv("DATABASE_URL", elsewhere)
    status, out, err = run("--migrations", str(migrations), "fixtures", "load", "--to", "1")
    assert status == 0, out + err
    assert calls == ["start"]
    assert Migrator(dev, migrations).status().catalog_level == 1
    assert scalar(elsewhere, "SELECT to_regnamespace('shop') IS NULL AND to_regnamespace('pggit_meta_migrations')"
                             " IS NULL")
    # --recreate is the development database's only; with --dsn it is a usage error
    status, out, err = run("--migrations", str(migrations), "fixtures", "load", "--recreate", "--to", "1")
    assert calls == ["start", "fresh"]
    status, out, err = run("--dsn", dev, "--migrations", str(migrations), "fixtures", "load", "--recreate")
    assert status == 2 and "--recreate drops the development database; it never applies to --dsn" in out + err
    status, out, err = run("--migrations", str(migrations), "fixtures", "check", "--to", "2")
    assert status == 2 and "--to and --recreate go with 'fixtures load' only" in out + err
