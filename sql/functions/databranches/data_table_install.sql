-- pggit.data_table_install(relid oid) -> void
-- pggit.data_table_install(relid oid, paused bigint) -> void   (level 9)
--
-- Promises: makes the pre-image capture on branched table `relid` match its live
-- data branches (pggit.data_branches), so that main keeps exactly the pre-images some
-- branch still needs:
--   * with no data branch left: drops the capture triggers and function (the table
--     is then exactly as before its first branch: no trigger, no overhead) and its
--     pggit.data_tables row;
--   * otherwise (re)writes pggit_data.<capture_function>() (the name pggit.data_tables
--     keeps for the table: p<n>, or c<relid> for tables branched before level 6; the
--     trigger calling it is how pggit.bind_oids finds the table after a restore), a
--     statement-level trigger function
--     with one block of SQL per branch, and creates the triggers if missing:
--       AFTER INSERT  (NEW TABLE pggit_new)                  absent markers
--       AFTER UPDATE  (OLD TABLE pggit_old, NEW TABLE pggit_new)  pre-images (+ markers
--                                                               for keys new to main)
--       AFTER DELETE  (OLD TABLE pggit_old)                  pre-images
--       BEFORE TRUNCATE                                      every row as pre-image
--     For each branch, a pre-image goes to the branch's delta table as state c
--     (INSERT ... ON CONFLICT DO NOTHING: only the first change of a key after the
--     branch point is kept, and nothing when the branch already wrote the key); when
--     the branch had written the key (states w, d) the pre-image is its merge base
--     and goes to the base table instead (first one kept). A key new to main gets an
--     absent marker (state a) so the branch keeps not seeing it. While a backup is
--     being restored into the database (pggit.restoring(): a data-only restore's COPY
--     into the table) it records nothing: those rows are not main's changes.
--     Cost (level 9): a statement of up to 500 rows runs static SQL whose plans are
--     cached per session, with per row one index probe of the delta table (ON
--     CONFLICT) and one more for the keys the branch wrote, whatever the plans were
--     made for (enable_seqscan and enable_nestloop off: never a scan of the delta
--     table, never a loop over one transition table per row of the other); a larger
--     statement plans the same SQL as joins for its own size (EXECUTE).
--   With `paused` (a data branch of the table, from pggit.data_branch_merge_capture
--   only): the function has no block for that branch, the others keep theirs.
--   The function's text names the live branches, and PostgreSQL looks a trigger's
--   function up in the catalog on every call, so a writer sees a branch created after
--   its snapshot was taken: the capture never misses a branch. Callers hold SHARE ROW
--   EXCLUSIVE on the table, so no write is in flight while the branch set changes.
-- Rights (level 5): the capture function is SECURITY DEFINER owned by the table's
-- owner (it writes the owner's storage whoever writes the table, as the owner's own
-- trigger would); this function (SECURITY DEFINER) only creates and drops it and the
-- triggers, evaluating nothing a user wrote.
-- Internal; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.data_table_install(relid oid)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    PERFORM pggit.data_table_install(relid, NULL);
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_table_install(oid) FROM PUBLIC;

COMMENT ON FUNCTION pggit.data_table_install(oid) IS
    'Internal: (re)writes a branched table''s pre-image capture for its live data branches, or removes it.';

