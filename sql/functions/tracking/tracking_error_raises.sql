-- pggit.tracking_error_raises(sqlstate text) -> boolean
--
-- Promises: whether an error that pggit's tracking caught (SQLSTATE `sqlstate`) is
-- raised again rather than turned into a WARNING and 'untracked' history rows: true
-- for class 40 (serialization failure, deadlock), class 53 (insufficient resources)
-- and 55P03 (lock timeout), which the caller can retry or must see, and for every
-- error when the setting pggit.strict is on (also true, 1; any letter case; for
-- tests); false otherwise (NULL for a NULL sqlstate when strict is off). The one error
-- policy of the exception handlers of pggit.on_ddl_command_end, pggit.on_sql_drop and
-- pggit.settle_pending, which call it only once an error was caught: it costs the
-- statements that track without error nothing.
-- Never raises. SQL, STABLE, SECURITY INVOKER with a pinned search_path; EXECUTE
-- revoked from PUBLIC: only pggit's own SECURITY DEFINER functions call it.
CREATE OR REPLACE FUNCTION pggit.tracking_error_raises(sqlstate text)
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
SELECT tracking_error_raises.sqlstate LIKE '40%' OR tracking_error_raises.sqlstate LIKE '53%'
       OR tracking_error_raises.sqlstate = '55P03'
       OR lower(coalesce(current_setting('pggit.strict', true), '')) IN ('on', 'true', '1')
$function$;

REVOKE ALL ON FUNCTION pggit.tracking_error_raises(text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.tracking_error_raises(text) IS
    'Internal: true when tracking re-raises a caught error (class 40, 53, 55P03, or pggit.strict on) instead of a WARNING.';
