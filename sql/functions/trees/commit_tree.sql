-- pggit.commit_tree(commit text) -> TABLE(object_kind text, object_identity text, blob_hash text)
--
-- Promises: the schema tree of a commit, one row per tracked object: its kind, its
-- identity and the hash of its canonical definition (the blob in pggit.blobs),
-- ordered by identity then kind (UTF-8 byte order, the order inside the bucket
-- nodes). `commit` is a commit's full Trinity ID. A commit whose schema was empty
-- gives zero rows.
-- Errors:
--   22004 null_value_not_allowed        commit is NULL: 'commit must not be NULL'
--   42704 undefined_object              'commit "<commit>" does not exist'
--   55000 object_not_in_prerequisite_state  'commit "<commit>" has no tree: it was
--                                       made before level 2 (tracking) was installed'
-- STABLE, SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: O(objects in the tree).
CREATE OR REPLACE FUNCTION pggit.commit_tree(commit text)
RETURNS TABLE(object_kind text, object_identity text, blob_hash text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_tree text[];
BEGIN
    IF commit_tree.commit IS NULL THEN
        RAISE EXCEPTION 'commit must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT t.buckets INTO v_tree
      FROM pggit.commits AS c
      LEFT JOIN pggit.trees AS t ON t.hash = c.schema_hash
     WHERE c.hash = commit_tree.commit;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'commit "%" does not exist', pggit.clip(commit_tree.commit)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_tree IS NULL THEN
        RAISE EXCEPTION 'commit "%" has no tree: it was made before level 2 (tracking) was installed',
                pggit.clip(commit_tree.commit)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN QUERY
        SELECT e.v ->> 0, e.v ->> 1, e.v ->> 2
          FROM pg_catalog.unnest(v_tree) WITH ORDINALITY AS t (hash, bucket)
          JOIN pggit.tree_nodes AS n ON n.hash = t.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
         ORDER BY pg_catalog.convert_to(e.v ->> 1, 'UTF8'), pg_catalog.convert_to(e.v ->> 0, 'UTF8');
END
$function$;

COMMENT ON FUNCTION pggit.commit_tree(text) IS
    'The schema tree of a commit: (object_kind, object_identity, blob_hash) per tracked object, by identity.';
