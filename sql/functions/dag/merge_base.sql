-- pggit.merge_base(a text, b text) -> text
--
-- Promises: pggit.dag_merge_base (dag/dag_merge_base.sql: the nearest common ancestor, its
-- tie-break and its cost) of the commits the refs `a` and `b` name (pggit.resolve_ref: a
-- commit id, a branch name (its head), a tag, refs/heads/<b>, refs/tags/<t>), or NULL when
-- they have no common ancestor; merge_base(a, b) = merge_base(b, a).
-- Errors: those of pggit.resolve_ref (22004 NULL, 42704 unknown, 42P09 ambiguous, 55000
-- deleted branch or branch without commits), and
--   22023 invalid_parameter_value  'WORKING is not a commit: merge_base needs commits'
-- PL/pgSQL, STABLE, SECURITY INVOKER, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.merge_base(a text, b text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_a text := pggit.resolve_ref(merge_base.a);
    v_b text := pggit.resolve_ref(merge_base.b);
BEGIN
    IF v_a IS NULL OR v_b IS NULL THEN
        RAISE EXCEPTION 'WORKING is not a commit: merge_base needs commits'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN pggit.dag_merge_base(v_a, v_b);
END
$function$;

COMMENT ON FUNCTION pggit.merge_base(text, text) IS
    'Nearest common ancestor of two refs in the commit DAG (greatest generation, then newest), NULL if none.';
