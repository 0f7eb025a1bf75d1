-- pggit.ready_to_record() -> boolean
--
-- Promises: what pggit's event triggers ask before they record anything. True when
-- pggit's stored OIDs belong to this database, re-binding them first when the
-- database was restored or upgraded since (pggit.bind_oids); false, with nothing
-- done, while this session is replaying a backup (pggit.restoring): the trigger then
-- records nothing. Cost when nothing was restored: one pggit.oids_current().
-- Level 9: checked once per transaction. A positive answer is remembered in the
-- transaction-local setting pggit.oids_checked (reset at the end of the transaction, or of
-- the subtransaction that set it when that one rolls back), so the several event triggers
-- of each DDL statement, and the statements after it, pay one setting read. No SET clause
-- (every name it uses is schema-qualified): a function-level SET costs a save and restore
-- of the setting on every call.
-- Invoker; everything it calls is EXECUTE-able by PUBLIC, and so is
-- it (the data-branch event triggers run as the role running the DDL).
CREATE OR REPLACE FUNCTION pggit.ready_to_record()
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
AS $function$
BEGIN
    IF pg_catalog.current_setting('pggit.oids_checked', true) OPERATOR(pg_catalog.=) 'on' THEN
        RETURN true;
    END IF;
    IF pggit.oids_current() THEN
        PERFORM pg_catalog.set_config('pggit.oids_checked', 'on', true);
        RETURN true;
    END IF;
    IF pggit.restoring() THEN
        RETURN false;
    END IF;
    PERFORM pggit.bind_oids();
    PERFORM pg_catalog.set_config('pggit.oids_checked', 'on', true);
    RETURN true;
END
$function$;

COMMENT ON FUNCTION pggit.ready_to_record() IS
    'Internal: true when event triggers may record (OIDs bound, re-binding after a restore); false while a backup is replayed.';
