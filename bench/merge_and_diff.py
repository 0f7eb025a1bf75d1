"""Merge base and diff (level 4): merge_base, diff and generate_migration against the plain SQL a user would write.

- ``merge_base`` over 10,000 commits: main has 10,000 commits, a branch forked 100
  commits before main's head and has 100 of its own; baseline: a recursive CTE
  collecting both full ancestries and picking the common commit of greatest
  generation (what merge_base computes, without the generation cut-off). Also, for
  information, the worst case: the base is main's first commit (the whole history).
- ``diff`` between two commits of 1,000 tables differing in 100 of them (ADD COLUMN);
  baseline: both trees in full (``pggit.commit_tree``) joined on (kind, identity).
- ``generate_migration`` between the same two commits (100 changed tables: each an
  ALTER TABLE .. ADD COLUMN, names from pggit.object_details); baseline: ``diff`` alone
  (what the generator adds on top of it).
- ``merge`` of two branches over a 1,000-table schema: each branch changed 50 tables of
  its own (ADD COLUMN); the whole merge (three-way, merged tree, merge commit, and the
  migration script of 50 steps), rolled back after each run; baseline: the naive
  per-object three-way of the three full trees (``pggit.commit_tree`` x 3, joined),
  which writes nothing.
"""

from __future__ import annotations

import time

import psycopg

from bench.harness import Result, connect, median_of
from pggit_sql.migrate import Migrator
from pggit_sql.testing.server import PggitServer

RUNS = 15
COMMITS = 10_000
FORK_BACK = 100
TABLES = 1_000
CHANGED = 100
MERGE_CHANGED = 50

_BASELINE_BASE = """
WITH RECURSIVE a (h) AS (
    SELECT %(a)s::text COLLATE "C"
    UNION
    SELECT v.p FROM a JOIN pggit.commits AS c ON c.hash = a.h
     CROSS JOIN LATERAL (VALUES (c.parent_hash), (c.merge_parent_hash)) AS v (p) WHERE v.p IS NOT NULL
), b (h) AS (
    SELECT %(b)s::text COLLATE "C"
    UNION
    SELECT v.p FROM b JOIN pggit.commits AS c ON c.hash = b.h
     CROSS JOIN LATERAL (VALUES (c.parent_hash), (c.merge_parent_hash)) AS v (p) WHERE v.p IS NOT NULL
)
SELECT c.hash FROM a JOIN b ON b.h = a.h JOIN pggit.commits AS c ON c.hash = a.h
 ORDER BY c.generation DESC, c.hash DESC LIMIT 1
"""

_BASELINE_DIFF = """
SELECT coalesce(f.object_identity, t.object_identity), coalesce(f.object_kind, t.object_kind)
  FROM pggit.commit_tree(%(a)s) AS f
  FULL JOIN pggit.commit_tree(%(b)s) AS t ON t.object_kind = f.object_kind AND t.object_identity = f.object_identity
 WHERE f.blob_hash IS DISTINCT FROM t.blob_hash
"""


def _fresh_db(admin: str, name: str) -> None:
    with connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _ms(conn: psycopg.Connection, sql: str, params: dict[str, str]) -> float:
    start = time.perf_counter()
    conn.execute(sql, params).fetchall()
    return (time.perf_counter() - start) * 1e3


def _commits(conn: psycopg.Connection, branch: str, n: int) -> None:
    conn.execute(f"DO $$ BEGIN FOR i IN 1..{n} LOOP PERFORM pggit.commit_changes('{branch}', 'bench'); END LOOP;"
                 " END $$")


