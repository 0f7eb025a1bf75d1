-- pggit.schema_at(ref text) -> TABLE(object_kind text, object_identity text, definition text, blob_hash text)
--
-- Promises: the tracked objects of the schema a ref names, one row per object: its
-- kind, identity, canonical definition (pggit.describe_object's text, as stored in
-- pggit.blobs) and that definition's sha256 (the blob hash), ordered by identity then
-- kind (UTF-8 byte order).
--   a commit (id, branch, tag: pggit.resolve_ref)  the commit's schema tree (its
--       bucket nodes in pggit.tree_nodes) with the blobs' text: exactly what
--       pggit.commit_tree lists, with definitions;
--   WORKING  the live registry: every pggit.objects row not dropped (if two live rows
--       share kind and identity, the newest), with its current definition and hash:
--       what a commit of every pending change would store.
-- Errors: those of pggit.resolve_ref (22004, 42704, 42P09, 55000), and
--   55000 object_not_in_prerequisite_state  'commit "<id>" has no tree: it was made
--         before level 2 (tracking) was installed'
-- VOLATILE (level 9: it settles the transaction's pending DDL first), SECURITY INVOKER, callable by everyone. Cost: O(objects in the schema).
CREATE OR REPLACE FUNCTION pggit.schema_at(ref text)
RETURNS TABLE(object_kind text, object_identity text, definition text, blob_hash text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_commit text := pggit.resolve_ref(schema_at.ref);
    v_tree text[];
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF v_commit IS NULL THEN
        RETURN QUERY
            SELECT l.kind, l.identity, l.definition, l.hash::text
              FROM (SELECT DISTINCT ON (o.kind, o.identity) o.kind, o.identity, o.definition, o.hash
                      FROM pggit.objects AS o
                     WHERE o.dropped_at IS NULL
                     ORDER BY o.kind, o.identity, o.id DESC) AS l
             ORDER BY pg_catalog.convert_to(l.identity, 'UTF8'), pg_catalog.convert_to(l.kind, 'UTF8');
        RETURN;
    END IF;
    v_tree := pggit.commit_buckets(v_commit);
    RETURN QUERY
        SELECT e.v ->> 0, e.v ->> 1, bl.definition, e.v ->> 2
          FROM pg_catalog.unnest(v_tree) AS t (hash)
          JOIN pggit.tree_nodes AS n ON n.hash = t.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
          LEFT JOIN pggit.blobs AS bl ON bl.hash = e.v ->> 2
         ORDER BY pg_catalog.convert_to(e.v ->> 1, 'UTF8'), pg_catalog.convert_to(e.v ->> 0, 'UTF8');
END
$function$;

COMMENT ON FUNCTION pggit.schema_at(text) IS
    'Tracked objects (kind, identity, canonical definition, blob hash) of a ref''s schema; WORKING = the live registry.';
