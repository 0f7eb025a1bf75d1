"""Refs (level 4): resolve_ref's forms and errors, tags and their immutability."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.pggit_level(min=4)

ROLE = "pggit_ref_user"


def commit(conn: psycopg.Connection, branch: str = "main", message: str = "") -> str:
    return conn.execute("SELECT pggit.commit_changes(%s, %s)", (branch, message)).fetchone()[0]


def resolve(conn: psycopg.Connection, ref: str | None) -> str | None:
    return conn.execute("SELECT pggit.resolve_ref(%s)", (ref,)).fetchone()[0]


def test_resolve_forms(pggit_conn: psycopg.Connection) -> None:
    c1 = commit(pggit_conn)
    c2 = commit(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_branch('feature/x')")
    assert resolve(pggit_conn, c1) == c1
    assert resolve(pggit_conn, "main") == c2
    assert resolve(pggit_conn, "refs/heads/main") == c2
    assert resolve(pggit_conn, "feature/x") == c2
    assert pggit_conn.execute("SELECT pggit.tag('v1.0', %s)", (c1,)).fetchone() == (c1,)
    assert resolve(pggit_conn, "v1.0") == c1
    assert resolve(pggit_conn, "refs/tags/v1.0") == c1
    assert resolve(pggit_conn, "WORKING") is None


@pytest.mark.parametrize(("ref", "sqlstate", "message"), [
    (None, "22004", "must not be NULL"),
    ("nope", "42704", 'ref "nope" does not exist: no commit, branch or tag'),
    ("refs/heads/v1", "42704", "no branch of that name"),
    ("refs/tags/main", "42704", "no tag of that name"),
    ("working", "42704", "does not exist"),  # WORKING is upper case only
    ("empty", "55000", 'branch "empty" has no commits yet'),
    ("gone", "55000", 'branch "gone" is deleted'),
    ("twin", "42P09", 'ref "twin" is ambiguous: it names a branch and a tag'),
])
def test_resolve_errors(pggit_conn: psycopg.Connection, ref: str | None, sqlstate: str, message: str,
                        pggit_level: int) -> None:
    c = commit(pggit_conn)
    pggit_conn.execute("SELECT pggit.tag('v1', %s)", (c,))
    pggit_conn.execute("INSERT INTO pggit.branches (name) VALUES ('empty')")  # no commit yet
    pggit_conn.execute("SELECT pggit.create_branch('gone')")
    pggit_conn.execute("SELECT pggit.delete_branch('gone')")
    pggit_conn.execute("SELECT pggit.create_branch('twin')")
    if pggit_level >= 5:
        # level 5: tags and branches share one name space (42710); the ambiguity can only be
        # made by pggit's owner behind the guard (or was made before level 5: renamed at upgrade)
        with pytest.raises(psycopg.errors.DuplicateObject), pggit_conn.transaction():
            pggit_conn.execute("SELECT pggit.tag('twin', 'main')")
        pggit_conn.execute("ALTER TABLE pggit.tags DISABLE TRIGGER refs_name_guard")
    pggit_conn.execute("SELECT pggit.tag('twin', 'main')")
    if pggit_level >= 5:
        pggit_conn.execute("ALTER TABLE pggit.tags ENABLE TRIGGER refs_name_guard")
    with pytest.raises(psycopg.Error, match=message) as caught:
        resolve(pggit_conn, ref)
    assert caught.value.sqlstate == sqlstate
    if sqlstate == "42P09":  # the qualified forms still work
        assert resolve(pggit_conn, "refs/heads/twin") == resolve(pggit_conn, "refs/tags/twin") == c


def test_ancestry_suffixes(pggit_conn: psycopg.Connection) -> None:
    c1 = commit(pggit_conn)
    c2 = commit(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_branch('feature')")
    f1 = commit(pggit_conn, "feature")
    c3 = commit(pggit_conn)
    row = pggit_conn.execute("SELECT status, commit_hash FROM pggit.merge('feature', 'main')").fetchone()
    assert row[0] == "merged"
    m = row[1]
    pggit_conn.execute("SELECT pggit.tag('v1', %s)", (c2,))
    expected = {
        "main": m, "main^0": m, "main~0": m,
        "main^": c3, "main^1": c3, "main~": c3, "main~1": c3,
        "main^2": f1, "main^2~1": c2, "main^2^": c2,
        "main~2": c2, "main~3": c1, "main^^^": c1, "main~1~1^1": c1,
        "v1~1": c1, "refs/tags/v1^": c1, "refs/heads/feature~1": c2,
        f"{c3}~2": c1, f"{m}^2": f1,
    }
    assert {ref: resolve(pggit_conn, ref) for ref in expected} == expected


@pytest.mark.parametrize(("ref", "sqlstate", "message"), [
    ("main~3", "42704", 'ref "main~3" does not exist: .* has no parent'),
    ("main^2", "42704", 'ref "main\\^2" does not exist: .* has no second parent'),
    ("main^3", "22023", "a commit has at most two"),
    ("main~99999999999", "22023", "too large"),
    ("WORKING~1", "22023", "WORKING .* has no ancestors"),
    ("nope~1", "42704", 'ref "nope" does not exist'),
    ("~1", "42704", 'ref "~1" does not exist'),
])
def test_ancestry_errors(pggit_conn: psycopg.Connection, ref: str, sqlstate: str, message: str) -> None:
    commit(pggit_conn)
    commit(pggit_conn)
    commit(pggit_conn)
    with pytest.raises(psycopg.Error, match=message) as caught:
        resolve(pggit_conn, ref)
    assert caught.value.sqlstate == sqlstate


def test_commit_id_that_is_also_a_branch_name_is_ambiguous(pggit_conn: psycopg.Connection) -> None:
    c = commit(pggit_conn)
    pggit_conn.execute("SELECT pggit.create_branch(%s)", (c,))
    with pytest.raises(psycopg.errors.AmbiguousAlias, match="a commit and a branch"):
        resolve(pggit_conn, c)
    assert resolve(pggit_conn, "refs/heads/" + c) == c


@pytest.mark.parametrize(("name", "sqlstate", "message"), [
    (None, "22004", "tag name must not be NULL"),
    ("a b", "22023", 'invalid tag name "a b"'),
    ("x..y", "22023", "invalid tag name"),
    ("WORKING", "22023", "WORKING is the ref of the live schema"),
    ("refs/tags/x", "22023", "refs/ starts a qualified ref"),
    ("HEAD", "42939", "HEAD is git's name for the checked-out commit"),
    ("v1", "23505", 'tag "v1" already exists'),
])
def test_tag_errors(pggit_conn: psycopg.Connection, name: str | None, sqlstate: str, message: str,
                    pggit_level: int) -> None:
    if pggit_level >= 8 and name in ("WORKING", "refs/tags/x", "HEAD"):
        sqlstate = "42939"  # level 8: reserved names have their own SQLSTATE (reserved_name)
    commit(pggit_conn)
    if pggit_level < 8 and name == "HEAD":  # reserved from level 8 on; before, an ordinary tag
        assert pggit_conn.execute("SELECT pggit.tag('HEAD', 'main') = pggit.resolve_ref('main')").fetchone() == (True,)
        return
    pggit_conn.execute("SELECT pggit.tag('v1', 'main')")
    with pytest.raises(psycopg.Error, match=message) as caught:
        pggit_conn.execute("SELECT pggit.tag(%s, 'main')", (name,))
    assert caught.value.sqlstate == sqlstate


def test_tag_refs_errors(pggit_conn: psycopg.Connection) -> None:
    commit(pggit_conn)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="cannot tag WORKING"):
        pggit_conn.execute("SELECT pggit.tag('t', 'WORKING')")
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        pggit_conn.execute("SELECT pggit.tag('t', NULL)")
    with pytest.raises(psycopg.errors.UndefinedObject):
        pggit_conn.execute("SELECT pggit.tag('t', 'nope')")
    assert pggit_conn.execute("SELECT count(*) FROM pggit.tags").fetchone() == (0,)


def test_tags_are_immutable_for_everyone_but_the_owner(pggit_conn: psycopg.Connection) -> None:
    c1 = commit(pggit_conn)
    commit(pggit_conn)
    pggit_conn.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}')"
                       f" THEN CREATE ROLE {ROLE}; END IF; END $$")
    pggit_conn.execute(f"SET ROLE {ROLE}")
    try:
        assert pggit_conn.execute("SELECT pggit.tag('release', %s)", (c1,)).fetchone() == (c1,)
        row = pggit_conn.execute("SELECT commit_hash, created_by FROM pggit.tags WHERE name = 'release'").fetchone()
        assert row[0] == c1
        for statement in ("UPDATE pggit.tags SET commit_hash = commit_hash",
                          "DELETE FROM pggit.tags",
                          "INSERT INTO pggit.tags (name, commit_hash) VALUES ('x', 'y')",
                          "TRUNCATE pggit.tags"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                pggit_conn.execute(statement)
        with pytest.raises(psycopg.errors.UniqueViolation, match="tags are immutable"):
            pggit_conn.execute("SELECT pggit.tag('release', 'main')")
    finally:
        pggit_conn.execute("RESET ROLE")
    assert pggit_conn.execute("SELECT commit_hash FROM pggit.tags WHERE name = 'release'").fetchone() == (c1,)
    # the table refuses bad names even from the owner (level 8: its trigger, before the CHECK)
    with pytest.raises((psycopg.errors.CheckViolation, psycopg.errors.ReservedName)):
        pggit_conn.execute("INSERT INTO pggit.tags (name, commit_hash) VALUES ('WORKING', %s)", (c1,))


def test_generation_of_commits_made_before_level_4(pggit_new_database, pggit_migrations_dir) -> None:
    """The migration computes generations of existing commits (forks across branches included)."""
    from pggit_sql.migrate import Migrator

    dsn = pggit_new_database(3)
    with psycopg.connect(dsn, autocommit=True) as conn:
        a = commit(conn)
        b = commit(conn)
        x = commit(conn, "side")  # branched from main's head b
        c = commit(conn)
    Migrator(dsn, pggit_migrations_dir).migrate(to=4)
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = dict(conn.execute("SELECT hash, generation FROM pggit.commits").fetchall())
        assert rows == {a: 1, b: 2, x: 3, c: 3}
        assert conn.execute("SELECT pggit.merge_base('main', 'side')").fetchone() == (b,)
        d = commit(conn)
        assert conn.execute("SELECT generation FROM pggit.commits WHERE hash = %s", (d,)).fetchone() == (4,)