def merge_base_costs(conn: psycopg.Connection) -> list[Result]:
    _commits(conn, "main", COMMITS - FORK_BACK)
    conn.execute("SELECT pggit.create_branch('bench/feature')")
    _commits(conn, "main", FORK_BACK)
    _commits(conn, "bench/feature", FORK_BACK)
    conn.execute("VACUUM ANALYZE pggit.commits")
    (first,) = conn.execute("SELECT min(hash) FROM pggit.commits").fetchone()
    a, b = (conn.execute("SELECT pggit.resolve_ref(%s)", (r,)).fetchone()[0] for r in ("main", "bench/feature"))
    expected = conn.execute(_BASELINE_BASE, {"a": a, "b": b}).fetchone()
    assert conn.execute("SELECT pggit.merge_base(%s, %s)", (a, b)).fetchone() == expected
    results = []
    for label, other, target in ((f"forked {FORK_BACK} commits back", b, "<= 10 ms"),
                                 ("worst case: base = first commit", first, "- (info)")):
        params = {"a": a, "b": other}
        ours, samples = median_of(RUNS, lambda p=params: _ms(conn, "SELECT pggit.merge_base(%(a)s, %(b)s)", p))
        plain, _ = median_of(5, lambda p=params: _ms(conn, _BASELINE_BASE, p))
        ok = ours <= 10 if target.startswith("<=") else None
        results.append(Result(f"merge_base over {COMMITS:,} commits, {label}", "ms", ours, plain,
                              "recursive CTE over both ancestries", target, ok, samples))
    return results


def diff_costs(conn: psycopg.Connection) -> list[Result]:
    conn.execute(f"DO $$ BEGIN FOR i IN 1..{TABLES} LOOP"
                 " EXECUTE format('CREATE TABLE public.%I (id bigint PRIMARY KEY, name text, amount numeric)',"
                 " 'bench_t' || i); END LOOP; END $$")
    a = conn.execute("SELECT pggit.commit_changes('main', 'tables')").fetchone()[0]
    conn.execute(f"DO $$ BEGIN FOR i IN 1..{CHANGED} LOOP"
                 " EXECUTE format('ALTER TABLE public.%I ADD COLUMN note text', 'bench_t' || (i * 10));"
                 " END LOOP; END $$")
    b = conn.execute("SELECT pggit.commit_changes('main', 'changed')").fetchone()[0]
    params = {"a": a, "b": b}
    (rows,) = conn.execute("SELECT count(*) FROM pggit.diff(%(a)s, %(b)s)", params).fetchone()
    assert rows == CHANGED, rows
    ours, samples = median_of(RUNS, lambda: _ms(conn, "SELECT * FROM pggit.diff(%(a)s, %(b)s)", params))
    plain, _ = median_of(5, lambda: _ms(conn, _BASELINE_DIFF, params))
    diff_result = Result(f"diff, {TABLES:,} tables, {CHANGED} changed", "ms", ours, plain,
                         "full join of both commit_trees (no definitions)", "<= 100 ms", ours <= 100, samples)
    steps = conn.execute("SELECT * FROM pggit.generate_migration(%(a)s, %(b)s)", params).fetchall()
    assert len(steps) == CHANGED and all(w is None and "ADD COLUMN note text" in s for _, s, w in steps), steps[:3]
    gen, samples = median_of(RUNS, lambda: _ms(conn, "SELECT * FROM pggit.generate_migration(%(a)s, %(b)s)", params))
    gen_result = Result(f"generate_migration, {TABLES:,} tables, {CHANGED} changed", "ms", gen, ours,
                        "pggit.diff alone", "<= 200 ms", gen <= 200, samples)
    return [diff_result, gen_result]


