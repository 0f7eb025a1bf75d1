-- pggit.commit_buckets(commit text) -> text[]
--
-- Promises: the 256 bucket-node hashes of a commit's schema tree (pggit.trees.buckets
-- of its schema_hash, bucket 1 first: the format of tree_apply), the one lookup behind
-- diff, schema_at, merge_three_way and merge_record. Two commits have the same tree
-- exactly when their arrays are equal (the root is the hash of the array).
-- Errors:
--   22004 null_value_not_allowed            'commit must not be NULL'
--   42704 undefined_object                  'commit "<id>" does not exist'
--   55000 object_not_in_prerequisite_state  'commit "<id>" has no tree: it was made
--                                           before level 2 (tracking) was installed'
-- STABLE, SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: two primary-key lookups.
CREATE OR REPLACE FUNCTION pggit.commit_buckets(commit text)
RETURNS text[]
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_tree text[];
BEGIN
    IF commit_buckets.commit IS NULL THEN
        RAISE EXCEPTION 'commit must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT t.buckets INTO v_tree
      FROM pggit.commits AS c
      LEFT JOIN pggit.trees AS t ON t.hash = c.schema_hash
     WHERE c.hash = commit_buckets.commit;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'commit "%" does not exist', pggit.clip(commit_buckets.commit)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_tree IS NULL THEN
        RAISE EXCEPTION 'commit "%" has no tree: it was made before level 2 (tracking) was installed',
                pggit.clip(commit_buckets.commit)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN v_tree;
END
$function$;

COMMENT ON FUNCTION pggit.commit_buckets(text) IS
    'The 256 bucket-node hashes of a commit''s schema tree; 42704 unknown commit, 55000 a commit without a tree.';
