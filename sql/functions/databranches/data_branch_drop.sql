-- pggit.data_branch_drop(relid oid, branch text) -> void
--
-- Promises: as the header of pggit.drop_data_branch (drop_data_branch.sql) states; that header documents
-- both functions, which work together.
CREATE OR REPLACE FUNCTION pggit.data_branch_drop(relid oid, branch text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    db record;
    v_table text;
    v_owner oid;
BEGIN
    IF branch IS NULL THEN
        RAISE EXCEPTION 'branch must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relowner INTO v_table, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = data_branch_drop.relid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', relid USING ERRCODE = 'undefined_table';
    END IF;
    IF NOT pg_catalog.pg_has_role(session_user, v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to drop its data branches', v_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);

    SELECT db1.* INTO db
      FROM pggit.data_branches AS db1 JOIN pggit.branches AS b ON b.id = db1.branch_id
     WHERE db1.relid = data_branch_drop.relid AND b.name = data_branch_drop.branch
       FOR UPDATE OF db1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % has no data branch "%"', v_table, pggit.clip(branch) USING ERRCODE = 'undefined_object';
    END IF;

    -- Unregister first: the sql_drop guard only refuses drops of registered relations.
    DELETE FROM pggit.data_branches AS db1 WHERE db1.id = db.id;
    EXECUTE pg_catalog.format('DROP VIEW IF EXISTS %I.%I', db.relation_schema, db.relation_name);
    EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS pggit_data.%I()', 'w' || db.id);
    EXECUTE pg_catalog.format('DROP TABLE IF EXISTS pggit_data.%I, pggit_data.%I', 'd' || db.id, 'b' || db.id);
    PERFORM pggit.data_table_install(relid);
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_drop(oid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_drop(oid, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_drop(oid, text) IS
    'Does the work of pggit.drop_data_branch for a resolved table (checks that the session user owns it).';
