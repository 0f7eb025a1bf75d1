-- pggit.data_table_added_columns(relid oid) -> TABLE(name name, type_sql text, default_sql text, identity "char")
--
-- Promises: as the header of pggit.data_table_sync (data_table_sync.sql) states; that header documents
-- both functions, which work together.
CREATE OR REPLACE FUNCTION pggit.data_table_added_columns(relid oid)
RETURNS TABLE(name name, type_sql text, default_sql text, identity "char")
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    dt record;
    v_names name[];
    v_types text[];
    v_keys name[];
    v_n integer;
    v_reason text;
    v_branches text;
BEGIN
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = data_table_added_columns.relid;
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
         WHERE db.relid = data_table_added_columns.relid;
        RAISE EXCEPTION 'cannot alter table %: its data branches % cannot carry this change (%)',
                relid::pg_catalog.regclass, v_branches, v_reason
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Data branches carry ADD COLUMN only. Merge or drop them (pggit.merge_data_branch, '
                         'pggit.drop_data_branch) first.';
    END IF;
    RETURN QUERY SELECT c.name, c.type_sql, c.default_sql, c.identity
                   FROM pggit.data_columns(relid) AS c
                  WHERE c.name <> ALL (dt.columns)
                  ORDER BY c.attnum;
END
$function$;

COMMENT ON FUNCTION pggit.data_table_added_columns(oid) IS
    'Internal: columns added to a branched table since its data branches last synced; 2BP01 for changes they cannot carry.';
