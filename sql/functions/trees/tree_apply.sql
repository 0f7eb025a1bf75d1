-- pggit.tree_apply(parent_tree text[], history_ids bigint[]) -> text[]
--
-- Promises: the commit tree (256 bucket-node hashes, bucket 1 first) obtained from
-- `parent_tree` by applying the history rows `history_ids`, with every node it needs
-- stored in pggit.tree_nodes. Internal: called by pggit.commit_changes, which passes
-- the pending rows it attaches to the new commit.
--
-- The tree. An entry is (object kind, object identity) -> blob hash (the sha256 of
-- the object's canonical definition in pggit.blobs). Entries live in 256 buckets by
-- pggit.tree_bucket(identity). A bucket node is content-addressed: its hash is
-- sha256 of its entries' canonical lines (pggit.tree_entry_line) in entry order
-- (identity, then kind, by UTF-8 bytes), its row in pggit.tree_nodes holds the same
-- entries as a jsonb array of [kind, identity, blob_hash] in that order. The empty
-- bucket's hash is sha256 of the empty text (the node exists from install on). A
-- tree is the 256 node hashes in bucket order, stored once in pggit.trees under its
-- Merkle root = sha256 of the 256 hex hashes concatenated, which is the schema_hash
-- of every commit with that tree. Everything hashed is UTF-8 bytes of text, so the
-- root depends only on the (kind, identity, blob hash) set, never on OIDs, history,
-- time or the database.
--
-- Applying the rows (pause, resume and untracked rows and rows without an object
-- change nothing):
--   * every (kind, identity) an applied row names, as object_identity or
--     old_identity (a rename), is removed;
--   * then, for each object, its last row (highest id) decides: unless it is a
--     'drop' (or has no new_hash), (kind, object_identity) -> new_hash is added. If
--     two objects end on the same (kind, identity), the later row wins.
-- Only the buckets these keys fall in are read and rewritten; the others keep the
-- parent's node hash. Cost: O(rows applied + entries of the touched buckets).
--
-- parent_tree NULL (the parent is a level-1 commit, or there is no parent): the base
-- is every live registry object (pggit.objects, dropped_at IS NULL) at its current
-- hash, and all 256 buckets are built: O(schema), once per line of history.
--
-- The nodes are built and stored by pggit.tree_write (shared with pggit.tree_set):
-- new nodes are inserted in one statement in hash order (ON CONFLICT DO NOTHING), so
-- concurrent committers writing the same nodes wait for each other but never
-- deadlock on them.
-- Errors: 22004 when history_ids is NULL; 22023 when parent_tree is not NULL and not
-- 256 hashes, or a touched bucket's node does not exist in pggit.tree_nodes.
-- VOLATILE (writes pggit.tree_nodes). Not SECURITY DEFINER and no EXECUTE for
-- PUBLIC: only its owner (through commit_changes) writes trees.
CREATE OR REPLACE FUNCTION pggit.tree_apply(parent_tree text[], history_ids bigint[])
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_kinds text[];
    v_identities text[];
    v_blobs text[];
BEGIN
    IF tree_apply.history_ids IS NULL THEN
        RAISE EXCEPTION 'history_ids must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF tree_apply.parent_tree IS NOT NULL THEN
        IF pg_catalog.cardinality(tree_apply.parent_tree) <> 256
           OR pg_catalog.array_position(tree_apply.parent_tree, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'invalid commit tree: expected 256 bucket hashes, got %',
                    pg_catalog.cardinality(tree_apply.parent_tree)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    -- the keys to set, in order (a key given twice takes its last value): with no parent
    -- the live registry, then every key an applied row names (removed), then each
    -- object's last state (added); pggit.tree_write builds and stores the nodes.
    -- Keys are unique within each group, so (group, kind, identity) orders all three
    -- arrays alike.
    WITH pend AS (
        SELECT h.id, h.object_id, h.object_kind AS kind, h.object_identity AS identity,
               h.old_identity, h.change, h.new_hash
          FROM pggit.history AS h
         WHERE h.id = ANY (tree_apply.history_ids)
           AND h.object_id IS NOT NULL
           AND h.object_kind IS NOT NULL
           AND h.change NOT IN ('pause', 'resume', 'untracked')
    ), removed AS (
        SELECT DISTINCT p.kind, r.identity
          FROM pend AS p
         CROSS JOIN LATERAL (VALUES (p.identity), (p.old_identity)) AS r (identity)
         WHERE r.identity IS NOT NULL
    ), last_row AS (
        SELECT DISTINCT ON (p.object_id) p.id, p.kind, p.identity, p.change, p.new_hash
          FROM pend AS p
         ORDER BY p.object_id, p.id DESC
    ), added AS (
        SELECT DISTINCT ON (l.kind, l.identity) l.kind, l.identity, l.new_hash AS blob
          FROM last_row AS l
         WHERE l.change <> 'drop' AND l.identity IS NOT NULL AND l.new_hash IS NOT NULL
         ORDER BY l.kind, l.identity, l.id DESC
    ), keys AS (
        SELECT 1 AS grp, r.kind, r.identity, r.hash AS blob
          FROM (SELECT DISTINCT ON (o.kind, o.identity) o.kind, o.identity, o.hash
                  FROM pggit.objects AS o
                 WHERE tree_apply.parent_tree IS NULL AND o.dropped_at IS NULL
                 ORDER BY o.kind, o.identity, o.id DESC) AS r
        UNION ALL
        SELECT 2, r.kind, r.identity, NULL FROM removed AS r
        UNION ALL
        SELECT 3, a.kind, a.identity, a.blob FROM added AS a
    )
    SELECT coalesce(pg_catalog.array_agg(k.kind ORDER BY k.grp, k.kind COLLATE "C", k.identity COLLATE "C"), '{}'),
           coalesce(pg_catalog.array_agg(k.identity ORDER BY k.grp, k.kind COLLATE "C", k.identity COLLATE "C"), '{}'),
           coalesce(pg_catalog.array_agg(k.blob ORDER BY k.grp, k.kind COLLATE "C", k.identity COLLATE "C"), '{}')
      INTO v_kinds, v_identities, v_blobs
      FROM keys AS k;

    RETURN pggit.tree_write(tree_apply.parent_tree, v_kinds, v_identities, v_blobs);
END
$function$;

REVOKE ALL ON FUNCTION pggit.tree_apply(text[], bigint[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.tree_apply(text[], bigint[]) IS
    'Internal: the commit tree after applying history rows to parent_tree (NULL: the live registry); stores new nodes.';
