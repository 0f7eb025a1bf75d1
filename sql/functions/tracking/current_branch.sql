-- pggit.current_branch() -> text
--
-- Promises: the client's branch: the value of the GUC pggit.branch (set by
-- pggit.checkout, or directly with SET pggit.branch = ...), or 'main' when it is unset
-- or empty. Every history row records it.
-- Level 10: the value as pggit.scoped_setting reads it: behind a transaction pooler
-- (pggit.pool_mode = transaction or statement) only what pggit.checkout set in this
-- transaction, never a session-wide value another client left on the server session.
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
SELECT CASE WHEN pggit.scoped_setting('pggit.branch') IS NULL
              OR pggit.scoped_setting('pggit.branch')
                 OPERATOR(pg_catalog.=) ANY ('{"",main}'::pg_catalog.text[])
            THEN 'main'
            ELSE pggit.branch_setting(pggit.scoped_setting('pggit.branch')) END
$function$;

COMMENT ON FUNCTION pggit.current_branch() IS
    'The client''s branch: GUC pggit.branch (behind a transaction pooler: as set in this transaction, level 10), or main when unset; a setting naming no live branch is an error (level 8).';
