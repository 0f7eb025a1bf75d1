-- pggit.definition_items(definition text) -> text[]
--
-- Promises: the items (lines) of a canonical definition (pggit.describe_table,
-- describe_view, ...) in order, split at the line breaks that are outside string
-- literals and quoted names (a comment, a default or a quoted name may hold a line
-- break: such an item stays whole); a line that starts with a space goes on the item
-- before it (pg_get_ruledef breaks a rule's lines). NULL for NULL. IMMUTABLE, callable
-- by everyone.
CREATE OR REPLACE FUNCTION pggit.definition_items(definition text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
    SELECT CASE WHEN definition IS NOT NULL THEN ARRAY(
        SELECT string_agg(l.line, E'\n' ORDER BY l.o)
          FROM (SELECT m.v[1] AS line, m.o,
                       count(*) FILTER (WHERE NOT starts_with(m.v[1], ' ')) OVER (ORDER BY m.o) AS item
                  FROM regexp_matches(definition, '((?:[^\n''"]|''(?:[^'']|'''')*''|"(?:[^"]|"")*")+)', 'g')
                       WITH ORDINALITY AS m (v, o)) AS l
         GROUP BY l.item
         ORDER BY l.item) END
$function$;

COMMENT ON FUNCTION pggit.definition_items(text) IS
    'The lines of a canonical definition, split outside literals and quoted names.';
