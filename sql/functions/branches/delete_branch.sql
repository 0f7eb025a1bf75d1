-- pggit.delete_branch(name text, force boolean DEFAULT false) -> void
--
-- Promises: marks branch `name` deleted (status 'deleted'; its commits and name stay)
-- and drops its data branches (pggit.drop_data_branch: view, storage and the
-- pre-image keeping no other branch needs).
--   * The tables of its data branches are locked first (SHARE ROW EXCLUSIVE, OID
--     order), then the branch row FOR UPDATE. commit_changes locks the same row FOR
--     NO KEY UPDATE and refuses a deleted branch, so a commit racing a delete either
--     lands before it (the delete waits for it) or fails with 55000 after it; never
--     both succeed.
--   * A data branch is unmerged when it holds writes made on it since it was created
--     or last merged. Any unmerged data branch makes the delete fail unless `force`.
-- Errors:
--   22004 null_value_not_allowed   name or force is NULL
--   42704 undefined_object         no branch of that name
--   55000 object_not_in_prerequisite_state  name is main, or already deleted
--   2BP01 dependent_objects_still_exist  unmerged data branches and not force (named
--                                  in the message)
-- After a restore or upgrade, pggit.bind_oids re-binds the stored table OIDs first.
-- SECURITY DEFINER, pinned search_path. EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.delete_branch(name text, force boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_id bigint;
    v_status text;
    v_unmerged text;
    r record;
BEGIN
    IF delete_branch.name IS NULL THEN
        RAISE EXCEPTION 'branch name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF delete_branch.force IS NULL THEN
        RAISE EXCEPTION 'force must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pggit.bind_oids();  -- data branches are found by stored table OIDs
    IF delete_branch.name = 'main' THEN
        RAISE EXCEPTION 'cannot delete branch "main"'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'main is the trunk every branch and data branch starts from.';
    END IF;

    -- Lock order (docs/RELIABILITY.md): the tables of the branch's data branches first
    -- (SHARE ROW EXCLUSIVE, in OID order), then the branch row, as create_data_branch
    -- and data_branch_drop do; locking the row first deadlocked against a concurrent
    -- create_data_branch onto this branch.
    FOR r IN SELECT DISTINCT db.relid
               FROM pggit.data_branches AS db JOIN pggit.branches AS b ON b.id = db.branch_id
              WHERE b.name = delete_branch.name
              ORDER BY db.relid LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c WHERE c.oid = r.relid) THEN
            EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', r.relid::pg_catalog.regclass);
        END IF;
    END LOOP;

    SELECT b.id, b.status INTO v_id, v_status
      FROM pggit.branches AS b
     WHERE b.name = delete_branch.name
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(delete_branch.name)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'branch "%" is already deleted', pggit.clip(delete_branch.name)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    IF NOT delete_branch.force THEN
        SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I', db.relation_schema, db.relation_name), ', '
                                     ORDER BY db.id)
          INTO v_unmerged
          FROM pggit.data_branches AS db
         WHERE db.branch_id = v_id
           AND pggit.data_branch_unmerged(db.id);
        IF v_unmerged IS NOT NULL THEN
            RAISE EXCEPTION 'cannot delete branch "%": it has unmerged data branches: %',
                    pggit.clip(delete_branch.name), v_unmerged
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = 'Merge them with pggit.merge_data_branch, or delete with force => true.';
        END IF;
    END IF;

    FOR r IN SELECT db.relid FROM pggit.data_branches AS db WHERE db.branch_id = v_id ORDER BY db.id LOOP
        PERFORM pggit.data_branch_drop(r.relid, delete_branch.name);
    END LOOP;

    UPDATE pggit.branches AS b SET status = 'deleted' WHERE b.id = v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.delete_branch(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.delete_branch(text, boolean) TO PUBLIC;

COMMENT ON FUNCTION pggit.delete_branch(text, boolean) IS
    'Marks a branch deleted and drops its data branches; main cannot be deleted; unmerged data branches need force.';
