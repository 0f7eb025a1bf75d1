-- pggit.merge_lock(id bigint, what text DEFAULT NULL) -> pggit.merges
--
-- Promises: the pggit.merges row `id`, locked FOR UPDATE until the calling transaction
-- ends, when that merge still waits on its conflicts (status 'conflicts'); the one
-- preamble of the functions that change a merge left open (merge_abort,
-- merge_continue_run, resolve_conflict), so a concurrent abort, continue and resolution
-- of one merge are serial and the loser sees the winner's status.
-- Errors:
--   22004 null_value_not_allowed            'merge_id must not be NULL'
--   42704 undefined_object                  'merge <id> does not exist'
--   55000 object_not_in_prerequisite_state  'merge <id> is already <status>' (merged or
--         aborted), followed by ': <what>' when `what` is given.
-- PL/pgSQL, VOLATILE, SECURITY INVOKER with a pinned search_path; EXECUTE revoked from
-- PUBLIC: only pggit's own SECURITY DEFINER functions call it.
CREATE OR REPLACE FUNCTION pggit.merge_lock(id bigint, what text DEFAULT NULL)
RETURNS pggit.merges
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_merge pggit.merges%ROWTYPE;
BEGIN
    IF merge_lock.id IS NULL THEN
        RAISE EXCEPTION 'merge_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT m.* INTO v_merge FROM pggit.merges AS m WHERE m.id OPERATOR(pg_catalog.=) merge_lock.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'merge % does not exist', merge_lock.id
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_merge.status OPERATOR(pg_catalog.<>) 'conflicts' THEN
        RAISE EXCEPTION 'merge % is already %', merge_lock.id,
                        v_merge.status OPERATOR(pg_catalog.||)
                        CASE WHEN merge_lock.what IS NULL THEN '' ELSE ': ' OPERATOR(pg_catalog.||) merge_lock.what END
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN v_merge;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_lock(bigint, text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.merge_lock(bigint, text) IS
    'Internal: locks a merge that waits on its conflicts (22004 NULL, 42704 unknown, 55000 already merged or aborted).';
