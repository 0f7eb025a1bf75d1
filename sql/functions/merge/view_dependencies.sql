-- pggit.view_dependencies(relid oid) -> jsonb
--
-- Promises: for a live view or materialized view, the relations and columns its rules
-- depend on, from pg_depend (pg_rewrite -> pg_class, refobjsubid): a jsonb array of
-- [relation identity (format('%I.%I', schema, name), as pggit.objects has it),
-- column name or null (the relation as a whole)], sorted, without duplicates and
-- without the view itself; '[]' for a view that depends on no relation. NULL for
-- anything else (NULL, missing, not a view). Never raises. Sees the calling
-- transaction's uncommitted DDL. The dependency check of pggit.merge_three_way reads it
-- (recorded per view state by pggit.record_view_dependencies) instead of matching the
-- view's text.
-- STABLE, PARALLEL SAFE, callable by everyone. Cost: one index scan of pg_rewrite and
-- of pg_depend per rule.
CREATE OR REPLACE FUNCTION pggit.view_dependencies(relid oid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- PL/pgSQL, not SQL: a SQL function with SET is planned again at every call (in the
    -- trigger, once per tracked statement); PL/pgSQL keeps the plan for the session.
    RETURN (SELECT CASE WHEN v.oid IS NULL THEN NULL
                ELSE coalesce((
                    SELECT jsonb_agg(jsonb_build_array(x.rel, x.col)
                                     ORDER BY convert_to(x.rel, 'UTF8'), convert_to(coalesce(x.col, ''), 'UTF8'))
                      FROM (SELECT DISTINCT format('%I.%I', n.nspname, c.relname) AS rel, a.attname::text AS col
                              FROM pg_rewrite AS r
                              JOIN pg_depend AS d
                                ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                               AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
                              JOIN pg_class AS c ON c.oid = d.refobjid
                              JOIN pg_namespace AS n ON n.oid = c.relnamespace
                              LEFT JOIN pg_attribute AS a
                                ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
                             WHERE r.ev_class = v.oid
                               AND (d.refobjsubid = 0 OR a.attnum IS NOT NULL)) AS x), '[]'::jsonb)
           END
      FROM (SELECT max(c.oid) AS oid FROM pg_class AS c
             WHERE c.oid = view_dependencies.relid AND c.relkind IN ('v', 'm')) AS v);
END
$function$;

COMMENT ON FUNCTION pggit.view_dependencies(oid) IS
    'The relations and columns a view''s rules depend on (pg_depend): [[identity, column or null], ...]; NULL if not a view.';
