-- pggit.on_data_sql_drop() -> event_trigger
--
-- The function of event trigger pggit_data_branch_drop (ON sql_drop). Promises: a
-- statement that would drop a branched table, the relation of a data branch, or a
-- data branch's storage (by DROP ... CASCADE, DROP SCHEMA, DROP OWNED, ALTER TABLE
-- ... DROP COLUMN ... CASCADE) is refused with 2BP01 naming the data branches, and
-- rolls back: their rows would be lost or left without a table. pggit's own
-- functions unregister a data branch before dropping its objects, so they pass.
-- Costs one EXISTS on an empty pggit.data_tables when nothing is branched.
-- Internal; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.on_data_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branches text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pggit.data_tables) THEN
        RETURN;
    END IF;
    IF NOT pggit.ready_to_record() THEN
        RETURN;  -- a backup being restored; else stored table OIDs re-bound first
    END IF;
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('"%s" (%I.%I)', br.name, db.relation_schema,
                                                            db.relation_name), ', ')
      INTO v_branches
      FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
      JOIN pggit.data_branches AS db
        ON o.classid = 'pg_catalog.pg_class'::regclass AND o.objsubid = 0
       AND (o.objid = db.relid
            OR (o.object_type = 'view' AND o.schema_name = db.relation_schema AND o.object_name = db.relation_name)
            OR (o.schema_name = 'pggit_data' AND o.object_name IN ('d' || db.id, 'b' || db.id)))
      JOIN pggit.branches AS br ON br.id = db.branch_id;
    IF v_branches IS NOT NULL THEN
        RAISE EXCEPTION 'cannot drop: data branches depend on it: %', v_branches
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Merge or drop the data branches first (pggit.merge_data_branch, pggit.drop_data_branch).';
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_data_sql_drop() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_data_sql_drop() IS
    'Event trigger pggit_data_branch_drop: refuses drops that would lose data branches or their table.';
