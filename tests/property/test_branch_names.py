"""Branch names: the SQL rules agree with pggit_sql.refname, valid names commit, invalid ones fail."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pggit_sql import refname
from pggit_sql.testing.strategies.branches import invalid_branch_names, valid_branch_names

pytestmark = pytest.mark.pggit_level(min=1)

# Examples share the test's database; each one runs in a transaction that is rolled back.
reuse_db = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

sendable_text = st.text().filter(lambda s: "\x00" not in s)


def sql_clip(value: str) -> str:
    """pggit.clip (level 8): up to 64 characters as they are, else the first 61 and '...'."""
    return value if len(value) <= 64 else value[:61] + "..."


def expected_message(name: str, clipped: bool = False) -> str:
    """The refusal's message; from level 8 it echoes the name through pggit.clip."""
    shown = sql_clip(name) if clipped else name
    return f'invalid branch name "{shown}": {refname.branch_name_violation(name)}'


def clips(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regprocedure('pggit.clip(text)') IS NOT NULL").fetchone()[0]


def main_branch(conn: psycopg.Connection) -> tuple[int, str | None]:
    return conn.execute("SELECT id, head_commit_hash FROM pggit.branches WHERE name = 'main'").fetchone()


def assert_commits(conn: psycopg.Connection, name: str) -> None:
    """Commit on ``name`` (new or existing) and check the branch row and the commit."""
    main_id, main_head = main_branch(conn)
    existing = conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = %s", (name,)).fetchone()
    (tid,) = conn.execute("SELECT pggit.commit_changes(%s, 'm')", (name,)).fetchone()
    assert isinstance(tid, str) and len(tid) == 36
    branch_id, head, parent_branch_id, status = conn.execute(
        "SELECT id, head_commit_hash, parent_branch_id, status FROM pggit.branches WHERE name = %s", (name,)
    ).fetchone()
    assert head == tid
    assert status == "active"
    commit = conn.execute("SELECT branch_id, parent_hash FROM pggit.commits WHERE hash = %s", (tid,)).fetchone()
    if existing is None:  # created by this commit, from main
        assert parent_branch_id == main_id
        assert commit == (branch_id, main_head)
    else:
        assert commit == (branch_id, existing[0])


def assert_refused(conn: psycopg.Connection, name: str) -> None:
    (before,) = conn.execute("SELECT count(*) FROM pggit.branches").fetchone()
    with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
        conn.execute("SELECT pggit.commit_changes(%s, 'm')", (name,))
    assert info.value.sqlstate == "22023"
    assert info.value.diag.message_primary == expected_message(name, clips(conn))
    assert conn.execute("SELECT count(*) FROM pggit.branches").fetchone() == (before,)


@reuse_db
@given(name=st.one_of(valid_branch_names(), invalid_branch_names(), sendable_text))
@example(name="feature/x-1_y.z")
@example(name="a./b")
@example(name="a\u0085b")  # a C1 control character: allowed, only ASCII controls are refused
@example(name="a\u00a0b")  # no-break space: allowed, only the ASCII space is refused
def test_sql_agrees_with_refname(pggit_conn: psycopg.Connection, name: str) -> None:
    valid, violation = pggit_conn.execute(
        "SELECT pggit.is_valid_branch_name(%(n)s), pggit.branch_name_violation(%(n)s)", {"n": name}
    ).fetchone()
    assert valid is refname.is_valid_branch_name(name)
    assert violation == refname.branch_name_violation(name)


@reuse_db
@given(name=valid_branch_names())
@example(name="main")
@example(name="feature/x-1_y.z")
def test_valid_names_commit(pggit_conn: psycopg.Connection, name: str) -> None:
    with pggit_conn.transaction(force_rollback=True):
        assert_commits(pggit_conn, name)


@reuse_db
@given(name=invalid_branch_names())
def test_invalid_names_are_refused(pggit_conn: psycopg.Connection, name: str) -> None:
    assert_refused(pggit_conn, name)


@pytest.mark.parametrize("rule", refname.RULES)
@reuse_db
@given(data=st.data())
def test_every_rule_is_enforced(pggit_conn: psycopg.Connection, rule: str, data: st.DataObject) -> None:
    name = data.draw(invalid_branch_names(rule).filter(lambda n: refname.branch_name_violation(n) == rule))
    assert_refused(pggit_conn, name)


def test_feature_branch_name(pggit_conn: psycopg.Connection) -> None:
    assert refname.is_valid_branch_name("feature/x-1_y.z")
    assert pggit_conn.execute("SELECT pggit.is_valid_branch_name('feature/x-1_y.z')").fetchone() == (True,)
    assert_commits(pggit_conn, "feature/x-1_y.z")


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a" * 255, True),
        ("a" * 256, False),
        ("é" * 127 + "a", True),  # 255 bytes, 128 characters
        ("é" * 128, False),  # 256 bytes
        ("€" * 85, True),  # 255 bytes, 85 characters
        ("€" * 85 + "a", False),  # 256 bytes
        ("😀" * 63 + "abc", True),  # 255 bytes
        ("😀" * 64, False),  # 256 bytes, only 64 characters
    ],
)
def test_length_limit_is_255_utf8_bytes(pggit_conn: psycopg.Connection, name: str, valid: bool) -> None:
    assert len(name.encode()) == (255 if valid else 256)
    assert refname.is_valid_branch_name(name) is valid
    assert pggit_conn.execute("SELECT pggit.is_valid_branch_name(%s)", (name,)).fetchone() == (valid,)
    if valid:
        assert_commits(pggit_conn, name)
    else:
        assert refname.branch_name_violation(name) == refname.TOO_LONG
        assert_refused(pggit_conn, name)


