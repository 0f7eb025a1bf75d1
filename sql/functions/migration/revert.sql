-- pggit.revert(commit text, force boolean DEFAULT false) -> text
--
-- Promises: records the inverse of a commit: the live schema is brought from the
-- commit's schema back to its parent's (pggit.apply_migration(parent, force): the
-- steps of generate_migration('WORKING', parent), with checkout's data-loss rule), and
-- a commit with message 'Revert "<message>"' is recorded on the commit's branch
-- (pggit.commit_changes); returns the new commit's id. `commit` is any ref
-- (resolve_ref). The branch is the session's branch when its head is the commit, else
-- the commit's own branch when its head is the commit; only a head can be reverted: an
-- older commit is refused (a later commit may build on what it changed, and an inverse
-- applied on top of the head is not checked to be sound yet). The live schema must be
-- the commit's schema (diff(commit, 'WORKING') empty) and neither that branch nor the
-- session's branch may have uncommitted tracked changes. The DDL's history rows are
-- recorded on that branch (the setting pggit.branch is set for the transaction while
-- the DDL runs, then restored) and become the revert commit's changes. A merge commit
-- is reverted to its first parent (the previous head of its branch). All in the
-- caller's transaction.
-- Errors: 22004 NULL; 22023 `WORKING`; resolve_ref's errors (42704 unknown commit);
-- 55000 a root commit (no parent), a commit that is no branch head, uncommitted
-- changes, a live schema that differs from the commit (HINT: checkout with apply), a
-- commit or parent without a tree; apply_migration's errors (55000 data loss without
-- force, 0A000).
-- VOLATILE; SECURITY INVOKER (the DDL runs with the caller's rights); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.revert(commit text, force boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_hash text;
    v_parent text;
    v_message text;
    v_branch text;
    v_current text := pggit.current_branch();
    v_saved text := coalesce(current_setting('pggit.branch', true), '');
    v_name text;
    v_count bigint;
BEGIN
    IF revert.commit IS NULL OR revert.force IS NULL THEN
        RAISE EXCEPTION 'commit and force must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_hash := pggit.resolve_ref(revert.commit);
    IF v_hash IS NULL THEN
        RAISE EXCEPTION 'cannot revert "WORKING": name a commit'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.parent_hash, c.message,
           CASE WHEN EXISTS (SELECT FROM pggit.branches AS b
                              WHERE b.name = v_current AND b.head_commit_hash = c.hash
                                AND b.status IS DISTINCT FROM 'deleted') THEN v_current
                ELSE (SELECT b.name FROM pggit.branches AS b
                       WHERE b.id = c.branch_id AND b.head_commit_hash = c.hash
                         AND b.status IS DISTINCT FROM 'deleted') END
      INTO v_parent, v_message, v_branch
      FROM pggit.commits AS c
     WHERE c.hash = v_hash;
    IF v_parent IS NULL THEN
        RAISE EXCEPTION 'cannot revert commit %: it is a root commit (no parent)', v_hash
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF v_branch IS NULL THEN
        RAISE EXCEPTION 'cannot revert commit %: it is not the head of its branch or of the session''s branch "%"',
                v_hash, v_current
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Only a branch head can be reverted.';
    END IF;
    FOREACH v_name IN ARRAY ARRAY[v_current, v_branch] LOOP
        SELECT count(*) INTO v_count FROM pggit.status(v_name) AS s;
        IF v_count > 0 THEN
            RAISE EXCEPTION 'cannot revert commit %: branch "%" has % uncommitted tracked change(s)',
                    v_hash, v_name, v_count
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = format('Commit them first: pggit.commit_changes(%L, message).', v_name);
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pggit.diff(v_hash, 'WORKING')) THEN
        RAISE EXCEPTION 'cannot revert commit %: the live schema differs from it', v_hash
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Bring it there first: pggit.checkout(%L, apply => true).', v_branch);
    END IF;
    PERFORM set_config('pggit.branch', v_branch, true);
    PERFORM pggit.apply_migration(v_parent, revert.force);
    PERFORM set_config('pggit.branch', v_saved, true);
    RETURN pggit.commit_changes(v_branch, format('Revert "%s"', v_message));
END
$function$;

COMMENT ON FUNCTION pggit.revert(text, boolean) IS
    'Reverts a branch head: applies the migration back to its parent and commits it as Revert "<message>".';
