-- pggit.merge_record(merge_id bigint, message text) -> text
--
-- Promises: completes the three-way merge pggit.merges row `merge_id` describes: the
-- merged tree is ours' tree (pggit.tree_set) with every object set to its merged blob
-- (pggit.merge_three_way), a conflict's object to its recorded resolved_blob (NULL:
-- removed); the merge commit is recorded by pggit.commit_merge on the merge's target
-- with parent = ours_hash (the head must still be it) and merge parent = theirs_hash;
-- the merges row becomes status 'merged' with its commit_hash. Returns the commit id.
-- Internal (no EXECUTE for PUBLIC): called by pggit.merge and pggit.merge_continue,
-- which lock and check the merge first.
-- Errors: 42704 unknown merge; 55000 unresolved conflicts, or commit_merge's.
CREATE OR REPLACE FUNCTION pggit.merge_record(merge_id bigint, message text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_merge pggit.merges%ROWTYPE;
    v_unresolved bigint;
    v_kinds text[];
    v_identities text[];
    v_blobs text[];
    v_tree text[];
    v_commit text;
BEGIN
    SELECT m.* INTO v_merge FROM pggit.merges AS m WHERE m.id = merge_record.merge_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'merge % does not exist', merge_record.merge_id
            USING ERRCODE = 'undefined_object';
    END IF;
    SELECT pg_catalog.count(*) INTO v_unresolved
      FROM pggit.merge_conflicts AS mc
     WHERE mc.merge_id = merge_record.merge_id AND mc.resolution IS NULL;
    IF v_unresolved > 0 THEN
        RAISE EXCEPTION 'merge % has % unresolved conflict(s)', merge_record.merge_id, v_unresolved
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Resolve each with pggit.resolve_conflict(id, ''ours'' | ''theirs'' | definition).';
    END IF;

    SELECT coalesce(pg_catalog.array_agg(r.kind), '{}'), coalesce(pg_catalog.array_agg(r.identity), '{}'),
           coalesce(pg_catalog.array_agg(r.blob), '{}')
      INTO v_kinds, v_identities, v_blobs
      FROM (SELECT w.object_kind AS kind, w.object_identity AS identity,
                   CASE WHEN mc.id IS NOT NULL THEN mc.resolved_blob ELSE w.merged_blob END AS blob,
                   w.ours_blob
              FROM pggit.merge_three_way(v_merge.base_hash, v_merge.ours_hash, v_merge.theirs_hash) AS w
              LEFT JOIN pggit.merge_conflicts AS mc
                ON mc.merge_id = merge_record.merge_id
               AND mc.object_kind = w.object_kind
               AND mc.object_identity = w.object_identity) AS r
     WHERE r.blob IS DISTINCT FROM r.ours_blob;

    SELECT t.buckets INTO v_tree
      FROM pggit.commits AS c
      JOIN pggit.trees AS t ON t.hash = c.schema_hash
     WHERE c.hash = v_merge.ours_hash;
    v_tree := pggit.tree_set(v_tree, v_kinds, v_identities, v_blobs);
    v_commit := pggit.commit_merge(v_merge.target, v_merge.theirs_hash, merge_record.message, v_tree,
                                   v_merge.ours_hash);
    UPDATE pggit.merges AS m
       SET status = 'merged', commit_hash = v_commit, merged_at = pg_catalog.clock_timestamp()
     WHERE m.id = merge_record.merge_id;
    RETURN v_commit;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_record(bigint, text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.merge_record(bigint, text) IS
    'Internal: builds the merged tree of a recorded merge (with its resolutions) and records the merge commit.';
