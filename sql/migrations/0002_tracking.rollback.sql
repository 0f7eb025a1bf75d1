-- Rollback of pggit-sql level 2: back to level 1 exactly. Never touches a user object.
-- Order: event triggers first (so nothing below is tracked), then level 2's
-- functions, then level 1's functions as they were, then tables, then the claim.

-- ===========================================================================
-- BEGIN drop event triggers (owner: capture)
-- ===========================================================================

DROP EVENT TRIGGER pggit_ddl_command_end;
DROP EVENT TRIGGER pggit_sql_drop;

-- ===========================================================================
-- END drop event triggers
-- ===========================================================================

-- ===========================================================================
-- BEGIN commit trees rollback (owner: trees): drop its functions, restore level 1's
-- commit_changes verbatim from 0001_core.sql, drop its tables and columns
-- ===========================================================================

DROP FUNCTION pggit.status(text);
DROP FUNCTION pggit.show(text);
DROP FUNCTION pggit.log(text, integer);
DROP FUNCTION pggit.commit_tree(text);
DROP FUNCTION pggit.tree_apply(text[], bigint[]);
DROP FUNCTION pggit.tree_entry_line(text, text, text);
DROP FUNCTION pggit.tree_bucket(text);

-- Level 1's commit_changes, verbatim from 0001_core.sql.
-- ---------------------------------------------------------------------------
-- sql/functions/commits/commit_changes.sql
-- ---------------------------------------------------------------------------
-- pggit.commit_changes(branch text, message text DEFAULT '', trinity_id text DEFAULT NULL) -> text
--
-- Promises: records one commit on `branch` and returns its Trinity ID.
--   * The commit's parent is the branch head, read under a row lock on the branch
--     (SELECT ... FOR NO KEY UPDATE, the lock the head UPDATE takes anyway), and the
--     head then moves to the new commit. Concurrent committers to one branch queue
--     on that lock, so any number of them produce one linear chain (no fork, no lost
--     commit); the UNIQUE NULLS NOT DISTINCT (branch_id, parent_hash) constraint on
--     pggit.commits backs this up.
--   * A branch that does not exist yet is created if its name is valid: parent
--     branch main, head = main's head (NULL if main has no commit), so its first
--     commit's parent is main's head. Created with INSERT ... ON CONFLICT (name) DO
--     NOTHING and read again, so concurrent first commits all land on one branch.
--   * trinity_id NULL: a new pggit.generate_trinity_id(). Given: validated by
--     pggit.is_valid_trinity_id and used as is.
--   * message is stored exactly as given ('' by default; any text, 1 MB is fine).
--   * author = session_user, committed_at = clock_timestamp().
--   * Transactional: everything happens in the caller's transaction; a rollback
--     leaves no commit, no new branch and no head move.
-- Errors:
--   22004 null_value_not_allowed   branch or message is NULL
--   22023 invalid_parameter_value  invalid branch name: 'invalid branch name
--                                  "<name>": <rule>' (see branch_name_violation);
--                                  malformed trinity_id: 'invalid Trinity ID "<id>":
--                                  expected YYYYMMDDHHMMSSffffff-ssssss-rrrrrrrr ...'
--   55000 object_not_in_prerequisite_state  the branch has status 'deleted'
--                                  ('cannot commit to deleted branch "<name>"'), or
--                                  it is missing and so is main
--   23505 unique_violation         a given trinity_id already exists:
--                                  'commit "<id>" already exists'
--   40001 / 40P01 from the lock or the insert propagate unchanged (retryable). Under
--   REPEATABLE READ or SERIALIZABLE, committing to a branch another transaction has
--   committed to since the snapshot fails with 40001.
-- SECURITY DEFINER with a pinned search_path: this function is how ordinary roles
-- (which only have SELECT on pggit's tables) append history. EXECUTE: PUBLIC.
--
-- Cost: one indexed lookup with row lock, one INSERT, one UPDATE; no subtransaction
-- unless a trinity_id is given (then one, to turn a primary-key violation into the
-- message above).
CREATE OR REPLACE FUNCTION pggit.commit_changes(
    branch text,
    message text DEFAULT '',
    trinity_id text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch_id bigint;
    v_head text;
    v_status text;
    v_id text;
    v_constraint text;
BEGIN
    IF commit_changes.branch IS NULL THEN
        RAISE EXCEPTION 'branch must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF commit_changes.message IS NULL THEN
        RAISE EXCEPTION 'commit message must not be NULL (use '''' for an empty message)'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF commit_changes.trinity_id IS NOT NULL
       AND NOT pggit.is_valid_trinity_id(commit_changes.trinity_id) THEN
        RAISE EXCEPTION 'invalid Trinity ID "%": expected YYYYMMDDHHMMSSffffff-ssssss-rrrrrrrr '
                        '(a real UTC date and time, 6 lowercase base-36 digits, 8 lowercase hex digits)',
                commit_changes.trinity_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT b.id, b.head_commit_hash, b.status
      INTO v_branch_id, v_head, v_status
      FROM pggit.branches AS b
     WHERE b.name = commit_changes.branch
       FOR NO KEY UPDATE;

    IF NOT FOUND THEN
        -- Existing rows always have valid names (CHECK), so validate only here.
        PERFORM pggit.assert_valid_branch_name(commit_changes.branch);
        INSERT INTO pggit.branches AS b (name, head_commit_hash, parent_branch_id)
        SELECT commit_changes.branch, m.head_commit_hash, m.id
          FROM pggit.branches AS m
         WHERE m.name = 'main'
        ON CONFLICT (name) DO NOTHING
        RETURNING b.id, b.head_commit_hash, b.status
             INTO v_branch_id, v_head, v_status;
        IF NOT FOUND THEN
            -- Another transaction created it first (or main is missing): read it again.
            SELECT b.id, b.head_commit_hash, b.status
              INTO v_branch_id, v_head, v_status
              FROM pggit.branches AS b
             WHERE b.name = commit_changes.branch
               FOR NO KEY UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'cannot create branch "%": branch "main" does not exist',
                        commit_changes.branch
                    USING ERRCODE = 'object_not_in_prerequisite_state';
            END IF;
        END IF;
    END IF;

    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot commit to deleted branch "%"', commit_changes.branch
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    IF commit_changes.trinity_id IS NULL THEN
        v_id := pggit.generate_trinity_id();
        INSERT INTO pggit.commits (hash, branch_id, parent_hash, message)
        VALUES (v_id, v_branch_id, v_head, commit_changes.message);
    ELSE
        v_id := commit_changes.trinity_id;
        BEGIN
            INSERT INTO pggit.commits (hash, branch_id, parent_hash, message)
            VALUES (v_id, v_branch_id, v_head, commit_changes.message);
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
            IF v_constraint IS DISTINCT FROM 'commits_pkey' THEN
                RAISE;
            END IF;
            RAISE EXCEPTION 'commit "%" already exists', v_id
                USING ERRCODE = 'unique_violation',
                      CONSTRAINT = 'commits_pkey',
                      TABLE = 'commits',
                      SCHEMA = 'pggit';
        END;
    END IF;

    UPDATE pggit.branches AS b
       SET head_commit_hash = v_id
     WHERE b.id = v_branch_id;

    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.commit_changes(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.commit_changes(text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.commit_changes(text, text, text) IS
    'Records a commit on branch (created from main''s head if missing) and returns its Trinity ID.';

ALTER TABLE pggit.commits
    DROP CONSTRAINT commits_schema_hash_fkey,
    DROP COLUMN schema_hash;

DROP TABLE pggit.trees;
DROP TABLE pggit.tree_nodes;

-- ===========================================================================
-- END commit trees rollback
-- ===========================================================================

-- ===========================================================================
-- BEGIN tracking rollback (owner: capture): drop its functions and tables
-- ===========================================================================

DROP FUNCTION pggit.checkout(text);
DROP FUNCTION pggit.calculate_schema_hash(text);
DROP FUNCTION pggit.get_version(text);
DROP FUNCTION pggit.resolve_object(text);
DROP FUNCTION pggit.resume_tracking();
DROP FUNCTION pggit.pause_tracking(text);
DROP FUNCTION pggit.on_ddl_command_end();
DROP FUNCTION pggit.on_sql_drop();
DROP FUNCTION pggit.reconcile(text);
DROP FUNCTION pggit.track_related(oid, oid, text, boolean, text, text[]);
DROP FUNCTION pggit.track_object(oid, oid, text, text, text);
DROP FUNCTION pggit.classify_change(json, json);
DROP FUNCTION pggit.describe_object(oid, oid);
DROP FUNCTION pggit.describe_type(oid);
DROP FUNCTION pggit.describe_view(oid);
DROP FUNCTION pggit.describe_table(oid);
DROP FUNCTION pggit.describe_triggers(oid, text);
DROP FUNCTION pggit.describe_rules(oid, text);
DROP FUNCTION pggit.tracked_owner(oid, oid);
DROP FUNCTION pggit.tracking_paused();
DROP FUNCTION pggit.current_branch();
DROP FUNCTION pggit.is_tracked_schema(name);

DROP VIEW pggit.table_versions;
DROP TABLE pggit.history;
DROP TABLE pggit.object_indexes;
DROP TABLE pggit.objects;
DROP TABLE pggit.blobs;

-- ===========================================================================
-- END tracking rollback
-- ===========================================================================

COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';
