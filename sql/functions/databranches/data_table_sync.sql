-- pggit.data_table_sync(relid oid) -> void
-- (pggit.data_table_added_columns, which this header also documents, is in data_table_added_columns.sql)
--
-- Promises: together (called by the event trigger pggit_data_branch_ddl, see
-- pggit.on_data_ddl_command_end) they bring the data branches of branched table `relid`
-- up to date with its columns after an ALTER TABLE, or refuse the change:
--   * columns and primary key unchanged (indexes, constraints, defaults, comments,
--     storage...): nothing to do;
--   * only columns added at the end (ADD COLUMN): data_table_added_columns lists them
--     (name, type, the table's default, identity); the event trigger adds each to every
--     branch's delta and base tables with the table's default, so their rows get the
--     value the table's rows got, then drops the default there, AS THE TABLE'S OWNER
--     (the default, a domain's checks: code the owner put on the table never runs with
--     more rights than the owner's); then data_table_sync records the new columns and
--     regenerates views, write functions and the capture function.
--   * anything else (a column dropped, renamed or retyped, the primary key changed):
--     data_table_added_columns raises 2BP01 dependent_objects_still_exist naming the
--     blocking data branches, so the statement is rolled back: pggit never lets a branch
--     silently diverge from its table's shape.
-- data_table_added_columns: SECURITY INVOKER, reads pg_catalog and pggit.data_tables.
-- data_table_sync: SECURITY DEFINER (writes pggit.data_tables, creates objects through
-- data_branch_install and data_table_install; evaluates nothing a user wrote); checks
-- that the session user owns the table (42501) and that every branch's storage has the
-- table's columns (55000 otherwise).
CREATE OR REPLACE FUNCTION pggit.data_table_sync(relid oid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    dt record;
    v_names name[];
    v_types text[];
    v_missing text;
    b record;
BEGIN
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = data_table_sync.relid FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF NOT pg_catalog.pg_has_role(session_user, (SELECT c.relowner FROM pg_catalog.pg_class AS c
                                                  WHERE c.oid = data_table_sync.relid), 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table %', relid::pg_catalog.regclass USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pggit.data_table_added_columns(relid);  -- raises 2BP01 for a change branches cannot carry
    SELECT pg_catalog.array_agg(c.name ORDER BY c.attnum), pg_catalog.array_agg(c.type_sql ORDER BY c.attnum)
      INTO v_names, v_types
      FROM pggit.data_columns(relid) AS c;
    IF v_names = dt.columns AND v_types = dt.column_types THEN
        RETURN;
    END IF;
    SELECT pg_catalog.format('%s.%s', s.storage, pg_catalog.quote_ident(n.name)) INTO v_missing
      FROM pggit.data_branches AS db
     CROSS JOIN LATERAL pg_catalog.unnest(ARRAY['d' || db.id, 'b' || db.id]) AS s(storage)
     CROSS JOIN LATERAL pg_catalog.unnest(v_names) AS n(name)
     WHERE db.relid = data_table_sync.relid
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a
                        WHERE a.attrelid = pg_catalog.to_regclass('pggit_data.' || s.storage)
                          AND a.attname = n.name AND NOT a.attisdropped)
     LIMIT 1;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'data branch storage pggit_data.% lacks a column of %', v_missing, relid::pg_catalog.regclass
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE pggit.data_tables AS t SET columns = v_names, column_types = v_types WHERE t.relid = data_table_sync.relid;
    FOR b IN SELECT db.id FROM pggit.data_branches AS db WHERE db.relid = data_table_sync.relid ORDER BY db.id LOOP
        PERFORM pggit.data_branch_install(b.id);
    END LOOP;
    PERFORM pggit.data_table_install(relid);
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_table_sync(oid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_table_sync(oid) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_table_sync(oid) IS
    'Internal: records columns added to a branched table (its storage already carries them) and regenerates its data branches.';
