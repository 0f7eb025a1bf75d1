-- pggit.ready_to_record() -> boolean
--
-- Promises: what pggit's event triggers ask before they record anything. True when
-- pggit's stored OIDs belong to this database, re-binding them first when the
-- database was restored or upgraded since (pggit.bind_oids); false, with nothing
-- done, while this session is replaying a backup (pggit.restoring): the trigger then
-- records nothing. Cost when nothing was restored: one pggit.oids_current().
-- Invoker, pinned search_path; everything it calls is EXECUTE-able by PUBLIC, and so is
-- it (the data-branch event triggers run as the role running the DDL).
CREATE OR REPLACE FUNCTION pggit.ready_to_record()
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF pggit.oids_current() THEN
        RETURN true;
    END IF;
    IF pggit.restoring() THEN
        RETURN false;
    END IF;
    PERFORM pggit.bind_oids();
    RETURN true;
END
$function$;

COMMENT ON FUNCTION pggit.ready_to_record() IS
    'Internal: true when event triggers may record (OIDs bound, re-binding after a restore); false while a backup is replayed.';
