-- pggit.is_tracked_schema(nspname name) -> boolean
--
-- Promises: false for the schemas pggit never tracks — the system schemas (every
-- name starting pg_: pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N, and the
-- pg_temp alias), information_schema, pggit's own schema pggit and every pggit_*
-- schema (pggit_meta and the bookkeeping schemas of users' own migrations folders
-- included); true for every other schema; NULL for NULL. Never raises. IMMUTABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it.
CREATE OR REPLACE FUNCTION pggit.is_tracked_schema(nspname name)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT NOT (nspname::text LIKE 'pg\_%' OR nspname::text = 'information_schema'
            OR nspname::text = 'pggit' OR nspname::text LIKE 'pggit\_%')
$function$;

COMMENT ON FUNCTION pggit.is_tracked_schema(name) IS
    'False for schemas pggit does not track (pg_*, information_schema, pggit, pggit_*), true otherwise.';
