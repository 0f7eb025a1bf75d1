-- pggit.checkout(branch text, apply boolean, force boolean DEFAULT false) -> text
--
-- Promises: level 2's pggit.checkout(branch) (an overload beside it: `apply` has no
-- default, so pggit.checkout('x') still resolves to level 2's function). With `apply`
-- false it is exactly pggit.checkout(branch). With `apply` true it also brings the
-- live schema to the branch's head: it refuses while the session's current branch
-- (pggit.current_branch()) or `branch` has uncommitted tracked changes
-- (pggit.status()), makes `branch` the session's branch, then runs
-- pggit.apply_migration(branch, force) (generate_migration('WORKING', branch); a dropped
-- table with rows or column with non-NULL values, and every other data-losing step,
-- only with `force`; steps that cannot be generated never). Everything happens in the
-- caller's transaction: an error leaves neither DDL nor the branch switch. The DDL is
-- tracked as usual: its history rows carry `branch` and stay pending on it (its next
-- commit records them; their net effect on the branch's tree is nil), so a later
-- checkout with apply from `branch` needs that commit first. Returns `branch`.
-- Errors: level 2's checkout errors first; 22004 apply or force NULL; 55000 uncommitted
-- tracked changes (message names the branch, DETAIL the objects), 55000 a branch
-- without commits (resolve_ref), and apply_migration's errors (0A000, 55000 data loss).
-- VOLATILE; SECURITY INVOKER (the DDL runs with the caller's rights); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.checkout(branch text, apply boolean, force boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch text;
    v_current text;
    v_count bigint;
    v_objects text;
BEGIN
    IF checkout.apply IS NULL OR checkout.force IS NULL THEN
        PERFORM pggit.checkout(checkout.branch);
        RAISE EXCEPTION 'apply and force must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT checkout.apply THEN
        RETURN pggit.checkout(checkout.branch);
    END IF;
    v_current := pggit.current_branch();
    PERFORM pggit.checkout(checkout.branch);  -- level 2's checks, and the switch
    FOREACH v_branch IN ARRAY ARRAY[v_current, checkout.branch] LOOP
        SELECT count(*), string_agg(DISTINCT coalesce(s.object_identity, s.command_tag), ', ')
          INTO v_count, v_objects
          FROM pggit.status(v_branch) AS s;
        IF v_count > 0 THEN
            RAISE EXCEPTION 'cannot check out "%" with apply: branch "%" has % uncommitted tracked change(s)',
                    checkout.branch, v_branch, v_count
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('changed: %s', v_objects),
                      HINT = format('Commit them first: pggit.commit_changes(%L, message).', v_branch);
        END IF;
    END LOOP;
    PERFORM pggit.apply_migration(checkout.branch, checkout.force);
    RETURN checkout.branch;
END
$function$;

COMMENT ON FUNCTION pggit.checkout(text, boolean, boolean) IS
    'checkout(branch) and, with apply, the live schema brought to the branch head (refuses pending changes and data loss without force).';
