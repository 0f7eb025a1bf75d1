-- pggit.on_data_ddl_command_end() -> event_trigger
--
-- The function of event trigger pggit_data_branch_ddl (ON ddl_command_end WHEN TAG IN
-- ('ALTER TABLE')). Promises: after every ALTER TABLE statement, each branched table
-- it touched is passed to pggit.data_table_sync, which carries ADD COLUMN over to the
-- table's data branches and refuses (2BP01, naming the branches; the statement rolls
-- back) a change they cannot carry. Costs one EXISTS on an empty pggit.data_tables
-- when nothing is branched. Internal; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.on_data_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_relid oid;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pggit.data_tables) THEN
        RETURN;
    END IF;
    FOR v_relid IN SELECT DISTINCT c.objid
                     FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
                     JOIN pggit.data_tables AS t ON t.relid = c.objid
                    WHERE c.classid = 'pg_catalog.pg_class'::regclass
                    ORDER BY 1 LOOP
        PERFORM pggit.data_table_sync(v_relid);
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_data_ddl_command_end() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_data_ddl_command_end() IS
    'Event trigger pggit_data_branch_ddl: carries ADD COLUMN to data branches, refuses changes they cannot carry.';
