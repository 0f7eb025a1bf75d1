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

-- pggit.checkout(branch text, apply boolean, force boolean DEFAULT false) -> integer
--
-- Promises: level 2's pggit.checkout(branch) (an overload beside it: `apply` has no
-- default, so pggit.checkout('x') still resolves to level 2's function, which returns
-- the branch name). Returns the number of DDL statements applied: 0 with `apply`
-- false, which is exactly pggit.checkout(branch) otherwise. With `apply` true it also
-- brings the live schema to the branch's head: it refuses while the session's current
-- branch (pggit.current_branch()) or `branch` has uncommitted tracked changes
-- (pggit.status()), makes `branch` the session's branch, then runs
-- pggit.apply_migration(branch, force, from) (generate_migration(from, branch), `from`
-- the head commit of the session's previous branch when the live schema is at it, so
-- that renames recorded in the commits being left are followed (level 7), else
-- 'WORKING'; a dropped
-- table with rows or column with non-NULL values, and every other data-losing step,
-- only with `force`; steps that cannot be generated never), then
-- pggit.settle_checkout(): the history rows of that DDL (on `branch`) are recorded as
-- settled by a new pggit.checkouts row instead of staying pending, so pggit.status()
-- shows nothing pending for `branch` afterwards (the checkouts row keeps the statements
-- run; the history rows their role, time, objects and versions) and a further checkout with apply
-- (back, or elsewhere) needs no commit in between. Settling checks that the live
-- schema now equals the head (diff empty; level 7: a table whose columns are only in
-- another order, or whose expressions PostgreSQL reprints, counts as reached:
-- pggit.table_definition_reached); should the migration not have reached it,
-- the checkout fails (55000) and leaves nothing. Everything happens in the caller's
-- transaction: an error leaves neither DDL nor the branch switch nor a checkouts row.
-- Errors: level 2's checkout errors first; 22004 apply or force NULL; 55000 uncommitted
-- tracked changes (message names the branch, DETAIL the objects), 55000 a branch
-- without commits (resolve_ref), apply_migration's errors (0A000, 55000 data loss),
-- settle_checkout's (55000 tracking paused, live schema not at the head).
-- VOLATILE; SECURITY INVOKER (the DDL runs with the caller's rights); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.checkout(branch text, apply boolean, force boolean DEFAULT false)
RETURNS integer
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
    v_applied text[];
    v_from text;  -- the commit the live schema is at, when it is the session's branch head
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF checkout.apply IS NULL OR checkout.force IS NULL THEN
        PERFORM pggit.checkout(checkout.branch);
        RAISE EXCEPTION 'apply and force must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT checkout.apply THEN
        PERFORM pggit.checkout(checkout.branch);
        RETURN 0;
    END IF;
    v_current := pggit.current_branch();
    -- The script is generated from the commit the live schema is at, when it is at the
    -- head of the session's branch (but for what table_definition_reached accepts): diff
    -- finds renames (of tables and columns) in the history between two commits, and for
    -- WORKING it would take the head of the branch the session switches to below, which
    -- leaves out a rename recorded in the commit being left (its column would be dropped
    -- and added again). Elsewhere (a session on a branch the live schema is not at):
    -- WORKING, as before.
    SELECT b.head_commit_hash INTO v_from FROM pggit.branches AS b WHERE b.name = v_current;
    IF v_from IS NOT NULL
       AND EXISTS (SELECT FROM pggit.diff(v_from, 'WORKING') AS d
                    WHERE NOT (d.object_kind = 'table' AND d.change = 'modified'
                               AND pggit.table_definition_reached(d.old_definition, d.new_definition))) THEN
        v_from := NULL;
    END IF;
    PERFORM pggit.checkout(checkout.branch);  -- level 2's checks, and the switch
    FOREACH v_branch IN ARRAY ARRAY[v_current, checkout.branch] LOOP
        SELECT count(*), string_agg(DISTINCT coalesce(s.object_identity, s.command_tag), ', ')
          INTO v_count, v_objects
          FROM pggit.status(v_branch) AS s;
        IF v_count > 0 THEN
            RAISE EXCEPTION 'cannot check out "%" with apply: branch "%" has % uncommitted tracked change(s)',
                    pggit.clip(checkout.branch), pggit.clip(v_branch), v_count
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('changed: %s', v_objects),
                      HINT = format('Commit them first: pggit.commit_changes(%L, message).', pggit.clip(v_branch));
        END IF;
    END LOOP;
    v_applied := pggit.apply_migration(checkout.branch, checkout.force, coalesce(v_from, 'WORKING'));
    PERFORM pggit.settle_checkout(v_applied);
    RETURN cardinality(v_applied);
END
$function$;

COMMENT ON FUNCTION pggit.checkout(text, boolean, boolean) IS
    'checkout(branch) and, with apply, the live schema brought to the branch head and its DDL settled (refuses pending changes and data loss without force); returns the number of statements applied.';
