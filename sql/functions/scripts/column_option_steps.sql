-- pggit.column_option_steps(tbl text, old_items text[], new_items text[], renames jsonb, to_details jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for the options of a table's columns (the
-- end of a COLUMN item, before its comment): STORAGE, COMPRESSION, STATISTICS, OPTIONS
-- (..). `old_items` and `new_items` are the items of the table's definition at each side
-- (pggit.definition_items; '{}' when the script creates the table), `tbl` its name after
-- the renames, `renames` the column renames ({new name: old name}), `to_details`
-- pggit.table_details at the target (the columns' types). A column of the target is
-- matched to the one it was by name or by its rename; for each whose options differ, in
-- column order (phase 165, after the column steps; sort key `tbl` || ' 6 column ' || its
-- position, 5 digits): ALTER COLUMN .. SET STORAGE (no STORAGE: its type's own, when
-- the type is known here, else a commented note with a warning), SET COMPRESSION
-- (default when none), SET STATISTICS (-1 when none), RESET (..) then SET (..) of its
-- options (sorted). Errors: 22023 when `renames` is no jsonb object. STABLE (it reads
-- pg_type), SECURITY INVOKER, callable by everyone: the piece of table_extra_steps
-- (itself callable by everyone) for column options.
CREATE OR REPLACE FUNCTION pggit.column_option_steps(tbl text, old_items text[], new_items text[], renames jsonb, to_details jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_lit text := '(''(?:[^'']|'''')*'')';
    v_name text := '("(?:[^"]|"")*"|[^ "]+)';
    c record;
    v_txt text;
    v_a text[];
    v_b text[];
BEGIN
    FOR c IN WITH l AS (
                 SELECT s.side, s.o, (regexp_match(s.x, '^COLUMN ' || v_name))[1] AS col, s.x
                   FROM (SELECT 'o' AS side, x, u.o FROM unnest(old_items) WITH ORDINALITY AS u (x, o)
                          WHERE starts_with(x, 'COLUMN ')
                         UNION ALL
                         SELECT 'n', x, u.o FROM unnest(new_items) WITH ORDINALITY AS u (x, o)
                          WHERE starts_with(x, 'COLUMN ')) AS s),
             l1 AS (SELECT l.side, l.o, l.col,
                           regexp_replace(regexp_replace(l.x, ' COMMENT ' || v_lit || '$', ''),
                                          ' FDW OPTIONS \([^()]*\)$', '') AS x
                      FROM l),
             l2 AS (SELECT l1.side, l1.o, l1.col, substring(l1.x FROM ' OPTIONS \(([^()]*)\)$') AS opts,
                           regexp_replace(l1.x, ' OPTIONS \([^()]*\)$', '') AS x
                      FROM l1),
             l3 AS (SELECT l2.side, l2.o, l2.col, l2.opts, substring(l2.x FROM ' STATISTICS (-?[0-9]+)$') AS stats,
                           regexp_replace(l2.x, ' STATISTICS -?[0-9]+$', '') AS x
                      FROM l2),
             l4 AS (SELECT l3.side, l3.o, l3.col, l3.opts, l3.stats,
                           substring(l3.x FROM ' COMPRESSION ([a-z0-9]+)$') AS comp,
                           substring(regexp_replace(l3.x, ' COMPRESSION [a-z0-9]+$', '')
                                     FROM ' STORAGE (PLAIN|EXTERNAL|MAIN|EXTENDED)$') AS stor
                      FROM l3)
             SELECT n.col, n.o, n.opts, n.stats, n.comp, n.stor,
                    o.opts AS oopts, o.stats AS ostats, o.comp AS ocomp, o.stor AS ostor
               FROM (SELECT * FROM l4 WHERE side = 'n') AS n
               LEFT JOIN (SELECT * FROM l4 WHERE side = 'o') AS o
                      ON o.col = coalesce((SELECT quote_ident(e.value) FROM jsonb_each_text(coalesce(renames, '{}')) AS e
                                            WHERE quote_ident(e.key) = n.col),
                                          CASE WHEN NOT EXISTS (SELECT FROM jsonb_each_text(coalesce(renames, '{}')) AS e
                                                                 WHERE quote_ident(e.value) = n.col)
                                               THEN n.col END)
              WHERE (n.opts, n.stats, n.comp, n.stor) IS DISTINCT FROM (o.opts, o.stats, o.comp, o.stor)
              ORDER BY n.o LOOP
        phase := 165; sort_key := tbl || ' 6 column ' || lpad(c.o::text, 5, '0'); warning := NULL;
        IF c.stor IS DISTINCT FROM c.ostor THEN
            -- no STORAGE: the type's own (SET STORAGE DEFAULT is 16's), if the type is known here
            BEGIN
                v_txt := coalesce(c.stor, (SELECT CASE t.typstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL'
                                                                    WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END
                                             FROM jsonb_array_elements(to_details -> 'cols') AS tc
                                             JOIN pg_type AS t ON t.oid = to_regtype(tc.value ->> 't')
                                            WHERE quote_ident(tc.value ->> 'n') = c.col));
            EXCEPTION WHEN syntax_error OR invalid_name OR invalid_parameter_value THEN
                v_txt := NULL;  -- a type name to_regtype cannot read
            END;
            IF v_txt IS NULL THEN
                statement := format('-- column %s of table %s: STORAGE not generated', c.col, tbl);
                warning := format('column %s of table %s goes back to its type''s storage, which is not known here: '
                                  'not generated', c.col, tbl);
            ELSE
                statement := format('ALTER TABLE %s ALTER COLUMN %s SET STORAGE %s;', tbl, c.col, v_txt);
            END IF;
            RETURN NEXT;
            warning := NULL;
        END IF;
        IF c.comp IS DISTINCT FROM c.ocomp THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %s SET COMPRESSION %s;', tbl, c.col, coalesce(c.comp, 'default'));
            RETURN NEXT;
        END IF;
        IF c.stats IS DISTINCT FROM c.ostats THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %s SET STATISTICS %s;', tbl, c.col, coalesce(c.stats, '-1'));
            RETURN NEXT;
        END IF;
        IF c.opts IS DISTINCT FROM c.oopts THEN
            v_a := coalesce(string_to_array(c.oopts, ', '), '{}');
            v_b := coalesce(string_to_array(c.opts, ', '), '{}');
            v_txt := (SELECT string_agg(split_part(a, '=', 1), ', ' ORDER BY a COLLATE "C") FROM unnest(v_a) AS a
                       WHERE NOT EXISTS (SELECT FROM unnest(v_b) AS b WHERE split_part(b, '=', 1) = split_part(a, '=', 1)));
            IF v_txt IS NOT NULL THEN
                statement := format('ALTER TABLE %s ALTER COLUMN %s RESET (%s);', tbl, c.col, v_txt);
                RETURN NEXT;
            END IF;
            v_txt := (SELECT string_agg(b, ', ' ORDER BY b COLLATE "C") FROM unnest(v_b) AS b WHERE NOT b = ANY (v_a));
            IF v_txt IS NOT NULL THEN
                statement := format('ALTER TABLE %s ALTER COLUMN %s SET (%s);', tbl, c.col, v_txt);
                RETURN NEXT;
            END IF;
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.column_option_steps(text, text[], text[], jsonb, jsonb) IS
    'The steps of table_extra_steps for the options of a table''s columns (STORAGE, COMPRESSION, STATISTICS, OPTIONS).';
