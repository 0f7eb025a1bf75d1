-- pggit.tree_write(parent_tree text[], kinds text[], identities text[], blobs text[]) -> text[]
--
-- Promises: the commit tree (256 bucket-node hashes, bucket 1 first, the format of
-- sql/functions/trees/tree_apply.sql) obtained from `parent_tree` by setting each
-- (kinds[i], identities[i]) to blobs[i], or removing it when blobs[i] is NULL, with
-- every node it needs stored in pggit.tree_nodes; a (kind, identity) given twice takes
-- its last value. Only the buckets these keys fall in are read and rewritten; the
-- others keep the parent's node hash. parent_tree NULL is the empty tree with all 256
-- buckets rebuilt (pggit.tree_apply's base from the live registry).
-- The one node-building step of pggit.tree_set and pggit.tree_apply, which check
-- their arguments first: the three arrays must be parallel without NULL keys, and a
-- non-NULL parent_tree 256 hashes.
-- New nodes are inserted in one statement in hash order (ON CONFLICT DO NOTHING), so
-- concurrent committers writing the same nodes wait for each other but never
-- deadlock on them.
-- Errors: 22023 when a touched bucket's parent node is missing from pggit.tree_nodes.
-- PL/pgSQL, VOLATILE (writes pggit.tree_nodes), SECURITY INVOKER with a pinned
-- search_path; EXECUTE revoked from PUBLIC: only pggit's own functions call it.
-- Cost: O(keys set + entries of the touched buckets).
CREATE OR REPLACE FUNCTION pggit.tree_write(parent_tree text[], kinds text[], identities text[], blobs text[])
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
    WITH parent AS (
        -- unnested once: subscripting a (toasted) array parameter per bucket costs far more
        SELECT p.hash, p.bucket::integer AS bucket
          FROM pg_catalog.unnest(tree_write.parent_tree) WITH ORDINALITY AS p (hash, bucket)
    ), setting AS (
        SELECT DISTINCT ON (s.kind, s.identity) s.kind, s.identity, s.blob
          FROM ROWS FROM (pg_catalog.unnest(tree_write.kinds), pg_catalog.unnest(tree_write.identities),
                          pg_catalog.unnest(tree_write.blobs))
               WITH ORDINALITY AS s (kind, identity, blob, n)
         ORDER BY s.kind, s.identity, s.n DESC
    ), touched AS (
        SELECT g.bucket
          FROM pg_catalog.generate_series(1, 256) AS g (bucket)
         WHERE tree_write.parent_tree IS NULL
        UNION
        SELECT pggit.tree_bucket(s.identity) FROM setting AS s WHERE tree_write.parent_tree IS NOT NULL
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
           -- a touched bucket whose parent node is missing would silently lose its entries
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

REVOKE ALL ON FUNCTION pggit.tree_write(text[], text[], text[], text[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.tree_write(text[], text[], text[], text[]) IS
    'Internal: the node building of tree_set and tree_apply: the tree after setting (blob NULL: removing) entries of parent_tree (NULL: empty, all buckets); stores new nodes.';
