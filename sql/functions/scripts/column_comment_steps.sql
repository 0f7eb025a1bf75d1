-- pggit.column_comment_steps(tbl text, old_items text[], new_items text[], renames jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for the comments of a table's columns:
-- `old_items` and `new_items` are the items of its definition at each side
-- (pggit.definition_items; '{}' when the script creates the table), `tbl` its name after
-- the renames, `renames` the column renames ({new name: old name}). COMMENT ON COLUMN
-- (IS NULL when removed) for each column of the target whose comment (the end of its
-- COLUMN item) differs from that of the column it was (by name or by its rename), in
-- column order; phase 185, sort key `tbl` || ' 2 comment ' || its position (5 digits).
-- Errors: 22023 when `renames` is no jsonb object (read when columns are matched).
-- STABLE, SECURITY INVOKER, callable by everyone: the piece of table_extra_steps (itself
-- callable by everyone) for column comments (pggit.table_option_steps has the table's,
-- pggit.constraint_comment_steps those of constraints and indexes).
CREATE OR REPLACE FUNCTION pggit.column_comment_steps(tbl text, old_items text[], new_items text[], renames jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_lit text := '(''(?:[^'']|'''')*'')';
    v_name text := '("(?:[^"]|"")*"|[^ "]+)';
    c record;
BEGIN
    FOR c IN SELECT n.col, n.cmt, o.cmt AS ocmt, n.o
               FROM (SELECT (regexp_match(x, '^COLUMN ' || v_name))[1] AS col,
                            substring(x FROM ' COMMENT ' || v_lit || '$') AS cmt, u.o
                       FROM unnest(new_items) WITH ORDINALITY AS u (x, o) WHERE starts_with(x, 'COLUMN ')) AS n
               LEFT JOIN (SELECT (regexp_match(x, '^COLUMN ' || v_name))[1] AS col,
                                 substring(x FROM ' COMMENT ' || v_lit || '$') AS cmt
                            FROM unnest(old_items) AS x WHERE starts_with(x, 'COLUMN ')) AS o
                      ON o.col = coalesce((SELECT quote_ident(e.value) FROM jsonb_each_text(coalesce(renames, '{}')) AS e
                                            WHERE quote_ident(e.key) = n.col),
                                          CASE WHEN NOT EXISTS (SELECT FROM jsonb_each_text(coalesce(renames, '{}')) AS e
                                                                 WHERE quote_ident(e.value) = n.col)
                                               THEN n.col END)
              WHERE n.cmt IS DISTINCT FROM o.cmt
              ORDER BY n.o LOOP
        phase := 185; sort_key := tbl || ' 2 comment ' || lpad(c.o::text, 5, '0'); warning := NULL;
        statement := format('COMMENT ON COLUMN %s.%s IS %s;', tbl, c.col, coalesce(c.cmt, 'NULL'));
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.column_comment_steps(text, text[], text[], jsonb) IS
    'The steps of table_extra_steps for the comments of a table''s columns.';
