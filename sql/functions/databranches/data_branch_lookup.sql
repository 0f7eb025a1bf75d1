-- pggit.data_branch_lookup(relid oid, branch text) -> bigint
--
-- Promises: the id (pggit.data_branches.id) of data branch `branch` of table `relid`.
-- Errors: 22004 branch is NULL; 42704 'table <t> has no data branch "<branch>"'.
-- Reads only pggit's tables. Internal (used by diff and merge, which run as the caller):
-- EXECUTE granted to PUBLIC; it tells no more than pggit.data_branches, which PUBLIC reads.
CREATE OR REPLACE FUNCTION pggit.data_branch_lookup(relid oid, branch text)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_id bigint;
BEGIN
    IF branch IS NULL THEN
        RAISE EXCEPTION 'branch must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT db1.id INTO v_id
      FROM pggit.data_branches AS db1 JOIN pggit.branches AS b ON b.id = db1.branch_id
     WHERE db1.relid = data_branch_lookup.relid AND b.name = data_branch_lookup.branch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % has no data branch "%"', relid::regclass, pggit.clip(branch) USING ERRCODE = 'undefined_object';
    END IF;
    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_lookup(oid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_lookup(oid, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_lookup(oid, text) IS
    'Internal: the pggit.data_branches id of a table''s data branch; 42704 when there is none.';
