-- pggit.merge_continue(id bigint)
--   -> TABLE(merge_id bigint, status text, commit_hash text, base_hash text, ours_hash text,
--            theirs_hash text, changes integer, conflicts integer, migration text)
--
-- Promises: completes a merge left with conflicts exactly as pggit.merge_continue_run
-- promises (status 'merged', its errors), and fills `migration` =
-- pggit.merge_migration(ours_hash, commit_hash) as the caller, who must be allowed to
-- read definitions (SELECT on pggit.blobs: pggit_reader): otherwise 42501 before
-- anything is recorded.
-- SECURITY INVOKER with a pinned search_path; EXECUTE: PUBLIC (pggit_writer after
-- sql/grants/roles.sql).
CREATE OR REPLACE FUNCTION pggit.merge_continue(id bigint)
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
    IF NOT pg_catalog.has_table_privilege('pggit.blobs', 'SELECT') THEN
        RAISE EXCEPTION 'permission denied to continue merge %: a merge returns the definitions of the objects it changes',
                        merge_continue.id
            USING ERRCODE = '42501',
                  HINT = 'Reading definitions needs pggit_reader (GRANT pggit_reader TO ' || current_user || ').';
    END IF;
    -- its own statement: the migration below is read in a later one, which sees the merge commit
    SELECT * INTO STRICT r FROM pggit.merge_continue_run(merge_continue.id);
    merge_id := r.merge_id; status := r.status; commit_hash := r.commit_hash; base_hash := r.base_hash;
    ours_hash := r.ours_hash; theirs_hash := r.theirs_hash; changes := r.changes; conflicts := r.conflicts;
    migration := CASE WHEN r.status = 'merged' THEN pggit.merge_migration(r.ours_hash, r.commit_hash)
                      ELSE r.migration END;
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_continue(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.merge_continue(bigint) TO PUBLIC;

COMMENT ON FUNCTION pggit.merge_continue(bigint) IS
    'Completes a merge whose conflicts are all resolved; returns the migration, read as the caller.';
