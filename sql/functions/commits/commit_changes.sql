-- pggit.commit_changes(branch text, message text DEFAULT '', trinity_id text DEFAULT NULL) -> text
--
-- Level 2: level 1's function (same signature, every promise and error below kept)
-- plus the commit's changes and schema tree.
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
--   * Changes: the branch's pending history rows (pggit.history with branch = this
--     branch's name and commit_hash IS NULL) that the function sees once it holds
--     the branch lock are attached to the new commit (commit_hash := its ID), each
--     to exactly this commit. Rows of other branches are left alone; rows of other
--     transactions committed after that moment stay pending for the next commit.
--   * Tree: the commit's schema tree is stored (pggit.trees, once per distinct tree)
--     and its Merkle root is the commit's schema_hash. It is built from the parent
--     commit's tree by applying exactly the attached rows, see
--     sql/functions/trees/tree_apply.sql: for each object its last attached row
--     decides (a drop removes its entry, anything else sets identity -> new_hash, a
--     rename also removes the old identity's entry); pause, resume and untracked
--     rows change nothing. A commit without changes has its parent's root and costs
--     no tree work at all.
--     When the parent has no tree (a level-1 commit, or no parent) the base is every
--     live registry object at its current hash: the first tree-bearing commit of a
--     line costs O(schema), every later one O(changes).
--   * Transactional: everything happens in the caller's transaction; a rollback
--     leaves no commit, no new branch, no head move, no tree or node and no row
--     attached.
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
-- Cost: one indexed lookup with row lock, an index scan of the branch's pending
-- rows; when there are some: the parent's tree (256 hashes), the rewrite of the
-- buckets the changes touch (pggit.tree_apply) and one INSERT ... ON CONFLICT DO
-- NOTHING of the tree, and one UPDATE of the attached rows; then one INSERT and one
-- UPDATE of the branch. No subtransaction unless a trinity_id is
-- given (then one, to turn a primary-key violation into the message above).
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
    v_pending bigint[];
    v_parent_root text;
    v_parent_tree text[];
    v_tree text[];
    v_schema_hash text;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
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
                pggit.clip(commit_changes.trinity_id)
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
                        pggit.clip(commit_changes.branch)
                    USING ERRCODE = 'object_not_in_prerequisite_state';
            END IF;
        END IF;
    END IF;

    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot commit to deleted branch "%"', pggit.clip(commit_changes.branch)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- Under the branch lock: the pending rows this commit attaches, and its tree.
    SELECT pg_catalog.array_agg(h.id ORDER BY h.id)
      INTO v_pending
      FROM pggit.history AS h
     WHERE h.branch = commit_changes.branch
       AND h.commit_hash IS NULL;
    IF v_head IS NOT NULL THEN
        SELECT c.schema_hash INTO v_parent_root FROM pggit.commits AS c WHERE c.hash = v_head;
    END IF;
    IF v_parent_root IS NOT NULL AND v_pending IS NULL THEN
        v_schema_hash := v_parent_root;
    ELSE
        IF v_parent_root IS NOT NULL THEN
            SELECT t.buckets INTO v_parent_tree FROM pggit.trees AS t WHERE t.hash = v_parent_root;
        END IF;
        v_tree := pggit.tree_apply(v_parent_tree, coalesce(v_pending, '{}'::bigint[]));
        v_schema_hash := pg_catalog.encode(
            pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.array_to_string(v_tree, ''), 'UTF8')), 'hex');
        INSERT INTO pggit.trees (hash, buckets)
        VALUES (v_schema_hash, v_tree)
        ON CONFLICT (hash) DO NOTHING;
    END IF;

    IF commit_changes.trinity_id IS NULL THEN
        v_id := pggit.generate_trinity_id();
        INSERT INTO pggit.commits (hash, branch_id, parent_hash, message, schema_hash)
        VALUES (v_id, v_branch_id, v_head, commit_changes.message, v_schema_hash);
    ELSE
        v_id := commit_changes.trinity_id;
        BEGIN
            INSERT INTO pggit.commits (hash, branch_id, parent_hash, message, schema_hash)
            VALUES (v_id, v_branch_id, v_head, commit_changes.message, v_schema_hash);
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

    IF v_pending IS NOT NULL THEN
        UPDATE pggit.history AS h
           SET commit_hash = v_id
         WHERE h.id = ANY (v_pending);
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
    'Records a commit on branch (created from main''s head if missing) with its pending changes and schema tree; returns its Trinity ID.';
