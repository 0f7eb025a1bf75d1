-- pggit.describe_rules(relid oid, self text) -> text
--
-- Promises: the RULE lines of the canonical description of a table, view or
-- materialized view (pggit.describe_table, pggit.describe_view), sorted with
-- COLLATE "C", one per line:
--   RULE <pg_get_ruledef, the relation itself as <self>>
--        [ DISABLED | ENABLE REPLICA | ENABLE ALWAYS]
-- `self` is how pg_get_ruledef prints the relation under the pinned search_path
-- (schema-qualified, quoted like quote_ident). A view's own _RETURN rule is left out
-- (its query is described as such). NULL when there is no such rule. STABLE,
-- PARALLEL SAFE; internal to the describe functions, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.describe_rules(relid oid, self text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    lines text;
BEGIN
    SELECT string_agg(r.line, E'\n' ORDER BY r.line COLLATE "C")
      INTO lines
      FROM (SELECT 'RULE ' || replace(pg_get_ruledef(rw.oid), ' TO ' || self || ' ', ' TO <self> ')
                   || CASE rw.ev_enabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLE REPLICA'
                                         WHEN 'A' THEN ' ENABLE ALWAYS' ELSE '' END AS line
              FROM pg_rewrite AS rw
             WHERE rw.ev_class = relid AND rw.rulename <> '_RETURN') AS r;
    RETURN lines;
END
$function$;

COMMENT ON FUNCTION pggit.describe_rules(oid, text) IS
    'RULE lines of a relation''s canonical description (not a view''s own _RETURN rule).';
