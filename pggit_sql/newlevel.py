"""``pggit-sql new-level NAME``: generate the next level from the drift of ``sql/functions``.

A scratch database is built at head (on the development cluster, or on any server where
we may ``CREATE DATABASE``); inside a rolled-back transaction its pggit functions are
compared with what ``sql/functions`` defines (see :mod:`pggit_sql.functions_sync`).
The next level's two files are written:

- ``NNNN_NAME.sql``: a marked section for hand-written table changes at the top, then
  ``DROP`` of removed functions, then the text of every ``sql/functions`` file that
  defines a new or changed function, then ``COMMENT ON SCHEMA pggit IS 'pggit-sql level N'``.
- ``NNNN_NAME.rollback.sql``: the same marked section, then ``DROP`` of new functions,
  the previous definition (``pg_get_functiondef``, comment, and grants as GRANT/REVOKE)
  of changed and removed ones, then the comment back to level N-1.

When nothing differs the skeleton is still written, and the result says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from pggit_sql import catalog, functions_sync
from pggit_sql.db import Dsn, connect, scratch_database
from pggit_sql.errors import LevelError, PggitError
from pggit_sql.levels import default_migrations_dir, discover, display_path, head, refuse_packaged
from pggit_sql.migrate import Migrator

NAME = re.compile(r"^[a-z0-9_]+$")
TABLE_SECTION = "-- table changes for this level go here"

_DETAILS = """
SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END
       || n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       p.prokind,
       format('%%I.%%I(%%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
       CASE WHEN p.prokind = 'a' THEN NULL ELSE pg_catalog.pg_get_functiondef(p.oid) END,
       pg_catalog.pg_get_function_arguments(p.oid),
       pg_catalog.pg_get_function_result(p.oid),
       pg_catalog.obj_description(p.oid, 'pg_proc'),
       p.proacl IS NULL,
       coalesce((SELECT array_agg(format('%%s|%%s|%%s',
                        CASE WHEN a.grantee = 0 THEN 'PUBLIC' WHEN a.grantee = p.proowner THEN 'CURRENT_USER'
                             ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                        a.privilege_type, a.is_grantable::text) ORDER BY 1)
                 FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a),
                '{}')
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%s)
"""


@dataclass(frozen=True)
class Routine:
    """What is needed to drop or re-create one routine as it is in a database."""

    key: str  # catalog key, e.g. "function pggit.f(text)"
    kind: str  # prokind
    signature: str  # quoted, for DROP / GRANT / COMMENT
    definition: str | None  # pg_get_functiondef (None for aggregates)
    arguments: str
    result: str
    comment: str | None
    default_acl: bool
    grants: tuple[str, ...]  # "grantee|privilege|grantable", owner as CURRENT_USER

    @property
    def object_type(self) -> str:
        return {"p": "PROCEDURE", "a": "AGGREGATE"}.get(self.kind, "FUNCTION")


@dataclass(frozen=True)
class Change:
    key: str
    kind: str  # "new", "changed", "removed"
    file: Path | None  # the sql/functions file defining it (new, changed)


@dataclass
class NewLevel:
    number: int
    name: str
    migration: Path
    rollback: Path
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number, "name": self.name, "migration": str(self.migration),
            "rollback": str(self.rollback),
            "changes": [{"routine": c.key, "change": c.kind, "file": str(c.file) if c.file else None}
                        for c in self.changes],
        }


def routines(conn: psycopg.Connection, schemas: list[str]) -> dict[str, Routine]:
    rows = conn.execute(_DETAILS, (schemas,)).fetchall()
    return {row[0]: Routine(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], tuple(row[8]))
            for row in rows}


@dataclass
class Drift:
    """Old (database) and new (files) routines, and which file defines each new one."""

    old: dict[str, Routine]
    new: dict[str, Routine]
    old_fp: dict[str, str]
    new_fp: dict[str, str]
    origin: dict[str, Path]

    def changes(self) -> list[Change]:
        out: list[Change] = []
        for key in sorted(self.old_fp.keys() | self.new_fp.keys()):
            if key not in self.new_fp:
                out.append(Change(key, "removed", None))
            elif key not in self.old_fp:
                out.append(Change(key, "new", self.origin.get(key)))
            elif self.old_fp[key] != self.new_fp[key]:
                out.append(Change(key, "changed", self.origin.get(key)))
        return out


def compute_drift(conn: psycopg.Connection, functions_dir: Path | None = None) -> Drift:
    """Compare a head database's routines with ``sql/functions`` (in a rolled-back transaction)."""
    files = functions_sync.function_files(functions_dir)
    origin: dict[str, Path] = {}
    with functions_sync.rolled_back(conn):
        # A new LANGUAGE sql function may use a table or column that the new level's own
        # table section adds: the scratch database (at head) does not have it yet.
        conn.execute("SET LOCAL check_function_bodies = off")
        schemas = catalog.pggit_schemas(conn)
        if not schemas:
            raise PggitError("the scratch database has no pggit schema")
        old_fp = functions_sync.function_fingerprint(conn, schemas)
        old = routines(conn, schemas)
        functions_sync.drop_functions(conn, schemas)
        seen: dict[str, str] = {}
        for path in files:
            functions_sync.run_file(conn, path)
            now = functions_sync.function_fingerprint(conn, schemas)
            for key, value in now.items():
                if seen.get(key) != value:
                    origin[key] = path
            seen = now
        new_fp = seen
        new = routines(conn, schemas)
    return Drift(old, new, old_fp, new_fp, origin)


