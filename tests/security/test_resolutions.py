"""Conflict resolutions and ref names (issue 11 items 4 and 10, tags).

Item 4: ``resolve_conflict(id, text)`` accepted any text, several statements included,
and copied it into ``generate_migration``, ``merge_continue().migration`` and
``checkout(.., apply => true)``: an ordinary role resolving a conflict made the
superuser who checked the merge out run its statements. At level 5 a custom resolution
is ONE statement that defines the conflicted object (its kind and name), checked
before anything is stored; everything else is refused with a clear error naming the
conflict.

Item 10 (tags): a writer could tag ``main`` and make the plain name ambiguous for
everyone. At level 5 tags and branches share one name space (42710).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sechelp import assert_not_escalated, role_state

from pggit_sql.migrate import Migrator

pytestmark = pytest.mark.pggit_level(min=5)


def view_conflict(admin: psycopg.Connection) -> tuple[int, int, dict[str, int]]:
    """A merge of branch f into main with conflicts on view app.v, function app.f(integer), table app.t."""
    admin.execute("CREATE SCHEMA app")
    admin.execute("CREATE TABLE app.t (id int)")
    admin.execute("CREATE VIEW app.v AS SELECT 1 AS one")
    admin.execute("CREATE FUNCTION app.f(x integer) RETURNS integer LANGUAGE sql RETURN x")
    admin.execute("SELECT pggit.commit_changes('main', 'base')")
    admin.execute("SELECT pggit.create_branch('f')")
    admin.execute("SET pggit.branch = 'f'")
    admin.execute("CREATE OR REPLACE VIEW app.v AS SELECT 2 AS one")
    admin.execute("CREATE OR REPLACE FUNCTION app.f(x integer) RETURNS integer LANGUAGE sql RETURN x + 2")
    admin.execute("ALTER TABLE app.t ADD COLUMN f int")
    admin.execute("SELECT pggit.commit_changes('f', 'f side')")
    admin.execute("SET pggit.branch = 'main'")
    admin.execute("CREATE OR REPLACE VIEW app.v AS SELECT 3 AS one")
    admin.execute("CREATE OR REPLACE FUNCTION app.f(x integer) RETURNS integer LANGUAGE sql RETURN x + 3")
    admin.execute("ALTER TABLE app.t ADD COLUMN m int")
    admin.execute("SELECT pggit.commit_changes('main', 'main side')")
    merge_id, status = admin.execute("SELECT merge_id, status FROM pggit.merge('f')").fetchone()
    assert status == "conflicts"
    ids = dict(admin.execute("SELECT object_identity, id FROM pggit.merge_conflicts WHERE merge_id = %s",
                             (merge_id,)).fetchall())
    return merge_id, ids["app.v"], ids


def refused(conn: psycopg.Connection, conflict: int, text: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as err, conn.transaction():
        conn.execute("SELECT pggit.resolve_conflict(%s, %s)", (conflict, text))
    return err.value


def stored(admin: psycopg.Connection, conflict: int) -> tuple[str | None, str | None]:
    return admin.execute("SELECT resolution, b.definition FROM pggit.merge_conflicts AS mc"
                         " LEFT JOIN pggit.blobs AS b ON b.hash = mc.resolved_blob WHERE mc.id = %s",
                         (conflict,)).fetchone()


def test_a_resolution_of_several_statements_is_refused_and_never_runs(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    """The issue's path end to end: an ordinary role resolves, a superuser continues and checks out."""
    mallory = make_role()
    before = role_state(admin, mallory)
    merge_id, v, ids = view_conflict(admin)
    m = connect_as(mallory)
    hostile = f"CREATE VIEW app.v AS SELECT 4 AS one; ALTER ROLE {mallory} SUPERUSER"
    err = refused(m, v, hostile)
    assert err.sqlstate == "42601"
    assert f"conflict {v} (view app.v)" in err.diag.message_primary
    assert "exactly one SQL statement" in err.diag.message_primary and "2 statements" in err.diag.message_primary
    assert stored(admin, v) == (None, None)
    # what the level-4 road led to: the superuser resolves the rest, continues, checks out
    for name, cid in ids.items():
        if name != "app.v":
            admin.execute("SELECT pggit.resolve_conflict(%s, 'ours')", (cid,))
    if stored(admin, v)[0] is None:
        admin.execute("SELECT pggit.resolve_conflict(%s, 'theirs')", (v,))
    row = admin.execute("SELECT status, migration FROM pggit.merge_continue(%s)", (merge_id,)).fetchone()
    assert row[0] == "merged" and "ALTER ROLE" not in row[1]
    admin.execute("SELECT pggit.checkout('main', apply => true)")
    assert_not_escalated(admin, mallory, before)


