-- pggit.log_object_details() -> trigger
--
-- Promises: the BEFORE UPDATE trigger object_details_log of pggit.object_details
-- (level 7) keeps the details a row held before they are replaced under the same
-- (identity, blob hash) — a constraint or an index renamed without any other change
-- of its table, a new owner or grant — in pggit.object_details_log, with the time
-- they were recorded (valid_from) and the time they stopped being current
-- (valid_until). pggit.details_at reads them, so that the script between two commits
-- uses the names each commit had. Rows whose details do not change log nothing.
-- Runs with the rights of whoever updates pggit.object_details (pggit's own tracking
-- functions); search_path pinned. Cost: one insert per replaced details row.
CREATE OR REPLACE FUNCTION pggit.log_object_details()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF OLD.details IS DISTINCT FROM NEW.details THEN
        INSERT INTO pggit.object_details_log (identity, blob_hash, details, valid_from, valid_until)
        VALUES (OLD.identity, OLD.blob_hash, OLD.details, OLD.recorded_at,
                greatest(clock_timestamp(), OLD.recorded_at))
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END
$function$;

COMMENT ON FUNCTION pggit.log_object_details() IS
    'Trigger of pggit.object_details: keeps the details a row held before they are replaced in pggit.object_details_log.';
