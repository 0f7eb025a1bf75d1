-- pggit.bind_oids() -> integer
--
-- Promises: when pggit.oids_current() is false (the database was restored from a
-- backup or upgraded since pggit last bound its OIDs, or pggit.instance is empty),
-- re-derives every OID pggit stores from what survives pg_dump / pg_restore and
-- pg_upgrade, then marks them current (pggit.instance), and returns the number of
-- registry rows it re-bound; when they are current, returns 0 at once.
--   * pggit.objects, live rows: objid from the row's kind and identity
--     (pggit.resolve_identity), partition_parent and the stored structure
--     re-described (pggit.describe_object) (a restore renumbers columns: attribute numbers of
--     dropped columns are gone). Definition, hash and version stay: re-binding is not a
--     change and writes no history. A live row whose object is not in the database
--     (a partial restore) is marked dropped with a 'drop' history row (command tag
--     'PGGIT REBIND', note saying so).
--   * pggit.object_indexes: rebuilt from pg_index for every live table and
--     materialized view.
--   * pggit.data_tables.relid (and data_branches.relid, ON UPDATE CASCADE): the table
--     whose trigger pggit_data_capture_update calls the row's capture function
--     (pggit_data.<capture_function>, a name pggit chose: names and triggers survive a
--     backup). A row whose table is not found keeps its relid and raises a WARNING.
-- Concurrent callers queue on pggit.instance (EXCLUSIVE lock); the second finds the
-- OIDs current and returns 0. Runs inside the caller's transaction: rolled back with it.
-- Called first by pggit's event triggers (through pggit.restoring: never during a
-- restore) and by the functions that read stored OIDs (data-branch functions,
-- delete_branch). Cost: nothing when current; else one describe per live object.
-- SECURITY DEFINER (pggit's bookkeeping only: it evaluates nothing a user wrote and
-- runs no DDL), pinned search_path. EXECUTE: PUBLIC (anyone may trigger a re-binding,
-- which only brings pggit's records in line with the catalog).
CREATE OR REPLACE FUNCTION pggit.bind_oids()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_class oid;
    v_count integer := 0;
    v_n integer;
    v_role text := CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END;
    r record;
    v_temp bigint := 4294967295;
    v_temps oid[] := '{}';
    v_news oid[] := '{}';
BEGIN
    IF pggit.oids_current() THEN
        RETURN 0;
    END IF;
    LOCK TABLE pggit.instance IN EXCLUSIVE MODE;
    IF pggit.oids_current() THEN
        RETURN 0;
    END IF;

    -- Registry, one catalog at a time: (old objid, 0) first, so that an OID moving from
    -- one row to another never meets the live-OID unique index twice; rows of class 0
    -- are skipped by pggit's triggers on pggit.objects.
    FOREACH v_class IN ARRAY ARRAY['pg_namespace'::regclass, 'pg_class'::regclass, 'pg_type'::regclass,
                                   'pg_proc'::regclass]::oid[] LOOP
        UPDATE pggit.objects AS o SET classid = 0
         WHERE o.classid = v_class AND o.dropped_at IS NULL;

        -- each row's object resolved once: found ones move to (new objid, class) ...
        UPDATE pggit.objects AS o
           SET classid = v_class, objid = x.objid, structure = coalesce(x.structure, o.structure),
               partition_parent = x.partition_parent
          FROM (SELECT o2.id, n.objid, d.structure, d.partition_parent
                  FROM pggit.objects AS o2
                 CROSS JOIN LATERAL (SELECT pggit.resolve_identity(o2.kind, o2.identity) AS objid) AS n
                  LEFT JOIN LATERAL pggit.describe_object(v_class, n.objid) AS d ON true
                 WHERE o2.classid = 0 AND o2.dropped_at IS NULL AND n.objid IS NOT NULL) AS x
         WHERE o.id = x.id;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_count := v_count + v_n;

        -- ... and those still at class 0 are not in the database: marked dropped
        WITH gone AS (
            UPDATE pggit.objects AS o SET classid = v_class, objid = NULL, partition_parent = NULL,
                                          dropped_at = clock_timestamp(), updated_at = clock_timestamp()
             WHERE o.classid = 0 AND o.dropped_at IS NULL
            RETURNING o.*
        )
        INSERT INTO pggit.history (object_id, object_kind, object_identity, command_tag, change, old_version,
                                   old_hash, role, branch, note)
        SELECT g.id, g.kind, g.identity, 'PGGIT REBIND', 'drop', g.major || '.' || g.minor || '.' || g.patch,
               g.hash, v_role, pggit.current_branch(),
               'not in the database when pggit re-bound its OIDs after a restore or upgrade'
          FROM gone AS g ORDER BY g.id;
    END LOOP;

    DELETE FROM pggit.object_indexes;
    INSERT INTO pggit.object_indexes (index_oid, object_id)
    SELECT x.indexrelid, o.id
      FROM pggit.objects AS o JOIN pg_index AS x ON x.indrelid = o.objid
     WHERE o.classid = 'pg_class'::regclass AND o.dropped_at IS NULL AND o.kind IN ('table', 'materialized view')
    ON CONFLICT (index_oid) DO NOTHING;

    -- Branched tables: found by their capture trigger's function. Two steps (through
    -- OIDs at the top of the range) for the same reason as above.
    FOR r IN SELECT t.relid, t.capture_function,
                    (SELECT g.tgrelid FROM pg_trigger AS g
                       JOIN pg_proc AS p ON p.oid = g.tgfoid
                       JOIN pg_namespace AS n ON n.oid = p.pronamespace
                      WHERE g.tgname = 'pggit_data_capture_update' AND n.nspname = 'pggit_data'
                        AND p.proname = t.capture_function) AS new_relid
               FROM pggit.data_tables AS t ORDER BY t.relid LOOP
        IF r.new_relid IS NULL THEN
            RAISE WARNING 'pggit: the table of data branches with capture function pggit_data.% was not found; its data branches are unusable',
                r.capture_function;
        ELSIF r.new_relid <> r.relid THEN
            UPDATE pggit.data_tables AS t SET relid = v_temp::oid WHERE t.relid = r.relid;
            v_temps := v_temps || v_temp::oid;
            v_news := v_news || r.new_relid;
            v_temp := v_temp - 1;
        END IF;
    END LOOP;
    UPDATE pggit.data_tables AS t SET relid = m.new_relid
      FROM unnest(v_temps, v_news) AS m(temp_relid, new_relid)
     WHERE t.relid = m.temp_relid;

    DELETE FROM pggit.instance;
    INSERT INTO pggit.instance (anchor, anchor_xmin)
    SELECT p.oid, p.xmin FROM pg_proc AS p WHERE p.oid = 'pggit.instance_anchor()'::regprocedure;
    RETURN v_count;
END
$function$;

COMMENT ON FUNCTION pggit.bind_oids() IS
    'Re-derives pggit''s stored OIDs from names after a restore or upgrade (no-op when current); returns the registry rows re-bound.';