def _literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


_DEFAULT_GRANTS = frozenset({"PUBLIC|EXECUTE|false", "CURRENT_USER|EXECUTE|false"})


def _acl_statements(target: Routine, current: Routine | None) -> list[str]:
    """GRANT/REVOKE turning ``current``'s grants (a fresh routine's when None) into ``target``'s.

    A NULL ACL (the default grants) cannot be restored by GRANT/REVOKE; the equivalent
    explicit grants are given instead.
    """
    current_grants = set(current.grants) if current is not None else set(_DEFAULT_GRANTS)
    current_default = current.default_acl if current is not None else True
    if set(target.grants) == current_grants and (target.default_acl or not current_default):
        return []
    grantees = {g.split("|")[0] for g in (*target.grants, *current_grants)}
    lines = [f"REVOKE ALL ON {target.object_type} {target.signature} FROM {grantee};"
             for grantee in sorted(grantees)]
    for grant in target.grants:
        grantee, privilege, grantable = grant.split("|")
        option = " WITH GRANT OPTION" if grantable == "true" else ""
        lines.append(f"GRANT {privilege} ON {target.object_type} {target.signature} TO {grantee}{option};")
    return lines


def _comment_statements(target: Routine, current: Routine | None) -> list[str]:
    current_comment = current.comment if current is not None else None
    if target.comment == current_comment:
        return []
    return [f"COMMENT ON {target.object_type} {target.signature} IS {_literal(target.comment)};"]


def _needs_drop(a: Routine, b: Routine) -> bool:
    """CREATE OR REPLACE cannot turn ``a`` into ``b`` (result type or parameter names/defaults differ)."""
    return a.result != b.result or a.arguments != b.arguments


def _definition(routine: Routine, current: Routine | None) -> list[str]:
    """Statements re-creating ``routine`` as it was (``current``: how it is at that point, if it exists)."""
    if routine.definition is None:
        return [f"-- aggregate {routine.signature} cannot be re-created automatically: write it here"]
    lines: list[str] = []
    if current is not None and _needs_drop(current, routine):
        lines.append(f"DROP {routine.object_type} {routine.signature};")
        current = None
    lines.append(routine.definition.rstrip() + ";")
    return lines + _comment_statements(routine, current) + _acl_statements(routine, current)


def _header(number: int, name: str, rollback: bool) -> list[str]:
    title = (f"-- rollback of pggit level {number}: {name} (back to level {number - 1})" if rollback
             else f"-- pggit level {number}: {name}")
    return [
        title,
        f"-- Generated by `pggit-sql new-level {name}`; functions come from sql/functions.",
        "",
        "-- ====================================================================",
        TABLE_SECTION,
        "-- (CREATE/ALTER TABLE, types, data changes; schema-qualify every name)",
        "-- ====================================================================",
        "",
        "-- ---- functions (generated) ----",
    ]


