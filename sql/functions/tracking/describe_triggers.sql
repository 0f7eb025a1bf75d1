-- pggit.describe_triggers(relid oid, self text) -> text
--
-- Promises: the TRIGGER lines of the canonical description of a table, view or
-- materialized view (pggit.describe_table, pggit.describe_view), sorted with
-- COLLATE "C", one per line:
--   TRIGGER <pg_get_triggerdef, the relation itself as <self>>
--           [ DISABLED | ENABLE REPLICA | ENABLE ALWAYS] [ COMMENT '<comment>']
-- `self` is how pg_get_triggerdef prints the relation under the pinned search_path
-- (schema-qualified, quoted like quote_ident). Left out: internal triggers (foreign
-- keys' own) and pggit's own triggers, whose functions live in pggit's schemas (a data
-- branch's capture and write triggers are not the user's structure: creating a data
-- branch changes no version or hash). NULL when there is no such trigger. STABLE,
-- PARALLEL SAFE; internal to the describe functions, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.describe_triggers(relid oid, self text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    lines text;
BEGIN
    SELECT string_agg(g.line, E'\n' ORDER BY g.line COLLATE "C")
      INTO lines
      FROM (SELECT 'TRIGGER ' || replace(pg_get_triggerdef(tg.oid), ' ON ' || self || ' ', ' ON <self> ')
                   || CASE tg.tgenabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLE REPLICA'
                                        WHEN 'A' THEN ' ENABLE ALWAYS' ELSE '' END
                   || coalesce(' COMMENT ' || quote_literal(ds.description), '') AS line
              FROM pg_trigger AS tg
              LEFT JOIN pg_description AS ds
                     ON ds.objoid = tg.oid AND ds.classoid = 'pg_trigger'::regclass AND ds.objsubid = 0
             WHERE tg.tgrelid = relid AND NOT tg.tgisinternal
               AND NOT EXISTS (SELECT FROM pg_proc AS tp JOIN pg_namespace AS tn ON tn.oid = tp.pronamespace
                                WHERE tp.oid = tg.tgfoid
                                  AND tn.nspname IN ('pggit', 'pggit_data'))) AS g;
    RETURN lines;
END
$function$;

COMMENT ON FUNCTION pggit.describe_triggers(oid, text) IS
    'TRIGGER lines of a relation''s canonical description (not internal triggers, not pggit''s own).';
