-- pggit.on_data_ddl_command_start() -> event_trigger
--
-- The function of event trigger pggit_data_branch_ddl_start (ON ddl_command_start WHEN
-- TAG IN ('ALTER TABLE')). Promises: before an ALTER TABLE locks its table, the views of
-- the data branches of every branched table whose name the statement's text mentions
-- are locked ACCESS EXCLUSIVE (in table OID, then data branch order). Readers and
-- writers of a branch view lock the view before the table; the ALTER TABLE locks the
-- table and then, carrying ADD COLUMN over (pggit.on_data_ddl_command_end), the view:
-- without this the two orders deadlock (40P01, detected only after deadlock_timeout).
-- So the view comes first for both (docs/RELIABILITY.md, lock order). A statement that
-- does not name the table (dynamic SQL in a function) gets no early lock and relies on
-- deadlock detection as before. Costs one EXISTS on an empty pggit.data_tables when
-- nothing is branched. Views the role may not lock (no USAGE on their schema, no
-- UPDATE on them) are skipped.
-- SECURITY INVOKER (runs as the role that runs the DDL; PUBLIC may lock a branch view,
-- it holds the table's privileges checked live). Internal; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.on_data_ddl_command_start()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_query text;
    r record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pggit.data_tables) THEN
        RETURN;
    END IF;
    IF NOT pggit.ready_to_record() THEN
        RETURN;  -- a backup being restored; else stored table OIDs re-bound first
    END IF;
    v_query := pg_catalog.lower(pg_catalog.current_query());
    FOR r IN SELECT db.relation_schema, db.relation_name
               FROM pggit.data_branches AS db
               JOIN pg_catalog.pg_class AS c ON c.oid = db.relid
              WHERE pg_catalog.strpos(v_query, pg_catalog.lower(c.relname::text)) > 0
                AND pg_catalog.has_schema_privilege(db.relation_schema, 'USAGE')
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_class AS v
                             JOIN pg_catalog.pg_namespace AS n ON n.oid = v.relnamespace
                            WHERE n.nspname = db.relation_schema AND v.relname = db.relation_name
                              AND pg_catalog.has_table_privilege(v.oid, 'UPDATE'))
              ORDER BY db.relid, db.id LOOP
        EXECUTE pg_catalog.format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', r.relation_schema, r.relation_name);
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_data_ddl_command_start() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_data_ddl_command_start() IS
    'Event trigger pggit_data_branch_ddl_start: locks the branch views of a table an ALTER TABLE names before the table (lock order).';