def _upgrade_lines(drift: Drift, changes: list[Change], display: dict[Path, str]) -> list[str]:
    """Function statements of the migration: drops, file texts, then comment/grant fix-ups."""
    lines: list[str] = []
    for change in changes:
        old = drift.old.get(change.key)
        if old is None:
            continue
        if change.kind == "removed":
            lines += [f"-- removed: {change.key}", f"DROP {old.object_type} {old.signature};", ""]
        elif change.kind == "changed" and _needs_drop(old, drift.new[change.key]):
            lines += [f"-- {change.key}: result or parameters changed, so it is dropped first",
                      f"DROP {old.object_type} {old.signature};", ""]
    emitted: set[Path] = set()
    # new functions first: a changed one (an event trigger's, say) may call them, and
    # the statements after it in this very migration fire it
    for change in sorted(changes, key=lambda c: c.kind != "new"):
        if change.kind == "removed" or change.file is None or change.file in emitted:
            continue
        emitted.add(change.file)
        keys = ", ".join(f"{c.kind}: {c.key}" for c in changes if c.file == change.file)
        text = change.file.read_text(encoding="utf-8").rstrip()
        lines += [f"-- from {display.get(change.file, str(change.file))} ({keys})", text, ""]
    for change in changes:
        before = drift.old.get(change.key)
        if change.kind != "changed" or before is None:
            continue
        after = drift.new[change.key]
        # CREATE OR REPLACE keeps the old comment and grants: bring them to what the file defines
        current = None if _needs_drop(before, after) else before
        fixups = [line for line in _comment_statements(after, current) if after.comment is None]
        if current is not None and set(after.grants) != set(before.grants):
            fixups += _acl_statements(after, before)
        if after.default_acl and not before.default_acl and current is not None:
            fixups.append(f"-- note: {change.key} keeps explicit grants; only DROP + CREATE restores the "
                          "default (NULL) ACL")
        if fixups:
            lines += [f"-- {change.key}: comment and grants as sql/functions defines them", *fixups, ""]
    return lines


def _downgrade_lines(drift: Drift, changes: list[Change], number: int) -> list[str]:
    """Function statements of the rollback: drop new functions, re-create changed and removed ones."""
    lines: list[str] = []
    # changed functions back first, new ones dropped last: until then the level's own
    # functions (event triggers among them) may still call the new ones
    for change in changes:
        if change.kind in ("changed", "removed"):
            lines += [f"-- as of level {number - 1}: {change.key}",
                      *_definition(drift.old[change.key], drift.new.get(change.key)), ""]
    for change in changes:
        if change.kind == "new":
            fresh = drift.new[change.key]
            lines += [f"-- new in level {number}: {change.key}", f"DROP {fresh.object_type} {fresh.signature};", ""]
    return lines


def render(number: int, name: str, drift: Drift, display: dict[Path, str]) -> tuple[str, str]:
    """The migration and rollback texts of level ``number``."""
    changes = drift.changes()
    up = _header(number, name, rollback=False) + _upgrade_lines(drift, changes, display)
    down = _header(number, name, rollback=True) + _downgrade_lines(drift, changes, number)
    if not changes:
        up += ["-- sql/functions matches the previous level: no function changes", ""]
        down += ["-- no function changes", ""]
    up.append(f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {number}';")
    down.append(f"COMMENT ON SCHEMA pggit IS 'pggit-sql level {number - 1}';")
    return "\n".join(up) + "\n", "\n".join(down) + "\n"


def new_level(name: str, server_dsn: str | Dsn, migrations_dir: Path | None = None,
              functions_dir: Path | None = None) -> NewLevel:
    """Write the next level's migration and rollback from the drift of ``sql/functions``.

    ``server_dsn`` names a server where a scratch database may be created and dropped.
    """
    if not NAME.match(name):
        raise LevelError(f"invalid level name {name!r}: use lowercase letters, digits and _ only")
    migrations_dir = migrations_dir or default_migrations_dir()
    refuse_packaged(migrations_dir, "pggit-sql new-level")
    functions_dir = functions_dir or migrations_dir.parent / "functions"
    levels = discover(migrations_dir)
    number = head(levels) + 1
    migration = migrations_dir / f"{number:04d}_{name}.sql"
    rollback = migrations_dir / f"{number:04d}_{name}.rollback.sql"
    for path in (migration, rollback):
        if path.exists():
            raise PggitError(f"{path} already exists")
    with scratch_database(server_dsn, "pggit_newlevel") as scratch:
        Migrator(scratch, migrations_dir).migrate()
        conn = connect(scratch)
        try:
            drift = compute_drift(conn, functions_dir)
        finally:
            conn.close()
    display = {path: display_path(path) for path in drift.origin.values()}
    up, down = render(number, name, drift, display)
    migration.write_text(up, encoding="utf-8")
    rollback.write_text(down, encoding="utf-8")
    return NewLevel(number, name, migration, rollback, drift.changes())
