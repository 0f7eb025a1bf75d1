-- pggit.bind_before_ddl() -> event_trigger
--
-- The function of event trigger pggit_bind_oids (ON ddl_command_start, level 6).
-- Promises: before a DDL statement changes anything, pggit's stored OIDs belong to
-- this database: after a restore or upgrade the first statement re-binds them by name
-- (pggit.ready_to_record -> pggit.bind_oids) while the catalog still shows every
-- object as the backup left it, so the statement's own change is then recorded as
-- exactly that change (re-binding at ddl_command_end would describe the object after
-- the statement and lose it). In a session replaying a backup (pggit.restoring) it
-- does nothing. Cost when nothing was restored: one pggit.oids_current().
-- Invoker (it only calls PUBLIC functions; the re-binding is SECURITY DEFINER), pinned
-- search_path. Internal; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.bind_before_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    PERFORM pggit.ready_to_record();
END
$function$;

REVOKE ALL ON FUNCTION pggit.bind_before_ddl() FROM PUBLIC;

COMMENT ON FUNCTION pggit.bind_before_ddl() IS
    'Event trigger pggit_bind_oids (ddl_command_start): re-binds stored OIDs by name before the first DDL after a restore.';
