"""Consistency checks of a pggit database, for crash, concurrency and hostile-input tests.

:func:`problems` returns one line per broken invariant (empty when all hold).  Each
check is one query over pggit's tables and the catalog, so it works at any level
(checks for tables of higher levels run only when those tables exist):

- every branch head is a commit; the commits of a branch form one linear chain that
  ends at its head (walking ``parent_hash`` from the head visits every commit of the
  branch, and only those, before leaving the branch);
- a branch's first commit's parent is a commit of another branch or NULL (no fork:
  the UNIQUE (branch_id, parent_hash) constraint backs this up);
- history rows point at existing commits, and every commit's schema tree is stored
  (level 2): no commit is half recorded;
- every data branch has its view, its delta and base tables and its write trigger
  function, and pggit_data holds no storage without a data branch (level 3);
- every data table has at least one data branch (level 3).
"""

from __future__ import annotations

import psycopg

_BRANCH_CHAINS = """
WITH RECURSIVE walk AS (
    SELECT b.id AS branch_id, c.hash, c.parent_hash, 1 AS depth
      FROM pggit.branches AS b JOIN pggit.commits AS c ON c.hash = b.head_commit_hash AND c.branch_id = b.id
    UNION ALL
    SELECT w.branch_id, c.hash, c.parent_hash, w.depth + 1
      FROM walk AS w JOIN pggit.commits AS c ON c.hash = w.parent_hash AND c.branch_id = w.branch_id
)
SELECT b.name, (SELECT count(*) FROM pggit.commits AS c WHERE c.branch_id = b.id) AS commits,
       (SELECT count(*) FROM walk AS w WHERE w.branch_id = b.id) AS reachable
  FROM pggit.branches AS b
 WHERE (SELECT count(*) FROM pggit.commits AS c WHERE c.branch_id = b.id)
       <> (SELECT count(*) FROM walk AS w WHERE w.branch_id = b.id)
"""

_DANGLING_HEADS = """
SELECT b.name, b.head_commit_hash FROM pggit.branches AS b
 WHERE b.head_commit_hash IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM pggit.commits AS c WHERE c.hash = b.head_commit_hash)
"""

_HISTORY = """
SELECT h.id, h.commit_hash FROM pggit.history AS h
 WHERE h.commit_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pggit.commits AS c WHERE c.hash = h.commit_hash)
"""

_TREES = """
SELECT c.hash, c.schema_hash FROM pggit.commits AS c
 WHERE c.schema_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pggit.trees AS t WHERE t.hash = c.schema_hash)
"""

_DATA_BRANCH_STORAGE = """
SELECT db.id, db.relation_schema, db.relation_name,
       to_regclass(format('%I.%I', db.relation_schema, db.relation_name)) IS NULL AS no_view,
       to_regclass(format('pggit_data.%I', 'd' || db.id)) IS NULL AS no_delta,
       to_regclass(format('pggit_data.%I', 'b' || db.id)) IS NULL AS no_base,
       to_regprocedure(format('pggit_data.%I()', 'w' || db.id)) IS NULL AS no_trigger_function,
       NOT EXISTS (SELECT 1 FROM pg_class AS c WHERE c.oid = db.relid) AS no_table
  FROM pggit.data_branches AS db
"""

_ORPHAN_STORAGE = """
SELECT c.relname FROM pg_class AS c
 WHERE c.relnamespace = 'pggit_data'::regnamespace AND c.relkind = 'r'
   AND NOT EXISTS (SELECT 1 FROM pggit.data_branches AS db WHERE c.relname IN ('d' || db.id, 'b' || db.id))
"""

_ORPHAN_DATA_TABLES = """
SELECT dt.relid FROM pggit.data_tables AS dt
 WHERE NOT EXISTS (SELECT 1 FROM pggit.data_branches AS db WHERE db.relid = dt.relid)
"""


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (relation,)).fetchone()
    return bool(row and row[0])


def problems(conn: psycopg.Connection) -> list[str]:
    """Every broken invariant, one line each (see the module docstring)."""
    found: list[str] = []
    for name, commits, reachable in conn.execute(_BRANCH_CHAINS).fetchall():
        found.append(f"branch {name!r}: {commits} commits, {reachable} on the chain from its head")
    for name, head in conn.execute(_DANGLING_HEADS).fetchall():
        found.append(f"branch {name!r}: head {head} is no commit")
    if _exists(conn, "pggit.history"):
        for hid, commit in conn.execute(_HISTORY).fetchall():
            found.append(f"history row {hid}: commit {commit} does not exist")
    if _exists(conn, "pggit.trees"):
        for commit, tree in conn.execute(_TREES).fetchall():
            found.append(f"commit {commit}: its schema tree {tree} is not stored")
    if _exists(conn, "pggit.data_branches"):
        for row in conn.execute(_DATA_BRANCH_STORAGE).fetchall():
            missing = [label for label, flag in zip(
                ("view", "delta table", "base table", "trigger function", "table"), row[3:], strict=True) if flag]
            if missing:
                found.append(f"data branch {row[0]} ({row[1]}.{row[2]}): missing {', '.join(missing)}")
        for (relname,) in conn.execute(_ORPHAN_STORAGE).fetchall():
            found.append(f"pggit_data.{relname}: storage without a data branch")
        for (relid,) in conn.execute(_ORPHAN_DATA_TABLES).fetchall():
            found.append(f"pggit.data_tables row {relid}: no data branch")
    return found
