-- pggit.data_branch_diff(relid oid, branch text) -> same
--
-- Promises: as the header of pggit.diff_data_branch (diff_data_branch.sql) states; that header documents
-- both functions, which work together.
CREATE OR REPLACE FUNCTION pggit.data_branch_diff(relid oid, branch text)
RETURNS TABLE(key jsonb, change text, before jsonb, after jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_id bigint;
    dt record;
    v_table text;
BEGIN
    v_id := pggit.data_branch_lookup(relid, branch);
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = data_branch_diff.relid;
    v_table := pg_catalog.format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class AS c
                                             JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                                            WHERE c.oid = data_branch_diff.relid),
                                 (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = data_branch_diff.relid));
    IF NOT pg_catalog.has_table_privilege(relid, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', v_table USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The table is named first, so it is locked before the storage (docs/RELIABILITY.md).
    RETURN QUERY EXECUTE pg_catalog.format($sql$
        SELECT pg_catalog.jsonb_build_object(%1$s),
               CASE WHEN NOT x.base_p THEN 'insert' WHEN NOT x.theirs_p THEN 'delete' ELSE 'update' END,
               CASE WHEN NOT x.base_p THEN NULL WHEN b._pggit_state IS NULL THEN pg_catalog.to_jsonb(t.*)
                    ELSE pg_catalog.to_jsonb(b.*) - '_pggit_state' END,
               CASE WHEN x.theirs_p THEN pg_catalog.to_jsonb(d.*) - '_pggit_state' END
          FROM %4$s AS t
         RIGHT JOIN (%2$s AS d LEFT JOIN %3$s AS b ON %7$s) ON %5$s
         CROSS JOIN LATERAL (
               SELECT d._pggit_state = 'w' AS theirs_p,
                      CASE WHEN b._pggit_state IS NULL THEN t.%8$I IS NOT NULL ELSE b._pggit_state = 'v' END AS base_p,
                      CASE WHEN b._pggit_state IS NULL THEN %9$s ELSE %10$s END AS same) AS x
         WHERE d._pggit_state IN ('w', 'd')%11$s
           AND (x.theirs_p IS DISTINCT FROM x.base_p OR (x.theirs_p AND NOT x.same))
         ORDER BY %6$s$sql$,
        (SELECT pg_catalog.string_agg(pg_catalog.format('%L, d.%I', k, k), ', ' ORDER BY o)
           FROM pg_catalog.unnest(dt.key_columns) WITH ORDINALITY AS u(k, o)),
        pg_catalog.format('pggit_data.%I', 'd' || v_id), pg_catalog.format('pggit_data.%I', 'b' || v_id),
        v_table, pggit.data_key_match(dt.key_columns, 't', 'd'),
        'ROW(' || pggit.data_list(dt.key_columns, 'd') || ')',
        pggit.data_key_match(dt.key_columns, 'b', 'd'), dt.key_columns[1],
        pggit.data_equal(relid, dt.columns, 'd', 't'), pggit.data_equal(relid, dt.columns, 'd', 'b'),
        CASE WHEN pg_catalog.row_security_active(relid) THEN ' AND t.' || pg_catalog.quote_ident(dt.key_columns[1])
                                                            || ' IS NOT NULL' ELSE '' END);
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_diff(oid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_diff(oid, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_diff(oid, text) IS
    'Does the work of pggit.diff_data_branch for a resolved table, with the caller''s rights (SELECT, row-level security).';
