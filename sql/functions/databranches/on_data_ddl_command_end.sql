-- pggit.on_data_ddl_command_end() -> event_trigger
--
-- The function of event trigger pggit_data_branch_ddl (ON ddl_command_end WHEN TAG IN
-- ('ALTER TABLE')). Promises: after every ALTER TABLE statement, each branched table
-- it touched is brought up to date (see pggit.data_table_sync): columns added to the
-- table are added to every branch's storage, with the table's default so existing
-- branch rows get it, and a change branches cannot carry is refused (2BP01, naming the
-- branches; the statement rolls back). Costs one EXISTS on an empty pggit.data_tables
-- when nothing is branched.
-- Rights (level 5): SECURITY INVOKER, so it runs as the role that ran the ALTER TABLE;
-- the storage's ADD COLUMN, which evaluates the column's default and its domain's
-- checks on the branch's rows, runs as the table's owner (pggit.data_act_as_owner),
-- never with more rights than the role that ran the DDL. Only the bookkeeping
-- (pggit.data_table_sync) runs as pggit's owner. Internal; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.on_data_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_relid oid;
    v_role text;
    v_switched boolean;
    r record;
    b record;
    v_storage text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pggit.data_tables) THEN
        RETURN;
    END IF;
    IF NOT pggit.ready_to_record() THEN
        RETURN;  -- a backup being restored; else stored table OIDs re-bound first
    END IF;
    FOR v_relid IN SELECT DISTINCT c.objid
                     FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
                     JOIN pggit.data_tables AS t ON t.relid = c.objid
                    WHERE c.classid = 'pg_catalog.pg_class'::regclass
                    ORDER BY 1 LOOP
        v_switched := false;
        v_role := NULL;
        FOR r IN SELECT * FROM pggit.data_table_added_columns(v_relid) LOOP
            IF NOT v_switched THEN
                v_role := pggit.data_act_as_owner(v_relid);
                v_switched := true;
            END IF;
            FOR b IN SELECT db.id FROM pggit.data_branches AS db WHERE db.relid = v_relid ORDER BY db.id LOOP
                FOREACH v_storage IN ARRAY ARRAY['d' || b.id, 'b' || b.id] LOOP
                    EXECUTE pg_catalog.format('ALTER TABLE pggit_data.%I ADD COLUMN %I %s%s', v_storage, r.name,
                        r.type_sql,
                        CASE WHEN r.default_sql IS NOT NULL AND r.identity = '' THEN ' DEFAULT ' || r.default_sql
                             ELSE '' END);
                    EXECUTE pg_catalog.format('ALTER TABLE pggit_data.%I ALTER COLUMN %I DROP DEFAULT', v_storage,
                                              r.name);
                END LOOP;
            END LOOP;
        END LOOP;
        IF v_role IS NOT NULL THEN
            PERFORM pg_catalog.set_config('role', v_role, true);
        END IF;
        PERFORM pggit.data_table_sync(v_relid);
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_data_ddl_command_end() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_data_ddl_command_end() IS
    'Event trigger pggit_data_branch_ddl: carries ADD COLUMN to data branches (as the table''s owner), refuses changes they cannot carry.';
