"""pggit.increment_version(major, minor, patch, kind): semantic-version arithmetic and its errors."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.pggit_level(min=1)

INT_MAX = 2**31 - 1
KINDS = ("major", "minor", "patch")
CALL = "SELECT * FROM pggit.increment_version(%s::integer, %s::integer, %s::integer, %s::text)"

# The function is pure: examples share the test's database and leave nothing behind.
reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

numbers = st.integers(min_value=0, max_value=INT_MAX - 1)


@st.composite
def any_case(draw: st.DrawFn, word: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c for c in word)


kinds = st.sampled_from(KINDS).flatmap(any_case)


def not_a_kind(text: str) -> bool:
    """True when PostgreSQL's lower() cannot turn ``text`` into a kind.

    lower() maps character by character, so only 5-character strings can become one of
    the (5-letter) kinds; for those, stay with ASCII, where Python and PostgreSQL agree.
    """
    if "\x00" in text:
        return False  # cannot be sent
    if len(text) != 5:
        return True
    return text.isascii() and text.lower() not in KINDS


def increment(conn: psycopg.Connection, major, minor, patch, kind):
    return conn.execute(CALL, (major, minor, patch, kind)).fetchone()


@reuse_db
@given(major=numbers, minor=numbers, patch=numbers, kind=kinds)
@example(major=0, minor=0, patch=0, kind="MaJoR")
@example(major=1, minor=2, patch=3, kind="minor")
def test_laws(pggit_conn: psycopg.Connection, major: int, minor: int, patch: int, kind: str) -> None:
    result = increment(pggit_conn, major, minor, patch, kind)
    expected = {
        "major": (major + 1, 0, 0),
        "minor": (major, minor + 1, 0),
        "patch": (major, minor, patch + 1),
    }[kind.lower()]
    assert result[:3] == expected
    assert result[3] == "{}.{}.{}".format(*expected)


def test_example_and_result_columns(pggit_conn: psycopg.Connection) -> None:
    cur = pggit_conn.execute("SELECT * FROM pggit.increment_version(1, 2, 3, 'minor')")
    assert [column.name for column in cur.description] == ["major", "minor", "patch", "version"]
    assert cur.fetchall() == [(1, 3, 0, "1.3.0")]


def test_named_arguments(pggit_conn: psycopg.Connection) -> None:
    row = pggit_conn.execute(
        "SELECT (pggit.increment_version(kind => 'PATCH', patch => 9, minor => 8, major => 7)).*"
    ).fetchone()
    assert row == (7, 8, 10, "7.8.10")


def test_is_pure(pggit_conn: psycopg.Connection) -> None:
    row = pggit_conn.execute(
        "SELECT provolatile, prosecdef FROM pg_proc"
        " WHERE oid = 'pggit.increment_version(integer, integer, integer, text)'::regprocedure"
    ).fetchone()
    assert row == ("i", False)


@reuse_db
@given(kind=st.text().filter(not_a_kind))
@example(kind="")
@example(kind=" major")
@example(kind="minor ")
@example(kind="patches")
@example(kind="majo")
@example(kind="MAJOR_")
@example(kind="mäjor")
def test_invalid_kind(pggit_conn: psycopg.Connection, kind: str) -> None:
    with pytest.raises(psycopg.errors.RaiseException) as info:
        increment(pggit_conn, 1, 2, 3, kind)
    assert info.value.sqlstate == "P0001"
    assert info.value.diag.message_primary.startswith("Invalid increment type")


def test_null_kind(pggit_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.RaiseException) as info:
        increment(pggit_conn, 1, 2, 3, None)
    assert info.value.sqlstate == "P0001"
    assert info.value.diag.message_primary == "Invalid increment type: NULL"


@reuse_db
@given(
    position=st.sampled_from([0, 1, 2]),
    value=st.integers(min_value=-(2**31), max_value=-1),
    kind=kinds,
)
@example(position=0, value=-1, kind="major")
@example(position=2, value=-(2**31), kind="patch")
def test_negative_input(pggit_conn: psycopg.Connection, position: int, value: int, kind: str) -> None:
    args = [1, 2, 3]
    args[position] = value
    with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
        increment(pggit_conn, *args, kind)
    assert info.value.sqlstate == "22023"
    message = info.value.diag.message_primary
    assert KINDS[position] in message
    assert str(value) in message


@pytest.mark.parametrize("kind", KINDS)
def test_overflow(pggit_conn: psycopg.Connection, kind: str) -> None:
    args = {"major": 0, "minor": 0, "patch": 0}
    args[kind] = INT_MAX
    with pytest.raises(psycopg.errors.NumericValueOutOfRange) as info:
        increment(pggit_conn, args["major"], args["minor"], args["patch"], kind)
    assert info.value.sqlstate == "22003"
    assert str(INT_MAX) in info.value.diag.message_primary


def test_maximum_in_a_part_that_is_not_incremented(pggit_conn: psycopg.Connection) -> None:
    top = (INT_MAX, INT_MAX, INT_MAX, f"{INT_MAX}.{INT_MAX}.{INT_MAX}")
    assert increment(pggit_conn, INT_MAX, INT_MAX, INT_MAX - 1, "patch") == top
    assert increment(pggit_conn, INT_MAX, 5, INT_MAX, "minor") == (INT_MAX, 6, 0, f"{INT_MAX}.6.0")
    assert increment(pggit_conn, 5, INT_MAX, INT_MAX, "major") == (6, 0, 0, "6.0.0")


@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize("kind", [*KINDS, "bogus", None])
def test_null_numbers(pggit_conn: psycopg.Connection, position: int, kind: str | None) -> None:
    args: list[int | None] = [1, 2, 3]
    args[position] = None
    with pytest.raises(psycopg.errors.NullValueNotAllowed) as info:
        increment(pggit_conn, *args, kind)
    assert info.value.sqlstate == "22004"
    assert KINDS[position] in info.value.diag.message_primary
