-- pggit.branch_divergence(branch_id bigint) -> (ahead bigint, behind bigint)
--
-- Promises: for the branch with this id, `ahead` = the number of commits reachable
-- from its head (following parent_hash) that are not reachable from its parent
-- branch's head, and `behind` = the reverse count. A branch without a parent (main)
-- or an unknown id gives (0, 0). Reads only; never raises. Cost: both ancestries
-- (O(history of the two heads)). Used by the view pggit.branch_list.
CREATE OR REPLACE FUNCTION pggit.branch_divergence(branch_id bigint, OUT ahead bigint, OUT behind bigint)
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
WITH RECURSIVE heads AS (
    SELECT b.head_commit_hash AS mine, p.head_commit_hash AS theirs
      FROM pggit.branches AS b
      JOIN pggit.branches AS p ON p.id = b.parent_branch_id
     WHERE b.id = branch_divergence.branch_id
), mine(hash) AS (
    SELECT h.mine FROM heads AS h WHERE h.mine IS NOT NULL
    UNION
    SELECT c.parent_hash FROM pggit.commits AS c JOIN mine AS m ON c.hash = m.hash
     WHERE c.parent_hash IS NOT NULL
), theirs(hash) AS (
    SELECT h.theirs FROM heads AS h WHERE h.theirs IS NOT NULL
    UNION
    SELECT c.parent_hash FROM pggit.commits AS c JOIN theirs AS t ON c.hash = t.hash
     WHERE c.parent_hash IS NOT NULL
)
SELECT (SELECT pg_catalog.count(*) FROM mine AS m WHERE NOT EXISTS (SELECT 1 FROM theirs AS t WHERE t.hash = m.hash)),
       (SELECT pg_catalog.count(*) FROM theirs AS t WHERE NOT EXISTS (SELECT 1 FROM mine AS m WHERE m.hash = t.hash))
$function$;

COMMENT ON FUNCTION pggit.branch_divergence(bigint) IS
    'Commits a branch is ahead of and behind its parent branch: (ahead, behind).';