_BASELINE_MERGE = """
SELECT k, i, CASE WHEN o IS NOT DISTINCT FROM t OR o IS NOT DISTINCT FROM b THEN t ELSE o END,
       NOT (o IS NOT DISTINCT FROM t OR o IS NOT DISTINCT FROM b OR t IS NOT DISTINCT FROM b)
  FROM (SELECT coalesce(b.object_kind, o.object_kind, t.object_kind) AS k,
               coalesce(b.object_identity, o.object_identity, t.object_identity) AS i,
               b.blob_hash AS b, o.blob_hash AS o, t.blob_hash AS t
          FROM pggit.commit_tree(%(base)s) AS b
          FULL JOIN pggit.commit_tree(%(ours)s) AS o USING (object_kind, object_identity)
          FULL JOIN pggit.commit_tree(%(theirs)s) AS t
            ON t.object_kind = coalesce(b.object_kind, o.object_kind)
           AND t.object_identity = coalesce(b.object_identity, o.object_identity)) AS x
 WHERE b IS DISTINCT FROM o OR b IS DISTINCT FROM t
"""


def _timed_merge(conn: psycopg.Connection) -> float:
    conn.execute("BEGIN")
    try:
        return _ms(conn, "SELECT * FROM pggit.merge('bench/y', 'bench/x')", {})
    finally:
        conn.execute("ROLLBACK")


def merge_costs(conn: psycopg.Connection) -> list[Result]:
    conn.execute(f"DO $$ BEGIN FOR i IN 1..{TABLES} LOOP"
                 " EXECUTE format('CREATE TABLE public.%I (id bigint PRIMARY KEY, name text, amount numeric)',"
                 " 'bench_t' || i); END LOOP; END $$")
    base = conn.execute("SELECT pggit.commit_changes('main', 'tables')").fetchone()[0]
    for branch, offset in (("bench/x", 0), ("bench/y", 1)):
        conn.execute("SELECT pggit.create_branch(%s)", (branch,))
        conn.execute("SELECT pggit.checkout(%s)", (branch,))
        conn.execute(f"DO $$ BEGIN FOR i IN 1..{MERGE_CHANGED} LOOP"
                     f" EXECUTE format('ALTER TABLE public.%I ADD COLUMN note text', 'bench_t' || (i * 10 + {offset}));"
                     " END LOOP; END $$")
        conn.execute("SELECT pggit.commit_changes(%s, 'changed')", (branch,))
    conn.execute("SELECT pggit.checkout('main')")
    conn.execute("VACUUM ANALYZE")
    conn.execute("BEGIN")
    row = conn.execute("SELECT status, changes, conflicts, migration FROM pggit.merge('bench/y', 'bench/x')").fetchone()
    conn.execute("ROLLBACK")
    assert row[:3] == ("merged", MERGE_CHANGED, 0), row[:3]
    assert row[3].count("ADD COLUMN note text") == MERGE_CHANGED, row[3][:200]
    ours, samples = median_of(RUNS, lambda: _timed_merge(conn))
    params = {"base": base, "ours": conn.execute("SELECT pggit.resolve_ref('bench/x')").fetchone()[0],
              "theirs": conn.execute("SELECT pggit.resolve_ref('bench/y')").fetchone()[0]}
    plain, _ = median_of(5, lambda: _ms(conn, _BASELINE_MERGE, params))
    return [Result(f"merge of two branches, {TABLES:,} tables, {MERGE_CHANGED} changed on each side", "ms", ours,
                   plain, "three full commit_trees joined (no writes)", "<= 200 ms", ours <= 200, samples)]


def run(server: PggitServer) -> list[Result]:
    admin = server.conninfo("postgres")
    results: list[Result] = []
    _fresh_db(admin, "bench_l4_dag")
    Migrator(server.conninfo("bench_l4_dag")).migrate()
    with connect(server.conninfo("bench_l4_dag")) as conn:
        results.extend(merge_base_costs(conn))
    _fresh_db(admin, "bench_l4_diff")
    Migrator(server.conninfo("bench_l4_diff")).migrate()
    with connect(server.conninfo("bench_l4_diff")) as conn:
        results.extend(diff_costs(conn))
    _fresh_db(admin, "bench_l4_merge")
    Migrator(server.conninfo("bench_l4_merge")).migrate()
    with connect(server.conninfo("bench_l4_merge")) as conn:
        results.extend(merge_costs(conn))
    return results
