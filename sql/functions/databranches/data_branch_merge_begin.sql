-- pggit.data_branch_merge_begin(relid oid, branch text, "into" text) -> bigint
--
-- Promises: as the header of pggit.data_branch_merge_record (data_branch_merge_record.sql) states; that header documents
-- both functions, which work together.
CREATE OR REPLACE FUNCTION pggit.data_branch_merge_begin(relid oid, branch text, "into" text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_id bigint;
    v_owner oid;
    v_table text;
    v_into_id bigint;
    v_into_status text;
BEGIN
    IF "into" IS NULL THEN
        RAISE EXCEPTION 'into and strategy must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_id := pggit.data_branch_lookup(relid, branch);
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relowner INTO v_table, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = data_branch_merge_begin.relid;
    IF NOT pg_catalog.pg_has_role(session_user, v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to merge its data branches', v_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF "into" = branch THEN
        RAISE EXCEPTION 'cannot merge data branch "%" into itself', pggit.clip(branch) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT b.id, b.status INTO v_into_id, v_into_status FROM pggit.branches AS b WHERE b.name = "into" FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip("into") USING ERRCODE = 'undefined_object';
    END IF;
    IF v_into_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot merge into deleted branch "%"', pggit.clip("into") USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.data_branches AS o WHERE o.relid = data_branch_merge_begin.relid
                                                        AND o.branch_id = v_into_id) THEN
        RAISE EXCEPTION 'cannot merge into branch "%": it has its own data branch of %', pggit.clip("into"), v_table
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'A data branch merges into the table itself (main, or a branch that shares its rows).';
    END IF;
    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_merge_begin(oid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_merge_begin(oid, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_merge_begin(oid, text, text) IS
    'Internal: checks of a data-branch merge and the into-branch row lock (bookkeeping only).';
