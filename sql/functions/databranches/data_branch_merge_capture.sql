-- pggit.data_branch_merge_capture(data_branch_id bigint, paused boolean) -> boolean
--
-- Promises (level 9): the capture half of pggit.data_branch_merge, for the transaction
-- that merges data branch `data_branch_id` and holds SHARE ROW EXCLUSIVE (or a stronger
-- lock) on its table.
--   paused = true: when the merge's writes to the table can change no row but the ones
--     it names, rewrites the table's capture function without this branch's block
--     (pggit.data_table_install(relid, data_branch_id); other data branches keep
--     theirs) and returns true: the merge then moves the branch's rows out of its
--     storage as it writes them to the table, and nothing keeps pre-images of them.
--     The writes change no other row when the table has no rules and no triggers but
--     pggit's capture and the triggers of foreign keys that only check: keys of this
--     table referencing another table, and keys of other tables referencing this one
--     with NO ACTION or RESTRICT. Otherwise it changes nothing and returns false (the
--     merge keeps the capture and moves the branch point before it writes).
--   paused = false: rewrites the capture function with every data branch again;
--     returns false.
-- The rewrite is the merging transaction's own: other sessions keep reading the
-- committed function, and wait for the table lock before they could write the table;
-- an error rolls it back with the merge.
-- Rights: SECURITY DEFINER (it writes pggit_data's function, as data_table_install
-- does) with a pinned search_path; reads pg_catalog and pggit's tables, evaluates
-- nothing a user wrote. Checks that the session user owns the table (or is a member of
-- the owner role), like data_branch_merge_begin.
-- Errors: 22004 a NULL argument; 42704 no such data branch; 42501 not the table's
-- owner; 55000 this transaction does not hold SHARE ROW EXCLUSIVE on the table.
CREATE OR REPLACE FUNCTION pggit.data_branch_merge_capture(data_branch_id bigint, paused boolean)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_relid oid;
    v_owner oid;
    v_table text;
    v_only_checks boolean;
BEGIN
    IF data_branch_id IS NULL OR paused IS NULL THEN
        RAISE EXCEPTION 'data_branch_id and paused must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT db.relid INTO v_relid FROM pggit.data_branches AS db WHERE db.id = data_branch_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'data branch % does not exist', data_branch_id USING ERRCODE = 'undefined_object';
    END IF;
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relowner INTO v_table, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = v_relid;
    IF NOT pg_catalog.pg_has_role(session_user, v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to merge its data branches', v_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks AS l
                    WHERE l.locktype = 'relation' AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d
                                                                     WHERE d.datname = pg_catalog.current_database())
                      AND l.relation = v_relid AND l.pid = pg_catalog.pg_backend_pid() AND l.granted
                      AND l.mode IN ('ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')) THEN
        RAISE EXCEPTION 'the capture of % changes only under SHARE ROW EXCLUSIVE on it', v_table
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'pggit.merge_data_branch takes the lock.';
    END IF;
    IF NOT paused THEN
        PERFORM pggit.data_table_install(v_relid);
        RETURN false;
    END IF;

    SELECT NOT c.relhasrules
           AND NOT EXISTS (
               SELECT 1 FROM pg_catalog.pg_trigger AS g
                WHERE g.tgrelid = v_relid
                  AND g.tgname NOT IN ('pggit_data_capture_insert', 'pggit_data_capture_update',
                                       'pggit_data_capture_delete', 'pggit_data_capture_truncate')
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_constraint AS k
                       WHERE g.tgisinternal AND k.oid = g.tgconstraint AND k.contype = 'f'
                         AND k.conrelid <> k.confrelid
                         AND (k.conrelid = v_relid
                              OR (k.confupdtype IN ('a', 'r') AND k.confdeltype IN ('a', 'r')))))
      INTO v_only_checks
      FROM pg_catalog.pg_class AS c WHERE c.oid = v_relid;
    IF NOT v_only_checks THEN
        RETURN false;
    END IF;
    PERFORM pggit.data_table_install(v_relid, data_branch_id);
    RETURN true;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_merge_capture(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_merge_capture(bigint, boolean) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_merge_capture(bigint, boolean) IS
    'Internal: pauses (when only the merge''s own rows can change) or restores a merging data branch''s pre-image capture.';
