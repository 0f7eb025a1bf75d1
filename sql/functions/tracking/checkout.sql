-- pggit.checkout(branch text) -> text
--
-- Promises: makes `branch` the session's branch and returns its name: sets the GUC
-- pggit.branch at session level (set_config(..., false): like SET, undone if the
-- calling transaction rolls back), which every history row of the session records
-- from then on (pggit.current_branch()). Level 4 extends this; the signature stays.
-- Level 10: through pggit.set_scoped_setting, so behind a transaction pooler
-- (pggit.pool_mode = transaction or statement) the branch holds for the calling
-- transaction only (a WARNING when that is the call itself), and no other client of the
-- pooler ever records on it.
-- Errors, checked in this order:
--   22004 null_value_not_allowed   branch is NULL
--   22023 invalid_parameter_value  not a valid branch name ('invalid branch name
--                                  "<name>": <rule>', see branch_name_violation)
--   42704 undefined_object         no such branch: 'branch "<name>" does not exist'
--   55000 object_not_in_prerequisite_state  the branch was deleted
-- VOLATILE; runs with the caller's rights (reads pggit.branches, which everyone may
-- read); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.checkout(branch text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_status text;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    PERFORM pggit.assert_valid_branch_name(checkout.branch);
    SELECT b.status INTO v_status FROM pggit.branches AS b WHERE b.name = checkout.branch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(checkout.branch)
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create it with a first commit: pggit.commit_changes(branch, message).';
    END IF;
    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot check out deleted branch "%"', pggit.clip(checkout.branch)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM pggit.set_scoped_setting('pggit.branch', checkout.branch);
    RETURN checkout.branch;
END
$function$;

COMMENT ON FUNCTION pggit.checkout(text) IS
    'Makes branch the session''s branch (GUC pggit.branch; behind a transaction pooler, this transaction''s) and returns it; the branch must exist and not be deleted.';
