"""SIGKILL the server while 20 clients commit, create branches and write to data branches.

After crash recovery:
- every commit and branch a client saw succeed is present;
- no commit is partial and every branch is one linear chain ending at its head
  (:func:`pggit_sql.testing.invariants.problems`);
- data branches read consistently: each view shows every row of the table, each
  client's counter row on its data branch holds the last value it saw committed (or
  one more, for the write in flight at the kill), main never shows branch writes, and
  diff_data_branch agrees with the view.

Also: a client killed in mid-transaction (SIGKILL of the client process, and of its
server backend, which makes the postmaster reinitialise) leaves nothing recorded.

Load: 20 clients, the kill after 150 acknowledged operations (times
``$PGGIT_RELIABILITY_SCALE``); ``-k crash`` with a scale of 10 is the heavier run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
import pytest
from relhelp import scale

from pggit_sql.testing import invariants
from pggit_sql.testing.server import PggitServer

pytestmark = [pytest.mark.pggit_level(min=3), pytest.mark.timeout(600)]

CLIENTS = 20
DATA_BRANCHES = 4
ROWS = 40  # rows 1..CLIENTS are the clients' counters on their data branch


@dataclass
class Seen:
    """What one client saw succeed (acknowledged by the server)."""

    commits: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    counter: int = 0  # last acknowledged value of its row on its data branch
    in_flight: bool = False  # a counter write was sent and not acknowledged
    ops: int = 0


def client(dsn: str, index: int, seen: Seen, stop: threading.Event, acked: Callable[[], None]) -> None:
    rng = random.Random(index)
    view = f"crash_t__d{index % DATA_BRANCHES}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.is_set():
                kind = rng.choice(["commit", "commit_main", "branch", "write", "write"])
                if kind == "commit":
                    row = conn.execute("SELECT pggit.commit_changes(%s, %s)",
                                       (f"c{index}", f"client {index}")).fetchone()
                    seen.commits.append(row[0])  # type: ignore[index]
                elif kind == "commit_main":
                    row = conn.execute("SELECT pggit.commit_changes('main', %s)", (f"client {index}",)).fetchone()
                    seen.commits.append(row[0])  # type: ignore[index]
                elif kind == "branch":
                    name = f"k{index}-{seen.ops}"
                    conn.execute("SELECT pggit.create_branch(%s)", (name,))
                    seen.branches.append(name)
                else:
                    seen.in_flight = True
                    conn.execute(f'UPDATE "{view}" SET v = v + 1 WHERE id = %s', (index + 1,))
                    seen.counter += 1
                    seen.in_flight = False
                seen.ops += 1
                acked()
    except psycopg.OperationalError:
        return  # the server went away: expected


def test_sigkill_during_load_loses_no_acknowledged_work(
    pggit_server: PggitServer, pggit_new_database: Callable[[int], str], pggit_level: int
) -> None:
    dsn = pggit_new_database(pggit_level)
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE crash_t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
        setup.execute(f"INSERT INTO crash_t (id) SELECT generate_series(1, {ROWS})")
        for d in range(DATA_BRANCHES):
            setup.execute("SELECT pggit.create_data_branch('crash_t', 'main', %s)", (f"d{d}",))
    seen = [Seen() for _ in range(CLIENTS)]
    stop = threading.Event()
    lock = threading.Lock()
    total = [0]
    target = 150 * scale()
    reached = threading.Event()

    def acked() -> None:
        with lock:
            total[0] += 1
            if total[0] >= target:
                reached.set()

    threads = [threading.Thread(target=client, args=(dsn, i, seen[i], stop, acked)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    assert reached.wait(timeout=300), f"only {total[0]} operations acknowledged"
    pggit_server.kill()  # mid-load: clients are inside their calls
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    pggit_server.restart()

    with psycopg.connect(dsn, autocommit=True) as conn:
        commits = [c for s in seen for c in s.commits]
        branches = [b for s in seen for b in s.branches]
        assert commits and branches
        assert conn.execute("SELECT count(*) FROM pggit.commits WHERE hash = ANY(%s)",
                            (commits,)).fetchone() == (len(commits),)
        assert conn.execute("SELECT count(*) FROM pggit.branches WHERE name = ANY(%s)",
                            (branches,)).fetchone() == (len(branches),)
        assert invariants.problems(conn) == []
        assert conn.execute("SELECT count(*), sum(v) FROM crash_t").fetchone() == (ROWS, 0)
        for d in range(DATA_BRANCHES):
            view = f"crash_t__d{d}"
            assert conn.execute(f'SELECT count(*) FROM "{view}"').fetchone() == (ROWS,)
            values = dict(conn.execute(f'SELECT id, v FROM "{view}"').fetchall())
            for index in range(d, CLIENTS, DATA_BRANCHES):
                s = seen[index]
                assert s.counter <= values[index + 1] <= s.counter + int(s.in_flight), (index, s, values[index + 1])
            changed = {i for i, v in values.items() if v != 0}
            diff = conn.execute("SELECT key, change FROM pggit.diff_data_branch('crash_t', %s)", (f"d{d}",)).fetchall()
            assert {key["id"] for key, _ in diff} == changed
            assert {change for _, change in diff} <= {"update"}
    print(f"crash: {total[0]} operations acknowledged before the kill; {len(commits)} commits, "
          f"{len(branches)} branches checked")


# --------------------------------------------------------------------------- a client killed mid-transaction

CLIENT_SCRIPT = """
import sys, time, psycopg
conn = psycopg.connect(sys.argv[1])
conn.execute("SELECT pggit.commit_changes('main', 'never')")
conn.execute("SELECT pggit.commit_changes('half', 'never either')")
conn.execute("SELECT pggit.create_branch('never-branch')")
conn.execute("SELECT pggit.create_data_branch('mid_t', 'main', 'never-data')")
conn.execute('UPDATE "mid_t__never-data" SET v = 99')
conn.execute("UPDATE mid_t SET v = 7")
print(conn.execute("SELECT pg_backend_pid()").fetchone()[0], flush=True)
time.sleep(600)
"""


def _nothing_recorded(conn: psycopg.Connection, before: tuple[object, ...]) -> None:
    assert _state(conn) == before
    assert conn.execute("SELECT count(*) FROM pggit.commits WHERE message LIKE 'never%'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM pggit.branches WHERE name IN ('half', 'never-branch', 'never-data')"
                        ).fetchone() == (0,)
    assert conn.execute("SELECT to_regclass('\"mid_t__never-data\"')").fetchone() == (None,)
    assert conn.execute("SELECT sum(v) FROM mid_t").fetchone() == (0,)
    assert invariants.problems(conn) == []


def _state(conn: psycopg.Connection) -> tuple[object, ...]:
    row = conn.execute("""SELECT (SELECT count(*) FROM pggit.commits), (SELECT count(*) FROM pggit.branches),
                                 (SELECT count(*) FROM pggit.data_branches), (SELECT count(*) FROM pggit.history),
                                 (SELECT count(*) FROM pg_class WHERE relnamespace = 'pggit_data'::regnamespace),
                                 (SELECT head_commit_hash FROM pggit.branches WHERE name = 'main')""").fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize("victim", ["client process", "server backend"])
def test_client_killed_mid_transaction_records_nothing(
    pggit_server: PggitServer, pggit_new_database: Callable[[int], str], pggit_level: int, victim: str
) -> None:
    dsn = pggit_new_database(pggit_level)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE mid_t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
        conn.execute("INSERT INTO mid_t (id) SELECT generate_series(1, 10)")
        conn.execute("SELECT pggit.commit_changes('main', 'base')")
        before = _state(conn)
    proc = subprocess.Popen([sys.executable, "-c", CLIENT_SCRIPT, dsn], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        backend = int(proc.stdout.readline())
        if victim == "client process":
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        else:
            os.kill(backend, signal.SIGKILL)  # the postmaster reinitialises: every session ends
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 60
    while True:  # until the backend is gone (client kill) or the server accepts connections again
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                gone = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()
                if gone == (0,):
                    _nothing_recorded(conn, before)
                    return
        except psycopg.OperationalError:
            pass
        assert time.monotonic() < deadline, "the server did not come back"
        time.sleep(0.1)
