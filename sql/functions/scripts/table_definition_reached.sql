-- pggit.table_definition_reached(expected text, live text) -> boolean
--
-- Promises: true when a generated migration brought a table to the canonical
-- definition (pggit.describe_table) `expected` as far as PostgreSQL lets it, the live
-- one being `live`: both are equal but for
--   - the order of their COLUMN items (the same columns, each with the same text):
--     PostgreSQL cannot move a column, and pggit does not rebuild tables; a column a
--     migration adds back (a revert, a backward checkout) ends last, and
--     generate_migration says so ("cannot move a column");
--   - casts, parentheses and white space in INDEX and CONSTRAINT items: PostgreSQL
--     prints an expression it parsed again differently from how it printed the
--     original text (`x IN ('a', 'b')` prints as `(x)::text = ANY ((ARRAY['a'::character
--     varying, ..])::text[])`, which, parsed again, prints as `= ANY (ARRAY[('a'::character
--     varying)::text, ..])`); the migration ran exactly the recorded text.
-- Every other item must be the same and in the same order. revert and settle_checkout
-- accept such a table as reached. False when they are equal (nothing to accept), when
-- anything else differs, and for NULL. Never raises. IMMUTABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.table_definition_reached(expected text, live text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
    WITH side AS (
        -- each side's items once: COLUMN items as a set (sorted), the others in order, an
        -- INDEX or CONSTRAINT item without its casts, parentheses and white space
        SELECT d.n,
               ARRAY(SELECT x FROM unnest(d.items) AS i (x) WHERE starts_with(x, 'COLUMN ')
                      ORDER BY x COLLATE "C") AS columns,
               ARRAY(SELECT CASE WHEN x ~ '^(INDEX|CONSTRAINT) '
                                 THEN regexp_replace(regexp_replace(x,
                                          '::(?:"(?:[^"]|"")*"|[a-z_][a-z0-9_ ]*)(?:\([0-9, ]*\))?(?:\[\])*', '', 'g'),
                                          '[()\s]', '', 'g')
                                 ELSE x END
                       FROM unnest(d.items) WITH ORDINALITY AS i (x, o)
                      WHERE NOT starts_with(x, 'COLUMN ') ORDER BY o) AS others
          FROM (VALUES (1, pggit.definition_items(expected)), (2, pggit.definition_items(live))) AS d (n, items)
    )
    SELECT coalesce(expected <> live AND e.columns = l.columns AND e.others = l.others, false)
      FROM side AS e, side AS l
     WHERE e.n = 1 AND l.n = 2
$function$;

COMMENT ON FUNCTION pggit.table_definition_reached(text, text) IS
    'Whether a live table definition is the expected one but for column order and PostgreSQL''s reprinting of index and constraint expressions.';