@pytest.mark.parametrize(("text", "sqlstate", "fragment"), [
    ("CREATE VIEW app.v AS SELECT 4 AS one; SELECT 1", "42601", "2 statements"),
    ("CREATE VIEW app.v AS SELECT 'unterminated", "42601", "unterminated"),
    ("CREATE VIEW app.v AS SELECT $$x", "42601", "unterminated"),
    ("CREATE VIEW app.v AS SELECT 4 AS one -- trailing comment", "42601", "ends in a comment"),
    ("CREATE VIEW app.v AS SELECT 4 AS one --\r; ALTER ROLE postgres NOSUPERUSER", "42601", "carriage return"),
    ("CREATE VIEW app.v AS SELECT 4 AS one \\! touch /tmp/pwned", "42601", "backslash"),
    ("ALTER ROLE postgres NOSUPERUSER", "42601", "no CREATE VIEW statement"),
    ("DROP VIEW app.v", "42601", "no CREATE VIEW statement"),
    ("CREATE VIEW v AS SELECT 4 AS one", "42601", "schema-qualified"),
    ("CREATE VIEW app.other AS SELECT 4 AS one", "22023", "defines view app.other"),
    ("CREATE MATERIALIZED VIEW app.v AS SELECT 4 AS one", "22023", "defines materialized view app.v"),
    ("CREATE VIEW \"App\".v AS SELECT 4 AS one", "22023", "not the conflicted object"),
    ("CUSTOM VIEW DEFINITION", "42601", "no CREATE VIEW statement"),
    ("   ", "22023", "not blank"),
])
def test_a_resolution_is_one_statement_defining_the_object(
        admin: psycopg.Connection, text: str, sqlstate: str, fragment: str) -> None:
    _, v, _ = view_conflict(admin)
    err = refused(admin, v, text)
    assert (err.sqlstate, fragment in err.diag.message_primary) == (sqlstate, True), err.diag.message_primary
    assert stored(admin, v) == (None, None)


def test_function_resolutions_name_the_function(admin: psycopg.Connection) -> None:
    _, _, ids = view_conflict(admin)
    f = ids["app.f(integer)"]
    err = refused(admin, f, "CREATE FUNCTION app.g(x integer) RETURNS integer LANGUAGE sql RETURN x")
    assert err.sqlstate == "22023" and "defines function app.g" in err.diag.message_primary
    err = refused(admin, f, "CREATE PROCEDURE app.f(x integer) LANGUAGE sql BEGIN ATOMIC SELECT 1; END")
    assert err.sqlstate == "22023"
    err = refused(admin, f, "CREATE FUNCTION app.f(x integer) RETURNS integer LANGUAGE sql RETURN x; SELECT 1")
    assert err.sqlstate == "42601"
    body = ("CREATE OR REPLACE FUNCTION app.f(x integer) RETURNS integer LANGUAGE plpgsql\n"
            "AS $body$BEGIN RETURN x + 4; /* ; */ END$body$;")
    assert admin.execute("SELECT pggit.resolve_conflict(%s, %s)", (f, body)).fetchone() == ("custom",)
    assert stored(admin, f) == ("custom", body[:-1])
    atomic = ("CREATE OR REPLACE FUNCTION app.f(x integer) RETURNS integer LANGUAGE sql\n"
              "BEGIN ATOMIC SELECT x + 5; END")
    assert admin.execute("SELECT pggit.resolve_conflict(%s, %s)", (f, atomic)).fetchone() == ("custom",)


