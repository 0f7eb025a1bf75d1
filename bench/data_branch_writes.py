"""What a data branch costs the writes of its table (level 3), against the same writes without it.

- pgbench-style TPC-B transactions on main (UPDATE accounts, SELECT its balance, UPDATE
  tellers and branches, INSERT history, in one transaction; several clients) on a table with
  one data branch vs the same tables with none, in the same database and the same run
  (target: TPS with a branch >= 0.85x of none); and the tables without a branch against the
  same tables in a database without pggit (plain PostgreSQL);
- the same transactions writing the accounts through the branch's view vs the table;
- an UPDATE of 20,000 rows in a session whose first statement updated one row, on a
  table with one data branch vs without (the capture's plans are cached per session);
- ``merge_data_branch`` of 10,000 rows changed on the branch vs the same UPDATE applied to a
  copy of the table (target <= 3x), and the storage the branch held per changed row.

The transactions run in Debian's ``pgbench`` (``$(pg_config --bindir)/pgbench``, a custom
script, ``-n``, prepared statements) next to the server binaries; where there is none (a
server wheel), in psycopg threads, one connection each. Every round runs each variant once,
in rotated order, and each round starts from the same state: the branch re-created (no row
copied yet), the history tables emptied.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import threading
import time
from pathlib import Path

import psycopg

from bench.harness import Result, connect
from pggit_sql import pgserver
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

ROUNDS = 5
SECONDS = 4
CLIENTS = 4
ACCOUNTS = 100_000   # pgbench's scale 1: 1 branch, 10 tellers, 100,000 accounts
TELLERS = 10
MERGE_ROWS = 10_000
MERGE_TABLE_ROWS = 100_000
MERGE_RUNS = 3
BULK_ROWS = 20_000
BULK_RUNS = 3

BRANCH = "bench/tpcb"
VIEW_BRANCH = "bench/tpcb-view"

_TPCB = """\\set aid random(1, {accounts})
\\set bid random(1, 1)
\\set tid random(1, {tellers})
\\set delta random(-5000, 5000)
BEGIN;
UPDATE {acc} SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM {acc} WHERE aid = :aid;
UPDATE {p}_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE {p}_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO {p}_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
"""


def _fresh_db(admin: str, name: str) -> None:
    with connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _make_tpcb_tables(conn: psycopg.Connection, prefix: str) -> None:
    """pgbench's four tables (its -i layout, fillfactor 100, primary keys) named <prefix>_*."""
    conn.execute(f"CREATE TABLE {prefix}_branches (bid int PRIMARY KEY, bbalance int, filler char(88))")
    conn.execute(f"CREATE TABLE {prefix}_tellers (tid int PRIMARY KEY, bid int, tbalance int, filler char(84))")
    conn.execute(f"CREATE TABLE {prefix}_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
    conn.execute(f"CREATE TABLE {prefix}_history (tid int, bid int, aid int, delta int, mtime timestamp,"
                 " filler char(22))")
    conn.execute(f"INSERT INTO {prefix}_branches VALUES (1, 0, '')")
    conn.execute(f"INSERT INTO {prefix}_tellers SELECT g, 1, 0, '' FROM generate_series(1, {TELLERS}) g")
    conn.execute(f"INSERT INTO {prefix}_accounts SELECT g, 1, 0, '' FROM generate_series(1, {ACCOUNTS}) g")
    conn.execute(f"VACUUM ANALYZE {prefix}_branches, {prefix}_tellers, {prefix}_accounts, {prefix}_history")


def _pgbench() -> Path | None:
    try:
        found = pgserver.bindir() / "pgbench"
    except Exception:  # noqa: BLE001 - no server binaries folder: the threads do it
        return None
    return found if found.is_file() else None


def _tps_pgbench(server: PggitServer, dbname: str, script: Path, pgbench: Path) -> float:
    out = subprocess.run(
        [str(pgbench), "-n", "-M", "prepared", "-c", str(CLIENTS), "-j", str(min(CLIENTS, 2)), "-T", str(SECONDS),
         "-f", str(script), "-h", server.host, "-p", str(server.port), "-U", server.user, dbname],
        capture_output=True, text=True, check=True, timeout=SECONDS * 10 + 60)
    found = re.search(r"tps = ([0-9.]+)", out.stdout)
    if not found:
        raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}\n{out.stderr}")
    return float(found.group(1))


