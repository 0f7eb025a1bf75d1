-- pggit.data_branch_install(data_branch_id bigint) -> void
--
-- Promises: (re)creates the parts of data branch `data_branch_id` that depend on the
-- table's columns, from pggit.data_tables.columns and the branch's storage:
--   * the branch relation, a view <schema>.<relation_name> (CREATE OR REPLACE, so
--     columns added to the table appear at its end):
--         rows of the delta table in state w (written on the branch) or c (main's
--         pre-image)  UNION ALL  rows of the table whose key has no delta row.
--     A primary-key lookup is an index probe of the delta table plus an index probe
--     of the table with an anti-join probe of the delta table; a full scan is a scan
--     of the table hash-anti-joined to the (small) delta table.
--   * the view's column defaults (the table's, identity columns: nextval of their
--     sequence), so INSERT on the branch fills them like INSERT on the table;
--   * the write function pggit_data.w<id>() and the INSTEAD OF row trigger
--     pggit_data_branch_write on the view: INSERT, UPDATE and DELETE (RETURNING
--     included) write only the delta table (states w and d) and move a pre-image
--     the branch overwrites to the base table b<id> (the merge base). Every write
--     takes a row lock on the key's delta row (or creates it with INSERT ... ON
--     CONFLICT DO NOTHING and retries), which orders it against main's capture
--     trigger and other branch writers. A branch row changed by another transaction
--     since this statement read it raises 40001 (retry); one deleted since is skipped
--     (0 rows), as PostgreSQL does for a table. A key already visible on the branch
--     raises 23505; a NULL in a NOT NULL column of the table raises 23502.
-- Rights (level 5): the view is security_invoker (the reader's rights on the table and
-- its row-level security apply: a delta row is shown only when RLS is off for the reader
-- or the reader sees the table's row of that key), owned by the table's owner and usable
-- by PUBLIC; a statement-level trigger (pggit.data_branch_write_check) checks the
-- writer's INSERT/UPDATE/DELETE privilege on the table at every write statement; the
-- write function is SECURITY DEFINER owned by the table's owner (who owns the storage).
-- This function (SECURITY DEFINER) only creates these objects: it evaluates nothing a
-- user wrote (defaults are stored, not evaluated).
-- Internal: called by create_data_branch and after ADD COLUMN; EXECUTE not granted.
CREATE OR REPLACE FUNCTION pggit.data_branch_install(data_branch_id bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    db record;
    dt record;
    v_table text;
    v_view text;
    v_delta text;
    v_base text;
    v_function text;
    v_notnull text;
    v_body text;
    v_set text;
    v_owner oid;
    r record;
BEGIN
    SELECT * INTO db FROM pggit.data_branches AS b WHERE b.id = data_branch_id;
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = db.relid;
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relowner INTO v_table, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = db.relid;
    v_view := pg_catalog.format('%I.%I', db.relation_schema, db.relation_name);
    v_delta := pg_catalog.format('pggit_data.%I', 'd' || db.id);
    v_base := pg_catalog.format('pggit_data.%I', 'b' || db.id);
    v_function := pg_catalog.format('pggit_data.%I', 'w' || db.id);

    -- The table's arm first: readers and writers of the view lock the table before the
    -- storage (docs/RELIABILITY.md, lock order). security_invoker: the querying role's
    -- rights on the table are checked at every read, and its row-level security applies
    -- (the delta arms show a key only when RLS does not apply to the role, or the role
    -- sees the table's row of that key; two arms with one-time filters, no correlated
    -- subplan, so full scans stay parallel). The table is named as a regclass constant,
    -- never as an OID literal: the view stores its OID, pg_dump prints its name, and a
    -- restore or upgrade binds it to the table again.
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE VIEW %s WITH (security_invoker = true) AS'
        ' SELECT %s FROM %s AS t WHERE NOT EXISTS (SELECT 1 FROM %s AS d WHERE %s)'
        ' UNION ALL'
        ' SELECT %s FROM %s AS d WHERE d._pggit_state IN (''w'', ''c'')'
        ' AND NOT pg_catalog.row_security_active(%L::pg_catalog.regclass)'
        ' UNION ALL'
        ' SELECT %s FROM %s AS d WHERE d._pggit_state IN (''w'', ''c'')'
        ' AND pg_catalog.row_security_active(%L::pg_catalog.regclass)'
        ' AND EXISTS (SELECT 1 FROM %s AS r WHERE %s)',
        v_view, pggit.data_list(dt.columns, 't'), v_table, v_delta, pggit.data_key_match(dt.key_columns, 'd', 't'),
        pggit.data_list(dt.columns, 'd'), v_delta, v_table,
        pggit.data_list(dt.columns, 'd'), v_delta, v_table, v_table, pggit.data_key_match(dt.key_columns, 'r', 'd'));
    EXECUTE pg_catalog.format('COMMENT ON VIEW %s IS %L', v_view,
        pg_catalog.format('pggit data branch "%s" of %s: write and read it like the table; '
                          'pggit.diff_data_branch / merge_data_branch / drop_data_branch manage it.',
                          (SELECT b.name FROM pggit.branches AS b WHERE b.id = db.branch_id), v_table));

    FOR r IN SELECT c.name, c.default_sql FROM pggit.data_columns(db.relid) AS c
              WHERE c.default_sql IS NOT NULL AND c.name = ANY (dt.columns) LOOP
        EXECUTE pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', v_view, r.name, r.default_sql);
    END LOOP;

    SELECT coalesce(pg_catalog.string_agg(pg_catalog.format(
               'IF NEW.%1$I IS NULL THEN RAISE EXCEPTION ''%%'', %2$L USING ERRCODE = ''not_null_violation''; END IF;',
               c.name, pg_catalog.format('null value in column "%s" of data branch %s violates not-null constraint',
                                         c.name, v_view)), E'\n        ' ORDER BY c.attnum), '')
      INTO v_notnull
      FROM pggit.data_columns(db.relid) AS c
     WHERE c.not_null AND c.name = ANY (dt.columns);
    SELECT pg_catalog.string_agg(pg_catalog.format('%I = NEW.%I', n, n), ', ' ORDER BY o)
      INTO v_set
      FROM pg_catalog.unnest(dt.columns) WITH ORDINALITY AS u(n, o);

    v_body := $body$
DECLARE
    cur @D@%ROWTYPE;
    v_done boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        @NOTNULL@
        @INSERT@
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        @DELETE@
        IF v_done THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    -- UPDATE
    @NOTNULL@
    IF @KEYSAME@ THEN
        LOOP
            SELECT * INTO cur FROM @D@ AS d WHERE @KEY_D_OLD@ FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO @D@ AS d (@COLS@, _pggit_state) VALUES (@NEWVALS@, 'w') ON CONFLICT DO NOTHING;
                EXIT WHEN FOUND;
            ELSIF cur._pggit_state NOT IN ('w', 'c') THEN
                RETURN NULL;  -- deleted since this statement read it
            ELSE
                IF ROW(@CURVALS@)::text IS DISTINCT FROM ROW(@OLDVALS@)::text THEN
                    RAISE EXCEPTION 'could not serialize access due to concurrent update of data branch %', @REL@
                        USING ERRCODE = 'serialization_failure';
                END IF;
                IF cur._pggit_state = 'c' THEN
                    INSERT INTO @B@ AS b (@COLS@, _pggit_state) VALUES (@CURVALS@, 'v') ON CONFLICT DO NOTHING;
                END IF;
                UPDATE @D@ AS d SET @SET@, _pggit_state = 'w' WHERE @KEY_D_OLD@;
                EXIT;
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;
    -- UPDATE that changes the key: delete the old key, insert the new one
    @DELETE@
    IF NOT v_done THEN RETURN NULL; END IF;
    @INSERT@
    RETURN NEW;
END
$body$;
    v_body := pg_catalog.replace(v_body, '@INSERT@', $ins$LOOP
            SELECT * INTO cur FROM @D@ AS d WHERE @KEY_D_NEW@ FOR UPDATE;
            IF NOT FOUND THEN
                IF EXISTS (SELECT 1 FROM @T@ AS t WHERE @KEY_T_NEW@
                              AND NOT EXISTS (SELECT 1 FROM @D@ AS d WHERE @KEY_D_T@)) THEN
                    RAISE EXCEPTION 'duplicate key value violates primary key of data branch %', @REL@
                        USING ERRCODE = 'unique_violation',
                              DETAIL = pg_catalog.format('Key (%s)=(%s) already exists.', @KEYNAMES@, @KEYTEXT@);
                END IF;
                INSERT INTO @D@ AS d (@COLS@, _pggit_state) VALUES (@NEWVALS@, 'w') ON CONFLICT DO NOTHING;
                EXIT WHEN FOUND;
            ELSIF cur._pggit_state IN ('w', 'c') THEN
                RAISE EXCEPTION 'duplicate key value violates primary key of data branch %', @REL@
                    USING ERRCODE = 'unique_violation',
                          DETAIL = pg_catalog.format('Key (%s)=(%s) already exists.', @KEYNAMES@, @KEYTEXT@);
            ELSE
                IF cur._pggit_state = 'a' THEN
                    INSERT INTO @B@ AS b (@KEYS@, _pggit_state) VALUES (@NEWKEYS@, 'a') ON CONFLICT DO NOTHING;
                END IF;
                UPDATE @D@ AS d SET @SET@, _pggit_state = 'w' WHERE @KEY_D_NEW@;
                EXIT;
            END IF;
        END LOOP;$ins$);
    v_body := pg_catalog.replace(v_body, '@DELETE@', $del$v_done := false;
        LOOP
            SELECT * INTO cur FROM @D@ AS d WHERE @KEY_D_OLD@ FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO @D@ AS d (@COLS@, _pggit_state) VALUES (@OLDVALS@, 'd') ON CONFLICT DO NOTHING;
                IF FOUND THEN v_done := true; EXIT; END IF;
            ELSIF cur._pggit_state NOT IN ('w', 'c') THEN
                EXIT;  -- deleted since this statement read it
            ELSE
                IF ROW(@CURVALS@)::text IS DISTINCT FROM ROW(@OLDVALS@)::text THEN
                    RAISE EXCEPTION 'could not serialize access due to concurrent update of data branch %', @REL@
                        USING ERRCODE = 'serialization_failure';
                END IF;
                IF cur._pggit_state = 'c' THEN
                    INSERT INTO @B@ AS b (@COLS@, _pggit_state) VALUES (@CURVALS@, 'v') ON CONFLICT DO NOTHING;
                END IF;
                UPDATE @D@ AS d SET _pggit_state = 'd' WHERE @KEY_D_OLD@;
                v_done := true;
                EXIT;
            END IF;
        END LOOP;$del$);
    v_body := pg_catalog.replace(v_body, '@NOTNULL@', v_notnull);
    v_body := pg_catalog.replace(v_body, '@KEYSAME@',
        (SELECT pg_catalog.string_agg(pg_catalog.format('NEW.%I IS NOT DISTINCT FROM OLD.%I', k, k), ' AND ' ORDER BY o)
           FROM pg_catalog.unnest(dt.key_columns) WITH ORDINALITY AS u(k, o)));
    v_body := pg_catalog.replace(v_body, '@KEY_D_OLD@', pggit.data_key_match(dt.key_columns, 'd', 'OLD'));
    v_body := pg_catalog.replace(v_body, '@KEY_D_NEW@', pggit.data_key_match(dt.key_columns, 'd', 'NEW'));
    v_body := pg_catalog.replace(v_body, '@KEY_T_NEW@', pggit.data_key_match(dt.key_columns, 't', 'NEW'));
    v_body := pg_catalog.replace(v_body, '@KEY_D_T@', pggit.data_key_match(dt.key_columns, 'd', 't'));
    v_body := pg_catalog.replace(v_body, '@KEYNAMES@', pg_catalog.quote_literal(pggit.data_list(dt.key_columns)));
    v_body := pg_catalog.replace(v_body, '@KEYTEXT@',
        'pg_catalog.concat_ws('', '', ' || pggit.data_list(dt.key_columns, 'NEW') || ')');
    v_body := pg_catalog.replace(v_body, '@KEYS@', pggit.data_list(dt.key_columns));
    v_body := pg_catalog.replace(v_body, '@NEWKEYS@', pggit.data_list(dt.key_columns, 'NEW'));
    v_body := pg_catalog.replace(v_body, '@COLS@', pggit.data_list(dt.columns));
    v_body := pg_catalog.replace(v_body, '@NEWVALS@', pggit.data_list(dt.columns, 'NEW'));
    v_body := pg_catalog.replace(v_body, '@OLDVALS@', pggit.data_list(dt.columns, 'OLD'));
    v_body := pg_catalog.replace(v_body, '@CURVALS@', pggit.data_list(dt.columns, 'cur'));
    v_body := pg_catalog.replace(v_body, '@SET@', v_set);
    v_body := pg_catalog.replace(v_body, '@REL@', pg_catalog.quote_literal(v_view));
    v_body := pg_catalog.replace(v_body, '@T@', v_table);
    v_body := pg_catalog.replace(v_body, '@D@', v_delta);
    v_body := pg_catalog.replace(v_body, '@B@', v_base);

    -- The write function runs as the table's owner (it owns the storage); the caller's
    -- rights on the table are checked first, per statement, by pggit.data_branch_write_check.
    -- Its plans are cached per session; enable_seqscan = off (level 9) keeps its lookups of
    -- the delta table index probes however small the table was when they were planned.
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql VOLATILE SECURITY DEFINER'
        ' SET search_path = pg_catalog, pg_temp SET enable_seqscan = off AS %L', v_function, v_body);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', v_function);
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE TRIGGER pggit_data_branch_write INSTEAD OF INSERT OR UPDATE OR DELETE ON %s'
        ' FOR EACH ROW EXECUTE FUNCTION %s()', v_view, v_function);
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE TRIGGER pggit_data_branch_check BEFORE INSERT OR UPDATE OR DELETE ON %s'
        ' FOR EACH STATEMENT EXECUTE FUNCTION pggit.data_branch_write_check()', v_view);
    -- Owned by the table's owner; PUBLIC may use the view, the table's rights decide.
    EXECUTE pg_catalog.format('ALTER VIEW %s OWNER TO %I', v_view, pg_catalog.pg_get_userbyid(v_owner));
    EXECUTE pg_catalog.format('ALTER FUNCTION %s() OWNER TO %I', v_function, pg_catalog.pg_get_userbyid(v_owner));
    EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC', v_view);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO PUBLIC', v_view);
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_install(bigint) FROM PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_install(bigint) IS
    'Internal: (re)creates a data branch''s view, its column defaults and its INSTEAD OF write trigger.';
