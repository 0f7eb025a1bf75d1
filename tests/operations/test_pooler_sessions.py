"""Through a real PgBouncer in transaction mode, no client's branch or pause reaches another (issue 17).

The pooler here has one server connection per database, so every client's transactions
run on the same server session in turn: exactly what makes session settings cross from
one client to the next. The database says it sits behind a transaction pooler
(``ALTER DATABASE ... SET pggit.pool_mode = transaction``, as docs/POOLING.md tells users);
a control database without it shows the crossing the setting prevents, so these tests
fail where pggit reads session state.

tests/tracking/test_pooled_sessions.py holds the same rules on one direct connection,
with generated interleavings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pggit_sql.testing.pooler import Pooler
from pggit_sql.testing.together import run_together

pytestmark = [pytest.mark.pggit_level(min=10), pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def shared_session_pooler(pggit_pooler_factory: Callable[..., Pooler]) -> Pooler:
    """PgBouncer, pool_mode = transaction, one server connection per database."""
    return pggit_pooler_factory(pool_size=1)


def _prepare(conninfo: str, pooled: bool) -> str:
    """Branches feat and other; the database marked as behind a transaction pooler when ``pooled``."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pggit.commit_changes('main', 'init')")
        conn.execute("SELECT pggit.create_branch('feat')")
        conn.execute("SELECT pggit.create_branch('other')")
        name = str(conninfo_to_dict(conninfo)["dbname"])
        if pooled:
            conn.execute(sql.SQL("ALTER DATABASE {} SET pggit.pool_mode = transaction").format(sql.Identifier(name)))
    return name


@pytest.fixture
def clients(request: pytest.FixtureRequest, shared_session_pooler: Pooler, pggit_dsn: str
            ) -> Iterator[Callable[[int], list[psycopg.Connection]]]:
    """``open(n)``: n autocommit clients of the (pooled) test database, through the pooler."""
    name = _prepare(pggit_dsn, pooled=getattr(request, "param", True))
    opened: list[psycopg.Connection] = []

    def open_clients(count: int) -> list[psycopg.Connection]:
        new = [psycopg.connect(shared_session_pooler.dsn(name), autocommit=True, prepare_threshold=None)
               for _ in range(count)]
        opened.extend(new)
        return new

    yield open_clients
    for conn in opened:
        conn.close()
    shared_session_pooler.admin(f"KILL {name}")  # the database is dropped next
    shared_session_pooler.admin(f"RESUME {name}")


def branch_of(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    return conn.execute("SELECT change, branch FROM pggit.history WHERE object_identity = %s ORDER BY id",
                        (f"public.{table}",)).fetchall()


def backend(conn: psycopg.Connection) -> int:
    return int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])


@pytest.mark.parametrize("clients", [True, False], ids=["pool_mode=transaction", "control:no-pool_mode"],
                         indirect=True)
def test_a_checkout_never_reaches_the_next_client(request: pytest.FixtureRequest,
                                                  clients: Callable[[int], list[psycopg.Connection]]) -> None:
    a, b = clients(2)
    assert backend(a) == backend(b)  # one server session serves both clients
    with a.transaction():
        a.execute("SELECT pggit.checkout('feat')")
        a.execute("CREATE TABLE a1 (id int)")
    a.execute("SELECT pggit.checkout('other')")  # on its own: a WARNING behind the pooler
    for name in ("b1", "b2", "b3", "b4"):
        b.execute(f"CREATE TABLE {name} (id int)")
    assert branch_of(b, "a1") == [("create", "feat")]
    recorded = {branch_of(b, name)[0][1] for name in ("b1", "b2", "b3", "b4")}
    if "control" in request.node.callspec.id:
        assert recorded == {"other"}  # the crossing pggit.pool_mode prevents
    else:
        assert recorded == {"main"}


def test_a_pause_never_reaches_the_next_client(clients: Callable[[int], list[psycopg.Connection]]) -> None:
    a, b = clients(2)
    with a.transaction():
        a.execute("SELECT pggit.pause_tracking('maintenance')")
        a.execute("CREATE TABLE a2 (id int)")
    a.execute("SELECT pggit.pause_tracking('again')")
    a.execute("SET pggit.tracking = off")  # a plain SET, left on the server session
    for name in ("b5", "b6", "b7", "b8"):
        b.execute(f"CREATE TABLE {name} (id int)")
    assert branch_of(b, "a2") == [("untracked", "main")]
    assert [branch_of(b, name) for name in ("b5", "b6", "b7", "b8")] == [[("create", "main")]] * 4
    assert b.execute("SELECT pggit.tracking_paused()").fetchone() == (False,)


def test_a_set_branch_left_by_one_client_is_not_read_for_another(
        clients: Callable[[int], list[psycopg.Connection]]) -> None:
    a, b = clients(2)
    a.execute("SET pggit.branch = 'feat'")
    b.execute("CREATE TABLE b9 (id int)")
    assert branch_of(b, "b9") == [("create", "main")]
    assert b.execute("SELECT pggit.current_branch()").fetchone() == ("main",)


def test_interleaved_clients_each_record_on_their_own_branch(
        clients: Callable[[int], list[psycopg.Connection]]) -> None:
    """Three clients at once, one server session: every table on the branch its client chose."""
    chosen = {0: "feat", 1: "other", 2: None}
    conns = clients(3)
    rounds = 6

    def work(index: int) -> None:
        conn = conns[index]
        for step in range(rounds):
            with conn.transaction():
                if chosen[index] is not None:
                    conn.execute("SELECT pggit.checkout(%s)", (chosen[index],))
                conn.execute(f"CREATE TABLE t{index}_{step} (id int)")
            conn.execute(f"CREATE TABLE u{index}_{step} (id int)")  # outside: never on a branch

    run_together([lambda i=i: work(i) for i in range(3)], name="client")
    rows = conns[0].execute(
        "SELECT object_identity, branch FROM pggit.history WHERE change = 'create'"
        " AND object_identity ~ '^public\\.[tu][0-9]_[0-9]+$'").fetchall()
    expected = {f"public.t{i}_{s}": chosen[i] or "main" for i in range(3) for s in range(rounds)}
    expected |= {f"public.u{i}_{s}": "main" for i in range(3) for s in range(rounds)}
    assert len(rows) == len(expected)  # one row each, none lost
    assert dict(rows) == expected
