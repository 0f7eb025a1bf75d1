-- pggit.data_branch_create(relid oid, from_branch text, to_branch text) -> text
--
-- Promises: as the header of pggit.create_data_branch (create_data_branch.sql) states; that header documents
-- both functions, which work together.
CREATE OR REPLACE FUNCTION pggit.data_branch_create(relid oid, from_branch text, to_branch text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_schema name;
    v_relname name;
    v_kind "char";
    v_persistence "char";
    v_owner oid;
    v_table text;
    v_keys name[];
    v_from_id bigint;
    v_from_head text;
    v_from_status text;
    v_to_id bigint;
    v_to_status text;
    v_relation text;
    v_id bigint;
    v_column_defs text;
    v_key_def text;
    v_storage text;
    r record;
BEGIN
    IF from_branch IS NULL OR to_branch IS NULL THEN
        RAISE EXCEPTION 'from_branch and to_branch must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pggit.assert_valid_branch_name(to_branch);
    IF to_branch = 'main' THEN
        RAISE EXCEPTION 'cannot create a data branch on branch "main": main''s rows are the table itself'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF to_branch = from_branch THEN
        RAISE EXCEPTION 'cannot branch "%" from itself', pggit.clip(to_branch) USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.relowner
      INTO v_schema, v_relname, v_kind, v_persistence, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = data_branch_create.relid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', relid USING ERRCODE = 'undefined_table';
    END IF;
    v_table := pg_catalog.format('%I.%I', v_schema, v_relname);
    IF v_kind = 'p' OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits AS i
                                WHERE i.inhrelid = data_branch_create.relid OR i.inhparent = data_branch_create.relid) THEN
        RAISE EXCEPTION 'cannot branch %: data branches of partitioned and inheritance tables are not supported', v_table
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF v_kind <> 'r' THEN
        RAISE EXCEPTION 'cannot branch %: it is not a table', v_table USING ERRCODE = 'wrong_object_type';
    END IF;
    IF v_persistence = 't' OR v_schema IN ('pg_catalog', 'information_schema') OR v_schema = 'pggit'
       OR v_schema LIKE 'pggit\_%' THEN
        RAISE EXCEPTION 'cannot branch %: temporary, system and pggit tables cannot be branched', v_table
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF NOT pg_catalog.pg_has_role(session_user, v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to branch it', v_table USING ERRCODE = 'insufficient_privilege';
    END IF;
    v_keys := pggit.data_primary_key(relid);
    IF v_keys IS NULL THEN
        RAISE EXCEPTION 'cannot branch %: it has no primary key', v_table
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A data branch finds rows by primary key: to keep the pre-images the branch needs, '
                           'to diff and to merge it.',
                  HINT = 'Add a primary key to the table.';
    END IF;
    SELECT c.name INTO r FROM pggit.data_columns(relid) AS c WHERE c.generated <> '' LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot branch %: generated column "%" is not supported', v_table, r.name
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.data_columns(relid) AS c WHERE c.name = '_pggit_state') THEN
        RAISE EXCEPTION 'cannot branch %: its column "_pggit_state" clashes with pggit''s row-state column', v_table
            USING ERRCODE = 'duplicate_column';
    END IF;

    -- The branch point: no write to the table is in flight from here to our commit.
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);

    SELECT b.id, b.head_commit_hash, b.status INTO v_from_id, v_from_head, v_from_status
      FROM pggit.branches AS b WHERE b.name = from_branch FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(from_branch) USING ERRCODE = 'undefined_object';
    END IF;
    IF v_from_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot branch from deleted branch "%"', pggit.clip(from_branch)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.data_branches AS db
                WHERE db.relid = data_branch_create.relid AND db.branch_id = v_from_id) THEN
        RAISE EXCEPTION 'cannot branch % from branch "%": it has its own data branch of the table', v_table, pggit.clip(from_branch)
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Data branches of data branches are not supported.',
                  HINT = 'Branch from main, or merge that data branch first.';
    END IF;

    -- a new to_branch starts from main's head, as commit_changes creates a branch
    INSERT INTO pggit.branches AS b (name, head_commit_hash, parent_branch_id)
    SELECT to_branch, m.head_commit_hash, m.id FROM pggit.branches AS m WHERE m.name = 'main'
    ON CONFLICT (name) DO NOTHING;
    SELECT b.id, b.status INTO v_to_id, v_to_status FROM pggit.branches AS b WHERE b.name = to_branch FOR KEY SHARE;
    IF v_to_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot create a data branch on deleted branch "%"', pggit.clip(to_branch)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    INSERT INTO pggit.data_tables (relid, key_columns, columns, column_types)
    SELECT data_branch_create.relid, v_keys, pg_catalog.array_agg(c.name ORDER BY c.attnum),
           pg_catalog.array_agg(c.type_sql ORDER BY c.attnum)
      FROM pggit.data_columns(relid) AS c
    ON CONFLICT ON CONSTRAINT data_tables_pkey DO NOTHING;

    IF EXISTS (SELECT 1 FROM pggit.data_branches AS db
                WHERE db.relid = data_branch_create.relid AND db.branch_id = v_to_id) THEN
        RAISE EXCEPTION 'table % already has a data branch on branch "%"', v_table, pggit.clip(to_branch)
            USING ERRCODE = 'duplicate_object';
    END IF;

    v_relation := pggit.data_relation_name(v_relname, to_branch);
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c
                WHERE c.relname = v_relation AND c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace AS n
                                                                  WHERE n.nspname = v_schema)) THEN
        RAISE EXCEPTION 'relation %.% already exists', pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_relation)
            USING ERRCODE = 'duplicate_table',
                  DETAIL = pg_catalog.format('It is the name of data branch "%s" of %s.', pggit.clip(to_branch), v_table);
    END IF;

    INSERT INTO pggit.data_branches (relid, branch_id, from_branch_id, relation_schema, relation_name, base_commit)
    VALUES (relid, v_to_id, v_from_id, v_schema, v_relation, v_from_head)
    RETURNING id INTO v_id;

    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.name, c.type_sql), ', ' ORDER BY c.o)
      INTO v_column_defs
      FROM pggit.data_tables AS dt
     CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(dt.columns), pg_catalog.unnest(dt.column_types)) WITH ORDINALITY AS c(name, type_sql, o)
     WHERE dt.relid = data_branch_create.relid;
    v_key_def := pggit.data_list(v_keys);
    EXECUTE pg_catalog.format('CREATE TABLE pggit_data.%I (%s, _pggit_state "char" NOT NULL, PRIMARY KEY (%s))',
                              'd' || v_id, v_column_defs, v_key_def);
    EXECUTE pg_catalog.format('CREATE TABLE pggit_data.%I (%s, _pggit_state "char" NOT NULL, PRIMARY KEY (%s))',
                              'b' || v_id, v_column_defs, v_key_def);
    EXECUTE pg_catalog.format('COMMENT ON TABLE pggit_data.%I IS %L', 'd' || v_id,
        pg_catalog.format('pggit: rows of data branch "%s" of %s that differ from the table: w written, d deleted '
                          'on the branch; c pre-image of a row main changed; a key main added', to_branch, v_table));
    EXECUTE pg_catalog.format('COMMENT ON TABLE pggit_data.%I IS %L', 'b' || v_id,
        pg_catalog.format('pggit: merge base of rows both data branch "%s" and main changed: v value, a absent',
                          to_branch));

    -- The storage belongs to the table's owner, like the table's own data. Other roles
    -- read it (through the security_invoker view, and in diff) only while they may
    -- SELECT the table: a row-level security policy checks that at every read. The table
    -- is a regclass constant in the policy (pg_dump prints its name; a restore re-binds
    -- it), never an OID literal.
    FOREACH v_storage IN ARRAY ARRAY['d' || v_id, 'b' || v_id] LOOP
        EXECUTE pg_catalog.format('ALTER TABLE pggit_data.%I OWNER TO %I', v_storage, pg_catalog.pg_get_userbyid(v_owner));
        EXECUTE pg_catalog.format('ALTER TABLE pggit_data.%I ENABLE ROW LEVEL SECURITY', v_storage);
        EXECUTE pg_catalog.format(
            'CREATE POLICY pggit_table_readers ON pggit_data.%I FOR SELECT TO PUBLIC'
            ' USING (pg_catalog.has_table_privilege(%L::pg_catalog.regclass, ''SELECT''))', v_storage,
            relid::pg_catalog.regclass::pg_catalog.text);
        EXECUTE pg_catalog.format('GRANT SELECT ON pggit_data.%I TO PUBLIC', v_storage);
    END LOOP;

    PERFORM pggit.data_branch_install(v_id);
    PERFORM pggit.data_table_install(relid);

    RETURN v_relation;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_create(oid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_create(oid, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_create(oid, text, text) IS
    'Does the work of pggit.create_data_branch for a resolved table (checks that the session user owns it).';
