-- pggit.record_view_dependencies() -> trigger
--
-- Promises: the AFTER INSERT OR UPDATE trigger objects_record_view_dependencies of
-- pggit.objects (level 4, rows of kind view or materialized view with an objid) stores
-- pggit.view_dependencies of the view as the key "deps" of pggit.object_details under
-- the row's (identity, hash), keeping any other key stored there (the same key again
-- replaces "deps"). Every tracked view state thus carries the columns it used when it
-- was live, which pggit.merge_three_way's dependency check reads: the other side's view
-- is not live at merge time. Tree and blob hashes do not change.
-- Cost: one pggit.view_dependencies and one upsert per tracked view statement.
CREATE OR REPLACE FUNCTION pggit.record_view_dependencies()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_deps jsonb;
BEGIN
    IF NEW.kind NOT IN ('view', 'materialized view') OR NEW.objid IS NULL THEN
        RETURN NULL;
    END IF;
    -- pggit.bind_oids re-binding OIDs (class 0 is its intermediate step): not a new
    -- state of the object, its details are stored already; a restore's replayed rows
    -- likewise (their details are restored with them).
    IF NEW.classid = 0 OR (TG_OP = 'UPDATE' AND OLD.classid = 0) OR pggit.restoring() THEN
        RETURN NULL;
    END IF;
    v_deps := pggit.view_dependencies(NEW.objid);
    IF v_deps IS NOT NULL THEN
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        VALUES (NEW.identity, NEW.hash, pg_catalog.jsonb_build_object('deps', v_deps))
        ON CONFLICT (identity, blob_hash) DO UPDATE
           SET details = od.details || EXCLUDED.details, recorded_at = DEFAULT
         WHERE od.details -> 'deps' IS DISTINCT FROM EXCLUDED.details -> 'deps';
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.record_view_dependencies() IS
    'Trigger of pggit.objects: stores pggit.view_dependencies of a live view as "deps" in pggit.object_details.';
