-- pggit.record_object_details() -> trigger
--
-- Promises: the AFTER INSERT OR UPDATE trigger objects_record_details of
-- pggit.objects (level 4) stores, for every live table row, pggit.table_details of
-- the table under the row's (identity, hash) in pggit.object_details, replacing what
-- was stored under that key (a constraint or index renamed without any other change
-- keeps the blob and takes the new names). Tree hashes do not change: the details
-- live beside the trees, not in them. Rows of other kinds and dropped rows are left
-- alone. Cost: one pggit.table_details and one upsert per tracked table statement.
CREATE OR REPLACE FUNCTION pggit.record_object_details()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_details jsonb;
BEGIN
    IF NEW.kind <> 'table' OR NEW.objid IS NULL THEN
        RETURN NULL;
    END IF;
    v_details := pggit.table_details(NEW.objid);
    IF v_details IS NOT NULL THEN
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        VALUES (NEW.identity, NEW.hash, v_details)
        ON CONFLICT (identity, blob_hash) DO UPDATE SET details = EXCLUDED.details, recorded_at = DEFAULT
         WHERE od.details IS DISTINCT FROM EXCLUDED.details;
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.record_object_details() IS
    'Trigger of pggit.objects: stores pggit.table_details of a live table under (identity, blob hash) in pggit.object_details.';
