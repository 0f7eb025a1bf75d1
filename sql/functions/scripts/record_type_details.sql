-- pggit.record_type_details() -> trigger
--
-- Promises: the AFTER INSERT OR UPDATE trigger objects_record_type_details of
-- pggit.objects (level 4) stores, for every live domain row, pggit.type_details of
-- the domain under the row's (identity, hash) in pggit.object_details, replacing the
-- constraints stored under that key (a constraint renamed without any other change
-- keeps the blob and takes the new names) and keeping its other keys (level 5: "own",
-- the owner and privileges record_object_details stores). Tree hashes do not change. Rows of other kinds and
-- dropped rows are left alone (the trigger's WHEN clause only lets live domains in).
-- Cost: one pggit.type_details and one upsert per tracked domain statement; nothing
-- for other objects.
CREATE OR REPLACE FUNCTION pggit.record_type_details()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_details jsonb;
BEGIN
    IF NEW.kind <> 'domain' OR NEW.objid IS NULL THEN
        RETURN NULL;
    END IF;
    -- pggit.bind_oids re-binding OIDs (class 0 is its intermediate step): not a new
    -- state of the object, its details are stored already; a restore's replayed rows
    -- likewise (their details are restored with them).
    IF NEW.classid = 0 OR (TG_OP = 'UPDATE' AND OLD.classid = 0) OR pggit.restoring() THEN
        RETURN NULL;
    END IF;
    v_details := pggit.type_details(NEW.objid);
    IF v_details IS NOT NULL THEN
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        VALUES (NEW.identity, NEW.hash, v_details)
        ON CONFLICT (identity, blob_hash) DO UPDATE SET details = od.details || EXCLUDED.details, recorded_at = DEFAULT
         WHERE od.details -> 'cons' IS DISTINCT FROM EXCLUDED.details -> 'cons';
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.record_type_details() IS
    'Trigger of pggit.objects: stores pggit.type_details of a live domain under (identity, blob hash) in pggit.object_details.';
