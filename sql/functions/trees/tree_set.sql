-- pggit.tree_set(parent_tree text[], kinds text[], identities text[], blobs text[]) -> text[]
--
-- Promises: the commit tree (256 bucket-node hashes, bucket 1 first, the format of
-- sql/functions/trees/tree_apply.sql) obtained from `parent_tree` by setting each
-- (kinds[i], identities[i]) to blobs[i], or removing it when blobs[i] is NULL, with
-- every node it needs stored in pggit.tree_nodes. The three arrays are parallel; a
-- (kind, identity) given twice takes its last value. Only the buckets these keys fall
-- in are read and rewritten; the others keep the parent's node hash.
-- Internal: called by pggit.merge and pggit.merge_continue to store a merged tree.
-- Errors: 22004 when an argument is NULL; 22023 when parent_tree is not 256 hashes,
-- the arrays differ in length, a kind or identity is NULL, or a touched bucket's node
-- is missing. The nodes are built and stored by pggit.tree_write.
-- VOLATILE (writes pggit.tree_nodes); no EXECUTE for PUBLIC.
-- Cost: O(keys set + entries of the touched buckets).
CREATE OR REPLACE FUNCTION pggit.tree_set(parent_tree text[], kinds text[], identities text[], blobs text[])
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF tree_set.parent_tree IS NULL OR tree_set.kinds IS NULL OR tree_set.identities IS NULL
       OR tree_set.blobs IS NULL THEN
        RAISE EXCEPTION 'tree_set: no argument may be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_catalog.cardinality(tree_set.parent_tree) <> 256
       OR pg_catalog.array_position(tree_set.parent_tree, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'invalid commit tree: expected 256 bucket hashes, got %',
                pg_catalog.cardinality(tree_set.parent_tree)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF pg_catalog.cardinality(tree_set.kinds) <> pg_catalog.cardinality(tree_set.identities)
       OR pg_catalog.cardinality(tree_set.kinds) <> pg_catalog.cardinality(tree_set.blobs)
       OR pg_catalog.array_position(tree_set.kinds, NULL) IS NOT NULL
       OR pg_catalog.array_position(tree_set.identities, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'tree_set: kinds, identities and blobs must be parallel arrays without NULL keys'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    RETURN pggit.tree_write(tree_set.parent_tree, tree_set.kinds, tree_set.identities, tree_set.blobs);
END
$function$;

REVOKE ALL ON FUNCTION pggit.tree_set(text[], text[], text[], text[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.tree_set(text[], text[], text[], text[]) IS
    'Internal: the commit tree after setting (or removing, blob NULL) entries of parent_tree; stores new nodes.';
