-- pggit.plan_table_steps(diff jsonb, gone_seqs jsonb, from_ref text, to_ref text, online boolean,
--                        from_working boolean, to_working boolean, from_at timestamptz, to_at timestamptz)
--     -> TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
--
-- Promises: the steps of pggit.migration_plan for the tables `diff` adds or changes
-- (the rows of pggit.diff(from_ref, to_ref) as a jsonb array of objects), in identity
-- order, as its header describes them; `gone_seqs` is pggit.plan_gone_sequences(diff);
-- `from_working` / `to_working` say a ref is WORKING, `from_at` / `to_at` when it was
-- committed (names of constraints and indexes as they were then, pggit.details_at).
-- A table is changed in place, never dropped and re-created: CREATE TABLE (phase 130,
-- + 1 per ancestor the script creates; pggit.create_table_statement); constraints and
-- indexes that go or change dropped on the old name (foreign keys 39, others 40,
-- indexes 30, DROP INDEX CONCURRENTLY when `online`); columns whose default uses a
-- gone sequence lose it first (43); dropped columns commented with a warning (45);
-- column renames (93, through pggit_rename_<n> for a chain or a swap: 93 then 94);
-- a note with a warning for foreign keys of other tables that a column swap would
-- misdirect (156); the columns' own steps (pggit.column_steps); constraints (150,
-- foreign keys 155; online: NOT VALID then VALIDATE, or a unique index built
-- CONCURRENTLY then ADD CONSTRAINT .. USING INDEX) and indexes (160) that are new or
-- changed; partitions (pggit.partition_steps, pggit.partition_local); comments,
-- triggers, policies, rules, options, ATTACH / DETACH (pggit.table_extra_steps), also
-- for a table the diff leaves alone whose trigger, policy or rule calls a function the
-- script drops; constraints and indexes only renamed (95, on the table's new name),
-- also of tables whose state is the same at both refs. Not generated, a commented
-- note with a warning: foreign tables (130), a table state without recorded details
-- (committed before level 4, 140).
-- Steps as pggit.migration_plan collects them: it sorts all steps by (phase, sort_key
-- COLLATE "C", order of appearance) and numbers them; `created` names the object a
-- step creates ([kind, identity, blob hash of its state at to_ref]; NULL for the other
-- steps), whose owner and privileges pggit.plan_owner_steps restores.
-- Errors: those of pggit.schema_at for from_ref / to_ref (22004, 42704, 42P09, 55000),
-- 22023 when `diff` is not an array of objects or an identity is no valid name.
-- PL/pgSQL, STABLE, SECURITY INVOKER with a pinned search_path; callable by everyone,
-- like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_table_steps(diff jsonb, gone_seqs jsonb, from_ref text, to_ref text,
                                                 online boolean, from_working boolean, to_working boolean,
                                                 from_at timestamptz, to_at timestamptz)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    c record;
    v_old text[];
    v_new text[];
    v_fd jsonb;
    v_td jsonb;
    v_tbl text;
    v_txt text;
    v_grew boolean;
    v_col_renames jsonb := '{}';
    v_ren jsonb;
    v_sources text[];
    v_dropped text[];
    v_tmp text;
    v_k integer;
    v_early text[];             -- old columns of the table at hand whose default is dropped early
    v_rel_renames jsonb := '{}';  -- renamed tables: {old identity: new identity}
    v_fd_cons jsonb;
    v_name_ren jsonb;           -- constraints and indexes renamed only: {"cons": [[old, new], ..], "idx": [..]}
    v_all_name_ren jsonb := '[]';  -- [[table at to_ref, v_name_ren of it], ...], renamed after the table loops
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
    v_created jsonb := '{}';    -- steps that create an object: {step: [kind, identity, blob hash]}
BEGIN
    -- column renames (diff's 'column' rows), per table at to_ref: {new name: old name}
    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_identity text)
              WHERE d.object_kind = 'column' AND d.change = 'renamed' LOOP
        v_new := parse_ident(r.object_identity);
        v_old := parse_ident(r.old_identity);
        v_tbl := format('%I.%I', v_new[1], v_new[2]);
        v_col_renames := jsonb_set(v_col_renames, ARRAY[v_tbl],
                                   coalesce(v_col_renames -> v_tbl, '{}') || jsonb_build_object(v_new[3], v_old[3]));
    END LOOP;

    SELECT coalesce(jsonb_object_agg(d.value ->> 'old_identity', d.value ->> 'object_identity'), '{}')
      INTO v_rel_renames
      FROM jsonb_array_elements(diff) AS d
     WHERE d.value ->> 'object_kind' = 'table' AND d.value ->> 'change' = 'renamed';

    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind = 'table' AND d.change IS DISTINCT FROM 'removed'
              ORDER BY d.object_identity COLLATE "C" LOOP
        IF split_part(r.new_definition, E'\n', 1) IN ('FOREIGN TABLE', 'UNLOGGED FOREIGN TABLE')
           OR split_part(r.old_definition, E'\n', 1) IN ('FOREIGN TABLE', 'UNLOGGED FOREIGN TABLE') THEN
            ph := ph || 130; ks := ks || r.object_identity;
            sts := sts || format('-- foreign table %s: not generated', r.object_identity);
            wns := wns || format('foreign table %s is %s: foreign tables are not generated (CREATE / ALTER '
                                 'FOREIGN TABLE by hand)', r.object_identity, r.change);
            CONTINUE;
        END IF;
        v_td := coalesce(pggit.details_at(r.object_identity, encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex'), to_at),
                         CASE WHEN to_working THEN pggit.table_details(to_regclass(r.object_identity)) END);
        v_fd := CASE WHEN r.change = 'added' THEN '{"cols": [], "cons": [], "idx": []}'::jsonb
                ELSE coalesce(pggit.details_at(r.old_identity, encode(sha256(convert_to(r.old_definition, 'UTF8')), 'hex'), from_at),
                              CASE WHEN from_working THEN pggit.table_details(to_regclass(r.old_identity)) END)
                END;
        IF v_td IS NULL OR v_fd IS NULL THEN
            ph := ph || 140; ks := ks || r.object_identity;
            sts := sts || format('-- table %s: changes not generated', r.object_identity);
            wns := wns || format('table %s at %s has no recorded details (names of constraints and indexes): '
                                 'it was committed before level 4', r.object_identity,
                                 CASE WHEN v_td IS NULL THEN to_ref ELSE from_ref END);
            CONTINUE;
        END IF;
        v_tbl := r.object_identity;
        -- Partitions (pggit.partition_steps): one the script creates, or one that stays
        -- the partition of the same parent with the same bound, gets no column steps
        -- (its columns are its parent's, whose steps reach it) and none for what it
        -- inherits (pggit.partition_local): only the names of the inherited indexes and
        -- keys. One that becomes a partition, changes parent or bound, or stops being
        -- one is detached first and attached last (pggit.table_extra_steps), changed
        -- meanwhile as any table.
        IF r.new_definition ~ '\nPARTITION OF '
           AND (r.change = 'added' OR substring(r.new_definition FROM '\n(PARTITION OF [^\n]*)')
                                      = substring(r.old_definition FROM '\n(PARTITION OF [^\n]*)')) THEN
            FOR c IN SELECT * FROM pggit.partition_steps(r.old_identity, v_tbl, r.old_definition, r.new_definition,
                                                         v_fd, v_td, from_ref, to_ref) LOOP
                ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
            END LOOP;
            v_td := pggit.partition_local(v_td, r.new_definition, to_ref);
            v_fd := pggit.partition_local(v_fd, r.old_definition, from_ref) || jsonb_build_object('cols', v_td -> 'cols');
            v_col_renames := v_col_renames - r.object_identity;
        ELSIF r.change = 'added' AND r.new_definition ~ '\nPARTITION BY ' THEN
            v_fd := v_fd || jsonb_build_object('cols', v_td -> 'cols');  -- made by its CREATE TABLE
        END IF;
        IF r.change = 'added' THEN
            -- a partition after its parent: phase 130 + the number of its ancestors the script creates
            v_k := 0;
            v_txt := r.new_definition;
            LOOP
                v_txt := (SELECT d.value ->> 'new_definition' FROM jsonb_array_elements(diff) AS d
                           WHERE d.value ->> 'object_kind' = 'table' AND d.value ->> 'change' = 'added'
                             AND d.value ->> 'object_identity' = substring(v_txt FROM
                                 '\nPARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) '));
                EXIT WHEN v_txt IS NULL OR v_k = 8;
                v_k := v_k + 1;
            END LOOP;
            ph := ph || (130 + v_k); ks := ks || v_tbl;
            sts := sts || pggit.create_table_statement(v_tbl, r.new_definition, v_td);
            wns := wns || NULL::text;
            v_created := v_created || jsonb_build_object(cardinality(sts)::text, jsonb_build_array('table', v_tbl,
                encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
        END IF;
        -- columns, matched by name, or by the renames diff reported ({new name: old name}):
        -- a column is kept when it is renamed, or when its name is still there and not
        -- the new name of another column; the others are dropped
        v_ren := CASE WHEN r.change = 'added' THEN '{}' ELSE coalesce(v_col_renames -> r.object_identity, '{}') END;
        v_sources := ARRAY(SELECT e.value FROM jsonb_each_text(v_ren) AS e);
        v_dropped := ARRAY(SELECT f.value ->> 'n' FROM jsonb_array_elements(v_fd -> 'cols') AS f
                            WHERE NOT (f.value ->> 'n') = ANY (v_sources)
                              AND (v_ren ? (f.value ->> 'n')
                                   OR NOT EXISTS (SELECT FROM jsonb_array_elements(v_td -> 'cols') AS t
                                                   WHERE t.value ->> 'n' = f.value ->> 'n')));
        -- a column whose default uses a sequence that a drop takes along (its owner
        -- table or column goes, or it goes with the other drops) loses the default
        -- before any column or table is dropped (phase 43, on the old names; a new
        -- default is set with the other column steps), unless it goes in the same
        -- statement as the sequence (it is the owner column, dropped)
        v_early := ARRAY(SELECT f.value ->> 'n' FROM jsonb_array_elements(v_fd -> 'cols') AS f
                          WHERE EXISTS (SELECT FROM jsonb_each(gone_seqs) AS g
                                         WHERE strpos(f.value ->> 'd', quote_literal(g.key) || '::regclass') > 0
                                           AND NOT ((f.value ->> 'n') = ANY (v_dropped)
                                                    AND jsonb_typeof(g.value) = 'array'
                                                    AND ARRAY[g.value ->> 0, g.value ->> 1, g.value ->> 2]
                                                        = parse_ident(r.old_identity) || (f.value ->> 'n'))));
        FOR i IN 1 .. coalesce(cardinality(v_early), 0) LOOP
            ph := ph || 43; ks := ks || r.old_identity;
            sts := sts || format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT;', r.old_identity, v_early[i]);
            wns := wns || NULL::text;
        END LOOP;
        v_fd_cons := v_fd -> 'cons';
        IF v_ren <> '{}' OR v_dropped <> '{}' THEN
            -- the old constraints and indexes as PostgreSQL prints them once the columns
            -- are renamed (they follow their columns: names in their text are replaced,
            -- token by token, string literals and quoted names kept whole); one that
            -- names a dropped column goes with it, so it never matches and is made again
            SELECT jsonb_build_object(
                       'cols', v_fd -> 'cols',
                       'cons', coalesce(jsonb_agg(x.v ORDER BY x.o) FILTER (WHERE x.part = 'cons'), '[]'),
                       'idx', coalesce(jsonb_agg(x.v ORDER BY x.o) FILTER (WHERE x.part = 'idx'), '[]'))
              INTO v_fd
              FROM (SELECT p.part, f.o,
                           CASE WHEN tk.toks && ARRAY(SELECT quote_ident(d) FROM unnest(v_dropped) AS d)
                                THEN jsonb_set(f.value, '{d}', 'null')  -- matches nothing
                                ELSE jsonb_set(f.value, '{d}', to_jsonb(array_to_string(ARRAY(
                                    SELECT coalesce((SELECT quote_ident(e.key) FROM jsonb_each_text(v_ren) AS e
                                                      WHERE quote_ident(e.value) = u.tok), u.tok)
                                      FROM unnest(tk.toks) WITH ORDINALITY AS u (tok, o) ORDER BY u.o), '')))
                           END AS v
                      FROM (VALUES ('cons'), ('idx')) AS p (part)
                     CROSS JOIN LATERAL jsonb_array_elements(v_fd -> p.part) WITH ORDINALITY AS f (value, o)
                     CROSS JOIN LATERAL (SELECT ARRAY(
                             SELECT g.m[1] FROM regexp_matches(f.value ->> 'd',
                                 '(''(?:[^'']|'''')*''|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*|[^''"A-Za-z_]+|.)', 'g')
                                 WITH ORDINALITY AS g (m, o) ORDER BY g.o) AS toks) AS tk) AS x;
        END IF;
        -- a foreign key follows the table and the columns it references through their
        -- renames: its old text is read with their new names (the referenced part from
        -- the text before this table's own column renames, which name other columns)
        IF v_rel_renames <> '{}' OR v_col_renames <> '{}' THEN
            v_fd := jsonb_set(v_fd, '{cons}', coalesce((
                SELECT jsonb_agg(CASE WHEN f.value ->> 't' <> 'f' OR f.value ->> 'd' IS NULL
                                           OR x.parts IS NULL OR x.renamed IS NULL THEN f.value
                                      ELSE jsonb_set(f.value, '{d}', to_jsonb(
                                          x.parts[1] || x.renamed[2] || '(' || x.renamed[3] || ')' || x.parts[4]))
                                 END ORDER BY f.o)
                  FROM jsonb_array_elements(v_fd -> 'cons') WITH ORDINALITY AS f (value, o)
                  LEFT JOIN jsonb_array_elements(v_fd_cons) WITH ORDINALITY AS g (value, o) ON g.o = f.o
                  CROSS JOIN LATERAL (SELECT pggit.foreign_key_parts(f.value ->> 'd') AS parts,
                                             pggit.foreign_key_parts(pggit.foreign_key_renamed(
                                                 g.value ->> 'd', v_rel_renames, v_col_renames)) AS renamed) AS x),
                '[]'));
        END IF;
        -- a constraint or an index whose definition stays and whose name changes is
        -- renamed (phase 95, on the table's new name), never dropped and made again; not
        -- when its new name is the old name of another one renamed (a swap or a chain)
        v_name_ren := pggit.name_renames(v_fd, v_td);
        v_all_name_ren := v_all_name_ren || jsonb_build_array(jsonb_build_array(v_tbl, v_name_ren));
        -- constraints and indexes that go or change: dropped first (foreign keys before
        -- the keys they use), on the table's old name
        FOR c IN SELECT f.value AS f FROM jsonb_array_elements(v_fd -> 'cons') AS f
                  WHERE NOT (v_td -> 'cons') @> jsonb_build_array(f.value)
                    AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_name_ren -> 'cons') AS x
                                     WHERE x.value ->> 0 = f.value ->> 'n')
                  ORDER BY f.value ->> 't' <> 'f', f.value ->> 'n' COLLATE "C" LOOP
            ph := ph || CASE WHEN c.f ->> 't' = 'f' THEN 39 ELSE 40 END; ks := ks || r.old_identity;
            sts := sts || format('ALTER TABLE %s DROP CONSTRAINT %I;', r.old_identity, c.f ->> 'n');
            wns := wns || NULL::text;
        END LOOP;
        FOR c IN SELECT f.value AS f FROM jsonb_array_elements(v_fd -> 'idx') AS f
                  WHERE NOT (v_td -> 'idx') @> jsonb_build_array(f.value)
                    AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_name_ren -> 'idx') AS x
                                     WHERE x.value ->> 0 = f.value ->> 'n')
                  ORDER BY f.value ->> 'n' COLLATE "C" LOOP
            ph := ph || 30; ks := ks || r.old_identity;
            sts := sts || format('DROP INDEX %s%I.%I;', CASE WHEN online THEN 'CONCURRENTLY ' ELSE '' END,
                                 (parse_ident(r.old_identity))[1], c.f ->> 'n');
            wns := wns || NULL::text;
        END LOOP;
        FOR c IN SELECT f.value AS f FROM jsonb_array_elements(v_fd -> 'cols') AS f
                  WHERE (f.value ->> 'n') = ANY (v_dropped) LOOP
            ph := ph || 45; ks := ks || r.old_identity;
            sts := sts || format('-- ALTER TABLE %s DROP COLUMN %I;', r.old_identity, c.f ->> 'n');
            wns := wns || format('column %I of table %s is dropped with its data', c.f ->> 'n', r.old_identity);
        END LOOP;
        -- renames, on the table's new name, after the drops and the table's own rename;
        -- when a new name is the old name of another renamed column (a chain or a swap),
        -- every rename of the table goes through a temporary name
        -- a foreign key of another table follows the referenced columns, not their names:
        -- when a new name is one the table had (a swap, a chain, a dropped column's name),
        -- one whose text stays the same may end on another column. Not generated: a note
        -- (apply_migration refuses it) for each table with a foreign key that references
        -- it and whose text is still found at to_ref.
        IF EXISTS (SELECT FROM jsonb_object_keys(v_ren) AS k
                    WHERE EXISTS (SELECT FROM jsonb_array_elements(v_fd -> 'cols') AS f WHERE f.value ->> 'n' = k)) THEN
            FOR c IN SELECT s.object_identity AS ident
                       FROM pggit.schema_at(from_ref) AS s
                      WHERE s.object_kind = 'table' AND s.object_identity <> r.old_identity
                        AND strpos(s.definition, format(' REFERENCES %s(', r.old_identity)) > 0
                        -- a foreign key whose text changes is dropped and made again by its table
                        AND EXISTS (SELECT FROM regexp_split_to_table(s.definition, E'\n') AS l (line)
                                     WHERE strpos(l.line, format(' REFERENCES %s(', r.old_identity)) > 0
                                       -- it references a renamed column, or one named as one is now
                                       AND string_to_array(split_part(substr(l.line,
                                               strpos(l.line, format(' REFERENCES %s(', r.old_identity))
                                               + length(format(' REFERENCES %s(', r.old_identity))), ')', 1), ', ')
                                           && ARRAY(SELECT quote_ident(e.key) FROM jsonb_each_text(v_ren) AS e
                                                    UNION ALL
                                                    SELECT quote_ident(e.value) FROM jsonb_each_text(v_ren) AS e)
                                       AND EXISTS (SELECT FROM pggit.schema_at(to_ref) AS s2
                                                    WHERE s2.object_kind = 'table'
                                                      AND strpos(s2.definition, replace(l.line,
                                                              format(' REFERENCES %s(', r.old_identity),
                                                              format(' REFERENCES %s(', v_tbl))) > 0))
                      ORDER BY s.object_identity COLLATE "C" LOOP
                ph := ph || 156; ks := ks || v_tbl;
                sts := sts || format('-- foreign keys of %s referencing %s: not generated', c.ident, v_tbl);
                wns := wns || format('columns of table %s take names other columns of it had: foreign keys of %s '
                                     'that reference them are not checked (re-create them by hand)', v_tbl, c.ident);
            END LOOP;
        END IF;
        IF v_ren <> '{}' THEN
            v_grew := EXISTS (SELECT FROM jsonb_object_keys(v_ren) AS k WHERE k = ANY (v_sources));
            v_k := 0;
            FOR c IN SELECT e.key AS new_name, e.value AS old_name FROM jsonb_each_text(v_ren) AS e
                      ORDER BY e.key COLLATE "C" LOOP
                IF v_grew THEN
                    LOOP
                        v_k := v_k + 1;
                        v_tmp := format('pggit_rename_%s', v_k);
                        EXIT WHEN NOT EXISTS (SELECT FROM jsonb_array_elements(v_fd -> 'cols') AS f
                                               WHERE f.value ->> 'n' = v_tmp)
                              AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_td -> 'cols') AS t
                                               WHERE t.value ->> 'n' = v_tmp);
                    END LOOP;
                    ph := ph || 93; ks := ks || v_tbl;
                    sts := sts || format('ALTER TABLE %s RENAME COLUMN %I TO %I;', v_tbl, c.old_name, v_tmp);
                    wns := wns || NULL::text;
                    ph := ph || 94; ks := ks || v_tbl;
                    sts := sts || format('ALTER TABLE %s RENAME COLUMN %I TO %I;', v_tbl, v_tmp, c.new_name);
                    wns := wns || NULL::text;
                ELSE
                    ph := ph || 93; ks := ks || v_tbl;
                    sts := sts || format('ALTER TABLE %s RENAME COLUMN %I TO %I;', v_tbl, c.old_name, c.new_name);
                    wns := wns || NULL::text;
                END IF;
            END LOOP;
        END IF;
        -- the columns' own steps (add, type, default, NOT NULL, identity, generation)
        FOR c IN SELECT * FROM pggit.column_steps(v_tbl, v_fd, v_td, v_ren, v_early, r.change = 'added', online) LOOP
            ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
        END LOOP;
        FOR c IN SELECT t.value AS t FROM jsonb_array_elements(v_td -> 'cons') AS t
                  WHERE NOT (v_fd -> 'cons') @> jsonb_build_array(t.value)
                    AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_name_ren -> 'cons') AS x
                                     WHERE x.value ->> 1 = t.value ->> 'n')
                  ORDER BY position(t.value ->> 't' IN 'pucxtf'), t.value ->> 'n' COLLATE "C" LOOP
            ph := ph || CASE WHEN c.t ->> 't' = 'f' THEN 155 ELSE 150 END; ks := ks || v_tbl;
            IF online AND r.change <> 'added' AND c.t ->> 't' IN ('f', 'c') AND (c.t ->> 'd') !~ ' NOT VALID$' THEN
                -- online: added without checking the rows (brief), then validated while
                -- reads and writes go on (SHARE UPDATE EXCLUSIVE)
                sts := sts || format('ALTER TABLE %s ADD CONSTRAINT %I %s NOT VALID;', v_tbl, c.t ->> 'n', c.t ->> 'd');
                wns := wns || NULL::text;
                ph := ph || ph[cardinality(ph)]; ks := ks || v_tbl;
                sts := sts || format('ALTER TABLE %s VALIDATE CONSTRAINT %I;', v_tbl, c.t ->> 'n');
            ELSIF online AND r.change <> 'added' AND c.t ->> 't' IN ('u', 'p')
                  AND (c.t ->> 'd') ~ '^(UNIQUE|PRIMARY KEY) \((?:"(?:[^"]|"")*"|[^")])*\)$' THEN
                -- online: its index built concurrently (outside a transaction block), then
                -- the constraint takes it over (brief)
                sts := sts || format('CREATE UNIQUE INDEX CONCURRENTLY %I ON %s USING btree %s;', c.t ->> 'n', v_tbl,
                                     substr(c.t ->> 'd', strpos(c.t ->> 'd', '(')));
                wns := wns || NULL::text;
                ph := ph || ph[cardinality(ph)]; ks := ks || v_tbl;
                sts := sts || format('ALTER TABLE %s ADD CONSTRAINT %I %s USING INDEX %I;', v_tbl, c.t ->> 'n',
                                     CASE WHEN c.t ->> 't' = 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END, c.t ->> 'n');
            ELSE
                sts := sts || format('ALTER TABLE %s ADD CONSTRAINT %I %s;', v_tbl, c.t ->> 'n', c.t ->> 'd');
            END IF;
            wns := wns || NULL::text;
        END LOOP;
        FOR c IN SELECT t.value AS t FROM jsonb_array_elements(v_td -> 'idx') AS t
                  WHERE NOT (v_fd -> 'idx') @> jsonb_build_array(t.value)
                    AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_name_ren -> 'idx') AS x
                                     WHERE x.value ->> 1 = t.value ->> 'n')
                  ORDER BY t.value ->> 'n' COLLATE "C" LOOP
            ph := ph || 160; ks := ks || v_tbl;
            sts := sts || format('CREATE %sINDEX %s%I ON %s USING %s;',
                                 CASE WHEN (c.t ->> 'u')::boolean THEN 'UNIQUE ' ELSE '' END,
                                 CASE WHEN online AND r.change <> 'added' THEN 'CONCURRENTLY ' ELSE '' END,
                                 c.t ->> 'n', v_tbl, c.t ->> 'd');
            wns := wns || NULL::text;
        END LOOP;
        -- comments, triggers, policies, rules, options, ATTACH / DETACH PARTITION
        FOR c IN SELECT * FROM pggit.table_extra_steps(CASE WHEN r.change <> 'added' THEN r.old_identity END, v_tbl,
                                                       CASE WHEN r.change <> 'added' THEN r.old_definition END,
                                                       r.new_definition, v_td, v_ren, from_ref, to_ref,
                                                       ARRAY(SELECT coalesce(d.value ->> 'old_identity', d.value ->> 'object_identity')
                                                               FROM jsonb_array_elements(diff) AS d
                                                              WHERE d.value ->> 'object_kind' IN ('function', 'procedure')
                                                                AND d.value ->> 'change' <> 'added')) LOOP
            ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
        END LOOP;
    END LOOP;
    -- a table the diff leaves alone whose trigger, policy or rule calls a function the
    -- script drops (a changed function is dropped and created again): that trigger,
    -- policy or rule goes before the function and comes back after it
    -- (pggit.table_extra_steps); O(schema) only when the script drops functions
    v_dropped := ARRAY(SELECT coalesce(d.value ->> 'old_identity', d.value ->> 'object_identity')
                         FROM jsonb_array_elements(diff) AS d
                        WHERE d.value ->> 'object_kind' IN ('function', 'procedure') AND d.value ->> 'change' <> 'added');
    IF v_dropped <> '{}' THEN
        FOR r IN SELECT s.object_identity, s.definition
                   FROM pggit.schema_at(from_ref) AS s
                  WHERE s.object_kind = 'table' AND s.definition ~ '\n(TRIGGER|POLICY|RULE) '
                    AND NOT EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                                     WHERE d.value ->> 'object_kind' = 'table'
                                       AND s.object_identity IN (d.value ->> 'object_identity', d.value ->> 'old_identity'))
                  ORDER BY s.object_identity COLLATE "C" LOOP
            FOR c IN SELECT * FROM pggit.table_extra_steps(r.object_identity, r.object_identity, r.definition,
                                                           r.definition, NULL, '{}', from_ref, to_ref, v_dropped) LOOP
                ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
            END LOOP;
        END LOOP;
    END IF;

    -- Tables whose state is the same at both refs while constraints or indexes of theirs
    -- were renamed in between: names are no part of a table's state (its blob), each
    -- commit's come from pggit.details_at; renamed (phase 95) like those of a changed table.
    IF from_at IS DISTINCT FROM to_at
       AND EXISTS (SELECT FROM pggit.object_details_log AS l
                    WHERE l.valid_until > least(coalesce(from_at, 'infinity'), coalesce(to_at, 'infinity'))) THEN
        FOR r IN SELECT f.object_identity AS ident, encode(sha256(convert_to(f.definition, 'UTF8')), 'hex') AS blob
                   FROM pggit.schema_at(from_ref) AS f
                   JOIN pggit.schema_at(to_ref) AS t
                     ON t.object_identity = f.object_identity AND t.object_kind = f.object_kind
                    AND t.definition = f.definition
                  WHERE f.object_kind = 'table'
                    AND EXISTS (SELECT FROM pggit.object_details_log AS l
                                 WHERE l.identity = f.object_identity
                                   AND l.valid_until > least(coalesce(from_at, 'infinity'), coalesce(to_at, 'infinity')))
                  ORDER BY f.object_identity COLLATE "C" LOOP
            v_fd := CASE WHEN from_working THEN pggit.table_details(to_regclass(r.ident))
                         ELSE pggit.details_at(r.ident, r.blob, from_at) END;
            v_td := CASE WHEN to_working THEN pggit.table_details(to_regclass(r.ident))
                         ELSE pggit.details_at(r.ident, r.blob, to_at) END;
            v_all_name_ren := v_all_name_ren
                              || jsonb_build_array(jsonb_build_array(r.ident, pggit.name_renames(v_fd, v_td)));
        END LOOP;
    END IF;
    -- the renames of constraints and indexes of both kinds of tables (phase 95, on the table's new name)
    FOR c IN SELECT t.value ->> 0 AS tbl, x.value ->> 0 AS old_name, x.value ->> 1 AS new_name,
                    p.part = 'cons' AS con
               FROM jsonb_array_elements(v_all_name_ren) WITH ORDINALITY AS t (value, o)
              CROSS JOIN (VALUES (1, 'cons'), (2, 'idx')) AS p (k, part)
              CROSS JOIN LATERAL jsonb_array_elements(t.value -> 1 -> p.part) WITH ORDINALITY AS x (value, o)
              ORDER BY t.o, p.k, x.o LOOP
        ph := ph || 95; ks := ks || c.tbl;
        sts := sts || CASE WHEN c.con
                           THEN format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I;', c.tbl, c.old_name, c.new_name)
                           ELSE format('ALTER INDEX %I.%I RENAME TO %I;', (parse_ident(c.tbl))[1], c.old_name,
                                       c.new_name) END;
        wns := wns || NULL::text;
    END LOOP;

    RETURN QUERY
        SELECT u.p, u.k, u.s, u.w, v_created -> u.o::text
          FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o)
         ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_table_steps(jsonb, jsonb, text, text, boolean, boolean, boolean, timestamp with time zone, timestamp with time zone) IS
    'Internal: steps creating and changing the tables of a pggit.diff in place, for migration_plan.';