def test_tables_take_no_custom_resolution(admin: psycopg.Connection) -> None:
    _, _, ids = view_conflict(admin)
    err = refused(admin, ids["app.t"], "CREATE TABLE app.t (id int)")
    assert err.sqlstate == "0A000" and f"conflict {ids['app.t']} (table app.t)" in err.diag.message_primary


def test_a_valid_view_resolution_is_merged_and_applied(admin: psycopg.Connection) -> None:
    merge_id, v, ids = view_conflict(admin)
    custom = "CREATE OR REPLACE VIEW app.v AS SELECT 'a;b' AS one"
    assert admin.execute("SELECT pggit.resolve_conflict(%s, %s)", (v, custom)).fetchone() == ("custom",)
    assert stored(admin, v) == ("custom", "VIEW\nAS SELECT 'a;b' AS one;")
    for name, cid in ids.items():
        if name != "app.v":
            admin.execute("SELECT pggit.resolve_conflict(%s, 'ours')", (cid,))
    status, migration = admin.execute("SELECT status, migration FROM pggit.merge_continue(%s)",
                                      (merge_id,)).fetchone()
    assert status == "merged"
    assert "CREATE VIEW app.v AS SELECT 'a;b' AS one;" in migration
    # run as a user would (checkout with apply cannot settle it: a custom definition is stored
    # as written, not as PostgreSQL prints the view, as at level 4)
    with admin.transaction():
        admin.execute(migration)
    assert admin.execute("SELECT one FROM app.v").fetchone() == ("a;b",)


