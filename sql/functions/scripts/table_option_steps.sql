-- pggit.table_option_steps(tbl text, old_items text[], new_items text[], added boolean, to_details jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for the clauses of a table's definition that
-- belong to the table itself: `old_items` and `new_items` are the items of its
-- definition at each side (pggit.definition_items; '{}' when `added`, the script creates
-- the table), `tbl` its name after the renames, `to_details` pggit.table_details at the
-- target (index and constraint names). In this order:
--   notes (phase 130, sort key `tbl` || ' ' || the item's prefix): a typed table's type
--   (OF), legacy inheritance (INHERITS), a foreign server (SERVER) and a partition key
--   (PARTITION BY; not for a table the script creates, whose CREATE TABLE has it) that
--   differ between the sides are not generated: a commented note '-- table <tbl>: <what>
--   not generated' with a warning saying what it changes from and to, never silence;
--   phase 165 (after the indexes; sort key `tbl` || ' 1' .. ' 5'): ALTER TABLE .. SET
--   LOGGED / UNLOGGED and SET ACCESS METHOD (both rewrite the table: with a warning,
--   none for the access method of a table the script creates), RESET (..) / SET (..)
--   of its reloptions (sorted), REPLICA IDENTITY (DEFAULT when the definition says none;
--   USING INDEX by the index's name at the target, from an index or the key or unique
--   constraint that owns it; without a name a commented note with a warning);
--   phase 185: ENABLE / DISABLE ROW LEVEL SECURITY, [NO] FORCE ROW LEVEL SECURITY (sort
--   key `tbl` || ' 0 rls' / ' 0 rls force'), COMMENT ON TABLE (its last item, COMMENT
--   '..': set, changed or removed, IS NULL; sort key `tbl` || ' 1 comment').
-- Errors: 22023 when `to_details` holds an 'idx' or 'cons' that is no array (read for a
-- replica identity index). STABLE, SECURITY INVOKER, callable by everyone: the piece of
-- table_extra_steps (itself callable by everyone) for the table's own clauses.
CREATE OR REPLACE FUNCTION pggit.table_option_steps(tbl text, old_items text[], new_items text[], added boolean,
                                                    to_details jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_lit text := '(''(?:[^'']|'''')*'')';
    c record;
    v_txt text;
    v_a text[];
    v_b text[];
BEGIN
    -- what the definition records that is not generated: a note with what differs
    FOR c IN SELECT p.pre, p.what,
                    (SELECT x FROM unnest(old_items) AS x WHERE starts_with(x, p.pre) LIMIT 1) AS o,
                    (SELECT x FROM unnest(new_items) AS x WHERE starts_with(x, p.pre) LIMIT 1) AS n
               FROM (VALUES ('OF ', 'typed table (CREATE TABLE .. OF)'),
                            ('INHERITS ', 'legacy inheritance (INHERITS)'),
                            ('SERVER ', 'foreign server'),
                            ('PARTITION BY ', 'partition key')) AS p (pre, what) LOOP
        IF c.o IS DISTINCT FROM c.n AND NOT (added AND c.pre = 'PARTITION BY ') THEN
            phase := 130; sort_key := tbl || ' ' || c.pre;
            statement := format('-- table %s: %s not generated', tbl, c.what);
            warning := format('table %s: %s changes from %s to %s: not generated', tbl, c.what,
                              coalesce(quote_literal(c.o), 'none'), coalesce(quote_literal(c.n), 'none'));
            RETURN NEXT;
        END IF;
    END LOOP;

    -- table options
    v_a := ARRAY(SELECT x FROM unnest(old_items) AS x WHERE x ~ '^(UNLOGGED )?(PARTITIONED |FOREIGN )?TABLE$');
    v_b := ARRAY(SELECT x FROM unnest(new_items) AS x WHERE x ~ '^(UNLOGGED )?(PARTITIONED |FOREIGN )?TABLE$');
    IF NOT added AND starts_with(v_a[1], 'UNLOGGED') <> starts_with(v_b[1], 'UNLOGGED') THEN
        phase := 165; sort_key := tbl || ' 1';
        statement := format('ALTER TABLE %s SET %s;', tbl,
                            CASE WHEN starts_with(v_b[1], 'UNLOGGED') THEN 'UNLOGGED' ELSE 'LOGGED' END);
        warning := format('table %s is rewritten (SET %s): it is locked meanwhile', tbl,
                          CASE WHEN starts_with(v_b[1], 'UNLOGGED') THEN 'UNLOGGED' ELSE 'LOGGED' END);
        RETURN NEXT;
    END IF;
    v_txt := (SELECT substr(x, 7) FROM unnest(new_items) AS x WHERE starts_with(x, 'USING ') LIMIT 1);
    IF v_txt IS DISTINCT FROM (SELECT substr(x, 7) FROM unnest(old_items) AS x WHERE starts_with(x, 'USING ') LIMIT 1)
       AND v_txt IS NOT NULL AND NOT (added AND v_txt = 'heap') THEN
        phase := 165; sort_key := tbl || ' 2';
        statement := format('ALTER TABLE %s SET ACCESS METHOD %s;', tbl, v_txt);
        warning := CASE WHEN NOT added
                        THEN format('table %s is rewritten (SET ACCESS METHOD %s): it is locked meanwhile', tbl, v_txt) END;
        RETURN NEXT;
    END IF;
    -- reloptions: WITH (k=v, ...), sorted
    v_a := coalesce(string_to_array((SELECT substr(x, 7, length(x) - 7) FROM unnest(old_items) AS x
                                      WHERE starts_with(x, 'WITH (') LIMIT 1), ', '), '{}');
    v_b := coalesce(string_to_array((SELECT substr(x, 7, length(x) - 7) FROM unnest(new_items) AS x
                                      WHERE starts_with(x, 'WITH (') LIMIT 1), ', '), '{}');
    v_txt := (SELECT string_agg(split_part(a, '=', 1), ', ' ORDER BY a COLLATE "C") FROM unnest(v_a) AS a
               WHERE NOT EXISTS (SELECT FROM unnest(v_b) AS b WHERE split_part(b, '=', 1) = split_part(a, '=', 1)));
    IF v_txt IS NOT NULL THEN
        phase := 165; sort_key := tbl || ' 3';
        statement := format('ALTER TABLE %s RESET (%s);', tbl, v_txt); warning := NULL;
        RETURN NEXT;
    END IF;
    v_txt := (SELECT string_agg(b, ', ' ORDER BY b COLLATE "C") FROM unnest(v_b) AS b WHERE NOT b = ANY (v_a));
    IF v_txt IS NOT NULL THEN
        phase := 165; sort_key := tbl || ' 4';
        statement := format('ALTER TABLE %s SET (%s);', tbl, v_txt); warning := NULL;
        RETURN NEXT;
    END IF;
    -- replica identity (DEFAULT when the definition says none)
    v_txt := (SELECT x FROM unnest(new_items) AS x WHERE starts_with(x, 'REPLICA IDENTITY ') LIMIT 1);
    IF v_txt IS DISTINCT FROM (SELECT x FROM unnest(old_items) AS x WHERE starts_with(x, 'REPLICA IDENTITY ') LIMIT 1) THEN
        phase := 165; sort_key := tbl || ' 5'; warning := NULL;
        IF v_txt IS NULL OR v_txt IN ('REPLICA IDENTITY FULL', 'REPLICA IDENTITY NOTHING') THEN
            statement := format('ALTER TABLE %s %s;', tbl, coalesce(v_txt, 'REPLICA IDENTITY DEFAULT'));
        ELSE
            -- USING INDEX <the index's line>: its name at the target, from an index or the
            -- key or unique constraint that owns it
            SELECT n INTO v_txt
              FROM (SELECT i.value ->> 'n' AS n, 1 AS pref
                      FROM jsonb_array_elements(to_details -> 'idx') AS i
                     WHERE 'REPLICA IDENTITY USING INDEX UNIQUE ' || (i.value ->> 'd') = v_txt
                    UNION ALL
                    SELECT k.value ->> 'n', CASE k.value ->> 't' WHEN 'p' THEN 0 ELSE 2 END
                      FROM jsonb_array_elements(to_details -> 'cons') AS k
                     WHERE k.value ->> 't' IN ('p', 'u')
                       AND 'REPLICA IDENTITY USING INDEX UNIQUE btree ('
                           || substring(k.value ->> 'd' FROM '^(?:PRIMARY KEY|UNIQUE) \((.*)\)$') || ')' = v_txt) AS s
             ORDER BY s.pref, s.n COLLATE "C"
             LIMIT 1;
            IF v_txt IS NULL THEN
                statement := format('-- table %s: REPLICA IDENTITY not generated', tbl);
                warning := format('table %s: its replica identity index (%s) has no name in the recorded details: '
                                  'not generated', tbl,
                                  (SELECT x FROM unnest(new_items) AS x WHERE starts_with(x, 'REPLICA IDENTITY ') LIMIT 1));
            ELSE
                statement := format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I;', tbl, v_txt);
            END IF;
        END IF;
        RETURN NEXT;
    END IF;
    IF ('ROW LEVEL SECURITY' = ANY (old_items)) <> ('ROW LEVEL SECURITY' = ANY (new_items)) THEN
        phase := 185; sort_key := tbl || ' 0 rls'; warning := NULL;
        statement := format('ALTER TABLE %s %s ROW LEVEL SECURITY;', tbl,
                            CASE WHEN 'ROW LEVEL SECURITY' = ANY (new_items) THEN 'ENABLE' ELSE 'DISABLE' END);
        RETURN NEXT;
    END IF;
    IF ('FORCE ROW LEVEL SECURITY' = ANY (old_items)) <> ('FORCE ROW LEVEL SECURITY' = ANY (new_items)) THEN
        phase := 185; sort_key := tbl || ' 0 rls force'; warning := NULL;
        statement := format('ALTER TABLE %s %sFORCE ROW LEVEL SECURITY;', tbl,
                            CASE WHEN 'FORCE ROW LEVEL SECURITY' = ANY (new_items) THEN '' ELSE 'NO ' END);
        RETURN NEXT;
    END IF;

    -- the table's comment: its last item
    v_txt := substring(new_items[cardinality(new_items)] FROM '^COMMENT ' || v_lit || '$');
    IF v_txt IS DISTINCT FROM substring(old_items[cardinality(old_items)] FROM '^COMMENT ' || v_lit || '$') THEN
        phase := 185; sort_key := tbl || ' 1 comment'; warning := NULL;
        statement := format('COMMENT ON TABLE %s IS %s;', tbl, coalesce(v_txt, 'NULL'));
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.table_option_steps(text, text[], text[], boolean, jsonb) IS
    'The steps of table_extra_steps for a table''s own clauses (notes for OF, INHERITS, SERVER, PARTITION BY; LOGGED, access method,
     reloptions, replica identity, row level security; its comment).';
