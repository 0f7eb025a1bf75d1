"""Write sql/tables/: the head definition of every relation in schema pggit, one file each.

Usage: python tools/dump_tables.py [--dsn DSN]

The levels build pggit's tables step by step (``pggit.commits`` is created in one level and
altered in others); sql/tables is where each table's definition at head is read in one
piece. This writes it from a scratch database migrated to head (on ``--dsn``'s server,
else the development cluster), from ``pg_catalog`` only: columns, constraints (foreign keys
as ``ALTER TABLE`` at the end, since tables refer to each other in circles), indexes,
triggers, row-level security and policies, storage options, comments and grants; the
standalone sequences and views too. ``tests/levels/test_table_drift.py`` builds a database
from sql/functions and these files and fails when its tables differ from a database at
head: after a level changes a table, run this again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's pggit_sql

from pggit_sql import catalog, devdb  # noqa: E402
from pggit_sql.db import scratch_database  # noqa: E402
from pggit_sql.levels import discover, head  # noqa: E402
from pggit_sql.migrate import Migrator  # noqa: E402

TABLES_DIR = ROOT / "sql" / "tables"
SCHEMA = "pggit"

COLUMNS = """
SELECT pg_catalog.format('%%I', a.attname),
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
            THEN pg_catalog.format(' COLLATE %%I', co.collname) ELSE '' END,
       a.attidentity, a.attgenerated, pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
       pg_catalog.col_description(a.attrelid, a.attnum)
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""

CONSTRAINTS = """
SELECT pg_catalog.format('%%I', con.conname), con.contype, pg_catalog.pg_get_constraintdef(con.oid),
       pg_catalog.obj_description(con.oid, 'pg_constraint')
  FROM pg_catalog.pg_constraint con
 WHERE con.conrelid = %s AND con.contype NOT IN ('n', 't')  -- not-null (18) and constraint triggers: their own lines
 ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 WHEN 'c' THEN 3 ELSE 4 END,
          con.conname COLLATE "C"
"""

INDEXES = """
SELECT pg_catalog.pg_get_indexdef(i.indexrelid), pg_catalog.format('%%I.%%I', %s::text, ic.relname),
       pg_catalog.obj_description(i.indexrelid, 'pg_class')
  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
 WHERE i.indrelid = %s AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid
                                                                           AND con.conrelid = i.indrelid)
 ORDER BY ic.relname COLLATE "C"
"""

TRIGGERS = """
SELECT pg_catalog.pg_get_triggerdef(tg.oid), tg.tgenabled, pg_catalog.format('%%I', tg.tgname),
       pg_catalog.obj_description(tg.oid, 'pg_trigger')
  FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = %s AND NOT tg.tgisinternal ORDER BY tg.tgname COLLATE "C"
"""

POLICIES = """
SELECT pg_catalog.format('%%I', p.polname), p.polpermissive, p.polcmd,
       coalesce((SELECT pg_catalog.string_agg(CASE r WHEN 0 THEN 'PUBLIC' ELSE pg_catalog.format('%%I', a.rolname) END,
                                              ', ' ORDER BY a.rolname)
                   FROM pg_catalog.unnest(p.polroles) r LEFT JOIN pg_catalog.pg_authid a ON a.oid = r), 'PUBLIC'),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
  FROM pg_catalog.pg_policy p WHERE p.polrelid = %s ORDER BY p.polname COLLATE "C"
"""

# Grants to roles other than the owner, in GRANT form (table-level, then column-level).
GRANTS = """
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.format('%%I', r.rolname) END,
       a.privilege_type, a.is_grantable, NULL::text
  FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
 WHERE c.oid = %s AND a.grantee <> c.relowner
UNION ALL
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.format('%%I', r.rolname) END,
       a.privilege_type, a.is_grantable, pg_catalog.format('%%I', att.attname)
  FROM pg_catalog.pg_attribute att JOIN pg_catalog.pg_class c ON c.oid = att.attrelid,
       pg_catalog.aclexplode(att.attacl) a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
 WHERE att.attrelid = %s AND att.attacl IS NOT NULL AND a.grantee <> c.relowner
 ORDER BY 4 NULLS FIRST, 1, 2
"""

