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
-- is missing.
-- VOLATILE (writes pggit.tree_nodes); no EXECUTE for PUBLIC.
-- Cost: O(keys set + entries of the touched buckets).
CREATE OR REPLACE FUNCTION pggit.tree_set(parent_tree text[], kinds text[], identities text[], blobs text[])
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_tree text[];
    v_missing integer;
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

    WITH parent AS (
        SELECT p.hash, p.bucket::integer AS bucket
          FROM pg_catalog.unnest(tree_set.parent_tree) WITH ORDINALITY AS p (hash, bucket)
    ), setting AS (
        SELECT DISTINCT ON (s.kind, s.identity) s.kind, s.identity, s.blob
          FROM ROWS FROM (pg_catalog.unnest(tree_set.kinds), pg_catalog.unnest(tree_set.identities),
                          pg_catalog.unnest(tree_set.blobs))
               WITH ORDINALITY AS s (kind, identity, blob, n)
         ORDER BY s.kind, s.identity, s.n DESC
    ), touched AS (
        SELECT DISTINCT pggit.tree_bucket(s.identity) AS bucket FROM setting AS s
    ), base AS (
        SELECT t.bucket, e.v ->> 0 AS kind, e.v ->> 1 AS identity, e.v ->> 2 AS blob
          FROM touched AS t
          JOIN parent AS p ON p.bucket = t.bucket
          JOIN pggit.tree_nodes AS n ON n.hash = p.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
    ), entries AS (
        SELECT b.bucket, b.kind, b.identity, b.blob
          FROM base AS b
         WHERE NOT EXISTS (SELECT FROM setting AS s WHERE s.kind = b.kind AND s.identity = b.identity)
        UNION ALL
        SELECT pggit.tree_bucket(s.identity), s.kind, s.identity, s.blob
          FROM setting AS s
         WHERE s.blob IS NOT NULL
    ), nodes AS (
        SELECT t.bucket,
               pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(coalesce(
                   pg_catalog.string_agg(pggit.tree_entry_line(e.kind, e.identity, e.blob), ''
                       ORDER BY pg_catalog.convert_to(e.identity, 'UTF8'), pg_catalog.convert_to(e.kind, 'UTF8')),
                   ''), 'UTF8')), 'hex') AS hash,
               coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(e.kind, e.identity, e.blob)
                       ORDER BY pg_catalog.convert_to(e.identity, 'UTF8'), pg_catalog.convert_to(e.kind, 'UTF8'))
                   FILTER (WHERE e.kind IS NOT NULL), '[]'::jsonb) AS entries
          FROM touched AS t
          LEFT JOIN entries AS e ON e.bucket = t.bucket
         GROUP BY t.bucket
    ), stored AS (
        INSERT INTO pggit.tree_nodes AS tn (hash, entries)
        SELECT DISTINCT ON (n.hash) n.hash, n.entries
          FROM nodes AS n
         ORDER BY n.hash
        ON CONFLICT (hash) DO NOTHING
    )
    SELECT pg_catalog.array_agg(coalesce(n.hash, p.hash) ORDER BY g.bucket),
           (SELECT pg_catalog.count(*)::integer
              FROM touched AS t
              JOIN parent AS tp ON tp.bucket = t.bucket
             WHERE NOT EXISTS (SELECT FROM pggit.tree_nodes AS tn WHERE tn.hash = tp.hash))
      INTO v_tree, v_missing
      FROM pg_catalog.generate_series(1, 256) AS g (bucket)
      LEFT JOIN parent AS p ON p.bucket = g.bucket
      LEFT JOIN nodes AS n ON n.bucket = g.bucket;

    IF v_missing > 0 THEN
        RAISE EXCEPTION 'invalid commit tree: % bucket node(s) missing from pggit.tree_nodes', v_missing
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v_tree;
END
$function$;

REVOKE ALL ON FUNCTION pggit.tree_set(text[], text[], text[], text[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.tree_set(text[], text[], text[], text[]) IS
    'Internal: the commit tree after setting (or removing, blob NULL) entries of parent_tree; stores new nodes.';
