-- pggit.table_state(ref text, identity text) -> (definition text, details jsonb)
--
-- Promises: the canonical definition (pggit.describe_table) and the recorded details
-- (pggit.table_details, as pggit.object_details keeps them under the state's identity
-- and blob hash) of the table `identity` (schema-qualified, quoted as
-- pg_identify_object quotes) at `ref` (as pggit.resolve_ref takes it; WORKING: the
-- live catalog). Two NULLs when there is no such table at `ref`; details NULL when
-- none are recorded (a state committed before level 4). What pggit.generate_migration
-- reads about the parent of a partition. Errors: pggit.schema_at's. VOLATILE from level 9 (it settles the calling
-- transaction's pending DDL first), callable
-- by everyone. Cost: one bucket of the commit's tree (pggit.tree_bucket), or
-- pggit.describe_table for WORKING.
CREATE OR REPLACE FUNCTION pggit.table_state(ref text, identity text, OUT definition text, OUT details jsonb)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_blob text;
    v_commit text;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF ref IS NULL OR identity IS NULL THEN
        RETURN;
    END IF;
    v_commit := pggit.resolve_ref(ref);
    IF v_commit IS NULL THEN
        definition := (pggit.describe_table(to_regclass(identity))).definition;
        details := CASE WHEN definition IS NOT NULL THEN pggit.table_details(to_regclass(identity)) END;
        RETURN;
    END IF;
    -- the identity's entry in its bucket of the commit's tree (what pggit.schema_at lists)
    SELECT bl.definition, e.v ->> 2 INTO definition, v_blob
      FROM pggit.tree_nodes AS n
     CROSS JOIN LATERAL jsonb_array_elements(n.entries) AS e (v)
      JOIN pggit.blobs AS bl ON bl.hash = e.v ->> 2
     WHERE n.hash = (pggit.commit_buckets(v_commit))[pggit.tree_bucket(table_state.identity)]
       AND e.v ->> 0 = 'table' AND e.v ->> 1 = table_state.identity;
    IF definition IS NOT NULL THEN
        SELECT od.details INTO details
          FROM pggit.object_details AS od
         WHERE od.identity = table_state.identity
           AND od.blob_hash = encode(sha256(convert_to(definition, 'UTF8')), 'hex');
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.table_state(text, text) IS
    'Canonical definition and recorded details of a table at a ref (NULLs when it has none).';
