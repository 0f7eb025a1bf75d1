-- pggit.show(commit text) -> jsonb
--
-- Promises: one jsonb document describing the commit `commit` names (usable from psql
-- with jsonb_pretty, and as a dict from Python). Level 8: `commit` is any ref
-- pggit.resolve_ref reads (a full commit id, a branch, a tag, refs/heads/<b>,
-- refs/tags/<t>, with ~N / ^N suffixes), as the CLI's `show REF` takes; before it
-- took a full commit id only. The document:
--   {"commit":  {"hash", "parent_hash", "branch", "message", "author",
--                "committed_at", "schema_hash"},
--    "changes": [{"id", "object_id", "object_kind", "object_identity",
--                 "old_identity", "subobject_identity", "command_tag", "change",
--                 "statement", "old_version", "new_version", "old_hash", "new_hash",
--                 "role", "txid", "changed_at", "branch"}, ...]   (oldest first),
--    "tree":    [{"object_kind", "object_identity", "blob_hash"}, ...] (as
--                pggit.commit_tree orders them), or null for a commit made before
--                level 2}
-- "branch" in "commit" is the name of the branch the commit was made on; txid is
-- text (an xid8); times are timestamptz rendered by jsonb (ISO 8601 with offset).
-- Errors:
--   22004 null_value_not_allowed   commit is NULL: 'commit must not be NULL'
--   22023 invalid_parameter_value  'show needs a commit, branch or tag, not WORKING
--                                  (the live schema)'
--   and those of pggit.resolve_ref, as for every ref-taking function: 42704 'ref
--   "<ref>" does not exist: no commit, branch or tag of that name' (before level 8:
--   'commit "<commit>" does not exist'), 42P09 ambiguous, 55000 deleted branch or a
--   branch without commits.
-- VOLATILE (level 9: it settles the transaction's pending DDL first), SECURITY INVOKER, callable by everyone. Cost: O(changes + tree size).
CREATE OR REPLACE FUNCTION pggit.show(commit text)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_hash text;
    v_commit jsonb;
    v_has_tree boolean;
    v_changes jsonb;
    v_tree jsonb;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF show.commit IS NULL THEN
        RAISE EXCEPTION 'commit must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_hash := pggit.resolve_ref(show.commit);
    IF v_hash IS NULL THEN
        RAISE EXCEPTION 'show needs a commit, branch or tag, not WORKING (the live schema)'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'pggit.status() lists the live schema''s uncommitted changes.';
    END IF;
    SELECT pg_catalog.jsonb_build_object(
               'hash', c.hash, 'parent_hash', c.parent_hash, 'branch', b.name,
               'message', c.message, 'author', c.author, 'committed_at', c.committed_at,
               'schema_hash', c.schema_hash),
           c.schema_hash IS NOT NULL
      INTO v_commit, v_has_tree
      FROM pggit.commits AS c
      JOIN pggit.branches AS b ON b.id = c.branch_id
     WHERE c.hash = v_hash;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'id', h.id, 'object_id', h.object_id, 'object_kind', h.object_kind,
               'object_identity', h.object_identity, 'old_identity', h.old_identity,
               'subobject_identity', h.subobject_identity, 'command_tag', h.command_tag,
               'change', h.change, 'statement', h.statement, 'old_version', h.old_version,
               'new_version', h.new_version, 'old_hash', h.old_hash, 'new_hash', h.new_hash,
               'role', h.role, 'txid', h.txid::text, 'changed_at', h.changed_at,
               'branch', h.branch) ORDER BY h.id), '[]'::jsonb)
      INTO v_changes
      FROM pggit.history AS h
     WHERE h.commit_hash = v_hash;
    IF v_has_tree THEN
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'object_kind', t.object_kind, 'object_identity', t.object_identity,
                   'blob_hash', t.blob_hash) ORDER BY t.n), '[]'::jsonb)
          INTO v_tree
          FROM pggit.commit_tree(v_hash) WITH ORDINALITY AS t (object_kind, object_identity, blob_hash, n);
    END IF;
    RETURN pg_catalog.jsonb_build_object('commit', v_commit, 'changes', v_changes, 'tree', v_tree);
END
$function$;

COMMENT ON FUNCTION pggit.show(text) IS
    'The commit a ref names, as jsonb: {"commit": {...}, "changes": [history rows], "tree": [(object_kind, object_identity, blob_hash)] or null}.';