def _tps_threads(server: PggitServer, dbname: str, accounts: str, prefix: str) -> float:
    """The same transaction from CLIENTS psycopg connections for SECONDS; committed transactions per second."""
    import random

    counts = [0] * CLIENTS
    deadline = time.perf_counter() + SECONDS

    def client(slot: int) -> None:
        rng = random.Random(slot)
        with psycopg.connect(server.conninfo(dbname), autocommit=True) as conn, conn.cursor() as cur:
            while time.perf_counter() < deadline:
                aid, tid, delta = rng.randint(1, ACCOUNTS), rng.randint(1, TELLERS), rng.randint(-5000, 5000)
                with conn.transaction():
                    cur.execute(f"UPDATE {accounts} SET abalance = abalance + %s WHERE aid = %s", (delta, aid),
                                prepare=True)
                    cur.execute(f"SELECT abalance FROM {accounts} WHERE aid = %s", (aid,), prepare=True)
                    cur.execute(f"UPDATE {prefix}_tellers SET tbalance = tbalance + %s WHERE tid = %s",
                                (delta, tid), prepare=True)
                    cur.execute(f"UPDATE {prefix}_branches SET bbalance = bbalance + %s WHERE bid = 1", (delta,),
                                prepare=True)
                    cur.execute(f"INSERT INTO {prefix}_history (tid, bid, aid, delta, mtime)"
                                " VALUES (%s, 1, %s, %s, CURRENT_TIMESTAMP)", (tid, aid, delta), prepare=True)
                counts[slot] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


class _Variant:
    """One kind of TPC-B run: a database, the accounts relation its script writes, the table prefix."""

    def __init__(self, label: str, dbname: str, accounts: str, prefix: str) -> None:
        self.label, self.dbname, self.accounts, self.prefix = label, dbname, accounts, prefix
        self.samples: list[float] = []

    def run(self, server: PggitServer, folder: Path, pgbench: Path | None) -> None:
        if pgbench is None:
            self.samples.append(_tps_threads(server, self.dbname, self.accounts, self.prefix))
            return
        script = folder / f"{self.label}.sql"
        if not script.exists():
            script.write_text(_TPCB.format(accounts=ACCOUNTS, tellers=TELLERS, acc=self.accounts, p=self.prefix))
        self.samples.append(_tps_pgbench(server, self.dbname, script, pgbench))

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def _reset_branch(conn: psycopg.Connection, table: str, branch: str) -> str:
    """Drop and re-create the data branch ``branch`` of ``table`` (nothing copied yet); its view, quoted."""
    if conn.execute("SELECT 1 FROM pggit.data_branches AS d JOIN pggit.branches AS b ON b.id = d.branch_id"
                    " WHERE b.name = %s AND d.relid = %s::regclass", (branch, table)).fetchone():
        conn.execute("SELECT pggit.drop_data_branch(%s, %s)", (table, branch))
    (view,) = conn.execute("SELECT pggit.create_data_branch(%s, 'main', %s)", (table, branch)).fetchone()
    return '"' + view.replace('"', '""') + '"'


def tpcb_writes(server: PggitServer) -> list[Result]:
    admin = server.conninfo("postgres")
    _fresh_db(admin, "bench_tpcb_plain")
    with connect(server.conninfo("bench_tpcb_plain")) as plain, connect(server.conninfo("bench_dbw")) as conn:
        _make_tpcb_tables(plain, "pl")
        for prefix in ("nb", "br", "vw"):
            _make_tpcb_tables(conn, prefix)
        # writes through a branch's view go to vw_accounts' branch, main's to br_accounts'
        vw_view = _reset_branch(conn, "vw_accounts", VIEW_BRANCH)
        variants = [
            _Variant("plain", "bench_tpcb_plain", "pl_accounts", "pl"),
            _Variant("none", "bench_dbw", "nb_accounts", "nb"),
            _Variant("branch", "bench_dbw", "br_accounts", "br"),
            _Variant("view", "bench_dbw", vw_view, "vw"),
        ]
        pgbench = _pgbench()
        folder = Path(server.root) / "tpcb"
        folder.mkdir(exist_ok=True)
        for round_ in range(ROUNDS):
            _reset_branch(conn, "br_accounts", BRANCH)
            if _reset_branch(conn, "vw_accounts", VIEW_BRANCH) != vw_view:
                raise RuntimeError("the branch view changed its name")
            conn.execute("TRUNCATE nb_history, br_history, vw_history")
            plain.execute("TRUNCATE pl_history")
            conn.execute("VACUUM ANALYZE nb_accounts, br_accounts, vw_accounts")
            plain.execute("VACUUM ANALYZE pl_accounts")
            conn.execute("CHECKPOINT")
            for variant in variants[round_ % len(variants):] + variants[:round_ % len(variants)]:
                variant.run(server, folder, pgbench)
    by = {v.label: v for v in variants}
    how = "pgbench" if pgbench else "psycopg threads"
    what = f"TPC-B writes, {CLIENTS} clients, {how}"
    with_branch = by["branch"].median / by["none"].median
    return [
        Result(f"{what}: main, one data branch vs none", "tps", by["branch"].median, by["none"].median,
               "no branch, same db", ">= 0.85x", with_branch >= 0.85, by["branch"].samples),
        Result(f"{what}: no branch vs plain PostgreSQL", "tps", by["none"].median, by["plain"].median,
               "db without pggit", "- (report)", None, by["none"].samples),
        Result(f"{what}: accounts through the branch view vs the table", "tps", by["view"].median,
               by["none"].median, "the table, no branch", "- (report)", None, by["view"].samples),
    ]


