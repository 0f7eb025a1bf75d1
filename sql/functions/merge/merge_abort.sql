-- pggit.merge_abort(id bigint) -> text
--
-- Promises: gives up a merge that pggit.merge left with status 'conflicts': its
-- pggit.merges row becomes status 'aborted' (aborted_at set) and 'aborted' is
-- returned. Nothing of history is deleted or changed: the merges row and its
-- merge_conflicts rows (with any resolutions made) stay as a record; no branch, commit
-- or history row is touched (a 'conflicts' merge never moved anything). An aborted
-- merge can no longer be resolved (pggit.resolve_conflict) nor continued
-- (pggit.merge_continue): merge again to start over. The merges row is locked (FOR
-- UPDATE), so an abort and a concurrent merge_continue of one merge are serial: one
-- wins, the other gets 55000.
-- Errors: 22004 NULL; 42704 unknown merge; 55000 the merge is already merged or aborted.
-- SECURITY DEFINER with a pinned search_path; EXECUTE: PUBLIC (like merge_continue).
CREATE OR REPLACE FUNCTION pggit.merge_abort(id bigint)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    PERFORM pggit.merge_lock(merge_abort.id);  -- 22004, 42704, 55000 as promised
    UPDATE pggit.merges AS m
       SET status = 'aborted', aborted_at = pg_catalog.clock_timestamp()
     WHERE m.id = merge_abort.id;
    RETURN 'aborted';
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_abort(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.merge_abort(bigint) TO PUBLIC;

COMMENT ON FUNCTION pggit.merge_abort(bigint) IS
    'Gives up a merge left with conflicts: status aborted; its rows stay as history.';
