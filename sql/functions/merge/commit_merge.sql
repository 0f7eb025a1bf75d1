-- pggit.commit_merge(target text, merge_parent text, message text, merged_tree text[],
--                    expected_head text) -> text
--
-- Promises: records a merge commit on branch `target` and returns its Trinity ID: the
-- sibling of pggit.commit_changes for merges (commit_changes stays as level 1
-- promised). Internal (no EXECUTE for PUBLIC): pggit.merge and pggit.merge_continue
-- call it with the merged tree they computed.
--   * Same branch lock as commit_changes: the target's branches row is read
--     SELECT ... FOR NO KEY UPDATE, so merges and ordinary commits to one branch queue
--     on one lock and the branch stays one linear chain.
--   * The head read under that lock must be `expected_head` (the head the merge was
--     computed against), else 55000: a merge is never recorded over a head it did not
--     see.
--   * parent_hash = that head, merge_parent_hash = `merge_parent` (the merged commit;
--     it must exist and differ from the head).
--   * Like commit_changes, the target's pending history rows (branch = target,
--     commit_hash IS NULL) are attached to the merge commit and applied on top of
--     `merged_tree` (pggit.tree_apply): they are the target's live changes, newer than
--     both sides.
--   * The tree (256 bucket hashes) is stored in pggit.trees; its root is the commit's
--     schema_hash. author = session_user, committed_at = clock_timestamp().
-- Errors: 22004 NULL argument; 42704 unknown branch or merge_parent commit; 55000 the
-- branch is deleted, has no commit, or its head is not expected_head; 22023
-- merge_parent equal to the head, or a malformed tree (tree_apply's checks).
CREATE OR REPLACE FUNCTION pggit.commit_merge(
    target text,
    merge_parent text,
    message text,
    merged_tree text[],
    expected_head text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch_id bigint;
    v_head text;
    v_status text;
    v_pending bigint[];
    v_tree text[];
    v_root text;
    v_id text;
BEGIN
    IF commit_merge.target IS NULL OR commit_merge.merge_parent IS NULL OR commit_merge.message IS NULL
       OR commit_merge.merged_tree IS NULL OR commit_merge.expected_head IS NULL THEN
        RAISE EXCEPTION 'commit_merge: no argument may be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT b.id, b.head_commit_hash, b.status
      INTO v_branch_id, v_head, v_status
      FROM pggit.branches AS b
     WHERE b.name = commit_merge.target
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(commit_merge.target)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot commit to deleted branch "%"', pggit.clip(commit_merge.target)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF v_head IS DISTINCT FROM commit_merge.expected_head THEN
        RAISE EXCEPTION 'branch "%" moved from % to % since the merge was computed',
                pggit.clip(commit_merge.target), pggit.clip(commit_merge.expected_head), coalesce(v_head, 'no commit')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Merge again.';
    END IF;
    IF NOT EXISTS (SELECT FROM pggit.commits AS c WHERE c.hash = commit_merge.merge_parent) THEN
        RAISE EXCEPTION 'commit "%" does not exist', pggit.clip(commit_merge.merge_parent)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF commit_merge.merge_parent = v_head THEN
        RAISE EXCEPTION 'a merge commit needs two different parents (both are %)', v_head
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT pg_catalog.array_agg(h.id ORDER BY h.id)
      INTO v_pending
      FROM pggit.history AS h
     WHERE h.branch = commit_merge.target
       AND h.commit_hash IS NULL;
    IF v_pending IS NULL THEN
        v_tree := commit_merge.merged_tree;
        IF pg_catalog.cardinality(v_tree) <> 256 OR pg_catalog.array_position(v_tree, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'invalid commit tree: expected 256 bucket hashes, got %', pg_catalog.cardinality(v_tree)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    ELSE
        v_tree := pggit.tree_apply(commit_merge.merged_tree, v_pending);
    END IF;
    v_root := pg_catalog.encode(
        pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.array_to_string(v_tree, ''), 'UTF8')), 'hex');
    INSERT INTO pggit.trees (hash, buckets)
    VALUES (v_root, v_tree)
    ON CONFLICT (hash) DO NOTHING;

    v_id := pggit.generate_trinity_id();
    INSERT INTO pggit.commits (hash, branch_id, parent_hash, merge_parent_hash, message, schema_hash)
    VALUES (v_id, v_branch_id, v_head, commit_merge.merge_parent, commit_merge.message, v_root);

    IF v_pending IS NOT NULL THEN
        UPDATE pggit.history AS h
           SET commit_hash = v_id
         WHERE h.id = ANY (v_pending);
    END IF;

    UPDATE pggit.branches AS b
       SET head_commit_hash = v_id
     WHERE b.id = v_branch_id;

    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.commit_merge(text, text, text, text[], text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.commit_merge(text, text, text, text[], text) IS
    'Internal: records a merge commit (two parents) on target with the merged tree and target''s pending changes.';
