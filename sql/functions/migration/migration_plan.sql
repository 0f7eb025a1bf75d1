-- pggit.migration_plan(from_ref text, to_ref text, online boolean DEFAULT false)
--     -> TABLE(step integer, statement text, warning text, locks text, transactional boolean)
--
-- The generator behind pggit.generate_migration (which returns its first three
-- columns). `locks` says, for every step, the strongest lock it takes on an existing
-- object and what that means for the sessions using it (pggit.step_lock: a scan, a
-- rewrite, or brief); `transactional` is false for a step that must run outside a
-- transaction block (CREATE / DROP INDEX CONCURRENTLY).
-- online => true: the forms teams use on large live tables, for tables that exist
-- before the script: indexes built and dropped CONCURRENTLY; foreign keys and CHECK
-- constraints added NOT VALID, then VALIDATE CONSTRAINT (rows checked under SHARE
-- UPDATE EXCLUSIVE); a UNIQUE or PRIMARY KEY constraint over plain columns from a
-- unique index built CONCURRENTLY (ADD CONSTRAINT .. USING INDEX); SET NOT NULL after a
-- validated CHECK (column IS NOT NULL) (pggit.column_steps). A type change that
-- rewrites the table has no such form: its `locks` says so.
--
-- Promises: the ordered DDL script that turns the schema at from_ref into the schema at
-- to_ref (refs as pggit.resolve_ref takes them; WORKING = the live schema), one
-- statement per row, numbered from 1, each ending with ';'. The script is the
-- statements in step order; `warning` is NULL for a plain step and says what is wrong
-- otherwise. A step that would lose data is never run by accident: its statement is
-- written commented out ('-- ' before it) and it carries a warning (dropped table,
-- dropped column, narrowing type change, a dropped sequence, an enum that loses or
-- reorders labels). A step that may fail on existing rows (a NOT NULL column added
-- without a default) is written as is, with a warning. What the generator cannot do
-- yet is one commented row with a warning, never silence.
--
-- Order: drops in reverse dependency order (functions, views, indexes, constraints,
-- defaults that use a sequence a later drop takes along (its owner table or column goes,
-- or it goes with the other drops: PostgreSQL refuses that drop while a default uses
-- it), columns, tables (in foreign-key order: a table before the removed tables it
-- references; a foreign key that a cycle of removed tables leaves out of order is
-- dropped just before, commented like the table's drop), sequences, types, schemas), then renames (schemas first, then
-- tables, sequences, types, as pggit.diff reports them), then creations in dependency
-- order (schemas, types, sequences, tables and their columns, constraints (foreign
-- keys last), indexes, sequence ownership, views (those a view's text names first),
-- functions). Columns diff reports renamed are renamed in place (ALTER TABLE .. RENAME
-- COLUMN, on the table's new name, after the drops and before the other column steps;
-- through temporary names pggit_rename_<n> when the renames of a table form a chain or
-- a swap), so their data stays and a type change applies to the new name.
-- Tables are changed in place with ALTER TABLE (ADD / DROP COLUMN, ALTER
-- COLUMN TYPE .. USING, SET / DROP NOT NULL, SET / DROP DEFAULT, ADD / DROP CONSTRAINT,
-- CREATE / DROP INDEX); a table is never dropped and re-created. Views and functions
-- hold no data: a changed one is dropped and created again, and so is every unchanged
-- view whose text names a changed table or a re-created view.
--
-- Names: a table's canonical definition leaves out the names of its constraints and
-- indexes; they come from pggit.object_details (recorded by level 4 for every tracked
-- table state under its identity and blob hash) as they were when each ref was
-- committed (pggit.details_at: level 7 keeps replaced names in object_details_log),
-- or, for WORKING, from the live catalog. A table state without details (committed
-- before level 4 was installed) gives a warning row instead of its changes. A
-- constraint or index whose definition stays and whose name changes is renamed
-- (pggit.name_renames), also on a table whose state is the same at both refs; a
-- foreign key follows the renames of the table, schema and columns it references
-- (pggit.foreign_key_renamed) and needs no step of its own.
-- Columns (add, type, default, NOT NULL, identity, generation, their order): pggit.column_steps.
-- Types, domains and sequences (create, alter, drop): pggit.type_steps.
-- Partitioned tables and partitions (CREATE TABLE .. PARTITION BY / PARTITION OF,
-- ATTACH / DETACH): pggit.create_table_statement, pggit.partition_steps; comments,
-- triggers, policies, rules and options of tables: pggit.table_extra_steps.
-- Not generated (warning rows): foreign tables, typed tables, legacy inheritance, a
-- changed partition key.
-- Commented steps and notes are commented on every line (pggit.comment_lines): no
-- name or stored definition can end the comment early and run the rest.
-- Errors: those of pggit.diff (22004, 42704, 42P09, 55000). VOLATILE from level 9: it
-- settles the calling transaction's pending DDL first (pggit.settle_pending), then reads.
-- Cost: pggit.diff, plus O(schema) once when views may depend on a changed object.
CREATE OR REPLACE FUNCTION pggit.migration_plan(from_ref text, to_ref text, online boolean DEFAULT false)
RETURNS TABLE(step integer, statement text, warning text, locks text, transactional boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_from_working boolean;
    v_to_working boolean;
    r record;
    c record;
    ph integer[] := '{}';
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
    v_schema_map jsonb := '{}';
    v_old text[];
    v_new text[];
    v_cur text;
    v_fd jsonb;
    v_td jsonb;
    v_tbl text;
    v_obj text;
    v_txt text;
    i integer;
    v_changed_tables text[] := '{}';
    v_views jsonb := '[]';
    v_drop_views jsonb := '{}';
    v_create_views jsonb := '{}';
    v_level jsonb := '{}';
    v_grew boolean;
    v_diff jsonb;
    v_col_renames jsonb := '{}';
    v_ren jsonb;
    v_sources text[];
    v_dropped text[];
    v_tmp text;
    v_k integer;
    v_created jsonb := '[]';  -- objects the script creates: [kind, identity, step index, blob hash]
    v_own jsonb;
    v_kw text;
    v_on text;
    v_secdef boolean;
    v_n integer;
    v_gone_seqs jsonb := '{}';  -- sequences a drop takes along before the column steps: {identity: owner column}
    v_early text[];             -- old columns of the table at hand whose default is dropped early
    v_drop_fks jsonb := '{}';   -- removed tables: {identity: [[foreign key, removed table it references], ...]}
    v_drop_rank jsonb := '{}';  -- removed tables: {identity: drop order}
    v_rel_renames jsonb := '{}';  -- renamed tables: {old identity: new identity}
    v_fd_cons jsonb;
    v_name_ren jsonb;           -- constraints and indexes renamed only: {"cons": [[old, new], ..], "idx": [..]}
    v_all_name_ren jsonb := '[]';  -- [[table at to_ref, v_name_ren of it], ...], renamed after the table loops
    v_from_at timestamptz;      -- when from_ref / to_ref was committed (NULL: WORKING): names as they were then
    v_to_at timestamptz;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF from_ref IS NULL OR to_ref IS NULL OR online IS NULL THEN
        RAISE EXCEPTION 'generate_migration: a ref or online is NULL (from_ref %, to_ref %, online %)',
                        coalesce(quote_literal(pggit.clip(from_ref)), 'NULL'), coalesce(quote_literal(pggit.clip(to_ref)), 'NULL'),
                        coalesce(online::text, 'NULL')
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_from_working := pggit.resolve_ref(from_ref) IS NULL;
    v_to_working := pggit.resolve_ref(to_ref) IS NULL;
    SELECT cm.committed_at INTO v_from_at FROM pggit.commits AS cm WHERE cm.hash = pggit.resolve_ref(from_ref);
    SELECT cm.committed_at INTO v_to_at FROM pggit.commits AS cm WHERE cm.hash = pggit.resolve_ref(to_ref);

    SELECT coalesce(jsonb_agg(to_jsonb(d)), '[]') INTO v_diff FROM pggit.diff(from_ref, to_ref) AS d;

    -- Sequences the script drops before the column steps (phase 140): one the diff
    -- removes that is owned by a column (DROP TABLE / DROP COLUMN of its owner takes it
    -- along, phases 45 and 50), or that goes with the other drops (phase 60: its name is
    -- taken again or its schema goes; pggit.type_steps). A default that uses one of them
    -- must be gone by then: PostgreSQL refuses the drop while it depends on it (2BP01).
    -- {identity: [schema, table, column] of its owner, or null}
    SELECT coalesce(jsonb_object_agg(x.ident, x.owner), '{}') INTO v_gone_seqs
      FROM (SELECT d.value ->> 'object_identity' AS ident,
                   to_jsonb(parse_ident(substring(d.value ->> 'old_definition'
                       FROM '\nOWNED BY ((?:"(?:[^"]|"")*"|[^\n."]+)(?:[.](?:"(?:[^"]|"")*"|[^\n."]+))*)'))) AS owner
              FROM jsonb_array_elements(v_diff) AS d
             WHERE d.value ->> 'object_kind' = 'sequence' AND d.value ->> 'change' = 'removed') AS x
     WHERE x.owner IS NOT NULL
        OR (parse_ident(x.ident))[1] IN (SELECT (parse_ident(d.value ->> 'object_identity'))[1]
                                           FROM jsonb_array_elements(v_diff) AS d
                                          WHERE d.value ->> 'object_kind' = 'schema' AND d.value ->> 'change' = 'removed')
        OR EXISTS (SELECT FROM jsonb_array_elements(v_diff) AS d
                    WHERE d.value ->> 'object_identity' = x.ident AND d.value ->> 'change' IN ('added', 'renamed')
                      AND d.value ->> 'object_kind' IN ('table', 'view', 'materialized view', 'sequence'));

    -- Removed tables are dropped in foreign-key order: a table before the removed tables
    -- its foreign keys reference (rank 0: no removed table references it; else 1 + the
    -- greatest rank of those that do). Foreign keys that a cycle leaves out of order are
    -- dropped first (phase 48, commented like the drop of their table).
    SELECT coalesce(jsonb_object_agg(x.ident, x.fks), '{}') INTO v_drop_fks
      FROM (SELECT d.value ->> 'object_identity' AS ident,
                   coalesce((SELECT jsonb_agg(jsonb_build_array(f.value ->> 'n',
                                                                (pggit.foreign_key_parts(f.value ->> 'd'))[2]))
                               FROM jsonb_array_elements(coalesce(
                                        pggit.details_at(d.value ->> 'object_identity', encode(sha256(convert_to(d.value ->> 'old_definition',
                                                                                        'UTF8')), 'hex'), v_from_at),
                                        CASE WHEN v_from_working
                                             THEN pggit.table_details(to_regclass(d.value ->> 'object_identity')) END)
                                        -> 'cons') AS f
                              WHERE f.value ->> 't' = 'f'
                                AND (pggit.foreign_key_parts(f.value ->> 'd'))[2] <> d.value ->> 'object_identity'
                                AND EXISTS (SELECT FROM jsonb_array_elements(v_diff) AS e
                                             WHERE e.value ->> 'object_kind' = 'table' AND e.value ->> 'change' = 'removed'
                                               AND e.value ->> 'object_identity'
                                                   = (pggit.foreign_key_parts(f.value ->> 'd'))[2])), '[]')
                   -- a removed partition of a removed parent goes first: the parent's drop takes it along
                   || coalesce((SELECT jsonb_build_array(jsonb_build_array(NULL::text, e.value ->> 'object_identity'))
                                  FROM jsonb_array_elements(v_diff) AS e
                                 WHERE e.value ->> 'object_kind' = 'table' AND e.value ->> 'change' = 'removed'
                                   AND strpos(d.value ->> 'old_definition',
                                              E'\nPARTITION OF ' || (e.value ->> 'object_identity') || ' ') > 0
                                 LIMIT 1), '[]') AS fks
              FROM jsonb_array_elements(v_diff) AS d
             WHERE d.value ->> 'object_kind' = 'table' AND d.value ->> 'change' = 'removed') AS x;
    SELECT coalesce(jsonb_object_agg(k, 0), '{}') INTO v_drop_rank FROM jsonb_object_keys(v_drop_fks) AS k;
    FOR i IN 1 .. (SELECT count(*) FROM jsonb_object_keys(v_drop_fks)) LOOP
        v_grew := false;
        FOR c IN SELECT e.key AS ident, f.value ->> 1 AS ref
                   FROM jsonb_each(v_drop_fks) AS e CROSS JOIN LATERAL jsonb_array_elements(e.value) AS f LOOP
            IF (v_drop_rank ->> c.ref)::integer < (v_drop_rank ->> c.ident)::integer + 1 THEN
                v_drop_rank := v_drop_rank || jsonb_build_object(c.ref, (v_drop_rank ->> c.ident)::integer + 1);
                v_grew := true;
            END IF;
        END LOOP;
        EXIT WHEN NOT v_grew;
    END LOOP;

    -- column renames (diff's 'column' rows), per table at to_ref: {new name: old name}
    FOR r IN SELECT * FROM jsonb_to_recordset(v_diff) AS d (object_identity text, object_kind text, change text, old_identity text)
              WHERE d.object_kind = 'column' AND d.change = 'renamed' LOOP
        v_new := parse_ident(r.object_identity);
        v_old := parse_ident(r.old_identity);
        v_tbl := format('%I.%I', v_new[1], v_new[2]);
        v_col_renames := jsonb_set(v_col_renames, ARRAY[v_tbl],
                                   coalesce(v_col_renames -> v_tbl, '{}') || jsonb_build_object(v_new[3], v_old[3]));
    END LOOP;

    SELECT coalesce(jsonb_object_agg(d.value ->> 'old_identity', d.value ->> 'object_identity'), '{}')
      INTO v_rel_renames
      FROM jsonb_array_elements(v_diff) AS d
     WHERE d.value ->> 'object_kind' = 'table' AND d.value ->> 'change' = 'renamed';

    -- schemas
    FOR r IN SELECT * FROM jsonb_to_recordset(v_diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind = 'schema' ORDER BY d.object_identity COLLATE "C" LOOP
        IF r.change = 'added' THEN
            ph := ph || 100; ks := ks || r.object_identity; sts := sts || format('CREATE SCHEMA %s;', r.object_identity);
            wns := wns || NULL::text;
            v_created := v_created || jsonb_build_array(jsonb_build_array('schema', r.object_identity, cardinality(sts),
                encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
        ELSIF r.change = 'removed' THEN
            ph := ph || 80; ks := ks || r.object_identity; sts := sts || format('DROP SCHEMA %s;', r.object_identity);
            wns := wns || NULL::text;
        ELSIF r.change = 'renamed' THEN
            v_old := parse_ident(r.old_identity);
            v_new := parse_ident(r.object_identity);
            v_schema_map := v_schema_map || jsonb_build_object(v_old[1], v_new[1]);
            ph := ph || 90; ks := ks || r.old_identity;
            sts := sts || format('ALTER SCHEMA %s RENAME TO %s;', r.old_identity, r.object_identity);
            wns := wns || NULL::text;
        END IF;
        IF r.change <> 'removed' AND r.new_definition IS DISTINCT FROM r.old_definition THEN
            ph := ph || 100; ks := ks || (r.object_identity || ' comment');
            sts := sts || format('COMMENT ON SCHEMA %s IS %s;', r.object_identity,
                                 coalesce(substring(r.new_definition FROM E'\nCOMMENT (''.*'')$'), 'NULL'));
            wns := wns || NULL::text;
        END IF;
    END LOOP;

    FOR r IN SELECT * FROM jsonb_to_recordset(v_diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind <> 'schema'
              ORDER BY d.object_identity COLLATE "C" LOOP
        v_obj := CASE r.object_kind WHEN 'materialized view' THEN 'MATERIALIZED VIEW' ELSE upper(r.object_kind) END;
        -- renames of relations and types happen in place (after the drops, before the creations)
        IF r.change = 'renamed' AND r.object_kind IN ('table', 'sequence', 'type', 'domain') THEN
            v_old := parse_ident(r.old_identity);
            v_new := parse_ident(r.object_identity);
            v_cur := coalesce(v_schema_map ->> v_old[1], v_old[1]);
            IF v_old[2] <> v_new[2] THEN
                ph := ph || 91; ks := ks || r.old_identity;
                sts := sts || format('ALTER %s %I.%I RENAME TO %I;', v_obj, v_cur, v_old[2], v_new[2]);
                wns := wns || NULL::text;
            END IF;
            IF v_cur <> v_new[1] THEN
                ph := ph || 92; ks := ks || r.old_identity;
                sts := sts || format('ALTER %s %I.%I SET SCHEMA %I;', v_obj, v_cur, v_new[2], v_new[1]);
                wns := wns || NULL::text;
            END IF;
        END IF;

        IF r.object_kind IN ('function', 'procedure') THEN
            IF r.change <> 'added' THEN
                ph := ph || 10; ks := ks || r.old_identity;
                sts := sts || format('DROP %s %s;', v_obj, r.old_identity); wns := wns || NULL::text;
            END IF;
            IF r.change <> 'removed' THEN
                v_txt := regexp_replace(r.new_definition, E'\nCOMMENT ''(?:[^'']|'''')*''$', '');
                ph := ph || 180; ks := ks || r.object_identity;
                sts := sts || (rtrim(v_txt, E' \n') || ';'); wns := wns || NULL::text;
                v_created := v_created || jsonb_build_array(jsonb_build_array(r.object_kind, r.object_identity,
                    cardinality(sts), encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
                IF v_txt <> r.new_definition THEN
                    ph := ph || 180; ks := ks || (r.object_identity || ' comment');
                    sts := sts || format('COMMENT ON %s %s IS %s;', v_obj, r.object_identity,
                                         substring(r.new_definition FROM E'\nCOMMENT (''(?:[^'']|'''')*'')$'));
                    wns := wns || NULL::text;
                END IF;
            END IF;

        ELSIF r.object_kind IN ('view', 'materialized view') THEN
            IF r.change <> 'added' THEN
                v_drop_views := v_drop_views || jsonb_build_object(r.old_identity,
                    jsonb_build_object('k', v_obj, 'd', r.old_definition));
            END IF;
            IF r.change <> 'removed' THEN
                v_create_views := v_create_views || jsonb_build_object(r.object_identity,
                    jsonb_build_object('k', v_obj, 'd', r.new_definition));
            END IF;

        ELSIF r.object_kind = 'table' THEN
            IF r.change = 'removed' THEN
                -- its columns whose default uses a sequence that another table's or
                -- column's drop takes along lose the default first (phase 43)
                IF v_gone_seqs <> '{}' THEN
                    v_fd := coalesce(pggit.details_at(r.old_identity, encode(sha256(convert_to(r.old_definition, 'UTF8')), 'hex'), v_from_at),
                                     CASE WHEN v_from_working THEN pggit.table_details(to_regclass(r.old_identity)) END);
                    FOR c IN SELECT f.value ->> 'n' AS n
                               FROM jsonb_array_elements(v_fd -> 'cols') AS f
                              WHERE EXISTS (SELECT FROM jsonb_each(v_gone_seqs) AS g
                                             WHERE strpos(f.value ->> 'd', quote_literal(g.key) || '::regclass') > 0
                                               AND (jsonb_typeof(g.value) <> 'array'
                                                    OR ARRAY[g.value ->> 0, g.value ->> 1] <> parse_ident(r.old_identity)))
                    LOOP
                        ph := ph || 43; ks := ks || r.old_identity;
                        sts := sts || format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT;', r.old_identity, c.n);
                        wns := wns || NULL::text;
                    END LOOP;
                END IF;
                -- a foreign key to another removed table that a cycle leaves out of order
                FOR c IN SELECT f.value ->> 0 AS n, f.value ->> 1 AS ref
                           FROM jsonb_array_elements(v_drop_fks -> r.old_identity) AS f
                          WHERE (v_drop_rank ->> (f.value ->> 1))::integer <= (v_drop_rank ->> r.old_identity)::integer
                            AND f.value ->> 0 IS NOT NULL
                          ORDER BY (f.value ->> 0) COLLATE "C" LOOP
                    ph := ph || 48; ks := ks || r.old_identity;
                    sts := sts || format('-- ALTER TABLE %s DROP CONSTRAINT %I;', r.old_identity, c.n);
                    wns := wns || format('foreign key %I of table %s goes before the table is dropped with its rows '
                                         '(table %s, which it references, is dropped too)', c.n, r.old_identity, c.ref);
                END LOOP;
                ph := ph || 50; ks := ks || (lpad(coalesce(v_drop_rank ->> r.old_identity, '0'), 6, '0') || r.old_identity);
                sts := sts || format('-- DROP TABLE %s;', r.old_identity);
                wns := wns || format('table %s is dropped with its rows', r.old_identity);
                v_changed_tables := v_changed_tables || r.old_identity;
                CONTINUE;
            END IF;
            IF r.change <> 'added' THEN
                v_changed_tables := v_changed_tables || r.old_identity;
            END IF;
            IF split_part(r.new_definition, E'\n', 1) IN ('FOREIGN TABLE', 'UNLOGGED FOREIGN TABLE')
               OR split_part(r.old_definition, E'\n', 1) IN ('FOREIGN TABLE', 'UNLOGGED FOREIGN TABLE') THEN
                ph := ph || 130; ks := ks || r.object_identity;
                sts := sts || format('-- foreign table %s: not generated', r.object_identity);
                wns := wns || format('foreign table %s is %s: foreign tables are not generated (CREATE / ALTER '
                                     'FOREIGN TABLE by hand)', r.object_identity, r.change);
                CONTINUE;
            END IF;
            v_td := coalesce(pggit.details_at(r.object_identity, encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex'), v_to_at),
                             CASE WHEN v_to_working THEN pggit.table_details(to_regclass(r.object_identity)) END);
            v_fd := CASE WHEN r.change = 'added' THEN '{"cols": [], "cons": [], "idx": []}'::jsonb
                    ELSE coalesce(pggit.details_at(r.old_identity, encode(sha256(convert_to(r.old_definition, 'UTF8')), 'hex'), v_from_at),
                                  CASE WHEN v_from_working THEN pggit.table_details(to_regclass(r.old_identity)) END)
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
                    v_txt := (SELECT d.value ->> 'new_definition' FROM jsonb_array_elements(v_diff) AS d
                               WHERE d.value ->> 'object_kind' = 'table' AND d.value ->> 'change' = 'added'
                                 AND d.value ->> 'object_identity' = substring(v_txt FROM
                                     '\nPARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) '));
                    EXIT WHEN v_txt IS NULL OR v_k = 8;
                    v_k := v_k + 1;
                END LOOP;
                ph := ph || (130 + v_k); ks := ks || v_tbl;
                sts := sts || pggit.create_table_statement(v_tbl, r.new_definition, v_td);
                wns := wns || NULL::text;
                v_created := v_created || jsonb_build_array(jsonb_build_array('table', v_tbl, cardinality(sts),
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
                              WHERE EXISTS (SELECT FROM jsonb_each(v_gone_seqs) AS g
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
                                                                   FROM jsonb_array_elements(v_diff) AS d
                                                                  WHERE d.value ->> 'object_kind' IN ('function', 'procedure')
                                                                    AND d.value ->> 'change' <> 'added')) LOOP
                ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
            END LOOP;
        END IF;
    END LOOP;
    -- a table the diff leaves alone whose trigger, policy or rule calls a function the
    -- script drops (a changed function is dropped and created again): that trigger,
    -- policy or rule goes before the function and comes back after it
    -- (pggit.table_extra_steps); O(schema) only when the script drops functions
    v_dropped := ARRAY(SELECT coalesce(d.value ->> 'old_identity', d.value ->> 'object_identity')
                         FROM jsonb_array_elements(v_diff) AS d
                        WHERE d.value ->> 'object_kind' IN ('function', 'procedure') AND d.value ->> 'change' <> 'added');
    IF v_dropped <> '{}' THEN
        FOR r IN SELECT s.object_identity, s.definition
                   FROM pggit.schema_at(from_ref) AS s
                  WHERE s.object_kind = 'table' AND s.definition ~ '\n(TRIGGER|POLICY|RULE) '
                    AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_diff) AS d
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
    IF v_from_at IS DISTINCT FROM v_to_at
       AND EXISTS (SELECT FROM pggit.object_details_log AS l
                    WHERE l.valid_until > least(coalesce(v_from_at, 'infinity'), coalesce(v_to_at, 'infinity'))) THEN
        FOR r IN SELECT f.object_identity AS ident, encode(sha256(convert_to(f.definition, 'UTF8')), 'hex') AS blob
                   FROM pggit.schema_at(from_ref) AS f
                   JOIN pggit.schema_at(to_ref) AS t
                     ON t.object_identity = f.object_identity AND t.object_kind = f.object_kind
                    AND t.definition = f.definition
                  WHERE f.object_kind = 'table'
                    AND EXISTS (SELECT FROM pggit.object_details_log AS l
                                 WHERE l.identity = f.object_identity
                                   AND l.valid_until > least(coalesce(v_from_at, 'infinity'), coalesce(v_to_at, 'infinity')))
                  ORDER BY f.object_identity COLLATE "C" LOOP
            v_fd := CASE WHEN v_from_working THEN pggit.table_details(to_regclass(r.ident))
                         ELSE pggit.details_at(r.ident, r.blob, v_from_at) END;
            v_td := CASE WHEN v_to_working THEN pggit.table_details(to_regclass(r.ident))
                         ELSE pggit.details_at(r.ident, r.blob, v_to_at) END;
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

    -- types, domains and sequences: pggit.type_steps (create, alter, drop; renames are above)
    v_n := cardinality(sts);
    FOR c IN SELECT * FROM pggit.type_steps(v_diff, from_ref, to_ref) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
    END LOOP;
    -- the types, domains and sequences type_steps creates (or re-creates, commented)
    FOR r IN SELECT * FROM jsonb_to_recordset(v_diff) AS d (object_identity text, object_kind text, change text, new_definition text)
              WHERE d.object_kind IN ('type', 'domain', 'sequence') AND d.change <> 'removed' LOOP
        v_kw := upper(r.object_kind);
        SELECT min(u.o) INTO i
          FROM unnest(sts[v_n + 1 :]) WITH ORDINALITY AS u (s, o)
         WHERE u.s ~ '^(-- DROP [A-Z]+ [^\n]*; )?CREATE (UNLOGGED )?(TYPE|DOMAIN|SEQUENCE) '
           AND (strpos(u.s, format('CREATE %s %s ', v_kw, r.object_identity)) > 0
                OR strpos(u.s, format('CREATE %s %s;', v_kw, r.object_identity)) > 0
                OR strpos(u.s, format('CREATE UNLOGGED %s %s', v_kw, r.object_identity)) > 0);
        IF i IS NOT NULL THEN
            v_created := v_created || jsonb_build_array(jsonb_build_array(r.object_kind, r.object_identity, v_n + i,
                encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
        END IF;
    END LOOP;

    -- Views: those that change go and come back; so does every unchanged view whose
    -- text names a changed table or a view that goes (closure over views of views).
    IF v_changed_tables <> '{}' OR v_drop_views <> '{}' THEN
        SELECT coalesce(jsonb_agg(jsonb_build_array(s.object_identity, s.object_kind, s.definition)), '[]')
          INTO v_views
          FROM pggit.schema_at(to_ref) AS s
         WHERE s.object_kind IN ('view', 'materialized view')
           AND NOT EXISTS (SELECT FROM jsonb_array_elements(v_diff) AS d
                            WHERE d.value ->> 'object_identity' = s.object_identity
                              AND d.value ->> 'object_kind' = s.object_kind);
        LOOP
            v_grew := false;
            FOR c IN SELECT v.value ->> 0 AS ident, v.value ->> 1 AS kind, v.value ->> 2 AS def
                       FROM jsonb_array_elements(v_views) AS v
                      WHERE NOT v_drop_views ? (v.value ->> 0)
                        AND (EXISTS (SELECT FROM unnest(v_changed_tables) AS t
                                      WHERE strpos(substr(v.value ->> 2, strpos(v.value ->> 2, E'\nAS ')), t) > 0)
                             OR EXISTS (SELECT FROM jsonb_object_keys(v_drop_views) AS t
                                         WHERE strpos(substr(v.value ->> 2, strpos(v.value ->> 2, E'\nAS ')), t) > 0))
            LOOP
                v_obj := CASE c.kind WHEN 'materialized view' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END;
                v_drop_views := v_drop_views || jsonb_build_object(c.ident, jsonb_build_object('k', v_obj, 'd', c.def));
                v_create_views := v_create_views || jsonb_build_object(c.ident, jsonb_build_object('k', v_obj, 'd', c.def));
                v_grew := true;
            END LOOP;
            EXIT WHEN NOT v_grew;
        END LOOP;
    END IF;
    -- dependency levels by the names in a view's text: level = 1 + the greatest level of
    -- the other views of the same side it names
    FOR i IN 1 .. 2 LOOP
        v_level := '{}';
        LOOP
            v_grew := false;
            FOR c IN SELECT v.key AS ident,
                            1 + coalesce((SELECT max((v_level ->> o.key)::integer)
                                            FROM jsonb_each(CASE WHEN i = 1 THEN v_drop_views ELSE v_create_views END) AS o
                                           WHERE o.key <> v.key
                                             AND strpos(substr(v.value ->> 'd', strpos(v.value ->> 'd', E'\nAS ')),
                                                        o.key) > 0), 0) AS lvl
                       FROM jsonb_each(CASE WHEN i = 1 THEN v_drop_views ELSE v_create_views END) AS v LOOP
                IF (v_level ->> c.ident) IS NULL OR ((v_level ->> c.ident)::integer < c.lvl AND c.lvl < 1000) THEN
                    v_level := v_level || jsonb_build_object(c.ident, c.lvl);
                    v_grew := true;
                END IF;
            END LOOP;
            EXIT WHEN NOT v_grew;
        END LOOP;
        FOR c IN SELECT v.key AS ident, v.value ->> 'k' AS kind, v.value ->> 'd' AS def,
                        (v_level ->> v.key)::integer AS lvl
                   FROM jsonb_each(CASE WHEN i = 1 THEN v_drop_views ELSE v_create_views END) AS v LOOP
            IF i = 1 THEN
                ph := ph || 20; ks := ks || (lpad((1000 - c.lvl)::text, 4, '0') || c.ident);
                sts := sts || format('DROP %s %s;', c.kind, c.ident); wns := wns || NULL::text;
            ELSE
                -- the query: after the definition's own "\nAS " line (the first one outside a
                -- quoted name or a literal: a column name may hold "\nAS "), up to the ';' that
                -- ends it (the INDEX, TRIGGER, RULE, USING and COMMENT lines after it are no
                -- part of it): both by the lexer, pggit.split_statements, so that whatever a
                -- name or a literal holds, the step is one CREATE statement
                v_txt := NULL;
                v_n := 0;
                LOOP
                    v_k := strpos(substr(c.def, v_n + 1), E'\nAS ');
                    EXIT WHEN v_k = 0;
                    v_n := v_n + v_k;
                    IF NOT coalesce((SELECT bool_or(x.unterminated)
                                       FROM pggit.split_statements(left(c.def, v_n - 1)) AS x), false) THEN
                        SELECT x.statement INTO v_txt
                          FROM pggit.split_statements(substr(c.def, v_n + 4)) AS x
                         WHERE NOT x.unterminated
                         ORDER BY x.ordinal LIMIT 1;
                        EXIT;
                    END IF;
                END LOOP;
                ph := ph || 170; ks := ks || (lpad(c.lvl::text, 4, '0') || c.ident);
                IF v_txt IS NULL THEN
                    sts := sts || format('-- %s %s: definition not generated', lower(c.kind), c.ident);
                    wns := wns || format('%s %s: its recorded definition has no query the generator can read',
                                         lower(c.kind), c.ident);
                    CONTINUE;
                END IF;
                -- a materialized view is populated by REFRESH after its owner is set (the owner
                -- steps below): REFRESH runs its query as the owner, CREATE .. AS as the caller
                sts := sts || format('CREATE %s %s AS %s', c.kind, c.ident, v_txt
                                     || CASE WHEN c.kind = 'MATERIALIZED VIEW' THEN E'\nWITH NO DATA;' ELSE ';' END);
                wns := wns || NULL::text;
                v_created := v_created || jsonb_build_array(jsonb_build_array(lower(c.kind), c.ident, cardinality(sts),
                    encode(sha256(convert_to(c.def, 'UTF8')), 'hex')));
                IF c.def ~ E'\nCOMMENT ''(?:[^'']|'''')*''$' THEN
                    ph := ph || 170; ks := ks || (lpad(c.lvl::text, 4, '0') || c.ident || ' comment');
                    sts := sts || format('COMMENT ON %s %s IS %s;', c.kind, c.ident,
                                         substring(c.def FROM E'\nCOMMENT (''(?:[^'']|'''')*'')$'));
                    wns := wns || NULL::text;
                END IF;
            END IF;
        END LOOP;
    END LOOP;

    -- Owners and privileges (level 5): every object the script creates gets the owner and
    -- the privileges recorded with its state back (pggit.owner_details, kept in
    -- pggit.object_details under the state's identity and blob; the live catalog for
    -- WORKING), right after its CREATE (same phase and sort key): ALTER .. OWNER TO, and
    -- for a non-default ACL REVOKE ALL from PUBLIC and the owner, then one GRANT per
    -- grantee (and one WITH GRANT OPTION). No recorded owner (a state committed before
    -- level 5), or a recorded owner that no longer exists: a note with a warning
    -- (apply_migration refuses it, naming the object); a SECURITY DEFINER function or
    -- procedure is then not created at all (its CREATE is commented too): it would run
    -- with the rights of whoever runs the script. A grantee that no longer exists is
    -- left out, warned at the OWNER TO step (fewer rights, never more). A materialized
    -- view is created WITH NO DATA and refreshed after its owner steps (its query runs as
    -- its owner, never as the role that runs the script); with its owner not restored it
    -- stays unpopulated.
    FOR c IN SELECT e.value ->> 0 AS kind, e.value ->> 1 AS ident, (e.value ->> 2)::integer AS idx,
                    e.value ->> 3 AS blob
               FROM jsonb_array_elements(v_created) AS e ORDER BY (e.value ->> 2)::integer LOOP
        IF v_to_working THEN
            SELECT pggit.owner_details(o.classid, pggit.resolve_identity(o.kind, o.identity)) INTO v_own
              FROM pggit.objects AS o
             WHERE o.dropped_at IS NULL AND o.kind = c.kind AND o.identity = c.ident
             ORDER BY o.id DESC LIMIT 1;
        ELSE
            v_own := pggit.details_at(c.ident, c.blob, v_to_at) -> 'own';
        END IF;
        v_kw := CASE c.kind WHEN 'materialized view' THEN 'MATERIALIZED VIEW' ELSE upper(c.kind) END;
        v_on := CASE WHEN c.kind IN ('table', 'view', 'materialized view') THEN 'TABLE'
                     WHEN c.kind = 'domain' THEN 'TYPE' ELSE upper(c.kind) END;
        v_secdef := c.kind IN ('function', 'procedure') AND strpos(sts[c.idx], E'\n SECURITY DEFINER\n') > 0;
        IF v_own IS NULL OR NOT EXISTS (SELECT FROM pg_roles AS ro WHERE ro.rolname = v_own ->> 'o') THEN
            v_txt := CASE WHEN v_own IS NULL
                          THEN 'no owner is recorded for it (a state committed before level 5)'
                          ELSE format('its recorded owner %I does not exist', v_own ->> 'o') END;
            ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
            sts := sts || format('-- %s %s: owner not restored', lower(v_kw), c.ident);
            wns := wns || format('%s %s: %s%s', lower(v_kw), c.ident, v_txt,
                                 CASE WHEN v_secdef THEN ': the SECURITY DEFINER routine is not created'
                                      ELSE ': it is created owned by the role that runs the script' END);
            IF v_secdef THEN
                sts[c.idx] := '-- ' || sts[c.idx];
                wns[c.idx] := format('%s %s is SECURITY DEFINER and its owner cannot be restored: not created',
                                     lower(v_kw), c.ident);
            END IF;
            CONTINUE;
        END IF;
        ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
        sts := sts || format('ALTER %s %s OWNER TO %I;', v_kw, c.ident, v_own ->> 'o'); wns := wns || NULL::text;
        v_k := cardinality(sts);  -- the step a grantee that no longer exists is warned at
        IF jsonb_typeof(v_own -> 'a') = 'array' THEN
            ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
            sts := sts || format('REVOKE ALL ON %s %s FROM PUBLIC;', v_on, c.ident); wns := wns || NULL::text;
            ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
            sts := sts || format('REVOKE ALL ON %s %s FROM %I;', v_on, c.ident, v_own ->> 'o'); wns := wns || NULL::text;
            FOR r IN SELECT g.value ->> 0 AS grantee, g.value ->> 1 AS privs, g.value ->> 2 AS gprivs
                       FROM jsonb_array_elements(v_own -> 'a') AS g
                      -- privilege keywords only (aclexplode's): nothing else reaches the statement
                      WHERE (g.value ->> 1) ~ '^[A-Z]+( [A-Z]+)?(,[A-Z]+( [A-Z]+)?)*$'
                        AND coalesce(g.value ->> 2, '') ~ '^([A-Z]+( [A-Z]+)?(,[A-Z]+( [A-Z]+)?)*)?$' LOOP
                IF r.grantee <> '' AND NOT EXISTS (SELECT FROM pg_roles AS ro WHERE ro.rolname = r.grantee) THEN
                    wns[v_k] := concat_ws('; ', wns[v_k], format('role %I, granted %s on %s %s, no longer exists: '
                                                                 'not granted', r.grantee, r.privs, lower(v_kw), c.ident));
                    CONTINUE;
                END IF;
                ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
                sts := sts || format('GRANT %s ON %s %s TO %s;', replace(r.privs, ',', ', '), v_on, c.ident,
                                     CASE WHEN r.grantee = '' THEN 'PUBLIC' ELSE quote_ident(r.grantee) END);
                wns := wns || NULL::text;
                IF r.gprivs <> '' THEN
                    ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
                    sts := sts || format('GRANT %s ON %s %s TO %s WITH GRANT OPTION;', replace(r.gprivs, ',', ', '),
                                         v_on, c.ident, CASE WHEN r.grantee = '' THEN 'PUBLIC' ELSE quote_ident(r.grantee) END);
                    wns := wns || NULL::text;
                END IF;
            END LOOP;
        END IF;
        IF c.kind = 'materialized view' THEN
            ph := ph || ph[c.idx]; ks := ks || ks[c.idx];
            sts := sts || format('REFRESH MATERIALIZED VIEW %s;', c.ident); wns := wns || NULL::text;
        END IF;
    END LOOP;

    -- A commented step or note stays a comment on every line, whatever a name or a
    -- stored definition in it holds (a quoted name or a literal may hold a line break):
    -- pggit.comment_lines puts '-- ' after every line break (apply_migration undoes it
    -- with pggit.uncomment_lines before running such a step).
    RETURN QUERY
        SELECT x.n, x.s, x.w, pggit.step_lock(x.s), x.s !~ '^(CREATE (UNIQUE )?INDEX|DROP INDEX) CONCURRENTLY '
          FROM (SELECT (row_number() OVER (ORDER BY u.p, u.k COLLATE "C", u.o))::integer AS n,
                       CASE WHEN starts_with(u.s, '-- ') THEN pggit.comment_lines(u.s) ELSE u.s END AS s, u.w
                  FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o)) AS x
         ORDER BY 1;
END
$function$;

COMMENT ON FUNCTION pggit.migration_plan(text, text, boolean) IS
    'Ordered DDL steps turning the schema at from_ref into the schema at to_ref, with the lock each takes; lossy steps commented out with a warning.';