def test_a_custom_definition_needs_the_objects_owner(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    """A definition an ordinary role writes never gets a more privileged owner (42501), and is never run
    by the SECURITY DEFINER functions that store it (resolve_conflict, merge_continue). Mallory may read
    definitions (pggit_reader: merge_continue returns the migration), nothing more."""
    mallory = make_role("pggit_reader")
    before = role_state(admin, mallory)
    merge_id, v, ids = view_conflict(admin)
    m = connect_as(mallory)
    definer = (f"CREATE OR REPLACE FUNCTION app.f(x integer) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER "
               f"AS $$BEGIN EXECUTE 'ALTER ROLE {mallory} SUPERUSER'; RETURN x; END$$")
    err = refused(m, ids["app.f(integer)"], definer)
    assert err.sqlstate == "42501"
    assert f"{mallory} is not a member of its owner" in err.diag.message_primary
    err = refused(m, v, "CREATE MATERIALIZED VIEW app.v AS SELECT 1 AS one")  # about a view: refused first
    assert err.sqlstate == "22023"
    # the owner's own custom definitions are kept with its owner; nothing runs while storing them
    assert admin.execute("SELECT pggit.resolve_conflict(%s, %s)",
                         (v, "CREATE VIEW app.v AS SELECT 5 AS one")).fetchone() == ("custom",)
    for name, cid in ids.items():
        if name != "app.v":
            m.execute("SELECT pggit.resolve_conflict(%s, 'theirs')", (cid,))
    assert m.execute("SELECT status FROM pggit.merge_continue(%s)", (merge_id,)).fetchone() == ("merged",)
    assert admin.execute("SELECT one FROM app.v").fetchone() == (3,)  # nothing ran: main's live view
    steps = [s for (s,) in admin.execute("SELECT statement FROM pggit.generate_migration('WORKING', 'main')")]
    assert "ALTER VIEW app.v OWNER TO postgres;" in steps or any(
        s.startswith("ALTER VIEW app.v OWNER TO ") for s in steps)
    assert_not_escalated(admin, mallory, before)


# ------------------------------------------------------------------ tags and branches


def test_a_tag_cannot_take_a_branch_name(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    admin.execute("SELECT pggit.commit_changes('main', 'first')")
    mallory = make_role()
    m = connect_as(mallory)
    with pytest.raises(psycopg.errors.DuplicateObject, match='cannot create tag "main": branch "main" exists'):
        m.execute("SELECT pggit.tag('main', 'main')")
    assert admin.execute("SELECT pggit.resolve_ref('main') = b.head_commit_hash FROM pggit.branches AS b"
                         " WHERE b.name = 'main'").fetchone() == (True,)
    admin.execute("SELECT pggit.create_branch('feature')")
    with pytest.raises(psycopg.errors.DuplicateObject, match='branch "feature" exists'):
        m.execute("SELECT pggit.tag('feature', 'main')")


def test_a_branch_cannot_take_a_tag_name(admin: psycopg.Connection) -> None:
    admin.execute("SELECT pggit.commit_changes('main', 'first')")
    admin.execute("SELECT pggit.tag('v1', 'main')")
    with pytest.raises(psycopg.errors.DuplicateObject, match='cannot create branch "v1": tag "v1" exists'):
        admin.execute("SELECT pggit.create_branch('v1')")
    with pytest.raises(psycopg.errors.DuplicateObject, match='tag "v1" exists'):
        admin.execute("SELECT pggit.commit_changes('v1', 'a branch made by a commit')")
    assert admin.execute("SELECT count(*) FROM pggit.branches WHERE name = 'v1'").fetchone() == (0,)


def test_upgrade_renames_tags_that_have_a_branch_name(
        pggit_new_database: Callable[[int], str], pggit_migrations_dir: Path) -> None:
    """Tags made at level 4 with a branch's name are renamed at upgrade (refs/tags/<new name>) and back
    on rollback; the plain name is the branch's again. (Needs the level-5 migration itself: not a
    probe of level 4's behaviour, which test_a_tag_cannot_take_a_branch_name shows.)"""
    dsn = pggit_new_database(4)
    with psycopg.connect(dsn, autocommit=True) as conn:
        head = conn.execute("SELECT pggit.commit_changes('main', 'first')").fetchone()[0]
        conn.execute("SELECT pggit.tag('main', 'main')")
        conn.execute("SELECT pggit.tag('main-tag', 'refs/heads/main')")  # the first new name is taken
        with pytest.raises(psycopg.errors.AmbiguousAlias):
            conn.execute("SELECT pggit.resolve_ref('main')")
    Migrator(dsn, pggit_migrations_dir).migrate(to=5)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT pggit.resolve_ref('main')").fetchone() == (head,)
        assert conn.execute("SELECT old_name, new_name, commit_hash FROM pggit.renamed_tags").fetchall() == [
            ("main", "main-tag-2", head)]
        assert conn.execute("SELECT pggit.resolve_ref('refs/tags/main-tag-2')").fetchone() == (head,)
    Migrator(dsn, pggit_migrations_dir).rollback(to=4)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT name FROM pggit.tags")) == ["main", "main-tag"]


def test_upgrade_records_the_owners_of_live_objects(
        pggit_new_database: Callable[[int], str], pggit_migrations_dir: Path) -> None:
    """Objects live at upgrade get their owner recorded, so a later checkout can give it back."""
    dsn = pggit_new_database(4)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE ROLE sec_upgrade_owner")
        try:
            conn.execute("CREATE SCHEMA app")
            conn.execute("CREATE FUNCTION app.g() RETURNS int LANGUAGE sql SECURITY DEFINER RETURN 1")
            conn.execute("ALTER FUNCTION app.g() OWNER TO sec_upgrade_owner")
            conn.execute("REVOKE ALL ON FUNCTION app.g() FROM PUBLIC")
            conn.execute("SELECT pggit.commit_changes('main', 'g')")
            Migrator(dsn, pggit_migrations_dir).migrate(to=5)
            own = conn.execute("SELECT d.details -> 'own' FROM pggit.object_details AS d"
                               " JOIN pggit.objects AS o ON o.identity = d.identity AND o.hash = d.blob_hash"
                               " WHERE o.identity = 'app.g()' AND o.dropped_at IS NULL").fetchone()[0]
            assert own == {"o": "sec_upgrade_owner", "a": [["sec_upgrade_owner", "EXECUTE", ""]]}
            Migrator(dsn, pggit_migrations_dir).rollback(to=4)
            assert conn.execute("SELECT count(*) FROM pggit.object_details WHERE details ? 'own'"
                                ).fetchone() == (0,)
        finally:
            conn.execute("DROP OWNED BY sec_upgrade_owner")
            conn.execute("DROP ROLE sec_upgrade_owner")
