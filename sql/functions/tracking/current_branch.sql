-- pggit.current_branch() -> text
--
-- Promises: the session's branch: the value of the GUC pggit.branch (set by
-- pggit.checkout, or directly with SET pggit.branch = ...), or 'main' when it is unset
-- or empty. Every history row records it.
-- Level 8: any other value is checked by pggit.branch_setting (it must name a live
-- branch), whose errors it raises: 22023 (not a valid branch name), 42704 (no such
-- branch), 55000 (a deleted branch). Before level 8 it never raised and recorded
-- whatever the setting held.
-- STABLE, PARALLEL SAFE, callable by everyone.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it; every
-- function and operator is schema-qualified (not NULLIF, whose = would be looked up
-- on the caller's search_path). Unset, '' and 'main' cost no lookup.
CREATE OR REPLACE FUNCTION pggit.current_branch()
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT CASE WHEN pg_catalog.current_setting('pggit.branch', true) IS NULL
              OR pg_catalog.current_setting('pggit.branch', true)
                 OPERATOR(pg_catalog.=) ANY ('{"",main}'::pg_catalog.text[])
            THEN 'main'
            ELSE pggit.branch_setting(pg_catalog.current_setting('pggit.branch', true)) END
$function$;

COMMENT ON FUNCTION pggit.current_branch() IS
    'The session''s branch: GUC pggit.branch, or main when unset; a setting naming no live branch is an error (level 8).';
