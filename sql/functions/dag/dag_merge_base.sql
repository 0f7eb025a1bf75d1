-- pggit.dag_merge_base(a text, b text) -> text
--
-- Promises: the nearest common ancestor of two commits in the commit DAG (both
-- parents of merge commits count; a commit is its own ancestor), or NULL when they
-- have none (two unrelated roots). "Nearest" and the tie-break, exactly: among all
-- common ancestors, the one with the greatest generation (pggit.commits.generation,
-- 1 + the greatest generation of its parents), and among those the greatest hash
-- (Trinity IDs sort by creation time: the newest). Such a commit is always a "best"
-- common ancestor in git's sense (no other common ancestor descends from it); with
-- criss-cross merges there may be several best ones and this rule picks one of them,
-- the same one whatever the argument order: merge_base(a, b) = merge_base(b, a).
-- So merge_base(a, a) = a, and merge_base(a, b) = a when a is an ancestor of b.
--
-- merge_base takes refs (pggit.resolve_ref: a commit id, a branch name (its head), a
-- tag, refs/heads/<b>, refs/tags/<t>); dag_merge_base takes commit ids, returns NULL
-- for a NULL or unknown one and never raises.
-- Errors (merge_base): those of pggit.resolve_ref (22004 NULL, 42704 unknown, 42P09
-- ambiguous, 55000 deleted branch or branch without commits), and
--   22023 invalid_parameter_value  'WORKING is not a commit: merge_base needs commits'
--
-- Algorithm: the answer's generation is at most min(generation(a), generation(b)) =
-- top. pggit.dag_walk(a, b, low) finds every common ancestor with generation >= low
-- exactly, so if it finds any, the greatest is the answer; otherwise low is lowered
-- (top - 64, top - 512, top - 4096, ... down to 1, where the walk is complete and
-- finding nothing means there is no common ancestor). Cost: O(commits with generation
-- >= that of the merge base reachable from a or b), times at most 8/7 for the retries;
-- never the whole history unless the base is that far back. PL/pgSQL, STABLE,
-- SECURITY INVOKER, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.dag_merge_base(a text, b text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_top bigint;
    v_low bigint;
    v_window bigint := 64;
    v_base text;
BEGIN
    SELECT LEAST(ca.generation, cb.generation) INTO v_top
      FROM pggit.commits AS ca, pggit.commits AS cb
     WHERE ca.hash = dag_merge_base.a AND cb.hash = dag_merge_base.b;
    IF v_top IS NULL THEN
        RETURN NULL;
    END IF;
    IF dag_merge_base.a = dag_merge_base.b THEN
        RETURN dag_merge_base.a;
    END IF;
    LOOP
        v_low := GREATEST(v_top - v_window, 1);
        SELECT w.hash INTO v_base
          FROM pggit.dag_walk(dag_merge_base.a, dag_merge_base.b, v_low) AS w
         WHERE w.sides = 3 AND w.generation >= v_low
         ORDER BY w.generation DESC, w.hash COLLATE "C" DESC
         LIMIT 1;
        IF v_base IS NOT NULL OR v_low = 1 THEN
            RETURN v_base;
        END IF;
        v_window := v_window * 8;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.dag_merge_base(text, text) IS
    'Internal: nearest common ancestor of two commit ids (greatest generation, then greatest hash), NULL if none.';
