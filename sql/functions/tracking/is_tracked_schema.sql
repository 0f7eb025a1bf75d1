-- pggit.is_tracked_schema(nspname name) -> boolean
--
-- Promises: false for the schemas pggit never tracks — the system schemas (every
-- name starting pg_: pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N, and the
-- pg_temp alias), information_schema, and pggit's own three schemas: pggit,
-- pggit_data (data-branch storage) and pggit_meta (pggit-sql's bookkeeping); true for
-- every other schema, user schemas whose names merely start with pggit included (from
-- level 5: before, every pggit_* schema was skipped, an audit blind spot anyone with
-- CREATE on the database could use); NULL for NULL. Never raises. IMMUTABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- The bookkeeping schemas of users' own migrations folders (pggit_meta_<folder>) are
-- user schemas like any other: they are tracked.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it; every
-- operator and type is schema-qualified, so a direct call resolves nothing through
-- the caller's search_path (tests/security/test_definer_audit.py).
CREATE OR REPLACE FUNCTION pggit.is_tracked_schema(nspname name)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT NOT (nspname::pg_catalog.text OPERATOR(pg_catalog.~~) 'pg\_%'
            OR nspname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ('{information_schema,pggit,pggit_data,pggit_meta}'::pg_catalog.text[]))
$function$;

COMMENT ON FUNCTION pggit.is_tracked_schema(name) IS
    'False for schemas pggit does not track (pg_*, information_schema, pggit, pggit_data, pggit_meta), true otherwise.';
