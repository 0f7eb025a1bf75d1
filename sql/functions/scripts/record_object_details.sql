-- pggit.record_object_details() -> trigger
--
-- Promises: the AFTER INSERT OR UPDATE trigger objects_record_details of
-- pggit.objects (level 4) stores, for every live table row, pggit.table_details of
-- the table under the row's (identity, hash) in pggit.object_details, replacing what
-- was stored under that key (a constraint or index renamed without any other change
-- keeps the blob and takes the new names). Tree hashes do not change: the details
-- live beside the trees, not in them. Rows of other kinds and dropped rows are left
-- alone.
-- Owners (level 5): the details of a table carry the key "own" (pggit.owner_details:
-- owner and privileges by role name); for a live view, materialized view, sequence,
-- function, procedure, type, domain or schema row the trigger stores {"own": ...}
-- under its (identity, hash), keeping the other keys (view dependencies, domain
-- constraints). Privileges changed by GRANT / REVOKE alone (which tracking does not
-- record) are recorded at the object's next tracked statement.
-- Column changes: on an UPDATE whose stored structure ("c": [attnum, name, ...]) adds,
-- drops or renames columns (matched by attribute number, never reused within a
-- table), one pggit.column_changes row per such column under the pggit.history row
-- the same statement wrote (same xmin and cmin as the registry row: track_object
-- writes both in one statement). An update without such a history row records none.
-- Cost: one pggit.table_details (or owner_details) and one upsert per tracked statement; the
-- column comparison only when the columns' part of the structure changed, the
-- history lookup (index scans: the object's rows or the branch's pending rows) only
-- when a column was added, dropped or renamed.
CREATE OR REPLACE FUNCTION pggit.record_object_details()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_details jsonb;
    v_changes jsonb;
    v_history bigint;
    v_own jsonb;
BEGIN
    IF NEW.objid IS NULL THEN
        RETURN NULL;
    END IF;
    -- pggit.bind_oids re-binding OIDs (class 0 is its intermediate step): not a new
    -- state of the object, its details are stored already; a restore's replayed rows
    -- likewise (their details are restored with them).
    IF NEW.classid = 0 OR (TG_OP = 'UPDATE' AND OLD.classid = 0) OR pggit.restoring() THEN
        RETURN NULL;
    END IF;
    IF NEW.kind <> 'table' THEN
        -- every other kind generate_migration may create: its owner and privileges
        IF NEW.kind IN ('view', 'materialized view', 'sequence', 'function', 'procedure', 'type', 'domain',
                        'schema') THEN
            v_own := pggit.owner_details(NEW.classid, NEW.objid);
            IF v_own IS NOT NULL THEN
                INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
                VALUES (NEW.identity, NEW.hash, jsonb_build_object('own', v_own))
                ON CONFLICT (identity, blob_hash) DO UPDATE SET details = od.details || EXCLUDED.details,
                                                                recorded_at = DEFAULT
                 WHERE od.details -> 'own' IS DISTINCT FROM EXCLUDED.details -> 'own';
            END IF;
        END IF;
        RETURN NULL;
    END IF;
    v_details := pggit.table_details(NEW.objid) || jsonb_build_object('own', pggit.owner_details(NEW.classid, NEW.objid));
    IF v_details IS NOT NULL THEN
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        VALUES (NEW.identity, NEW.hash, v_details)
        ON CONFLICT (identity, blob_hash) DO UPDATE SET details = EXCLUDED.details, recorded_at = DEFAULT
         WHERE od.details IS DISTINCT FROM EXCLUDED.details;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.kind = 'table'
       AND (OLD.structure -> 'c')::text IS DISTINCT FROM (NEW.structure -> 'c')::text THEN
        SELECT jsonb_agg(jsonb_build_array(coalesce(oc.n, nc.n), oc.name, nc.name))
          INTO v_changes
          FROM (SELECT (e ->> 0)::smallint AS n, e ->> 1 AS name
                  FROM json_array_elements(OLD.structure -> 'c') AS e) AS oc
          FULL JOIN (SELECT (e ->> 0)::smallint AS n, e ->> 1 AS name
                       FROM json_array_elements(NEW.structure -> 'c') AS e) AS nc ON nc.n = oc.n
         WHERE oc.name IS DISTINCT FROM nc.name;
        IF v_changes IS NOT NULL THEN
            SELECT h.id INTO v_history
              FROM pggit.objects AS o
              JOIN pggit.history AS h ON h.object_id = o.id AND h.xmin = o.xmin AND h.cmin = o.cmin
             WHERE o.id = NEW.id
               -- (true of the row just written: lets the pending rows' index serve too)
               AND h.commit_hash IS NULL AND h.branch = pggit.current_branch()
             ORDER BY h.id DESC
             LIMIT 1;
            IF v_history IS NOT NULL THEN
                INSERT INTO pggit.column_changes (history_id, attnum, old_name, new_name)
                SELECT v_history, (c.v ->> 0)::smallint, c.v ->> 1, c.v ->> 2
                  FROM jsonb_array_elements(v_changes) AS c (v)
                    ON CONFLICT (history_id, attnum) DO NOTHING;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.record_object_details() IS
    'Trigger of pggit.objects: stores pggit.table_details of a live table under (identity, blob hash) in pggit.object_details, and its column changes in pggit.column_changes.';
