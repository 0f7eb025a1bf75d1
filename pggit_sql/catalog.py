"""A canonical fingerprint of a database's catalog, for comparing two databases.

:func:`fingerprint` maps one key per catalog object (``"function pggit.f(text)"``,
``"column pggit.commits.hash"``, ...) to a canonical text of its definition, read from
``pg_catalog`` only.  Two databases built the same way have equal fingerprints whatever
their OIDs, their owner's name or the values in their sequences; any difference in a
function body, volatility, security, ``proconfig``, grant, column, constraint, index,
trigger, event trigger, sequence option, type or comment shows as a differing key.

Used by the level tests (up, down, up again), by ``pggit-sql verify`` (live catalog
against the snapshot of the level the database claims) and by the SQL-first guard
(``sql/functions`` against the head level).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

import psycopg

BOOKKEEPING_SCHEMA = "pggit_meta"
# Every bookkeeping schema, as a regular expression on the schema name: pggit's own
# ``pggit_meta`` and the ``pggit_meta_<folder>`` that pggit_sql.migrate uses for a user's
# own migrations folder (see migrate.bookkeeping_schema).  None of them is ever part of a
# level's catalog.
BOOKKEEPING_PATTERN = "^pggit_meta(_.*)?$"
# Level 3 keeps the storage of data branches (tables and generated trigger functions,
# created and dropped at run time) in this schema: its contents are user data, not
# part of a level's catalog, so pggit_schemas() leaves it out.
DATA_SCHEMA = "pggit_data"

# Grants with the owner's name replaced, so that databases owned by different roles compare
# equal, one entry per (grantee, privilege, grantor), sorted (as a set: see canonical()).
_ACL = """
coalesce((
    SELECT string_agg(e.entry, ', ' ORDER BY e.entry COLLATE "C")
    FROM (SELECT format('%s=%s%s by %s',
                     CASE a.grantee WHEN 0 THEN 'PUBLIC' WHEN {owner} THEN '<owner>'
                          ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                     a.privilege_type,
                     CASE WHEN a.is_grantable THEN '*' ELSE '' END,
                     CASE a.grantor WHEN {owner} THEN '<owner>' ELSE pg_catalog.pg_get_userbyid(a.grantor) END)
                 AS entry
          FROM pg_catalog.aclexplode(coalesce({acl}, pg_catalog.acldefault({kind}, {owner}))) AS a) AS e),
    'none')
"""


def _acl(acl: str, owner: str, kind: str) -> str:
    """Grants of an ACL column; a NULL ACL (the default) is spelled out as its explicit
    equivalent, so a rollback that re-creates the same grants explicitly compares equal."""
    return _ACL.format(acl=acl, owner=owner, kind=kind)


_SCHEMAS = """
SELECT 'schema ' || n.nspname,
       concat_ws(E'\\n', 'comment=' || coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), ''),
                 'acl=' || {acl})
