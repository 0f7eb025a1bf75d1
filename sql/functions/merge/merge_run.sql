-- pggit.merge_run(source text, target text, strategy text)
--   -> TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
--            theirs_hash text, changes integer, conflicts integer, migration text)
--
-- Promises: merges the ref `source` (a commit id, branch, tag; not WORKING) into the
-- branch `target`, three-way against their merge base (pggit.merge_base). One row:
--   * The target's branch row is locked first (SELECT ... FOR NO KEY UPDATE, the lock
--     commit_changes takes), and everything is computed against the head read under
--     it: concurrent merges and commits into one branch are serial, none is lost.
--   * 'up-to-date': source is the target's head or an ancestor of it: nothing changes,
--     commit_hash = the head, merge_id NULL, migration ''.
--   * 'fast-forward': the base is the target's head: the head moves to source's commit
--     (no new commit, no pggit.merges row); migration = generate_migration(old head,
--     source). The target's pending history rows stay pending.
--   * else a three-way merge per object (pggit.merge_three_way: base, ours = target
--     head, theirs = source; renames followed), computed once, is recorded in
--     pggit.merges (merge_id) and its conflicts in pggit.merge_conflicts (kinds
--     both_changed, modify_delete, dependency; with each side's identity); changes =
--     objects whose merged state (identity and definition) differs from ours,
--     conflicts = the conflict rows.
--     - strategy 'fail' with conflicts: status 'conflicts', no commit, no head move,
--       nothing else changes; the conflict rows stay for pggit.resolve_conflict and
--       pggit.merge_continue (or pggit.merge_abort). commit_hash and migration NULL.
--     - no conflicts, or strategy 'ours' / 'theirs' (every conflict resolved to that
--       side, recorded as its resolution): status 'merged': a merge commit on target
--       (pggit.commit_merge: parents = old head and source's commit; the target's
--       pending history rows attached and applied on top), message 'Merge <source>
--       into <target>'.
--     migration = generate_migration(old head, merge commit) as one script
--     (pggit.merge_migration: statements in order, warnings as `-- WARNING:` lines):
--     the DDL that turns a database at the target's old head into the merged schema.
--     It does not know the live database: changes pending on the target (already
--     live) are in it too.
--   base_hash, ours_hash (the target's head before), theirs_hash (source's commit).
-- Errors: 22004 NULL argument; 22023 strategy not fail/ours/theirs, WORKING as source
-- or target; 42704 unknown target branch, and resolve_ref's errors for source (42704,
-- 42P09, 55000); 55000 deleted target, target without commits, no common ancestor, a
-- side without a tree (made before level 2).
-- SECURITY DEFINER (writes pggit's tables) with a pinned search_path; EXECUTE: PUBLIC
-- (pggit_writer after sql/grants/roles.sql).
--
-- Level 5: this is pggit.merge_run, the bookkeeping half. It returns every column but
-- `migration` (NULL: 'fast-forward' and 'merged' leave it to the caller), because the
-- migration holds the definitions of the merged objects, which only pggit_reader may
-- read; a definer function would hand them to anyone allowed to execute it.
-- pggit.merge (SECURITY INVOKER) calls it and builds the migration as the caller.
CREATE OR REPLACE FUNCTION pggit.merge_run(source text, target text, strategy text)
RETURNS TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
              theirs_hash text, changes integer, conflicts integer, migration text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_head text;
    v_status text;
    v_theirs text;
    v_base text;
    v_merge bigint;
    v_changes integer;
    v_conflicts integer;
    v_commit text;
    v_kinds text[];
    v_old text[];
    v_identities text[];
    v_blobs text[];
BEGIN
    IF merge_run.source IS NULL OR merge_run.target IS NULL OR merge_run.strategy IS NULL THEN
        RAISE EXCEPTION 'merge: source, target and strategy must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF merge_run.strategy NOT IN ('fail', 'ours', 'theirs') THEN
        RAISE EXCEPTION 'invalid merge strategy "%": expected fail, ours or theirs', pggit.clip(merge_run.strategy)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF merge_run.source = 'WORKING' OR merge_run.target = 'WORKING' THEN
        RAISE EXCEPTION 'WORKING cannot be merged or merged into: commit it first'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_theirs := pggit.resolve_ref(merge_run.source);

    SELECT b.head_commit_hash, b.status INTO v_head, v_status
      FROM pggit.branches AS b
     WHERE b.name = merge_run.target
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(merge_run.target)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot merge into deleted branch "%"', pggit.clip(merge_run.target)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF v_head IS NULL THEN
        RAISE EXCEPTION 'branch "%" has no commit to merge into', pggit.clip(merge_run.target)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    v_base := pggit.dag_merge_base(v_theirs, v_head);
    IF v_base IS NULL THEN
        RAISE EXCEPTION 'commits % and % have no common ancestor', v_theirs, v_head
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    IF v_base = v_theirs THEN
        RETURN QUERY SELECT NULL::bigint, 'up-to-date'::text, v_head, v_base, v_head, v_theirs, 0, 0, ''::text;
        RETURN;
    END IF;
    IF v_base = v_head THEN
        UPDATE pggit.branches AS b SET head_commit_hash = v_theirs WHERE b.name = merge_run.target;
        RETURN QUERY
            SELECT NULL::bigint, 'fast-forward'::text, v_theirs, v_base, v_head, v_theirs,
                   (SELECT pg_catalog.count(*)::integer FROM pggit.diff(v_head, v_theirs) AS d
                     WHERE d.object_kind <> 'column'), 0,  -- objects, not the rows of renamed columns
                   NULL::text;
        RETURN;
    END IF;

    INSERT INTO pggit.merges AS m (source, target, base_hash, ours_hash, theirs_hash, strategy, status)
    VALUES (merge_run.source, merge_run.target, v_base, v_head, v_theirs, merge_run.strategy, 'conflicts')
    RETURNING m.id INTO v_merge;

    -- the three-way merge, computed once: conflict rows stored, the rest kept as tree settings
    WITH w AS (
        SELECT * FROM pggit.merge_three_way(v_base, v_head, v_theirs)
    ), ins AS (
        INSERT INTO pggit.merge_conflicts AS mc
               (merge_id, object_kind, object_identity, ours_identity, theirs_identity, kind, detail,
                base_blob, ours_blob, theirs_blob, base_definition, ours_definition, theirs_definition,
                resolution, resolved_identity, resolved_blob, resolved_at, resolved_by)
        SELECT v_merge, w.object_kind, w.object_identity, w.ours_identity, w.theirs_identity, w.conflict, w.detail,
               w.base_blob, w.ours_blob, w.theirs_blob,
               (SELECT bl.definition FROM pggit.blobs AS bl WHERE bl.hash = w.base_blob),
               (SELECT bl.definition FROM pggit.blobs AS bl WHERE bl.hash = w.ours_blob),
               (SELECT bl.definition FROM pggit.blobs AS bl WHERE bl.hash = w.theirs_blob),
               nullif(merge_run.strategy, 'fail'),
               CASE merge_run.strategy WHEN 'ours' THEN w.ours_identity WHEN 'theirs' THEN w.theirs_identity END,
               CASE merge_run.strategy WHEN 'ours' THEN w.ours_blob WHEN 'theirs' THEN w.theirs_blob END,
               CASE WHEN merge_run.strategy <> 'fail' THEN pg_catalog.clock_timestamp() END,
               CASE WHEN merge_run.strategy <> 'fail' THEN SESSION_USER END
          FROM w
         WHERE w.conflict IS NOT NULL
        RETURNING 1
    ), settings AS (
        SELECT w.object_kind AS kind, w.ours_identity AS old_identity, w.merged_identity AS identity,
               w.merged_blob AS blob
          FROM w
         WHERE w.conflict IS NULL
           AND (w.merged_identity, w.merged_blob) IS DISTINCT FROM (w.ours_identity, w.ours_blob)
    )
    SELECT (SELECT pg_catalog.count(*)::integer FROM ins),
           (SELECT pg_catalog.count(*)::integer FROM w
             WHERE CASE WHEN w.conflict IS NULL
                        THEN (w.merged_identity, w.merged_blob) IS DISTINCT FROM (w.ours_identity, w.ours_blob)
                        ELSE merge_run.strategy = 'theirs'
                             AND (w.theirs_identity, w.theirs_blob) IS DISTINCT FROM (w.ours_identity, w.ours_blob)
                   END),
           coalesce(pg_catalog.array_agg(st.kind), '{}'), coalesce(pg_catalog.array_agg(st.old_identity), '{}'),
           coalesce(pg_catalog.array_agg(st.identity), '{}'), coalesce(pg_catalog.array_agg(st.blob), '{}')
      INTO v_conflicts, v_changes, v_kinds, v_old, v_identities, v_blobs
      FROM settings AS st;

    IF v_conflicts > 0 AND merge_run.strategy = 'fail' THEN
        RETURN QUERY SELECT v_merge, 'conflicts'::text, NULL::text, v_base, v_head, v_theirs, v_changes, v_conflicts,
                            NULL::text;
        RETURN;
    END IF;
    v_commit := pggit.merge_record(v_merge, pg_catalog.format('Merge %s into %s', merge_run.source, merge_run.target),
                                   v_kinds, v_old, v_identities, v_blobs);
    RETURN QUERY SELECT v_merge, 'merged'::text, v_commit, v_base, v_head, v_theirs, v_changes, v_conflicts,
                        NULL::text;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_run(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.merge_run(text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.merge_run(text, text, text) IS
    'The bookkeeping half of pggit.merge (SECURITY DEFINER): records the merge and returns its row without the migration.';
