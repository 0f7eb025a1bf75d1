-- pggit.constraint_comment_steps(tbl text, old_items text[], new_items text[], to_details jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for the comments of a table's constraints
-- and indexes: CONSTRAINT <def> [COMMENT '..'] and INDEX <line> [COMMENT '..'] items of
-- its definition at each side (`old_items`, `new_items`: pggit.definition_items; '{}'
-- when the script creates the table), `tbl` its name after the renames. A comment set
-- or changed on what the target has, or removed from what stays: COMMENT ON CONSTRAINT
-- .. ON <tbl> / COMMENT ON INDEX <schema>.<name> (IS NULL when removed), named by its
-- definition at the target (`to_details`, pggit.table_details; the index of a primary
-- key or unique constraint by the constraint's name); without a name a commented note
-- with a warning. Phase 185, sort key `tbl` || ' 2 comment ' || 'C' or 'I' || its
-- position (5 digits), in the order of the items. Errors: 22023 from parse_ident when
-- `tbl` is no valid name (for an index), or when `to_details` holds an 'idx' or 'cons'
-- that is no array. STABLE, SECURITY INVOKER, callable by
-- everyone: the piece of table_extra_steps (itself callable by everyone) for the
-- comments of constraints and indexes (pggit.table_option_steps has the table's,
-- pggit.column_comment_steps its columns').
CREATE OR REPLACE FUNCTION pggit.constraint_comment_steps(tbl text, old_items text[], new_items text[], to_details jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_lit text := '(''(?:[^'']|'''')*'')';
    c record;
    v_txt text;
BEGIN
    FOR c IN WITH l AS (
                 SELECT s.side, s.part, s.o,
                        regexp_replace(s.x, ' COMMENT ' || v_lit || '$', '') AS def,
                        substring(s.x FROM ' COMMENT ' || v_lit || '$') AS cmt
                   FROM (SELECT 'o' AS side, left(x, 1) AS part, substr(x, strpos(x, ' ') + 1) AS x, u.o
                           FROM unnest(old_items) WITH ORDINALITY AS u (x, o)
                          WHERE starts_with(x, 'CONSTRAINT ') OR starts_with(x, 'INDEX ')
                         UNION ALL
                         SELECT 'n', left(x, 1), substr(x, strpos(x, ' ') + 1), u.o
                           FROM unnest(new_items) WITH ORDINALITY AS u (x, o)
                          WHERE starts_with(x, 'CONSTRAINT ') OR starts_with(x, 'INDEX ')) AS s)
             SELECT n.part, n.def, n.cmt, n.o
               FROM (SELECT * FROM l WHERE side = 'n') AS n
              WHERE n.cmt IS DISTINCT FROM (SELECT o.cmt FROM l AS o
                                             WHERE o.side = 'o' AND o.part = n.part AND o.def = n.def LIMIT 1)
             UNION ALL
             -- a comment removed from what stays
             SELECT o.part, o.def, NULL, o.o
               FROM (SELECT * FROM l WHERE side = 'o' AND cmt IS NOT NULL) AS o
              WHERE EXISTS (SELECT FROM l AS n WHERE n.side = 'n' AND n.part = o.part AND n.def = o.def)
                AND NOT EXISTS (SELECT FROM l AS n WHERE n.side = 'n' AND n.part = o.part AND n.def = o.def
                                                     AND n.cmt IS NOT NULL)
              ORDER BY 4 LOOP
        IF c.part = 'C' THEN
            v_txt := (SELECT k.value ->> 'n' FROM jsonb_array_elements(to_details -> 'cons') AS k
                       WHERE k.value ->> 'd' = replace(c.def, ' REFERENCES <self>(', ' REFERENCES ' || tbl || '(')
                       ORDER BY k.value ->> 'n' COLLATE "C" LIMIT 1);
        ELSE
            SELECT s.n INTO v_txt
              FROM (SELECT i.value ->> 'n' AS n, 1 AS pref FROM jsonb_array_elements(to_details -> 'idx') AS i
                     WHERE CASE WHEN (i.value ->> 'u')::boolean THEN 'UNIQUE ' ELSE '' END || (i.value ->> 'd') = c.def
                    UNION ALL
                    SELECT k.value ->> 'n', CASE k.value ->> 't' WHEN 'p' THEN 0 ELSE 2 END
                      FROM jsonb_array_elements(to_details -> 'cons') AS k
                     WHERE k.value ->> 't' IN ('p', 'u')
                       AND 'UNIQUE btree (' || substring(k.value ->> 'd' FROM '^(?:PRIMARY KEY|UNIQUE) \((.*)\)$') || ')'
                           = c.def) AS s
             ORDER BY s.pref, s.n COLLATE "C" LIMIT 1;
        END IF;
        phase := 185; sort_key := tbl || ' 2 comment ' || c.part || lpad(c.o::text, 5, '0'); warning := NULL;
        IF v_txt IS NULL THEN
            statement := format('-- table %s: a comment of a %s not generated', tbl,
                                CASE c.part WHEN 'C' THEN 'constraint' ELSE 'index' END);
            warning := format('table %s: the %s %s has no name in the recorded details: its comment is not generated',
                              tbl, CASE c.part WHEN 'C' THEN 'constraint' ELSE 'index' END, quote_literal(c.def));
        ELSIF c.part = 'C' THEN
            statement := format('COMMENT ON CONSTRAINT %I ON %s IS %s;', v_txt, tbl, coalesce(c.cmt, 'NULL'));
        ELSE
            statement := format('COMMENT ON INDEX %I.%I IS %s;', (parse_ident(tbl))[1], v_txt, coalesce(c.cmt, 'NULL'));
        END IF;
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.constraint_comment_steps(text, text[], text[], jsonb) IS
    'The steps of table_extra_steps for the comments of a table''s constraints and indexes.';