def bulk_after_one_row(server: PggitServer) -> Result:
    """A 20,000-row UPDATE in a session whose first statement updated one row, branched table vs not.

    The capture's plans are cached per session: whatever the first statement made them
    for must serve a large one too (level 8 looped over one transition table per row of
    the other there).
    """
    with connect(server.conninfo("bench_dbw")) as conn:
        for table in ("bulk_nb", "bulk_br"):
            conn.execute(f"CREATE TABLE {table} (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
            conn.execute(f"INSERT INTO {table} SELECT g, 1, 0, '' FROM generate_series(1, {ACCOUNTS}) g")
            conn.execute(f"VACUUM ANALYZE {table}")
        ours: list[float] = []
        plain: list[float] = []
        for _ in range(BULK_RUNS):
            _reset_branch(conn, "bulk_br", "bench/bulk")
            for table, samples in (("bulk_br", ours), ("bulk_nb", plain)):
                with connect(server.conninfo("bench_dbw")) as session:
                    session.execute(f"UPDATE {table} SET abalance = abalance + 1 WHERE aid = 1")
                    samples.append(_timed(session, f"UPDATE {table} SET abalance = abalance + 1"
                                                   f" WHERE aid <= {BULK_ROWS}"))
    mine, base = statistics.median(ours), statistics.median(plain)
    return Result(f"UPDATE of {BULK_ROWS:,} rows after a one-row UPDATE in the session, one branch vs none", "ms",
                  mine, base, "no branch", "<= 3x", mine <= 3 * base, ours)


def _timed(conn: psycopg.Connection, sql: str) -> float:
    start = time.perf_counter()
    conn.execute(sql)
    return (time.perf_counter() - start) * 1e3


def merge_costs(conn: psycopg.Connection) -> list[Result]:
    """merge_data_branch of MERGE_ROWS rows changed on the branch vs the same UPDATE on a copy of the table."""
    samples: list[float] = []
    per_row: list[float] = []
    plain: list[float] = []
    for run in range(MERGE_RUNS):
        table = f"bench_m_{run}"
        conn.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2),"
                     " created timestamptz DEFAULT now(), flag boolean)")
        conn.execute(f"INSERT INTO {table} (id, name, amount, flag) SELECT g, 'row ' || g, g % 1000, g % 2 = 0"
                     f" FROM generate_series(1, {MERGE_TABLE_ROWS}) g")
        conn.execute(f"VACUUM ANALYZE {table}")
        (view,) = conn.execute(f"SELECT pggit.create_data_branch('{table}', 'main', 'bench/merge-{run}')").fetchone()
        (branch_id,) = conn.execute("SELECT max(id) FROM pggit.data_branches").fetchone()
        every = MERGE_TABLE_ROWS // MERGE_ROWS
        conn.execute(f'UPDATE "{view}" SET amount = amount + 1 WHERE id % {every} = 0')
        size = conn.execute(f"SELECT pg_total_relation_size('pggit_data.d{branch_id}')"
                            f" + pg_total_relation_size('pggit_data.b{branch_id}')").fetchone()[0]
        per_row.append(size / MERGE_ROWS)
        # plain PostgreSQL: the same UPDATE applied to a copy of the table (as it was before the merge)
        conn.execute(f"CREATE TABLE {table}_copy AS SELECT * FROM {table}")
        conn.execute(f"ALTER TABLE {table}_copy ADD PRIMARY KEY (id)")
        conn.execute(f"VACUUM ANALYZE {table}_copy")
        samples.append(_timed(conn, f"SELECT * FROM pggit.merge_data_branch('{table}', 'bench/merge-{run}')"))
        plain.append(_timed(conn, f"UPDATE {table}_copy SET amount = amount + 1 WHERE id % {every} = 0"))
    ours, base = statistics.median(samples), statistics.median(plain)
    return [
        Result(f"merge_data_branch, {MERGE_ROWS:,} changed rows", "ms", ours, base, "the same UPDATE on a table",
               "<= 3x", ours <= 3 * base, samples),
        Result("storage of a branch per changed row (delta + base, with indexes)", "bytes",
               statistics.median(per_row), None, "-", "- (report)", None, per_row),
    ]


def run(server: PggitServer) -> list[Result]:
    _fresh_db(server.conninfo("postgres"), "bench_dbw")
    Migrator(server.conninfo("bench_dbw")).migrate()
    results = tpcb_writes(server)
    results.append(bulk_after_one_row(server))
    with connect(server.conninfo("bench_dbw")) as conn:
        results.extend(merge_costs(conn))
    return results

