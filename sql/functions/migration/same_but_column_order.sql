-- pggit.same_but_column_order(a text, b text) -> boolean
--
-- Promises: true when two canonical table definitions (pggit.describe_table) differ
-- only in the order of their COLUMN items: the same columns, each with the same
-- definition, and every other item the same and in the same order. PostgreSQL cannot
-- move a column, and pggit does not rebuild tables: a column a generated migration
-- adds back (a revert, a backward checkout) ends last, and generate_migration says so
-- ("cannot move a column"); revert and settle_checkout accept such a table as reached.
-- False when they are equal, when anything else differs, and for NULL. Never raises.
-- IMMUTABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.same_but_column_order(a text, b text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
    SELECT coalesce(a <> b
           AND ARRAY(SELECT x FROM unnest(pggit.definition_items(a)) WITH ORDINALITY AS i (x, o)
                      WHERE NOT starts_with(x, 'COLUMN ') ORDER BY o)
               = ARRAY(SELECT x FROM unnest(pggit.definition_items(b)) WITH ORDINALITY AS i (x, o)
                        WHERE NOT starts_with(x, 'COLUMN ') ORDER BY o)
           AND ARRAY(SELECT x FROM unnest(pggit.definition_items(a)) AS i (x)
                      WHERE starts_with(x, 'COLUMN ') ORDER BY x COLLATE "C")
               = ARRAY(SELECT x FROM unnest(pggit.definition_items(b)) AS i (x)
                        WHERE starts_with(x, 'COLUMN ') ORDER BY x COLLATE "C"), false)
$function$;

COMMENT ON FUNCTION pggit.same_but_column_order(text, text) IS
    'Whether two canonical table definitions differ only in the order of their columns.';