PRIVILEGE_ORDER = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "USAGE"]


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def grants(conn: psycopg.Connection, oid: int, name: str, kind: str) -> list[str]:
    rows = conn.execute(GRANTS, (oid, oid)).fetchall()
    grouped: dict[tuple[str, bool, str | None], list[str]] = {}
    for grantee, privilege, grantable, column in rows:
        grouped.setdefault((grantee, grantable, column), []).append(privilege)
    lines = []
    on = {"S": "SEQUENCE "}.get(kind, "")
    for (grantee, grantable, column), privileges in grouped.items():
        ordered = sorted(privileges, key=PRIVILEGE_ORDER.index)
        what = ", ".join(f"{p} ({column})" for p in ordered) if column else ", ".join(ordered)
        lines.append(f"GRANT {what} ON {on}{name} TO {grantee}" + (" WITH GRANT OPTION" if grantable else "") + ";")
    return lines


def comment(target: str, text: str | None) -> list[str]:
    return [f"COMMENT ON {target} IS {quote_literal(text)};"] if text else []


def table_file(conn: psycopg.Connection, oid: int, relname: str, level: str) -> str:
    name = f"{SCHEMA}.{relname}"
    row = conn.execute("SELECT pg_catalog.format('%%I.%%I', %s::text, c.relname), c.relrowsecurity,"
                       " c.relforcerowsecurity, c.reloptions, pg_catalog.obj_description(c.oid, 'pg_class'),"
                       " c.relkind, pg_catalog.pg_get_partkeydef(c.oid)"
                       " FROM pg_catalog.pg_class c WHERE c.oid = %s", (SCHEMA, oid)).fetchone()
    assert row is not None
    qualified, rls, force_rls, options, table_comment, relkind, partkey = row
    body: list[str] = []
    column_comments: list[str] = []
    for ident, typ, collate, identity, generated, default, notnull, col_comment in conn.execute(
            COLUMNS, (oid,)).fetchall():
        parts = [f"{ident} {typ}{collate}"]
        if identity:
            parts.append("GENERATED " + ("ALWAYS" if identity == "a" else "BY DEFAULT") + " AS IDENTITY")
        elif generated:
            parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
        elif default is not None:
            parts.append(f"DEFAULT {default}")
        if notnull:
            parts.append("NOT NULL")
        body.append(" ".join(parts))
        column_comments += comment(f"COLUMN {qualified}.{ident}", col_comment)
    after: list[str] = []
    for cname, contype, definition, con_comment in conn.execute(CONSTRAINTS, (oid,)).fetchall():
        if contype == "f":
            after.append(f"ALTER TABLE {qualified} ADD CONSTRAINT {cname} {definition};")
        else:
            body.append(f"CONSTRAINT {cname} {definition}")
        after += comment(f"CONSTRAINT {cname} ON {qualified}", con_comment)
    lines = [f"-- {name}: head definition", "--",
             f"-- {table_comment}" if table_comment else f"-- {name}",
             "--",
             "-- Generated by tools/dump_tables.py from a database at head; tests/levels/test_table_drift.py",
             "-- fails when a database at head differs. The levels (sql/migrations) make it step by step.",
             f"CREATE TABLE {qualified} ("]
    lines.append(",\n".join(f"    {b}" for b in body))
    suffix = ")"
    if relkind == "p":
        suffix += f" PARTITION BY {partkey}"
    if options:
        suffix += f" WITH ({', '.join(options)})"
    lines.append(suffix + ";")
    lines += after
    for definition, index_name, idx_comment in conn.execute(INDEXES, (SCHEMA, oid)).fetchall():
        lines.append(definition + ";")
        lines += comment(f"INDEX {index_name}", idx_comment)
    for definition, enabled, tgname, tg_comment in conn.execute(TRIGGERS, (oid,)).fetchall():
        lines.append(definition + ";")
        state = {"D": "DISABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}.get(enabled)
        if state:
            lines.append(f"ALTER TABLE {qualified} {state} TRIGGER {tgname};")
        lines += comment(f"TRIGGER {tgname} ON {qualified}", tg_comment)
    if rls:
        lines.append(f"ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY;")
    if force_rls:
        lines.append(f"ALTER TABLE {qualified} FORCE ROW LEVEL SECURITY;")
    commands = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
    for pname, permissive, cmd, roles, qual, check in conn.execute(POLICIES, (oid,)).fetchall():
        text = (f"CREATE POLICY {pname} ON {qualified} AS {'PERMISSIVE' if permissive else 'RESTRICTIVE'}"
                f" FOR {commands[cmd]} TO {roles}")
        if qual:
            text += f" USING ({qual})"
        if check:
            text += f" WITH CHECK ({check})"
        lines.append(text + ";")
    lines += comment(f"TABLE {qualified}", table_comment)
    lines += column_comments
    lines += grants(conn, oid, qualified, "r")
    return "\n".join(lines) + "\n"


def sequence_file(conn: psycopg.Connection, oid: int, relname: str, level: str) -> str:
    row = conn.execute(
        "SELECT pg_catalog.format('%%I.%%I', %s::text, c.relname), pg_catalog.format_type(s.seqtypid, NULL),"
        " s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,"
        " pg_catalog.obj_description(c.oid, 'pg_class')"
        " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid WHERE c.oid = %s",
        (SCHEMA, oid)).fetchone()
    assert row is not None
    qualified, typ, start, increment, minimum, maximum, cache, cycle, seq_comment = row
    lines = [f"-- {SCHEMA}.{relname}: head definition (a sequence of its own)", "--",
             f"-- {seq_comment}" if seq_comment else f"-- {SCHEMA}.{relname}", "--",
             "-- Generated by tools/dump_tables.py from a database at head; tests/levels/test_table_drift.py",
             "-- fails when a database at head differs.",
             f"CREATE SEQUENCE {qualified} AS {typ} INCREMENT BY {increment} MINVALUE {minimum} MAXVALUE {maximum}"
             f" START WITH {start} CACHE {cache}{' CYCLE' if cycle else ''};"]
    lines += comment(f"SEQUENCE {qualified}", seq_comment)
    lines += grants(conn, oid, qualified, "S")
    return "\n".join(lines) + "\n"


def view_file(conn: psycopg.Connection, oid: int, relname: str, level: str) -> str:
    row = conn.execute("SELECT pg_catalog.format('%%I.%%I', %s::text, c.relname), pg_catalog.pg_get_viewdef(c.oid),"
                       " c.reloptions, pg_catalog.obj_description(c.oid, 'pg_class')"
                       " FROM pg_catalog.pg_class c WHERE c.oid = %s", (SCHEMA, oid)).fetchone()
    assert row is not None
    qualified, definition, options, view_comment = row
    with_options = f" WITH ({', '.join(options)})" if options else ""
    lines = [f"-- {SCHEMA}.{relname}: head definition (a view)", "--",
             f"-- {view_comment}" if view_comment else f"-- {SCHEMA}.{relname}", "--",
             "-- Generated by tools/dump_tables.py from a database at head; tests/levels/test_table_drift.py",
             "-- fails when a database at head differs.",
             f"CREATE VIEW {qualified}{with_options} AS", definition.rstrip()]
    lines += comment(f"VIEW {qualified}", view_comment)
    for column, col_comment in conn.execute(
            "SELECT pg_catalog.format('%%I', attname), pg_catalog.col_description(attrelid, attnum)"
            " FROM pg_catalog.pg_attribute WHERE attrelid = %s AND attnum > 0 ORDER BY attnum", (oid,)).fetchall():
        lines += comment(f"COLUMN {qualified}.{column}", col_comment)
    lines += grants(conn, oid, qualified, "v")
    return "\n".join(lines) + "\n"


def write_all(dsn: str, directory: Path = TABLES_DIR) -> list[Path]:
    level = discover()[-1].name
    written = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        relations = catalog.standalone_relations(conn, SCHEMA)
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.sql"):
            old.unlink()
        for oid, relname, relkind in relations:
            maker = {"r": table_file, "p": table_file, "S": sequence_file}.get(relkind, view_file)
            path = directory / f"{relname}.sql"
            path.write_text(maker(conn, oid, relname, level), encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server where a scratch database may be created (default: dev cluster)")
    args = parser.parse_args(argv)
    server = args.dsn or devdb.start()
    with scratch_database(server, "pggit_tables") as scratch:
        Migrator(scratch).migrate(to=head(discover()))
        for path in write_all(scratch):
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
