-- pggit.table_extra_steps(old_identity text, tbl text, old_definition text, new_definition text,
--                         to_details jsonb, renames jsonb, from_ref text, to_ref text,
--                         dropped_functions text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: the steps of pggit.generate_migration for what a table's canonical
-- definition (pggit.describe_table) holds beyond its columns' types, defaults and NOT
-- NULL, its constraints and its indexes, from `old_definition` (NULL: the script
-- creates the table) to `new_definition`, on the table's name at each side
-- (`old_identity` before the renames, `tbl` after; both quoted as pg_identify_object
-- quotes). `to_details` is pggit.table_details at the target (index names), `renames`
-- the column renames ({new name: old name}), `from_ref` / `to_ref` the refs (a
-- partition's parent is read there), `dropped_functions` the identities (as pggit.diff
-- gives them) of the functions and procedures the script drops: a trigger, policy or
-- rule whose text calls one is dropped before it and created again after it, even
-- when it does not change itself (PostgreSQL refuses the function's drop otherwise).
--   comments: COMMENT ON TABLE / COLUMN / CONSTRAINT / INDEX (set, changed, removed: IS
--     NULL), a constraint or index by its definition's name at the target;
--   triggers: DROP TRIGGER (phase 5, before functions are dropped) and CREATE TRIGGER
--     (phase 185, after functions are created) for an added, removed or changed one
--     (a changed trigger is dropped and created again), ALTER TABLE .. ENABLE [REPLICA |
--     ALWAYS] / DISABLE TRIGGER for its state, COMMENT ON TRIGGER; a partition's
--     triggers cloned from its parent's are left to the parent (pggit's own triggers
--     are never in a definition: pggit.describe_triggers);
--   policies: CREATE POLICY (185), DROP POLICY (5), ALTER POLICY (185) when only its
--     roles or expressions change (dropped and created again when its command or kind
--     changes or an expression goes);
--   rules: CREATE RULE (185), DROP RULE (5), ENABLE / DISABLE RULE;
--   column options (phase 165): ALTER COLUMN .. SET STORAGE / COMPRESSION / STATISTICS,
--     SET (..) / RESET (..);
--   options (phase 165, after the indexes): ALTER TABLE .. SET (..) / RESET (..),
--     SET ACCESS METHOD and SET LOGGED / UNLOGGED (both rewrite the table: with a
--     warning), REPLICA IDENTITY (the index by its name at the target); (185) ENABLE /
--     DISABLE ROW LEVEL SECURITY, [NO] FORCE ROW LEVEL SECURITY;
--   partitions: ALTER TABLE .. DETACH PARTITION (phase 25, before anything of the
--     parent changes) when a partition stops being one or changes parent or bound, and
--     ATTACH PARTITION (phase 165, after its own and its parent's constraints and
--     indexes) when a table becomes one (creating a partition is CREATE TABLE .. PARTITION
--     OF, by generate_migration).
-- What the definition records and this cannot generate (a typed table's type, legacy
-- inheritance, a partition key that changes, a foreign server, a REPLICA IDENTITY
-- index without a name) is a commented note with a warning saying what differs, never
-- silence. STABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.table_extra_steps(old_identity text, tbl text, old_definition text,
                                                   new_definition text, to_details jsonb, renames jsonb,
                                                   from_ref text, to_ref text, dropped_functions text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_old text[] := coalesce(pggit.definition_items(old_definition), '{}');
    v_new text[] := pggit.definition_items(new_definition);
    v_added boolean := old_definition IS NULL;
    v_lit text := '(''(?:[^'']|'''')*'')';
    v_name text := '("(?:[^"]|"")*"|[^ "]+)';
    v_opo text;
    v_npo text;
    v_opar text[];
    v_npar text[];
    v_inh_old text[] := '{}';
    v_inh_new text[] := '{}';
    c record;
    v_txt text;
    v_a text[];
    v_b text[];
    v_pa text[];
    v_pb text[];
    v_re boolean;
    -- which parts either side has at all (the rest is skipped: most tables have none)
    v_both text := coalesce(old_definition, '') || E'\n' || coalesce(new_definition, '');
    v_cmts boolean := strpos(v_both, ' COMMENT ''') > 0;
    v_colopts boolean := v_both ~ '\nCOLUMN [^\n]* (STORAGE|COMPRESSION|STATISTICS|OPTIONS) ';
    v_trg boolean := strpos(v_both, E'\nTRIGGER ') > 0;
    v_pol boolean := strpos(v_both, E'\nPOLICY ') > 0;
    v_rul boolean := strpos(v_both, E'\nRULE ') > 0;
    -- the functions and procedures the script drops (and creates again, if they stay), as
    -- '<schema>.<name>(': a trigger, policy or rule that calls one goes before it and
    -- comes back after it
    v_fns text[] := ARRAY(SELECT m[1] || '('
                            FROM unnest(dropped_functions) AS f,
                                 regexp_match(f, '^((?:"(?:[^"]|"")*"|[^."(]+)[.](?:"(?:[^"]|"")*"|[^."(]+))[(]') AS m);
BEGIN
    -- the partition line of each side: PARTITION OF <parent> <bound>
    v_opo := (SELECT x FROM unnest(v_old) AS x WHERE starts_with(x, 'PARTITION OF ') LIMIT 1);
    v_npo := (SELECT x FROM unnest(v_new) AS x WHERE starts_with(x, 'PARTITION OF ') LIMIT 1);
    v_opar := regexp_match(v_opo, '^PARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) (.*)$');
    v_npar := regexp_match(v_npo, '^PARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) (.*)$');
    -- a partition's triggers cloned from its parent's: the parent's own
    IF v_opar IS NOT NULL AND EXISTS (SELECT FROM unnest(v_old) AS x WHERE starts_with(x, 'TRIGGER ')) THEN
        v_inh_old := ARRAY(SELECT x FROM unnest(pggit.definition_items(
                               (pggit.table_state(from_ref, v_opar[1])).definition)) AS x
                            WHERE starts_with(x, 'TRIGGER '));
    END IF;
    IF v_npar IS NOT NULL AND EXISTS (SELECT FROM unnest(v_new) AS x WHERE starts_with(x, 'TRIGGER ')) THEN
        v_inh_new := ARRAY(SELECT x FROM unnest(pggit.definition_items(
                               (pggit.table_state(to_ref, v_npar[1])).definition)) AS x
                            WHERE starts_with(x, 'TRIGGER '));
    END IF;

    -- partitions: detach / attach
    IF NOT v_added AND v_opo IS DISTINCT FROM v_npo THEN
        IF v_opar IS NOT NULL THEN
            phase := 25; sort_key := old_identity;
            statement := format('ALTER TABLE %s DETACH PARTITION %s;', v_opar[1], old_identity);
            warning := NULL;
            RETURN NEXT;
        END IF;
        IF v_npar IS NOT NULL THEN
            phase := 165; sort_key := tbl || ' 0';
            statement := format('ALTER TABLE %s ATTACH PARTITION %s %s;', v_npar[1], tbl, v_npar[2]);
            warning := NULL;
            RETURN NEXT;
        END IF;
    END IF;

    -- what the definition records that is not generated: a note with what differs
    FOR c IN SELECT p.pre, p.what,
                    (SELECT x FROM unnest(v_old) AS x WHERE starts_with(x, p.pre) LIMIT 1) AS o,
                    (SELECT x FROM unnest(v_new) AS x WHERE starts_with(x, p.pre) LIMIT 1) AS n
               FROM (VALUES ('OF ', 'typed table (CREATE TABLE .. OF)'),
                            ('INHERITS ', 'legacy inheritance (INHERITS)'),
                            ('SERVER ', 'foreign server'),
                            ('PARTITION BY ', 'partition key')) AS p (pre, what) LOOP
        IF c.o IS DISTINCT FROM c.n AND NOT (v_added AND c.pre = 'PARTITION BY ') THEN
            phase := 130; sort_key := tbl || ' ' || c.pre;
            statement := format('-- table %s: %s not generated', tbl, c.what);
            warning := format('table %s: %s changes from %s to %s: not generated', tbl, c.what,
                              coalesce(quote_literal(c.o), 'none'), coalesce(quote_literal(c.n), 'none'));
            RETURN NEXT;
        END IF;
    END LOOP;

    -- table options
    v_a := ARRAY(SELECT x FROM unnest(v_old) AS x WHERE x ~ '^(UNLOGGED )?(PARTITIONED |FOREIGN )?TABLE$');
    v_b := ARRAY(SELECT x FROM unnest(v_new) AS x WHERE x ~ '^(UNLOGGED )?(PARTITIONED |FOREIGN )?TABLE$');
    IF NOT v_added AND starts_with(v_a[1], 'UNLOGGED') <> starts_with(v_b[1], 'UNLOGGED') THEN
        phase := 165; sort_key := tbl || ' 1';
        statement := format('ALTER TABLE %s SET %s;', tbl,
                            CASE WHEN starts_with(v_b[1], 'UNLOGGED') THEN 'UNLOGGED' ELSE 'LOGGED' END);
        warning := format('table %s is rewritten (SET %s): it is locked meanwhile', tbl,
                          CASE WHEN starts_with(v_b[1], 'UNLOGGED') THEN 'UNLOGGED' ELSE 'LOGGED' END);
        RETURN NEXT;
    END IF;
    v_txt := (SELECT substr(x, 7) FROM unnest(v_new) AS x WHERE starts_with(x, 'USING ') LIMIT 1);
    IF v_txt IS DISTINCT FROM (SELECT substr(x, 7) FROM unnest(v_old) AS x WHERE starts_with(x, 'USING ') LIMIT 1)
       AND v_txt IS NOT NULL AND NOT (v_added AND v_txt = 'heap') THEN
        phase := 165; sort_key := tbl || ' 2';
        statement := format('ALTER TABLE %s SET ACCESS METHOD %s;', tbl, v_txt);
        warning := CASE WHEN NOT v_added
                        THEN format('table %s is rewritten (SET ACCESS METHOD %s): it is locked meanwhile', tbl, v_txt) END;
        RETURN NEXT;
    END IF;
    -- reloptions: WITH (k=v, ...), sorted
    v_a := coalesce(string_to_array((SELECT substr(x, 7, length(x) - 7) FROM unnest(v_old) AS x
                                      WHERE starts_with(x, 'WITH (') LIMIT 1), ', '), '{}');
    v_b := coalesce(string_to_array((SELECT substr(x, 7, length(x) - 7) FROM unnest(v_new) AS x
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
    v_txt := (SELECT x FROM unnest(v_new) AS x WHERE starts_with(x, 'REPLICA IDENTITY ') LIMIT 1);
    IF v_txt IS DISTINCT FROM (SELECT x FROM unnest(v_old) AS x WHERE starts_with(x, 'REPLICA IDENTITY ') LIMIT 1) THEN
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
                                  (SELECT x FROM unnest(v_new) AS x WHERE starts_with(x, 'REPLICA IDENTITY ') LIMIT 1));
            ELSE
                statement := format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I;', tbl, v_txt);
            END IF;
        END IF;
        RETURN NEXT;
    END IF;
    IF ('ROW LEVEL SECURITY' = ANY (v_old)) <> ('ROW LEVEL SECURITY' = ANY (v_new)) THEN
        phase := 185; sort_key := tbl || ' 0 rls'; warning := NULL;
        statement := format('ALTER TABLE %s %s ROW LEVEL SECURITY;', tbl,
                            CASE WHEN 'ROW LEVEL SECURITY' = ANY (v_new) THEN 'ENABLE' ELSE 'DISABLE' END);
        RETURN NEXT;
    END IF;
    IF ('FORCE ROW LEVEL SECURITY' = ANY (v_old)) <> ('FORCE ROW LEVEL SECURITY' = ANY (v_new)) THEN
        phase := 185; sort_key := tbl || ' 0 rls force'; warning := NULL;
        statement := format('ALTER TABLE %s %sFORCE ROW LEVEL SECURITY;', tbl,
                            CASE WHEN 'FORCE ROW LEVEL SECURITY' = ANY (v_new) THEN '' ELSE 'NO ' END);
        RETURN NEXT;
    END IF;

    -- comments: the table's (its last line) and its columns' (the end of a COLUMN line)
    v_txt := substring(v_new[cardinality(v_new)] FROM '^COMMENT ' || v_lit || '$');
    IF v_txt IS DISTINCT FROM substring(v_old[cardinality(v_old)] FROM '^COMMENT ' || v_lit || '$') THEN
        phase := 185; sort_key := tbl || ' 1 comment'; warning := NULL;
        statement := format('COMMENT ON TABLE %s IS %s;', tbl, coalesce(v_txt, 'NULL'));
        RETURN NEXT;
    END IF;
    IF v_cmts THEN
        FOR c IN SELECT n.col, n.cmt, o.cmt AS ocmt, n.o
                   FROM (SELECT (regexp_match(x, '^COLUMN ' || v_name))[1] AS col,
                                substring(x FROM ' COMMENT ' || v_lit || '$') AS cmt, u.o
                           FROM unnest(v_new) WITH ORDINALITY AS u (x, o) WHERE starts_with(x, 'COLUMN ')) AS n
                   LEFT JOIN (SELECT (regexp_match(x, '^COLUMN ' || v_name))[1] AS col,
                                     substring(x FROM ' COMMENT ' || v_lit || '$') AS cmt
                                FROM unnest(v_old) AS x WHERE starts_with(x, 'COLUMN ')) AS o
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
    END IF;

    -- column options (the end of a COLUMN line, before its comment): STORAGE, COMPRESSION,
    -- STATISTICS, OPTIONS (..); a column matched by name or by its rename, after the
    -- column steps (phase 165)
    IF v_colopts THEN
        FOR c IN WITH l AS (
                     SELECT s.side, s.o, (regexp_match(s.x, '^COLUMN ' || v_name))[1] AS col, s.x
                       FROM (SELECT 'o' AS side, x, u.o FROM unnest(v_old) WITH ORDINALITY AS u (x, o)
                              WHERE starts_with(x, 'COLUMN ')
                             UNION ALL
                             SELECT 'n', x, u.o FROM unnest(v_new) WITH ORDINALITY AS u (x, o)
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
    END IF;

    -- comments of constraints and indexes: CONSTRAINT <def> [COMMENT '..'] and INDEX <line>
    -- [COMMENT '..'], named by their definition at the target (`to_details`; the index of
    -- a primary key or unique constraint by the constraint's name)
    IF v_cmts THEN
        FOR c IN WITH l AS (
                     SELECT s.side, s.part, s.o,
                            regexp_replace(s.x, ' COMMENT ' || v_lit || '$', '') AS def,
                            substring(s.x FROM ' COMMENT ' || v_lit || '$') AS cmt
                       FROM (SELECT 'o' AS side, left(x, 1) AS part, substr(x, strpos(x, ' ') + 1) AS x, u.o
                               FROM unnest(v_old) WITH ORDINALITY AS u (x, o)
                              WHERE starts_with(x, 'CONSTRAINT ') OR starts_with(x, 'INDEX ')
                             UNION ALL
                             SELECT 'n', left(x, 1), substr(x, strpos(x, ' ') + 1), u.o
                               FROM unnest(v_new) WITH ORDINALITY AS u (x, o)
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
    END IF;

    -- triggers, by name: TRIGGER <def> [DISABLED | ENABLE REPLICA | ENABLE ALWAYS] [COMMENT '..']
    IF v_trg THEN
        FOR c IN WITH t AS (
                     SELECT s.side, s.x, (regexp_match(s.x, '^TRIGGER CREATE (?:CONSTRAINT )?TRIGGER ' || v_name || ' '))[1] AS name,
                            substring(s.x FROM ' COMMENT ' || v_lit || '$') AS cmt,
                            regexp_replace(s.x, ' COMMENT ' || v_lit || '$', '') AS body
                       FROM (SELECT 'o' AS side, x FROM unnest(v_old) AS x
                              WHERE starts_with(x, 'TRIGGER ') AND NOT x = ANY (v_inh_old)
                             UNION ALL
                             SELECT 'n', x FROM unnest(v_new) AS x
                              WHERE starts_with(x, 'TRIGGER ') AND NOT x = ANY (v_inh_new)) AS s),
                 t2 AS (
                     SELECT t.side, t.name, t.cmt,
                            substr(coalesce(substring(t.body FROM '^(.*) (?:DISABLED|ENABLE REPLICA|ENABLE ALWAYS)$'), t.body), 9) AS def,
                            coalesce(substring(t.body FROM ' (DISABLED|ENABLE REPLICA|ENABLE ALWAYS)$'), '') AS state
                       FROM t)
                 SELECT coalesce(n.name, o.name) AS name, o.def AS odef, n.def AS ndef, o.state AS ostate, n.state AS nstate,
                        o.cmt AS ocmt, n.cmt AS ncmt
                   FROM (SELECT * FROM t2 WHERE side = 'o') AS o
                   FULL JOIN (SELECT * FROM t2 WHERE side = 'n') AS n ON n.name = o.name
                  ORDER BY coalesce(n.name, o.name) COLLATE "C" LOOP
            warning := NULL;
            -- dropped and created again when it changes, or when it uses a function the script drops
            v_re := c.odef IS DISTINCT FROM c.ndef
                    OR EXISTS (SELECT FROM unnest(v_fns) AS f WHERE strpos(c.odef, f) > 0);
            IF c.odef IS NOT NULL AND v_re THEN
                phase := 5; sort_key := old_identity || ' trigger ' || c.name;
                statement := format('DROP TRIGGER %s ON %s;', c.name, old_identity);
                RETURN NEXT;
            END IF;
            CONTINUE WHEN c.ndef IS NULL;
            IF v_re THEN
                phase := 185; sort_key := tbl || ' 3 trigger ' || c.name || ' 1';
                statement := overlay(c.ndef PLACING ' ON ' || tbl || ' ' FROM strpos(c.ndef, ' ON <self> ') FOR 11) || ';';
                RETURN NEXT;
            END IF;
            IF c.nstate IS DISTINCT FROM (CASE WHEN v_re THEN '' ELSE c.ostate END) THEN
                phase := 185; sort_key := tbl || ' 3 trigger ' || c.name || ' 2';
                statement := format('ALTER TABLE %s %s TRIGGER %s;', tbl,
                                    CASE c.nstate WHEN '' THEN 'ENABLE' WHEN 'DISABLED' THEN 'DISABLE' ELSE c.nstate END,
                                    c.name);
                RETURN NEXT;
            END IF;
            IF c.ncmt IS DISTINCT FROM (CASE WHEN v_re THEN NULL ELSE c.ocmt END) THEN
                phase := 185; sort_key := tbl || ' 3 trigger ' || c.name || ' 3';
                statement := format('COMMENT ON TRIGGER %s ON %s IS %s;', c.name, tbl, coalesce(c.ncmt, 'NULL'));
                RETURN NEXT;
            END IF;
        END LOOP;
    END IF;

    -- policies, by name
    IF v_pol THEN
        FOR c IN SELECT coalesce(n.p[1], o.p[1]) AS name, o.x AS ox, n.x AS nx, o.p AS op, n.p AS np
                   FROM (SELECT x, pggit.policy_parts(x) AS p FROM unnest(v_old) AS x WHERE starts_with(x, 'POLICY ')) AS o
                   FULL JOIN (SELECT x, pggit.policy_parts(x) AS p FROM unnest(v_new) AS x WHERE starts_with(x, 'POLICY ')) AS n
                          ON n.p[1] = o.p[1]
                  WHERE o.x IS DISTINCT FROM n.x OR EXISTS (SELECT FROM unnest(v_fns) AS f WHERE strpos(o.x, f) > 0)
                  ORDER BY coalesce(n.p[1], o.p[1], n.x, o.x) COLLATE "C" LOOP
            warning := NULL;
            IF c.nx IS NOT NULL AND c.np IS NULL OR c.ox IS NOT NULL AND c.op IS NULL THEN
                phase := 185; sort_key := tbl || ' 4 policy ' || coalesce(c.name, '');
                statement := format('-- table %s: a policy not generated', tbl);
                warning := format('table %s: policy %s (to %s) cannot be read: not generated', tbl,
                                  quote_literal(coalesce(c.ox, '-')), quote_literal(coalesce(c.nx, '-')));
                RETURN NEXT;
                CONTINUE;
            END IF;
            IF c.op IS NOT NULL AND c.np IS NOT NULL AND c.op[2] = c.np[2] AND c.ox IS DISTINCT FROM c.nx
               AND NOT EXISTS (SELECT FROM unnest(v_fns) AS f WHERE strpos(c.ox, f) > 0)
               AND (c.op[4] IS NULL OR c.np[4] IS NOT NULL) AND (c.op[5] IS NULL OR c.np[5] IS NOT NULL) THEN
                phase := 185; sort_key := tbl || ' 4 policy ' || c.name;
                statement := concat_ws(' ', format('ALTER POLICY %s ON %s TO %s', c.name, tbl, c.np[3]),
                                       'USING ' || c.np[4], 'WITH CHECK ' || c.np[5]) || ';';
                RETURN NEXT;
                CONTINUE;
            END IF;
            IF c.op IS NOT NULL THEN
                phase := 5; sort_key := old_identity || ' policy ' || c.name;
                statement := format('DROP POLICY %s ON %s;', c.name, old_identity);
                RETURN NEXT;
            END IF;
            IF c.np IS NOT NULL THEN
                phase := 185; sort_key := tbl || ' 4 policy ' || c.name;
                statement := concat_ws(' ', format('CREATE POLICY %s ON %s %s TO %s', c.name, tbl, c.np[2], c.np[3]),
                                       'USING ' || c.np[4], 'WITH CHECK ' || c.np[5]) || ';';
                RETURN NEXT;
            END IF;
        END LOOP;
    END IF;

    -- rules, by name: RULE <pg_get_ruledef, ending with ';'> [DISABLED | ENABLE REPLICA | ENABLE ALWAYS]
    IF v_rul THEN
        FOR c IN WITH t AS (
                     SELECT s.side, (regexp_match(s.x, '^RULE CREATE RULE ' || v_name || '\s+AS\s'))[1] AS name,
                            substr(coalesce(substring(s.x FROM '^(.*;) (?:DISABLED|ENABLE REPLICA|ENABLE ALWAYS)$'), s.x), 6) AS def,
                            coalesce(substring(s.x FROM ';( DISABLED| ENABLE REPLICA| ENABLE ALWAYS)$'), '') AS state
                       FROM (SELECT 'o' AS side, x FROM unnest(v_old) AS x WHERE starts_with(x, 'RULE ')
                             UNION ALL
                             SELECT 'n', x FROM unnest(v_new) AS x WHERE starts_with(x, 'RULE ')) AS s)
                 SELECT coalesce(n.name, o.name) AS name, o.def AS odef, n.def AS ndef, o.state AS ostate, n.state AS nstate
                   FROM (SELECT * FROM t WHERE side = 'o') AS o
                   FULL JOIN (SELECT * FROM t WHERE side = 'n') AS n ON n.name = o.name
                  ORDER BY coalesce(n.name, o.name) COLLATE "C" LOOP
            warning := NULL;
            -- dropped and created again when it changes, or when it uses a function the script drops
            v_re := c.odef IS DISTINCT FROM c.ndef
                    OR EXISTS (SELECT FROM unnest(v_fns) AS f WHERE strpos(c.odef, f) > 0);
            IF c.odef IS NOT NULL AND v_re THEN
                phase := 5; sort_key := old_identity || ' rule ' || c.name;
                statement := format('DROP RULE %s ON %s;', c.name, old_identity);
                RETURN NEXT;
            END IF;
            CONTINUE WHEN c.ndef IS NULL;
            IF v_re THEN
                phase := 185; sort_key := tbl || ' 5 rule ' || c.name || ' 1';
                statement := overlay(c.ndef PLACING ' TO ' || tbl || ' ' FROM strpos(c.ndef, ' TO <self> ') FOR 11);
                RETURN NEXT;
            END IF;
            IF c.nstate IS DISTINCT FROM (CASE WHEN v_re THEN '' ELSE c.ostate END) THEN
                phase := 185; sort_key := tbl || ' 5 rule ' || c.name || ' 2';
                statement := format('ALTER TABLE %s %s RULE %s;', tbl,
                                    CASE c.nstate WHEN '' THEN 'ENABLE' WHEN ' DISABLED' THEN 'DISABLE' ELSE ltrim(c.nstate) END,
                                    c.name);
                RETURN NEXT;
            END IF;
        END LOOP;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.table_extra_steps(text, text, text, text, jsonb, jsonb, text, text, text[]) IS
    'The steps of generate_migration for a table''s comments, triggers, policies, rules, options and partition attachment.';
