"""pggit.commit_changes: messages stored exactly, explicit Trinity IDs, NULLs, transactions, privileges."""

from __future__ import annotations

import hashlib
from datetime import datetime

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=1)

# Examples share the test's database; each one runs in a transaction that is rolled back.
reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def counts(conn: psycopg.Connection) -> tuple[int, int, str | None]:
    """(commits, branches, main's head)."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM pggit.commits), (SELECT count(*) FROM pggit.branches),"
        " (SELECT head_commit_hash FROM pggit.branches WHERE name = 'main')"
    ).fetchone()


def stored_message(conn: psycopg.Connection, tid: str) -> str:
    (message,) = conn.execute("SELECT message FROM pggit.commits WHERE hash = %s", (tid,)).fetchone()
    return message


@st.composite
def trinity_ids(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)))
    seq = "".join(draw(st.lists(st.sampled_from(DIGITS36), min_size=6, max_size=6)))
    rnd = "".join(draw(st.lists(st.sampled_from("0123456789abcdef"), min_size=8, max_size=8)))
    return f"{moment:%Y%m%d%H%M%S%f}".rjust(20, "0") + f"-{seq}-{rnd}"


@reuse_db
@given(message=st.text().filter(lambda m: "\x00" not in m))
@example(message="")
@example(message="  leading and trailing spaces  \n")
@example(message="line 1\r\nline 2\ttab \\ backslash 'quote' \"dq\" $$dollar$$ %s %(x)s")
@example(message="ñandú 日本語 😀 \u200b zero width \U0010ffff")
def test_message_round_trips(pggit_conn: psycopg.Connection, message: str) -> None:
    with pggit_conn.transaction(force_rollback=True):
        (tid,) = pggit_conn.execute("SELECT pggit.commit_changes('main', %s)", (message,)).fetchone()
        assert stored_message(pggit_conn, tid) == message


def test_default_message_is_empty(pggit_conn: psycopg.Connection) -> None:
    (tid,) = pggit_conn.execute("SELECT pggit.commit_changes('main')").fetchone()
    assert stored_message(pggit_conn, tid) == ""


def test_one_megabyte_message(pggit_conn: psycopg.Connection) -> None:
    unit = "ASCII line\nñandú € 😀 日本\t"
    message = (unit * (2**20 // len(unit.encode()) + 1)).encode()[: 2**20].decode("utf-8", "ignore")
    assert len(message.encode()) > 2**20 - 4
    (tid,) = pggit_conn.execute("SELECT pggit.commit_changes('main', %s)", (message,)).fetchone()
    length, digest = pggit_conn.execute(
        "SELECT octet_length(message), encode(sha256(convert_to(message, 'UTF8')), 'hex')"
        " FROM pggit.commits WHERE hash = %s",
        (tid,),
    ).fetchone()
    assert length == len(message.encode())
    assert digest == hashlib.sha256(message.encode()).hexdigest()
    assert stored_message(pggit_conn, tid) == message


def test_nul_byte_is_refused_by_the_driver(pggit_conn: psycopg.Connection) -> None:
    before = counts(pggit_conn)
    with pytest.raises(psycopg.DataError, match="NUL"):
        pggit_conn.execute("SELECT pggit.commit_changes('main', %s)", ("before\x00after",))
    assert counts(pggit_conn) == before


def test_rolled_back_transaction_leaves_nothing(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'kept')")
    before = counts(pggit_conn)
    made = []
    with pggit_conn.transaction(force_rollback=True):
        for branch in ("main", "main", "brand/new", "brand/new"):
            (tid,) = pggit_conn.execute("SELECT pggit.commit_changes(%s, 'discarded')", (branch,)).fetchone()
            made.append(tid)
        assert counts(pggit_conn)[0] == before[0] + 4
    assert counts(pggit_conn) == before
    assert pggit_conn.execute(
        "SELECT count(*) FROM pggit.commits WHERE hash = ANY(%s)", (made,)
    ).fetchone() == (0,)
    assert pggit_conn.execute("SELECT count(*) FROM pggit.branches WHERE name = 'brand/new'").fetchone() == (0,)


def test_error_later_in_the_transaction_undoes_the_commit(pggit_conn: psycopg.Connection) -> None:
    before = counts(pggit_conn)
    with pytest.raises(psycopg.errors.DivisionByZero), pggit_conn.transaction():
        pggit_conn.execute("SELECT pggit.commit_changes('main', 'doomed')")
        pggit_conn.execute("SELECT 1 / 0")
    assert counts(pggit_conn) == before


@reuse_db
@given(tid=trinity_ids())
@example(tid="20240229235959999999-000000-00000000")
@example(tid="00010101000000000000-zzzzzz-ffffffff")
@example(tid="99991231235959999999-000000-00000000")
def test_explicit_trinity_id_is_used_as_is(pggit_conn: psycopg.Connection, tid: str) -> None:
    with pggit_conn.transaction(force_rollback=True):
        (returned,) = pggit_conn.execute("SELECT pggit.commit_changes('main', 'm', %s)", (tid,)).fetchone()
        assert returned == tid
        assert pggit_conn.execute(
            "SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'"
        ).fetchone() == (tid,)
        assert stored_message(pggit_conn, tid) == "m"


def test_named_arguments(pggit_conn: psycopg.Connection) -> None:
    tid = "20200101000000000000-abc123-deadbeef"
    (returned,) = pggit_conn.execute(
        "SELECT pggit.commit_changes(trinity_id => %s, message => 'named', branch => 'main')", (tid,)
    ).fetchone()
    assert returned == tid


@pytest.mark.parametrize("generated", [False, True])
def test_duplicate_trinity_id(pggit_conn: psycopg.Connection, generated: bool) -> None:
    if generated:
        (tid,) = pggit_conn.execute("SELECT pggit.commit_changes('main', 'first')").fetchone()
    else:
        tid = "20200101000000000000-abc123-deadbeef"
        pggit_conn.execute("SELECT pggit.commit_changes('main', 'first', %s)", (tid,))
    before = counts(pggit_conn)
    for branch in ("main", "other"):
        with pytest.raises(psycopg.errors.UniqueViolation) as info:
            pggit_conn.execute("SELECT pggit.commit_changes(%s, 'again', %s)", (branch, tid))
        assert info.value.sqlstate == "23505"
        assert info.value.diag.message_primary == f'commit "{tid}" already exists'
        assert info.value.diag.constraint_name == "commits_pkey"
    assert counts(pggit_conn) == before
    assert stored_message(pggit_conn, tid) == "first"


MALFORMED = [
    "",
    "x",
    "20200101000000000000-abc123-deadbee",  # 35 characters
    "20200101000000000000-abc123-deadbeef0",  # 37
    "20200101000000000000-ABC123-deadbeef",  # upper case base 36
    "20200101000000000000-abc123-DEADBEEF",  # upper case hex
    "20200101000000000000-abc123-deadbeeg",  # not hex
    "20200101000000000000_abc123-deadbeef",
    "2020010100000000000-0abc123-deadbeef",
    "20200101000000000000-abc123-deadbeef\n",
    " 20200101000000000000-abc123-deadbee",
    "20201301000000000000-abc123-deadbeef",  # month 13
    "20200001000000000000-abc123-deadbeef",  # month 0
    "20200100000000000000-abc123-deadbeef",  # day 0
    "20230229000000000000-abc123-deadbeef",  # not a leap year
    "20200431000000000000-abc123-deadbeef",  # April 31
    "20200101240000000000-abc123-deadbeef",  # 24:00
    "20200101006000000000-abc123-deadbeef",  # minute 60
    "20200101000060000000-abc123-deadbeef",  # second 60
    "00000101000000000000-abc123-deadbeef",  # year 0
    "２0200101000000000000-abc123-deadbeef",  # a full-width digit
]


def assert_malformed_refused(conn: psycopg.Connection, tid: str) -> None:
    before = counts(conn)
    with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
        conn.execute("SELECT pggit.commit_changes('main', 'm', %s)", (tid,))
    assert info.value.sqlstate == "22023"
    assert f'"{tid}"' in info.value.diag.message_primary
    assert counts(conn) == before


@pytest.mark.parametrize("tid", MALFORMED)
def test_malformed_trinity_id(pggit_conn: psycopg.Connection, tid: str) -> None:
    assert_malformed_refused(pggit_conn, tid)


@reuse_db
@given(tid=st.text(max_size=40).filter(lambda t: "\x00" not in t))
def test_arbitrary_text_is_not_a_trinity_id(pggit_conn: psycopg.Connection, tid: str) -> None:
    assert_malformed_refused(pggit_conn, tid)


def test_null_branch(pggit_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.NullValueNotAllowed) as info:
        pggit_conn.execute("SELECT pggit.commit_changes(NULL, 'm')")
    assert info.value.sqlstate == "22004"


def test_null_message(pggit_conn: psycopg.Connection) -> None:
    before = counts(pggit_conn)
    with pytest.raises(psycopg.errors.NullValueNotAllowed) as info:
        pggit_conn.execute("SELECT pggit.commit_changes('main', NULL)")
    assert info.value.sqlstate == "22004"
    assert counts(pggit_conn) == before


def test_author_and_time(pggit_conn: psycopg.Connection) -> None:
    before, tid, after = pggit_conn.execute(
        "SELECT clock_timestamp(), pggit.commit_changes('main', 'm'), clock_timestamp()"
    ).fetchone()
    author, at = pggit_conn.execute(
        "SELECT author, committed_at FROM pggit.commits WHERE hash = %s", (tid,)
    ).fetchone()
    assert author == pggit_conn.execute("SELECT session_user").fetchone()[0]
    assert before <= at <= after


def test_ordinary_role_commits_through_the_api_only(pggit_conn: psycopg.Connection) -> None:
    with pggit_conn.transaction(force_rollback=True):
        pggit_conn.execute("CREATE ROLE pggit_test_writer NOLOGIN")
        pggit_conn.execute("SET LOCAL ROLE pggit_test_writer")
        (tid,) = pggit_conn.execute("SELECT pggit.commit_changes('role/branch', 'by a role')").fetchone()
        assert stored_message(pggit_conn, tid) == "by a role"  # SELECT is granted
        statements = [
            "INSERT INTO pggit.commits (hash, branch_id, message)"
            " VALUES ('20200101000000000000-000000-00000000', 1, 'x')",
            "UPDATE pggit.commits SET message = 'rewritten'",
            "DELETE FROM pggit.commits",
            "UPDATE pggit.branches SET head_commit_hash = NULL",
            "INSERT INTO pggit.branches (name) VALUES ('sneaky')",
            "TRUNCATE pggit.commits",
        ]
        for statement in statements:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
                pggit_conn.execute(statement)
        # the author is the session user, not the function's owner
        assert pggit_conn.execute(
            "SELECT author = session_user FROM pggit.commits WHERE hash = %s", (tid,)
        ).fetchone() == (True,)


def test_a_branch_cannot_fork(pggit_conn: psycopg.Connection) -> None:
    """Even the owner cannot give a commit a second child on the same branch."""
    (first,) = pggit_conn.execute("SELECT pggit.commit_changes('main', 'one')").fetchone()
    pggit_conn.execute("SELECT pggit.commit_changes('main', 'two')")
    with pytest.raises(psycopg.errors.UniqueViolation) as info:
        pggit_conn.execute(
            "INSERT INTO pggit.commits (hash, branch_id, parent_hash, message)"
            " VALUES ('20200101000000000000-000000-00000000', 1, %s, 'fork')",
            (first,),
        )
    assert info.value.diag.constraint_name == "commits_branch_id_parent_hash_key"
