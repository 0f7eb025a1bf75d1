-- pggit.log(branch text DEFAULT 'main', max_count integer DEFAULT 50)
--     -> TABLE(hash text, parent_hash text, branch text, message text, author text,
--              committed_at timestamptz, schema_hash text, changes integer)
--
-- Promises: the history of `branch`, newest first, like git log: the branch head,
-- its parent, the parent's parent, ... following pggit.commits.parent_hash, at most
-- max_count commits. The chain is followed across branches: a branch created from
-- main continues into main's commits before the branch point, and the column
-- `branch` names the branch each commit was made on. changes = the number of history
-- rows attached to the commit; schema_hash = its Merkle root (NULL for commits made
-- before level 2). A branch without commits, or max_count 0, gives zero rows.
--
-- Declared with OUT hash, OUT parent_hash, INOUT branch, max_count, OUT ... rather
-- than RETURNS TABLE: the result columns are exactly those above, and the arguments
-- keep their names (branch => ..., max_count => ...), which RETURNS TABLE would
-- forbid (its column `branch` would clash with the argument).
-- Errors:
--   22004 null_value_not_allowed   branch or max_count is NULL
--   22023 invalid_parameter_value  invalid branch name ('invalid branch name
--                                  "<name>": <rule>'); max_count negative
--   42704 undefined_object         'branch "<name>" does not exist'
-- VOLATILE (level 9: it settles the transaction's pending DDL first), SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: O(max_count) index lookups.
CREATE OR REPLACE FUNCTION pggit.log(
    OUT hash text,
    OUT parent_hash text,
    INOUT branch text DEFAULT 'main',
    max_count integer DEFAULT 50,
    OUT message text,
    OUT author text,
    OUT committed_at timestamptz,
    OUT schema_hash text,
    OUT changes integer)
RETURNS SETOF record
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_head text;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF log.max_count IS NULL THEN
        RAISE EXCEPTION 'max_count must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF log.max_count < 0 THEN
        RAISE EXCEPTION 'invalid max_count %: must not be negative', log.max_count
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pggit.assert_valid_branch_name(log.branch);
    SELECT b.head_commit_hash INTO v_head FROM pggit.branches AS b WHERE b.name = log.branch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(log.branch)
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN QUERY
        WITH RECURSIVE walk (hash, depth) AS (
            SELECT v_head COLLATE "C", 1
             WHERE v_head IS NOT NULL AND log.max_count > 0
            UNION ALL
            SELECT c.parent_hash, w.depth + 1
              FROM walk AS w
              JOIN pggit.commits AS c ON c.hash = w.hash
             WHERE c.parent_hash IS NOT NULL AND w.depth < log.max_count
        )
        SELECT c.hash::text, c.parent_hash::text, b.name, c.message, c.author, c.committed_at,
               c.schema_hash::text,
               (SELECT pg_catalog.count(*)::integer FROM pggit.history AS h WHERE h.commit_hash = c.hash)
          FROM walk AS w
          JOIN pggit.commits AS c ON c.hash = w.hash
          JOIN pggit.branches AS b ON b.id = c.branch_id
         ORDER BY w.depth;
END
$function$;

COMMENT ON FUNCTION pggit.log(text, integer) IS
    'History of a branch, newest first, following parents across branches: hash, parent_hash, branch, message, author, committed_at, schema_hash, changes.';
