-- pggit.diff_data_branch("table" text, branch text)
--     -> TABLE(key jsonb, change text, before jsonb, after jsonb)
-- pggit.data_branch_diff(relid oid, branch text) -> same
--
-- Promises: one row per primary key whose row on data branch `branch` differs from
-- the branch point (the table as it was when the branch was created or last merged):
--   change 'insert'  before NULL, after the branch's row
--   change 'update'  before the branch-point row, after the branch's row
--   change 'delete'  before the branch-point row, after NULL
-- key is a jsonb object of the primary-key columns, before/after are to_jsonb of the
-- rows (every column). A key written on the branch back to its branch-point value is
-- not a change. Main's later writes are not part of the diff. Ordered by key. Cost:
-- O(rows written on the branch) (index lookups into the table and the base table).
-- "table" is resolved with the caller's search_path (diff_data_branch is SECURITY
-- INVOKER); data_branch_diff (SECURITY DEFINER, pinned search_path) requires SELECT
-- on the table for the session user.
-- Errors: 22004 NULL argument; 42P01 no such relation; 42704 no such data branch;
-- 42501 no SELECT privilege on the table.
CREATE OR REPLACE FUNCTION pggit.diff_data_branch("table" text, branch text)
RETURNS TABLE(key jsonb, change text, before jsonb, after jsonb)
LANGUAGE plpgsql
STABLE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    v_rel := pggit.data_table_oid(diff_data_branch."table");
    RETURN QUERY SELECT * FROM pggit.data_branch_diff(v_rel, diff_data_branch.branch);
END
$function$;

COMMENT ON FUNCTION pggit.diff_data_branch(text, text) IS
    'Row-level diff of a data branch against its branch point: key, change (insert/update/delete), before, after.';

CREATE OR REPLACE FUNCTION pggit.data_branch_diff(relid oid, branch text)
RETURNS TABLE(key jsonb, change text, before jsonb, after jsonb)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    db record;
    dt record;
    v_table text;
BEGIN
    SELECT * INTO db FROM pggit.data_branches AS o WHERE o.id = pggit.data_branch_lookup(data_branch_diff.relid, data_branch_diff.branch);
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = db.relid;
    v_table := pg_catalog.format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class AS c
                                             JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                                            WHERE c.oid = db.relid),
                                 (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = db.relid));
    IF NOT pg_catalog.has_table_privilege(session_user, db.relid, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', v_table USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format($sql$
        SELECT x.key,
               CASE WHEN x.base IS NULL THEN 'insert' WHEN x.theirs IS NULL THEN 'delete' ELSE 'update' END,
               x.base, x.theirs
          FROM (SELECT pg_catalog.jsonb_build_object(%1$s) AS key,
                       CASE WHEN d._pggit_state = 'w' THEN pg_catalog.to_jsonb(d.*) - '_pggit_state' END AS theirs,
                       CASE WHEN b._pggit_state IS NULL
                            THEN (SELECT pg_catalog.to_jsonb(t.*) FROM %4$s AS t WHERE %5$s)
                            WHEN b._pggit_state = 'v' THEN pg_catalog.to_jsonb(b.*) - '_pggit_state' END AS base,
                       %6$s AS ord
                  FROM %2$s AS d LEFT JOIN %3$s AS b ON %7$s
                 WHERE d._pggit_state IN ('w', 'd')) AS x
         WHERE x.theirs IS DISTINCT FROM x.base
         ORDER BY x.ord$sql$,
        (SELECT pg_catalog.string_agg(pg_catalog.format('%L, d.%I', k, k), ', ' ORDER BY o)
           FROM pg_catalog.unnest(dt.key_columns) WITH ORDINALITY AS u(k, o)),
        pg_catalog.format('pggit_data.%I', 'd' || db.id), pg_catalog.format('pggit_data.%I', 'b' || db.id),
        v_table, pggit.data_key_match(dt.key_columns, 't', 'd'),
        'ROW(' || pggit.data_list(dt.key_columns, 'd') || ')',
        pggit.data_key_match(dt.key_columns, 'b', 'd'));
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_diff(oid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_diff(oid, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_diff(oid, text) IS
    'Does the work of pggit.diff_data_branch for a resolved table (requires SELECT on it).';