FROM pg_catalog.pg_namespace n WHERE {ns}
""".format(acl=_acl("n.nspacl", "n.nspowner", "'n'"), ns="{ns}")

_RELATIONS = """
SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view '
                      WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence '
                      WHEN 'f' THEN 'foreign table ' WHEN 'c' THEN 'composite type ' END
       || n.nspname || '.' || c.relname,
       concat_ws(E'\\n',
           'kind=' || c.relkind::text, 'persistence=' || c.relpersistence::text,
           'options=' || coalesce(c.reloptions::text, ''),
           'rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity,
           'partition key=' || coalesce(pg_catalog.pg_get_partkeydef(c.oid), ''),
           'partition bound=' || coalesce(pg_catalog.pg_get_expr(c.relpartbound, c.oid), ''),
           'inherits=' || coalesce((SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno)
                                    FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid), ''),
           'view=' || CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) ELSE '' END,
           'comment=' || coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), ''),
           'acl=' || {acl})
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND {ns}
""".format(acl=_acl("c.relacl", "c.relowner", "CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\""), ns="{ns}")

# Columns are keyed by name and carry their position among live columns, so a column
# dropped and re-added compares by what it is now, not by its attnum.
_COLUMNS = """
SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname,
       concat_ws(E'\\n',
           'position=' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
           'type=' || pg_catalog.format_type(a.atttypid, a.atttypmod),
           'not null=' || a.attnotnull,
           'default=' || coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''),
           'identity=' || a.attidentity::text, 'generated=' || a.attgenerated::text,
           'collation=' || coalesce((SELECT co.collname FROM pg_catalog.pg_collation co
                                     WHERE co.oid = a.attcollation
                                       AND a.attcollation <> t.typcollation), ''),
           'storage=' || a.attstorage::text, 'options=' || coalesce(a.attoptions::text, ''),
           'comment=' || coalesce(pg_catalog.col_description(c.oid, a.attnum), ''),
           'acl=' || {acl})
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND {ns}
""".format(acl=_acl("a.attacl", "c.relowner", "'c'"), ns="{ns}")

_SEQUENCES = """
SELECT 'sequence options ' || n.nspname || '.' || c.relname,
       concat_ws(' ', pg_catalog.format_type(s.seqtypid, NULL), 'start', s.seqstart, 'increment',
                 s.seqincrement, 'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
                 'owned by', coalesce((SELECT dc.relname || '.' || da.attname
                                       FROM pg_catalog.pg_depend dp
                                       JOIN pg_catalog.pg_class dc ON dc.oid = dp.refobjid
                                       JOIN pg_catalog.pg_attribute da
                                         ON da.attrelid = dp.refobjid AND da.attnum = dp.refobjsubid
                                       WHERE dp.classid = 'pg_catalog.pg_class'::regclass
                                         AND dp.objid = c.oid AND dp.deptype IN ('a', 'i')
                                         AND dp.refclassid = 'pg_catalog.pg_class'::regclass), '-'))
FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE {ns}
"""

_CONSTRAINTS = """
SELECT 'constraint ' || n.nspname || '.'
       || coalesce(c.relname, t.typname) || '.' || k.conname,
       concat_ws(E'\\n', 'type=' || k.contype::text, pg_catalog.pg_get_constraintdef(k.oid),
                 'deferrable=' || k.condeferrable || '/' || k.condeferred, 'valid=' || k.convalidated,
                 'comment=' || coalesce(pg_catalog.obj_description(k.oid, 'pg_constraint'), ''))
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace
LEFT JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_catalog.pg_type t ON t.oid = k.contypid
WHERE {ns}
"""

_INDEXES = """
SELECT 'index ' || n.nspname || '.' || c.relname,
       concat_ws(E'\\n', pg_catalog.pg_get_indexdef(c.oid),
                 'comment=' || coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), ''))
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE {ns}
"""

_TRIGGERS = """
SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || g.tgname,
       concat_ws(E'\\n', pg_catalog.pg_get_triggerdef(g.oid), 'enabled=' || g.tgenabled::text)
FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT g.tgisinternal AND {ns}
"""

_FUNCTIONS = """
SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END
       || n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       concat_ws(E'\\n',
           CASE WHEN p.prokind = 'a' THEN 'aggregate returning '
                     || pg_catalog.format_type(p.prorettype, NULL)
                ELSE pg_catalog.pg_get_functiondef(p.oid) END,
           'volatility=' || p.provolatile::text, 'security definer=' || p.prosecdef,
           'strict=' || p.proisstrict, 'leakproof=' || p.proleakproof, 'parallel=' || p.proparallel::text,
           'config=' || coalesce(p.proconfig::text, ''),
           'comment=' || coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), ''),
           'acl=' || {acl})
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE {ns}
""".format(acl=_acl("p.proacl", "p.proowner", "'f'"), ns="{ns}")

_TYPES = """
SELECT 'type ' || n.nspname || '.' || t.typname,
       concat_ws(E'\\n', 'typtype=' || t.typtype::text,
           'labels=' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                   FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), ''),
           'base=' || CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                           ELSE '' END,
           'not null=' || t.typnotnull, 'default=' || coalesce(t.typdefault, ''),
           'range subtype=' || coalesce((SELECT pg_catalog.format_type(r.rngsubtype, NULL)
                                          FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid), ''),
           'comment=' || coalesce(pg_catalog.obj_description(t.oid, 'pg_type'), ''),
           'acl=' || {acl})
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'r', 'm') AND {ns}
""".format(acl=_acl("t.typacl", "t.typowner", "'T'"), ns="{ns}")

_POLICIES = """
SELECT 'policy ' || n.nspname || '.' || c.relname || '.' || p.polname,
       concat_ws(E'\\n', 'cmd=' || p.polcmd::text, 'permissive=' || p.polpermissive,
                 'roles=' || (SELECT string_agg(x.name, ',' ORDER BY x.name COLLATE "C")
                              FROM (SELECT CASE r WHEN 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(r) END
                                           AS name
                                    FROM unnest(p.polroles) AS r) AS x),
                 'using=' || coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''),
                 'check=' || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), ''))
FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE {ns}
"""

_RULES = """
SELECT 'rule ' || r.schemaname || '.' || r.tablename || '.' || r.rulename, r.definition
FROM pg_catalog.pg_rules r JOIN pg_catalog.pg_namespace n ON n.nspname = r.schemaname WHERE {ns}
"""

# Event triggers belong to the database, not to a schema: all of them are listed, with the
# schema of the function they call, so that a schema filter still sees pggit's own.
_EVENT_TRIGGERS = """
SELECT 'event trigger ' || e.evtname,
       concat_ws(E'\\n', 'event=' || e.evtevent, 'function=' || e.evtfoid::regprocedure::text,
                 'enabled=' || e.evtenabled::text, 'tags=' || coalesce(e.evttags::text, ''),
                 'comment=' || coalesce(pg_catalog.obj_description(e.oid, 'pg_event_trigger'), ''))
FROM pg_catalog.pg_event_trigger e
JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE {ns_or_all}
"""

_EXTENSIONS = """
SELECT 'extension ' || x.extname, 'version=' || x.extversion || E'\\nschema=' || n.nspname
FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
WHERE x.extname <> 'plpgsql' AND {ns}
"""

_QUERIES = (_SCHEMAS, _RELATIONS, _COLUMNS, _SEQUENCES, _CONSTRAINTS, _INDEXES, _TRIGGERS, _FUNCTIONS,
            _TYPES, _POLICIES, _RULES, _EXTENSIONS)

_USER_SCHEMAS = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ %(bookkeeping)s "
    "AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"
)


def _namespace_filter(schemas: Sequence[str] | None) -> str:
    if schemas is None:
        return _USER_SCHEMAS
    return "n.nspname = ANY(%(schemas)s) AND n.nspname !~ %(bookkeeping)s"


def fingerprint(conn: psycopg.Connection, schemas: Sequence[str] | None = None) -> dict[str, str]:
    """Canonical definitions of every catalog object in ``schemas``, keyed by object.

    ``schemas=None`` means every non-system schema.  The bookkeeping schemas
    ``pggit_meta`` and ``pggit_meta_*`` (yoyo's records, checksums) are never included:
    they describe how a database got to its level, not the level itself.  Event triggers
    are included when their function lives in one of the schemas (all of them when
    ``schemas`` is None).
    """
    ns = _namespace_filter(schemas)
    params = {"schemas": list(schemas) if schemas is not None else None, "bookkeeping": BOOKKEEPING_PATTERN}
    result: dict[str, str] = {}
    event_triggers = _EVENT_TRIGGERS.replace("{ns_or_all}", "{ns}" if schemas is not None else "true")
    with conn.cursor() as cur:
        for query in (*_QUERIES, event_triggers):
            # literal % in the queries (format() patterns) must not be taken for placeholders
            cur.execute(query.replace("%", "%%").format(ns=ns).encode(), params)
            result.update((key, value) for key, value in cur.fetchall())
    return canonical(result)


# --------------------------------------------------------------------------- across majors

# Relation privileges of GRANT ALL before PostgreSQL 17; 17 added MAINTAIN to ALL and to the owner's default.
_TABLE_PRIVILEGES_BEFORE_17 = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
_PRIVILEGE = ("SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER|MAINTAIN|EXECUTE|USAGE|CREATE|"
              "TEMPORARY|CONNECT|SET|ALTER SYSTEM")
_ACL_ENTRY = re.compile(rf"(?P<grantee>.*?)=(?P<privilege>{_PRIVILEGE})(?P<grantable>\*?) by (?P<grantor>.*)")
_RELATION_KEYS = ("table ", "view ", "materialized view ", "foreign table ")


def _canonical_acl(key: str, line: str) -> str:
    """``acl=a, b, c`` as a sorted set of entries, without a MAINTAIN that only GRANT ALL (17+) implies.

    A grantee holding every pre-17 table privilege from a grantor also holds MAINTAIN from
    it on 17 and later (GRANT ALL, the owner's default): that MAINTAIN is dropped, so the
    same grants compare equal on every major.  A MAINTAIN granted on its own stays.
    """
    body = line[len("acl="):]
    if body == "none":
        return line
    entries = set(body.split(", "))
    if key.startswith(_RELATION_KEYS):
        for entry in list(entries):
            match = _ACL_ENTRY.fullmatch(entry)
            if match is None or match["privilege"] != "MAINTAIN":
                continue
            implied = {f"{match['grantee']}={p}{match['grantable']} by {match['grantor']}"
                       for p in _TABLE_PRIVILEGES_BEFORE_17}
            if implied <= entries:
                entries.discard(entry)
    return "acl=" + ", ".join(sorted(entries))


def _plain_not_null_constraint(key: str, lines: list[str]) -> bool:
    """A NOT NULL catalogued as a constraint row (18 for columns, 17 for domains) that says no more
    than the column's (or domain's) ``not null=true``: validated, inheritable, no comment."""
    return (key.startswith("constraint ") and bool(lines) and lines[0] == "type=n"
            and "valid=true" in lines and "comment=" in lines
            and not any(line.startswith("NOT NULL ") and line.endswith(" NO INHERIT") for line in lines))


def canonical(fp: Mapping[str, str]) -> dict[str, str]:
    """A fingerprint in the form that is the same on every PostgreSQL major, sorted by key.

    Grants compare as sets (``acl=`` entries sorted, policy ``roles=`` sorted), a MAINTAIN
    privilege implied by GRANT ALL on 17+ is dropped (:func:`_canonical_acl`), and plain
    NOT NULL constraint rows (18 catalogues every column's NOT NULL in pg_constraint) are
    left out: the column's ``not null=`` line already says it.  Idempotent, so it can be
    applied both to a live fingerprint and to a snapshot written by an older version.
    """
    result: dict[str, str] = {}
    for key, value in fp.items():
        lines = value.split("\n")
        if _plain_not_null_constraint(key, lines):
            continue
        # the grants are always an entry's last line (earlier lines may be a function's body)
        if lines[-1].startswith("acl="):
            lines[-1] = _canonical_acl(key, lines[-1])
        if key.startswith("policy ") and len(lines) > 2 and lines[2].startswith("roles="):
            lines[2] = "roles=" + ",".join(sorted(lines[2][len("roles="):].split(",")))
        result[key] = "\n".join(lines)
    return dict(sorted(result.items()))


# A relation entry's view text: from its ``view=`` line to the ``;`` that ends the line
# before ``comment=`` (pg_get_viewdef always ends with ``;``).
_VIEW_TEXT = re.compile(r"(?<=\nview=)(?P<text>.*?;)(?=\ncomment=)", re.S)


def view_text(value: str) -> str | None:
    """The ``pg_get_viewdef`` text inside a view's fingerprint entry, or None."""
    match = _VIEW_TEXT.search(value)
    return match["text"] if match else None


def rebase_views(conn: psycopg.Connection, expected: Mapping[str, str],
                 actual: Mapping[str, str]) -> dict[str, str]:
    """``expected`` with each view text that differs from ``actual``'s re-deparsed by ``conn``'s server.

    ``pg_get_viewdef`` prints the same view differently across majors (16 and later leave
    out the table qualifier where the query has a single relation), so a snapshot written
    on 15 would report every view as drift on 18.  Each differing view text of the
    snapshot is created as a temporary view and printed back by the live server, in a
    transaction that is rolled back: equal when the view means the same.  A text the
    server cannot create stays as it was (and shows as a difference).  Run it with the
    ``search_path`` the fingerprint was taken with (names are printed relative to it).
    """
    result = dict(expected)
    todo = []
    for key, value in expected.items():
        if not key.startswith(("view ", "materialized view ")) or key not in actual:
            continue
        want, have = view_text(value), view_text(actual[key])
        if want is not None and have is not None and want != have:
            todo.append((key, value, want))
    if not todo:
        return result
    with conn.transaction(force_rollback=True):
        for number, (key, value, want) in enumerate(todo):
            name = f"pggit_verify_view_{number}"
            try:
                with conn.transaction():
                    conn.execute(f"CREATE TEMPORARY VIEW {name} AS {want.rstrip(';')}".encode())
                    row = conn.execute(
                        f"SELECT pg_catalog.pg_get_viewdef('pg_temp.{name}'::pg_catalog.regclass)".encode()
                    ).fetchone()
            except psycopg.Error:
                continue
            if row is not None and row[0] is not None:
                result[key] = value.replace(f"\nview={want}\ncomment=", f"\nview={row[0]}\ncomment=", 1)
    return result


def pggit_schemas(conn: psycopg.Connection) -> list[str]:
    """pggit's own schemas in this database: ``pggit`` and ``pggit_*`` except the bookkeeping ones
    and :data:`DATA_SCHEMA` (data branch storage)."""
    rows = conn.execute(
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE (nspname = 'pggit' OR nspname LIKE 'pggit\\_%%')"
        " AND nspname !~ %s AND nspname <> %s ORDER BY 1",
        (BOOKKEEPING_PATTERN, DATA_SCHEMA),
    ).fetchall()
    return [row[0] for row in rows]


def standalone_relations(conn: psycopg.Connection, schema: str) -> list[tuple[int, str, str]]:
    """``(oid, name, relkind)`` of the tables, views and sequences of ``schema`` that are not part of
    another (an identity or serial column's sequence is its table's), by name: what sql/tables
    defines one file each."""
    rows = conn.execute(
        "SELECT c.oid::int8, c.relname, c.relkind::text FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND (c.relkind IN ('r', 'p', 'v', 'm')"
        "   OR (c.relkind = 'S' AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
        "                                        WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))))"
        ' ORDER BY c.relname COLLATE "C"', (schema,)).fetchall()
    return [(int(oid), str(name), str(kind)) for oid, name, kind in rows]


def only(prefixes: Sequence[str], fp: dict[str, str]) -> dict[str, str]:
    """The entries of ``fp`` whose key starts with one of ``prefixes`` (e.g. ``("function ",)``)."""
    return {key: value for key, value in fp.items() if key.startswith(tuple(prefixes))}


def diff(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    """Human-readable differences between two fingerprints; empty when they are equal.

    Both sides are compared in :func:`canonical` form, so a snapshot written on another
    major (or before grants were sorted) compares by what it says, not how it was spelled.
    """
    expected, actual = canonical(expected), canonical(actual)
    lines: list[str] = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            lines.append(f"missing: {key}")
        elif key not in expected:
            lines.append(f"unexpected: {key}")
        elif expected[key] != actual[key]:
            # a unified diff (one line of context) without its two header lines (---, +++)
            hunks = list(difflib.unified_diff(expected[key].splitlines(), actual[key].splitlines(), n=1, lineterm=""))
            changed = [f"    {line}" for line in hunks[2:]]
            lines.append(f"changed: {key}\n" + "\n".join(changed))
    return lines
