-- pggit.data_table_sync(relid oid) -> void
--
-- Promises: brings the data branches of branched table `relid` up to date with its
-- columns after an ALTER TABLE, or refuses the change:
--   * columns and primary key unchanged (indexes, constraints, defaults, comments,
--     storage...): nothing to do;
--   * only columns added at the end (ADD COLUMN): each branch's delta and base tables
--     get the column, with the table's default so their rows get the value the
--     table's rows got, then the default is dropped there; views, write functions and
--     the capture function are regenerated (the view gets the column and its default).
--   * anything else (a column dropped, renamed or retyped, the primary key changed):
--     raises 2BP01 dependent_objects_still_exist naming the blocking data branches,
--     so the statement is rolled back: pggit never lets a branch silently diverge from
--     its table's shape.
-- Internal (called by the event trigger pggit_data_branch_ddl); EXECUTE not granted.
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
    v_keys name[];
    v_n integer;
    v_table text;
    v_reason text;
    v_branches text;
    v_storage text;
    r record;
    b record;
BEGIN
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = data_table_sync.relid FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(c.name ORDER BY c.attnum), pg_catalog.array_agg(c.type_sql ORDER BY c.attnum)
      INTO v_names, v_types
      FROM pggit.data_columns(relid) AS c;
    v_keys := pggit.data_primary_key(relid);
    IF v_names = dt.columns AND v_types = dt.column_types AND v_keys IS NOT DISTINCT FROM dt.key_columns THEN
        RETURN;
    END IF;
    v_table := relid::regclass::text;
    v_n := pg_catalog.cardinality(dt.columns);

    IF v_keys IS DISTINCT FROM dt.key_columns THEN
        v_reason := pg_catalog.format('the primary key (%s) changed', pggit.data_list(dt.key_columns));
    ELSIF pg_catalog.cardinality(v_names) < v_n OR v_names[1:v_n] <> dt.columns THEN
        SELECT pg_catalog.format('column "%s" was dropped or renamed', o.name) INTO v_reason
          FROM pg_catalog.unnest(dt.columns) WITH ORDINALITY AS o(name, i)
         WHERE o.name IS DISTINCT FROM v_names[o.i] ORDER BY o.i LIMIT 1;
    ELSIF v_types[1:v_n] <> dt.column_types THEN
        SELECT pg_catalog.format('column "%s" changed type from %s to %s', o.name, o.type_sql, v_types[o.i])
          INTO v_reason
          FROM ROWS FROM (pg_catalog.unnest(dt.columns), pg_catalog.unnest(dt.column_types)) WITH ORDINALITY AS o(name, type_sql, i)
         WHERE o.type_sql IS DISTINCT FROM v_types[o.i] ORDER BY o.i LIMIT 1;
    END IF;
    IF v_reason IS NOT NULL THEN
        SELECT pg_catalog.string_agg(pg_catalog.format('"%s" (%I.%I)', br.name, db.relation_schema, db.relation_name),
                                     ', ' ORDER BY db.id)
          INTO v_branches
          FROM pggit.data_branches AS db JOIN pggit.branches AS br ON br.id = db.branch_id
         WHERE db.relid = data_table_sync.relid;
        RAISE EXCEPTION 'cannot alter table %: its data branches % cannot carry this change (%)',
                v_table, v_branches, v_reason
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Data branches carry ADD COLUMN only. Merge or drop them (pggit.merge_data_branch, '
                         'pggit.drop_data_branch) first.';
    END IF;

    -- Columns added at the end: carry them over.
    FOR r IN SELECT c.name, c.type_sql, c.default_sql, c.identity
               FROM pggit.data_columns(relid) AS c
              WHERE c.name <> ALL (dt.columns)
              ORDER BY c.attnum LOOP
        FOR b IN SELECT db.id FROM pggit.data_branches AS db WHERE db.relid = data_table_sync.relid LOOP
            FOREACH v_storage IN ARRAY ARRAY['d' || b.id, 'b' || b.id] LOOP
                EXECUTE pg_catalog.format('ALTER TABLE pggit_data.%I ADD COLUMN %I %s%s', v_storage, r.name, r.type_sql,
                    CASE WHEN r.default_sql IS NOT NULL AND r.identity = '' THEN ' DEFAULT ' || r.default_sql ELSE '' END);
                EXECUTE pg_catalog.format('ALTER TABLE pggit_data.%I ALTER COLUMN %I DROP DEFAULT', v_storage, r.name);
            END LOOP;
        END LOOP;
    END LOOP;
    UPDATE pggit.data_tables AS t SET columns = v_names, column_types = v_types WHERE t.relid = data_table_sync.relid;
    FOR b IN SELECT db.id FROM pggit.data_branches AS db WHERE db.relid = data_table_sync.relid ORDER BY db.id LOOP
        PERFORM pggit.data_branch_install(b.id);
    END LOOP;
    PERFORM pggit.data_table_install(relid);
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_table_sync(oid) FROM PUBLIC;

COMMENT ON FUNCTION pggit.data_table_sync(oid) IS
    'Internal: carries ADD COLUMN of a branched table to its data branches; refuses other column or key changes (2BP01).';