CREATE OR REPLACE FUNCTION pggit.data_table_install(relid oid, paused bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    dt record;
    v_table text;
    v_function text;
    v_old text := '';
    v_new text := '';
    v_truncate text := '';
    v_old_bulk text := '';
    v_new_bulk text := '';
    v_delta text;
    v_base text;
    v_body text;
    v_id bigint;
    v_settled boolean;
BEGIN
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = data_table_install.relid;
    v_function := pg_catalog.format('pggit_data.%I', dt.capture_function);
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO v_table
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = data_table_install.relid;

    IF NOT EXISTS (SELECT 1 FROM pggit.data_branches AS db WHERE db.relid = data_table_install.relid) THEN
        IF v_table IS NOT NULL THEN
            EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS pggit_data_capture_insert ON %s', v_table);
            EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS pggit_data_capture_update ON %s', v_table);
            EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS pggit_data_capture_delete ON %s', v_table);
            EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS pggit_data_capture_truncate ON %s', v_table);
        END IF;
        IF v_function IS NOT NULL THEN
            EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS %s()', v_function);
        END IF;
        DELETE FROM pggit.data_tables AS t WHERE t.relid = data_table_install.relid;
        RETURN;
    END IF;

    FOR v_id IN SELECT db.id FROM pggit.data_branches AS db
                 WHERE db.relid = data_table_install.relid AND db.id IS DISTINCT FROM paused ORDER BY db.id LOOP
        v_delta := pg_catalog.format('pggit_data.%I', 'd' || v_id);
        v_base := pg_catalog.format('pggit_data.%I', 'b' || v_id);
        -- A few rows: static SQL (plans cached per session), per row one index probe of
        -- the delta table (ON CONFLICT) and, when some key was there already, one more (a
        -- scalar subquery, never a join) for the keys the branch wrote. (The second
        -- statement sees what the first waited for: a branch write of the same key.)
        v_old := v_old || pg_catalog.format($sql$
        INSERT INTO %1$s AS d (%3$s, _pggit_state) SELECT %4$s, 'c' FROM pggit_old AS o ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_kept = ROW_COUNT;
        IF v_kept < v_rows THEN  -- some keys were in the delta table already
            INSERT INTO %2$s AS b (%3$s, _pggit_state) SELECT %4$s, 'v' FROM pggit_old AS o
             WHERE (SELECT d._pggit_state FROM %1$s AS d WHERE %5$s) IN ('w', 'd') ON CONFLICT DO NOTHING;
        END IF;$sql$,
            v_delta, v_base, pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'o'),
            pggit.data_key_match(dt.key_columns, 'd', 'o'));
        v_new := v_new || pg_catalog.format($sql$
        INSERT INTO %1$s AS d (%3$s, _pggit_state) SELECT %4$s, 'a' FROM pggit_new AS n ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_kept = ROW_COUNT;
        IF v_kept < v_rows OR TG_OP = 'UPDATE' THEN
            INSERT INTO %2$s AS b (%3$s, _pggit_state) SELECT %4$s, 'a' FROM pggit_new AS n
             WHERE (SELECT d._pggit_state FROM %1$s AS d WHERE %5$s) IN ('w', 'd') ON CONFLICT DO NOTHING;
        END IF;$sql$,
            v_delta, v_base, pggit.data_list(dt.key_columns), pggit.data_list(dt.key_columns, 'n'),
            pggit.data_key_match(dt.key_columns, 'd', 'n'));
        -- Many rows: the same statements as joins, planned for this statement (EXECUTE):
        -- hash joins with the delta table where that is cheaper than a probe per row.
        v_old_bulk := v_old_bulk || pg_catalog.format($sql$
            EXECUTE %1$L;
            GET DIAGNOSTICS v_kept = ROW_COUNT;
            IF v_kept < v_rows THEN
                EXECUTE %2$L;
            END IF;$sql$,
            pg_catalog.format('INSERT INTO %1$s AS d (%2$s, _pggit_state) SELECT %3$s, ''c'' FROM pggit_old AS o'
                              ' WHERE NOT EXISTS (SELECT 1 FROM %1$s AS d WHERE %4$s) ON CONFLICT DO NOTHING',
                              v_delta, pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'o'),
                              pggit.data_key_match(dt.key_columns, 'd', 'o')),
            pg_catalog.format('INSERT INTO %1$s AS b (%2$s, _pggit_state) SELECT %3$s, ''v'' FROM pggit_old AS o'
                              ' JOIN %4$s AS d ON %5$s WHERE d._pggit_state IN (''w'', ''d'') ON CONFLICT DO NOTHING',
                              v_base, pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'o'), v_delta,
                              pggit.data_key_match(dt.key_columns, 'd', 'o')));
        v_new_bulk := v_new_bulk || pg_catalog.format($sql$
            EXECUTE %1$L;
            GET DIAGNOSTICS v_kept = ROW_COUNT;
            IF v_kept < v_rows OR TG_OP = 'UPDATE' THEN
                EXECUTE %2$L;
            END IF;$sql$,
            pg_catalog.format('INSERT INTO %1$s AS d (%2$s, _pggit_state) SELECT %3$s, ''a'' FROM pggit_new AS n'
                              ' WHERE NOT EXISTS (SELECT 1 FROM %1$s AS d WHERE %4$s) ON CONFLICT DO NOTHING',
                              v_delta, pggit.data_list(dt.key_columns), pggit.data_list(dt.key_columns, 'n'),
                              pggit.data_key_match(dt.key_columns, 'd', 'n')),
            pg_catalog.format('INSERT INTO %1$s AS b (%2$s, _pggit_state) SELECT %3$s, ''a'' FROM pggit_new AS n'
                              ' JOIN %4$s AS d ON %5$s WHERE d._pggit_state IN (''w'', ''d'') ON CONFLICT DO NOTHING',
                              v_base, pggit.data_list(dt.key_columns), pggit.data_list(dt.key_columns, 'n'), v_delta,
                              pggit.data_key_match(dt.key_columns, 'd', 'n')));
        v_truncate := v_truncate || pg_catalog.format($sql$
        INSERT INTO %2$s AS b (%3$s, _pggit_state) SELECT %4$s, 'v' FROM %6$s AS o
          JOIN %1$s AS d ON %5$s WHERE d._pggit_state IN ('w', 'd') ON CONFLICT DO NOTHING;
        INSERT INTO %1$s AS d (%3$s, _pggit_state) SELECT %4$s, 'c' FROM %6$s AS o ON CONFLICT DO NOTHING;$sql$,
            v_delta, v_base, pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'o'),
            pggit.data_key_match(dt.key_columns, 'd', 'o'), v_table);
    END LOOP;

    -- The function's static plans are cached per session: made for the first statement's
    -- transition tables and the delta table's size then, and reused for every later
    -- statement. Level 9: enable_seqscan = off keeps every probe of the delta table an
    -- index probe however small the table was when planned; enable_nestloop = off makes
    -- the one join of two transition tables (did an UPDATE bring keys new to the table?)
    -- a hash or merge join, never one loop per row (quadratic when a bulk UPDATE reuses a
    -- plan made for one row). A statement of more than 500 rows, and TRUNCATE, which reads
    -- the table itself, plan with both on.
    v_body := pg_catalog.format($body$
DECLARE
    v_rows bigint;
    v_kept bigint;
    v_new_keys boolean := true;
BEGIN
    IF pggit.restoring() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_catalog.set_config('enable_seqscan', 'on', true);
        PERFORM pg_catalog.set_config('enable_nestloop', 'on', true);%3$s
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT pg_catalog.count(*) INTO v_rows FROM pggit_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT pg_catalog.count(*) INTO v_rows FROM pggit_old;
    ELSE  -- an UPDATE: its size, and whether it brought keys new to the table
        SELECT (SELECT pg_catalog.count(*) FROM pggit_old),
               EXISTS (SELECT 1 FROM pggit_new AS n WHERE NOT EXISTS (SELECT 1 FROM pggit_old AS o WHERE %4$s))
          INTO v_rows, v_new_keys;
    END IF;
    IF v_rows > 500 THEN
        PERFORM pg_catalog.set_config('enable_seqscan', 'on', true);
        PERFORM pg_catalog.set_config('enable_nestloop', 'on', true);
        IF TG_OP <> 'INSERT' THEN%5$s
        END IF;
        IF v_new_keys AND TG_OP <> 'DELETE' THEN%6$s
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN%1$s
    END IF;
    IF v_new_keys AND TG_OP <> 'DELETE' THEN%2$s
    END IF;
    RETURN NULL;
END
$body$, v_old, v_new, v_truncate, pggit.data_key_match(dt.key_columns, 'o', 'n'), v_old_bulk, v_new_bulk);

    IF v_old = '' THEN  -- the only branch is paused: nothing to keep
        v_body := E'\nBEGIN\n    RETURN NULL;\nEND\n';
    END IF;

    -- CREATE OR REPLACE keeps an existing function's owner and grants: set them only
    -- when they are not the table owner's and revoked from PUBLIC already.
    v_settled := EXISTS (SELECT 1 FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_class AS c ON c.oid = data_table_install.relid
                          WHERE p.oid = pg_catalog.to_regprocedure(v_function || '()') AND p.proowner = c.relowner
                            AND p.proacl IS NOT NULL
                            AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) AS a WHERE a.grantee = 0));
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql VOLATILE SECURITY DEFINER'
        ' SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET enable_nestloop = off AS %L',
        v_function, v_body);
    IF NOT v_settled THEN
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', v_function);
        -- Runs as the table's owner (who owns the storage it writes), never as pggit's owner.
        EXECUTE pg_catalog.format('ALTER FUNCTION %s() OWNER TO %I', v_function,
            (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class AS c
              WHERE c.oid = data_table_install.relid));
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS g
                    WHERE g.tgrelid = data_table_install.relid AND g.tgname = 'pggit_data_capture_update') THEN
        EXECUTE pg_catalog.format('CREATE TRIGGER pggit_data_capture_insert AFTER INSERT ON %s'
            ' REFERENCING NEW TABLE AS pggit_new FOR EACH STATEMENT EXECUTE FUNCTION %s()', v_table, v_function);
        EXECUTE pg_catalog.format('CREATE TRIGGER pggit_data_capture_update AFTER UPDATE ON %s'
            ' REFERENCING OLD TABLE AS pggit_old NEW TABLE AS pggit_new FOR EACH STATEMENT EXECUTE FUNCTION %s()',
            v_table, v_function);
        EXECUTE pg_catalog.format('CREATE TRIGGER pggit_data_capture_delete AFTER DELETE ON %s'
            ' REFERENCING OLD TABLE AS pggit_old FOR EACH STATEMENT EXECUTE FUNCTION %s()', v_table, v_function);
        EXECUTE pg_catalog.format('CREATE TRIGGER pggit_data_capture_truncate BEFORE TRUNCATE ON %s'
            ' FOR EACH STATEMENT EXECUTE FUNCTION %s()', v_table, v_function);
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_table_install(oid, bigint) FROM PUBLIC;

COMMENT ON FUNCTION pggit.data_table_install(oid, bigint) IS
    'Internal: does the work of data_table_install(oid); without a block for data branch paused (a merge''s own).';
