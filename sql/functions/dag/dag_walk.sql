-- pggit.dag_walk(a text, b text, low bigint) -> TABLE(hash text, generation bigint, sides integer)
--
-- Promises: every commit reachable from commit `a` or commit `b` (each included) by
-- following parent_hash and merge_parent_hash, walking only through commits whose
-- generation is >= `low`; `sides` says from which ones it was reached: 1 = a only,
-- 2 = b only, 3 = both. Commits with generation >= low are found exactly (every path
-- to them runs through higher generations). Commits with generation < low are the
-- boundary: parents of walked commits, listed but not walked further, so their sides
-- are a lower bound. An unknown or NULL a / b contributes nothing; low NULL walks
-- nothing beyond a and b. Never raises. Order unspecified.
-- Internal building block of pggit.dag_merge_base and pggit.dag_path; readable by
-- everyone (it reads only pggit.commits). STABLE, SECURITY INVOKER.
-- Cost: one primary-key lookup per edge walked: O(commits with generation >= low
-- reachable from a or b).
CREATE OR REPLACE FUNCTION pggit.dag_walk(a text, b text, low bigint)
RETURNS TABLE(hash text, generation bigint, sides integer)
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
WITH RECURSIVE walk(hash, generation, parent_hash, merge_parent_hash, side) AS (
    SELECT c.hash, c.generation, c.parent_hash, c.merge_parent_hash, s.side
      FROM (VALUES (dag_walk.a, 1), (dag_walk.b, 2)) AS s (hash, side)
      JOIN pggit.commits AS c ON c.hash = s.hash
    UNION
    SELECT c.hash, c.generation, c.parent_hash, c.merge_parent_hash, w.side
      FROM walk AS w
     CROSS JOIN LATERAL (VALUES (w.parent_hash), (w.merge_parent_hash)) AS p (hash)
      JOIN pggit.commits AS c ON c.hash = p.hash
     WHERE w.generation >= dag_walk.low
)
SELECT w.hash::text, w.generation, pg_catalog.bit_or(w.side)
  FROM walk AS w
 GROUP BY w.hash, w.generation
$function$;

COMMENT ON FUNCTION pggit.dag_walk(text, text, bigint) IS
    'Internal: commits reachable from a or b down to generation low, with sides (1 a, 2 b, 3 both).';
