-- pggit.current_branch() -> text
--
-- Promises: the session's branch: the value of the GUC pggit.branch (set by
-- pggit.checkout, or directly with SET pggit.branch = ...), or 'main' when it is unset
-- or empty. Never raises; does not check that the branch exists. STABLE,
-- PARALLEL SAFE, callable by everyone. Every history row records it.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it; every
-- function and operator is schema-qualified (not NULLIF, whose = would be looked up
-- on the caller's search_path).
CREATE OR REPLACE FUNCTION pggit.current_branch()
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT CASE WHEN pg_catalog.current_setting('pggit.branch', true) OPERATOR(pg_catalog.<>) ''
            THEN pg_catalog.current_setting('pggit.branch', true) ELSE 'main' END
$function$;

COMMENT ON FUNCTION pggit.current_branch() IS
    'The session''s branch: GUC pggit.branch, or main when unset.';
