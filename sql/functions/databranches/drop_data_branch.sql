-- pggit.drop_data_branch("table" text, branch text) -> void
-- pggit.data_branch_drop(relid oid, branch text) -> void
--
-- Promises: removes data branch `branch` of `table`: its view, write function, delta
-- and base tables, and its registration; then rewrites the table's capture trigger
-- for the branches left (pggit.data_table_install), so pre-images stop being kept
-- for it, and with no branch left the table has no pggit trigger at all. The branch
-- itself (pggit.branches) stays. Unmerged writes on the data branch are discarded.
-- Holds SHARE ROW EXCLUSIVE on the table while the capture changes.
-- "table" is resolved with the caller's search_path (drop_data_branch is SECURITY
-- INVOKER); data_branch_drop is SECURITY DEFINER with a pinned search_path and checks
-- that the session user owns the table.
-- Errors: 22004 NULL argument; 42P01 no such relation; 42704 the table has no data
-- branch of that name; 42501 not the table's owner.
CREATE OR REPLACE FUNCTION pggit.drop_data_branch("table" text, branch text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    v_rel := pggit.data_table_oid(drop_data_branch."table");
    PERFORM pggit.data_branch_drop(v_rel, drop_data_branch.branch);
END
$function$;

COMMENT ON FUNCTION pggit.drop_data_branch(text, text) IS
    'Removes a data branch of a table: its relation, storage and the pre-image keeping only it needed.';

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
