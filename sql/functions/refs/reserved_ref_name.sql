-- pggit.reserved_ref_name(name text) -> text
--
-- Promises: why `name` may not be the name of a new branch or tag, or NULL when it may
-- (as far as reserved names go; the branch-name rules are pggit.branch_name_violation's).
-- Reserved, exactly as written (case-sensitive, as resolve_ref and git read them):
--   HEAD            'HEAD is git''s name for the checked-out commit'
--   WORKING         'WORKING is the ref of the live schema' (resolve_ref returns NULL
--                   for it: a branch of that name could only be reached as
--                   refs/heads/WORKING)
--   refs/...        'refs/ starts a qualified ref' (resolve_ref reads refs/heads/<b>
--                   and refs/tags/<t> as qualified names)
-- 'head', 'working', 'Refs/x' are ordinary names. NULL in, NULL out. Never raises.
-- Used by the trigger pggit.ref_name_guard (every writer of pggit.branches and
-- pggit.tags), by pggit.tag and by level 8's upgrade check (refs made before level 8
-- keep their names; see docs/STRICT_REFS.md).
-- IMMUTABLE, PARALLEL SAFE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.reserved_ref_name(name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
SELECT CASE
    WHEN name OPERATOR(pg_catalog.=) 'HEAD' THEN 'HEAD is git''s name for the checked-out commit'
    WHEN name OPERATOR(pg_catalog.=) 'WORKING' THEN 'WORKING is the ref of the live schema'
    WHEN pg_catalog.starts_with(name, 'refs/') THEN 'refs/ starts a qualified ref'
END
$function$;

COMMENT ON FUNCTION pggit.reserved_ref_name(text) IS
    'Why name is reserved for refs (HEAD, WORKING, refs/...), or NULL when it is not.';
