"""pggit.generate_trinity_id(): layout, time, sequence part, uniqueness, order, wrap-around."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=1)

TRINITY = re.compile(r"[0-9]{20}-[0-9a-z]{6}-[0-9a-f]{8}")
DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SEQ_MAX = 36**6 - 1  # 2176782335, the largest 6-digit base-36 number

reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def base36(n: int, width: int = 6) -> str:
    digits = ""
    while n:
        n, d = divmod(n, 36)
        digits = DIGITS36[d] + digits
    return digits.rjust(width, "0")


def id_time(trinity_id: str) -> datetime:
    return datetime.strptime(trinity_id[:20], "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)


def seq_part(trinity_id: str) -> str:
    return trinity_id[21:27]


def test_base36_reference() -> None:
    assert base36(0) == "000000"
    assert base36(35) == "00000z"
    assert base36(36) == "000010"
    assert base36(SEQ_MAX) == "zzzzzz"
    assert int(base36(123456789), 36) == 123456789


def test_layout_and_time(pggit_conn: psycopg.Connection) -> None:
    before, tid, seq, after = pggit_conn.execute(
        "SELECT clock_timestamp(), pggit.generate_trinity_id(),"
        " currval('pggit.trinity_seq'), clock_timestamp()"
    ).fetchone()
    assert isinstance(tid, str)
    assert len(tid) == 36
    assert TRINITY.fullmatch(tid), tid
    assert before <= id_time(tid) <= after
    assert seq_part(tid) == base36(seq)


def test_time_is_utc_whatever_the_session_time_zone(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SET TIME ZONE 'Pacific/Kiritimati'")  # UTC+14
    before, tid, after = pggit_conn.execute(
        "SELECT clock_timestamp(), pggit.generate_trinity_id(), clock_timestamp()"
    ).fetchone()
    assert before <= id_time(tid) <= after


@reuse_db
@given(n=st.integers(min_value=0, max_value=SEQ_MAX))
@example(n=0)
@example(n=35)
@example(n=36)
@example(n=1295)
@example(n=1296)
@example(n=46655)
@example(n=46656)
@example(n=1679615)
@example(n=1679616)
@example(n=60466175)
@example(n=60466176)
@example(n=SEQ_MAX - 1)
@example(n=SEQ_MAX)
def test_sequence_part_is_base36_of_the_sequence_value(pggit_conn: psycopg.Connection, n: int) -> None:
    # setval is not transactional; each example sets the sequence itself, nothing to undo.
    pggit_conn.execute("SELECT setval('pggit.trinity_seq', %s, false)", (n,))
    (tid,) = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()
    assert len(tid) == 36 and TRINITY.fullmatch(tid), tid
    assert seq_part(tid) == base36(n)
    assert int(seq_part(tid), 36) == n


def test_five_thousand_ids_are_unique_and_sorted(pggit_conn: psycopg.Connection) -> None:
    rows = pggit_conn.execute(
        "SELECT n, pggit.generate_trinity_id() FROM generate_series(1, 5000) AS n ORDER BY n"
    ).fetchall()
    ids = [tid for _, tid in rows]
    assert len(set(ids)) == 5000
    assert all(len(tid) == 36 and TRINITY.fullmatch(tid) for tid in ids)
    # generation order == byte order, strictly
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))
    # consecutive sequence values
    seqs = [int(seq_part(tid), 36) for tid in ids]
    assert seqs == list(range(seqs[0], seqs[0] + 5000))
    # the server sorts them the same way (bytewise, as pggit.commits.hash does)
    server_sorted = pggit_conn.execute(
        "SELECT t FROM unnest(%s::text[]) AS t ORDER BY t COLLATE \"C\"", (ids[::-1],)
    ).fetchall()
    assert [t for (t,) in server_sorted] == ids


def test_ids_from_several_sessions_sort_by_creation(pggit_connect) -> None:
    conns = [pggit_connect() for _ in range(3)]
    ids = []
    for i in range(300):
        (tid,) = conns[i % 3].execute("SELECT pggit.generate_trinity_id()").fetchone()
        ids.append(tid)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_random_part_varies(pggit_conn: psycopg.Connection) -> None:
    rows = pggit_conn.execute("SELECT pggit.generate_trinity_id() FROM generate_series(1, 2000)").fetchall()
    randoms = {tid[28:] for (tid,) in rows}
    assert len(randoms) > 1900  # 32 random bits: collisions among 2000 are very rare
    assert all(re.fullmatch(r"[0-9a-f]{8}", r) for r in randoms)


def test_sequence_wraps_after_36_to_the_6(pggit_conn: psycopg.Connection) -> None:
    assert pggit_conn.execute(
        "SELECT min_value, max_value, cycle FROM pg_sequences"
        " WHERE schemaname = 'pggit' AND sequencename = 'trinity_seq'"
    ).fetchone() == (0, SEQ_MAX, True)
    pggit_conn.execute("SELECT setval('pggit.trinity_seq', %s)", (SEQ_MAX - 2,))
    rows = pggit_conn.execute("SELECT pggit.generate_trinity_id() FROM generate_series(1, 4)").fetchall()
    ids = [tid for (tid,) in rows]
    assert [seq_part(tid) for tid in ids] == ["zzzzzy", "zzzzzz", "000000", "000001"]
    assert all(len(tid) == 36 and TRINITY.fullmatch(tid) for tid in ids)
    assert len(set(ids)) == 4
    assert ids == sorted(ids)  # the time part keeps them in creation order across the wrap


def test_ordinary_role_can_generate_but_not_touch_the_sequence(pggit_conn: psycopg.Connection) -> None:
    with pggit_conn.transaction(force_rollback=True):
        pggit_conn.execute("CREATE ROLE pggit_test_reader NOLOGIN")
        pggit_conn.execute("SET LOCAL ROLE pggit_test_reader")
        (tid,) = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()
        assert TRINITY.fullmatch(tid)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
            pggit_conn.execute("SELECT nextval('pggit.trinity_seq')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), pggit_conn.transaction():
            pggit_conn.execute("SELECT setval('pggit.trinity_seq', 0)")


def test_declared_properties(pggit_conn: psycopg.Connection) -> None:
    row = pggit_conn.execute(
        "SELECT p.provolatile, p.proparallel, p.prosecdef, p.proconfig FROM pg_proc p"
        " WHERE p.oid = 'pggit.generate_trinity_id()'::regprocedure"
    ).fetchone()
    assert row == ("v", "u", True, ["search_path=pg_catalog, pggit, pg_temp"])
