-- pggit.merge_continue_run(id bigint)
--   -> TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
--            theirs_hash text, changes integer, conflicts integer, migration text)
--
-- Promises: completes a merge that pggit.merge left with status 'conflicts' once every
-- conflict is resolved (pggit.resolve_conflict): the merge commit is recorded as
-- pggit.merge does (pggit.merge_record, under the target's branch lock) and the same
-- row shape is returned, status 'merged', changes = objects whose merged definition
-- (rows of pggit.diff(ours, merge commit)), migration = generate_migration(ours,
-- merge commit) as one script.
-- Errors: 22004 NULL; 42704 unknown merge; 55000 already merged or aborted, unresolved
-- conflicts, or the target's head moved since the merge was computed (merge again).
-- SECURITY DEFINER with a pinned search_path; EXECUTE: PUBLIC (pggit_writer after
-- sql/grants/roles.sql). Level 5: the bookkeeping half of pggit.merge_continue; it
-- returns `migration` NULL (the definitions are read by pggit.merge_continue, as the
-- caller), see pggit.merge_run.
CREATE OR REPLACE FUNCTION pggit.merge_continue_run(id bigint)
RETURNS TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
              theirs_hash text, changes integer, conflicts integer, migration text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_merge pggit.merges%ROWTYPE;
    v_commit text;
    v_conflicts integer;
    v_changes integer;
    v_kinds text[];
    v_old text[];
    v_identities text[];
    v_blobs text[];
BEGIN
    v_merge := pggit.merge_lock(merge_continue_run.id);  -- 22004, 42704, 55000 as promised
    -- the objects merged without conflict (the three-way merge is deterministic: commits
    -- and their blobs do not change), as tree settings for merge_record
    SELECT coalesce(pg_catalog.array_agg(w.object_kind), '{}'), coalesce(pg_catalog.array_agg(w.ours_identity), '{}'),
           coalesce(pg_catalog.array_agg(w.merged_identity), '{}'), coalesce(pg_catalog.array_agg(w.merged_blob), '{}')
      INTO v_kinds, v_old, v_identities, v_blobs
      FROM pggit.merge_three_way(v_merge.base_hash, v_merge.ours_hash, v_merge.theirs_hash) AS w
     WHERE w.conflict IS NULL
       AND (w.merged_identity, w.merged_blob) IS DISTINCT FROM (w.ours_identity, w.ours_blob)
       AND NOT EXISTS (SELECT FROM pggit.merge_conflicts AS mc
                        WHERE mc.merge_id = merge_continue_run.id AND mc.object_kind = w.object_kind
                          AND mc.object_identity = w.object_identity
                          AND mc.ours_identity IS NOT DISTINCT FROM w.ours_identity
                          AND mc.theirs_identity IS NOT DISTINCT FROM w.theirs_identity);
    v_commit := pggit.merge_record(merge_continue_run.id,
                                   pg_catalog.format('Merge %s into %s', v_merge.source, v_merge.target),
                                   v_kinds, v_old, v_identities, v_blobs);
    SELECT pg_catalog.count(*)::integer INTO v_conflicts
      FROM pggit.merge_conflicts AS mc WHERE mc.merge_id = merge_continue_run.id;
    SELECT pg_catalog.count(*)::integer INTO v_changes FROM pggit.diff(v_merge.ours_hash, v_commit) AS d
     WHERE d.object_kind <> 'column';  -- objects, not diff's extra rows for renamed columns
    RETURN QUERY SELECT merge_continue_run.id, 'merged'::text, v_commit, v_merge.base_hash, v_merge.ours_hash,
                        v_merge.theirs_hash, v_changes, v_conflicts, NULL::text;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_continue_run(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.merge_continue_run(bigint) TO PUBLIC;

COMMENT ON FUNCTION pggit.merge_continue_run(bigint) IS
    'The bookkeeping half of pggit.merge_continue (SECURITY DEFINER): records the merge commit, migration NULL.';
