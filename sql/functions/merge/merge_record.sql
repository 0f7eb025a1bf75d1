-- pggit.merge_record(merge_id bigint, message text, kinds text[], old_identities text[],
--                    identities text[], blobs text[]) -> text
--
-- Promises: completes the three-way merge pggit.merges row `merge_id` describes. The
-- merged tree is ours' tree (pggit.tree_set) changed by
--   * the settings of the objects merged without conflict, as the caller computed them
--     with pggit.merge_three_way (computed once per merge): parallel arrays, per object
--     its kind, its identity in ours (old_identities[i], NULL: absent in ours), its merged
--     identity and blob (identities[i], blobs[i]; NULL: removed); the entry at the ours
--     identity is removed and the merged one set;
--   * every conflict of the merge (pggit.merge_conflicts) as resolved: its entry at
--     ours_identity removed, resolved_identity set to resolved_blob (NULL: removed).
--   Removals are applied before settings, so a name one object leaves and another takes
--   ends with the other. The merge commit is recorded by pggit.commit_merge on the
--   merge's target with parent = ours_hash (the head must still be it) and merge parent
--   = theirs_hash; the merges row becomes status 'merged' with its commit_hash. Returns
--   the commit id.
-- Internal (no EXECUTE for PUBLIC): called by pggit.merge and pggit.merge_continue,
-- which lock and check the merge first.
-- Errors: 22004 NULL argument; 22023 arrays of different lengths; 42704 unknown merge;
-- 55000 unresolved conflicts, or commit_merge's.
CREATE OR REPLACE FUNCTION pggit.merge_record(merge_id bigint, message text, kinds text[],
                                              old_identities text[], identities text[], blobs text[])
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
    IF merge_record.merge_id IS NULL OR merge_record.message IS NULL OR merge_record.kinds IS NULL
       OR merge_record.old_identities IS NULL OR merge_record.identities IS NULL OR merge_record.blobs IS NULL THEN
        RAISE EXCEPTION 'merge_record: no argument may be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.cardinality(merge_record.kinds) <> pg_catalog.cardinality(merge_record.old_identities)
       OR pg_catalog.cardinality(merge_record.kinds) <> pg_catalog.cardinality(merge_record.identities)
       OR pg_catalog.cardinality(merge_record.kinds) <> pg_catalog.cardinality(merge_record.blobs) THEN
        RAISE EXCEPTION 'merge_record: kinds, old_identities, identities and blobs must be parallel arrays'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
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

    WITH objects AS (
        SELECT s.kind, s.old_identity, s.identity, s.blob
          FROM ROWS FROM (pg_catalog.unnest(merge_record.kinds), pg_catalog.unnest(merge_record.old_identities),
                          pg_catalog.unnest(merge_record.identities), pg_catalog.unnest(merge_record.blobs))
               AS s (kind, old_identity, identity, blob)
        UNION ALL
        SELECT mc.object_kind, mc.ours_identity, mc.resolved_identity, mc.resolved_blob
          FROM pggit.merge_conflicts AS mc
         WHERE mc.merge_id = merge_record.merge_id
    ), steps AS (
        SELECT 1 AS phase, o.kind, o.old_identity AS identity, NULL::text AS blob
          FROM objects AS o
         WHERE o.old_identity IS NOT NULL
        UNION ALL
        SELECT 2, o.kind, o.identity, o.blob
          FROM objects AS o
         WHERE o.identity IS NOT NULL AND o.blob IS NOT NULL
    )
    SELECT coalesce(pg_catalog.array_agg(st.kind ORDER BY st.phase, st.kind, st.identity, st.blob), '{}'),
           coalesce(pg_catalog.array_agg(st.identity ORDER BY st.phase, st.kind, st.identity, st.blob), '{}'),
           coalesce(pg_catalog.array_agg(st.blob ORDER BY st.phase, st.kind, st.identity, st.blob), '{}')
      INTO v_kinds, v_identities, v_blobs
      FROM steps AS st;

    v_tree := pggit.tree_set(pggit.commit_buckets(v_merge.ours_hash), v_kinds, v_identities, v_blobs);
    v_commit := pggit.commit_merge(v_merge.target, v_merge.theirs_hash, merge_record.message, v_tree,
                                   v_merge.ours_hash);
    UPDATE pggit.merges AS m
       SET status = 'merged', commit_hash = v_commit, merged_at = pg_catalog.clock_timestamp()
     WHERE m.id = merge_record.merge_id;
    RETURN v_commit;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_record(bigint, text, text[], text[], text[], text[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.merge_record(bigint, text, text[], text[], text[], text[]) IS
    'Internal: builds the merged tree of a recorded merge (object settings and resolutions) and records the merge commit.';
