-- pggit.dag_path(a text, b text) -> TABLE(hash text, side integer)
--
-- Promises: the commits reachable from exactly one of commits `a` and `b` (following
-- both parents; a commit reaches itself): side 1 = from a only, side 2 = from b only.
-- This is git's symmetric difference a...b: the commits "between" a and b through
-- their merge base. A NULL or unknown a (or b) reaches nothing, so the other's whole
-- ancestry is returned. Never raises. Order unspecified.
-- Exact: the walk goes down to the generation of the merge base
-- (pggit.dag_merge_base), where every commit above is found with exact sides; if a
-- commit reached from one side only has a parent below that generation (a side merged
-- an older line of history), the walk is redone over the whole ancestry.
-- Internal building block of pggit.diff; readable by everyone. STABLE, SECURITY INVOKER.
-- Cost: that of dag_merge_base plus one walk of the same commits; without merges of
-- older lines, O(commits since the merge base).
CREATE OR REPLACE FUNCTION pggit.dag_path(a text, b text)
RETURNS TABLE(hash text, side integer)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_base text;
    v_low bigint;
    v_hashes text[];
    v_sides integer[];
    v_leaks boolean;
BEGIN
    v_base := pggit.dag_merge_base(dag_path.a, dag_path.b);
    SELECT c.generation INTO v_low FROM pggit.commits AS c WHERE c.hash = v_base;
    v_low := coalesce(v_low, 1);
    LOOP
        SELECT pg_catalog.array_agg(w.hash) FILTER (WHERE w.generation >= v_low AND w.sides <> 3),
               pg_catalog.array_agg(w.sides) FILTER (WHERE w.generation >= v_low AND w.sides <> 3),
               coalesce(pg_catalog.bool_or(w.generation < v_low AND w.sides <> 3), false)
          INTO v_hashes, v_sides, v_leaks
          FROM pggit.dag_walk(dag_path.a, dag_path.b, v_low) AS w;
        EXIT WHEN NOT v_leaks OR v_low = 1;
        v_low := 1;
    END LOOP;
    RETURN QUERY
        SELECT u.hash, u.side
          FROM unnest(v_hashes, v_sides) AS u (hash, side);  -- multi-argument form: not schema-qualifiable
END
$function$;

COMMENT ON FUNCTION pggit.dag_path(text, text) IS
    'Internal: commits reachable from exactly one of a and b (side 1: a only, 2: b only).';
