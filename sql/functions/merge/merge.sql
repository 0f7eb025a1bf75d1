-- pggit.merge(source text, target text DEFAULT 'main', strategy text DEFAULT 'fail')
--   -> TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
--            theirs_hash text, changes integer, conflicts integer, migration text)
--
-- Promises: merges the ref `source` into the branch `target` exactly as
-- pggit.merge_run promises (statuses up-to-date, fast-forward, merged, conflicts; locks,
-- commits and errors are merge_run's), and fills `migration` as the caller:
-- pggit.merge_migration(ours_hash, theirs_hash) for a fast-forward,
-- pggit.merge_migration(ours_hash, commit_hash) for a merge, '' when up to date, NULL
-- with conflicts. The migration holds the definitions of the merged objects, so the
-- caller must be allowed to read them (SELECT on pggit.blobs: pggit_reader):
-- otherwise 42501 before anything is merged.
-- SECURITY INVOKER (level 5: the bookkeeping is merge_run's, the definitions are read
-- with the caller's rights) with a pinned search_path; EXECUTE: PUBLIC (pggit_writer
-- after sql/grants/roles.sql).
CREATE OR REPLACE FUNCTION pggit.merge(source text, target text DEFAULT 'main', strategy text DEFAULT 'fail')
RETURNS TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
              theirs_hash text, changes integer, conflicts integer, migration text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF NOT pg_catalog.has_table_privilege('pggit.blobs', 'SELECT') THEN
        RAISE EXCEPTION 'permission denied to merge: a merge returns the definitions of the objects it changes'
            USING ERRCODE = '42501',
                  HINT = 'Reading definitions needs pggit_reader (GRANT pggit_reader TO ' || current_user || ').';
    END IF;
    -- its own statement: the migration below is read in a later one, which sees the merge commit
    SELECT * INTO STRICT r FROM pggit.merge_run(merge.source, merge.target, merge.strategy);
    merge_id := r.merge_id; status := r.status; commit_hash := r.commit_hash; base_hash := r.base_hash;
    ours_hash := r.ours_hash; theirs_hash := r.theirs_hash; changes := r.changes; conflicts := r.conflicts;
    migration := CASE r.status
                     WHEN 'fast-forward' THEN pggit.merge_migration(r.ours_hash, r.theirs_hash)
                     WHEN 'merged' THEN pggit.merge_migration(r.ours_hash, r.commit_hash)
                     ELSE r.migration
                 END;
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.merge(text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.merge(text, text, text) IS
    'Merges a ref into a branch (three-way, against their merge base); returns the migration, read as the caller.';