def test_null(pggit_conn: psycopg.Connection) -> None:
    assert pggit_conn.execute(
        "SELECT pggit.is_valid_branch_name(NULL), pggit.branch_name_violation(NULL)"
    ).fetchone() == (None, None)
    with pytest.raises(psycopg.errors.NullValueNotAllowed) as info:
        pggit_conn.execute("SELECT pggit.assert_valid_branch_name(NULL)")
    assert info.value.sqlstate == "22004"


def test_assert_valid_branch_name(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SELECT pggit.assert_valid_branch_name('ok/name')")
    with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
        pggit_conn.execute("SELECT pggit.assert_valid_branch_name('bad..name')")
    assert info.value.diag.message_primary == 'invalid branch name "bad..name": must not contain ".."'


def test_table_check_constraint(pggit_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        pggit_conn.execute("INSERT INTO pggit.branches (name) VALUES ('bad name')")


def test_main_exists_after_install(pggit_conn: psycopg.Connection) -> None:
    rows = pggit_conn.execute(
        "SELECT name, head_commit_hash, parent_branch_id, status FROM pggit.branches"
    ).fetchall()
    assert rows == [("main", None, None, "active")]


def test_deleted_branch_is_an_error(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SELECT pggit.commit_changes('gone/soon', 'm')")
    pggit_conn.execute("UPDATE pggit.branches SET status = 'deleted' WHERE name = 'gone/soon'")
    (before,) = pggit_conn.execute("SELECT count(*) FROM pggit.commits").fetchone()
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as info:
        pggit_conn.execute("SELECT pggit.commit_changes('gone/soon', 'again')")
    assert info.value.sqlstate == "55000"
    assert '"gone/soon"' in info.value.diag.message_primary
    assert pggit_conn.execute("SELECT count(*) FROM pggit.commits").fetchone() == (before,)


def test_merged_branch_still_takes_commits(pggit_conn: psycopg.Connection) -> None:
    pggit_conn.execute("SELECT pggit.commit_changes('done', 'm')")
    pggit_conn.execute("UPDATE pggit.branches SET status = 'merged' WHERE name = 'done'")
    pggit_conn.execute("SELECT pggit.commit_changes('done', 'more')")


def test_new_branch_starts_at_mains_head(pggit_conn: psycopg.Connection) -> None:
    (first,) = pggit_conn.execute("SELECT pggit.commit_changes('main', 'one')").fetchone()
    (second,) = pggit_conn.execute("SELECT pggit.commit_changes('topic', 'two')").fetchone()
    assert pggit_conn.execute(
        "SELECT parent_hash FROM pggit.commits WHERE hash = %s", (second,)
    ).fetchone() == (first,)
    # main's head did not move
    assert main_branch(pggit_conn)[1] == first
