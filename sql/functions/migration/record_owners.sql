-- pggit.record_owners() -> event_trigger
--
-- Promises: the ddl_command_end event trigger pggit_record_owners (level 5; WHEN TAG IN
-- GRANT, REVOKE and the ALTER tags of the kinds generate_migration creates). The
-- owner and privileges generate_migration gives a re-created object back must be the
-- ones it had: tracking writes no registry update for a statement that changes no
-- definition (ALTER .. OWNER TO, GRANT, REVOKE), so objects_record_details does not
-- see them. This stores pggit.owner_details again (the key "own" of
-- pggit.object_details under the object's current (identity, hash), other keys kept)
-- for every live tracked object whose owner or privileges now differ from what is
-- recorded: for an ALTER, the objects the command names (by OID, this transaction);
-- for GRANT / REVOKE (whose objects the event trigger does not name), every live
-- tracked object of the kinds the command names. Runs after pggit_ddl_command_end
-- (event triggers fire in name order), so the registry row is current.
-- SECURITY DEFINER with a pinned search_path: it only reads pg_catalog and pggit's
-- registry and writes pggit.object_details (pggit's bookkeeping); it evaluates nothing
-- a user wrote. EXECUTE: nobody (only the event trigger calls it).
-- Cost: an ALTER: one registry probe, one owner_details and one object_details probe
-- per object it names, a write only when the owner or privileges changed; a GRANT /
-- REVOKE: one owner_details per live tracked object of its kinds (a few ms per
-- thousand objects).
CREATE OR REPLACE FUNCTION pggit.record_owners()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_kinds text[];
    v_oids oid[];
    r record;
    v_own jsonb;
BEGIN
    FOR r IN SELECT c.command_tag, lower(c.object_type) AS object_type, c.objid
               FROM pg_event_trigger_ddl_commands() AS c LOOP
        IF r.command_tag IN ('GRANT', 'REVOKE') THEN
            v_kinds := v_kinds || CASE r.object_type
                                      WHEN 'table' THEN ARRAY['table', 'view', 'materialized view', 'sequence']
                                      WHEN 'sequence' THEN ARRAY['sequence']
                                      WHEN 'function' THEN ARRAY['function', 'procedure']
                                      WHEN 'procedure' THEN ARRAY['function', 'procedure']
                                      WHEN 'routine' THEN ARRAY['function', 'procedure']
                                      WHEN 'type' THEN ARRAY['type', 'domain']
                                      WHEN 'domain' THEN ARRAY['type', 'domain']
                                      WHEN 'schema' THEN ARRAY['schema']
                                      ELSE '{}'::text[] END;
        ELSIF r.objid IS NOT NULL AND r.objid <> 0 THEN
            v_oids := v_oids || r.objid;
        END IF;
    END LOOP;
    IF v_oids IS NOT NULL THEN
        -- an ALTER: the objects it names (the live registry's (objid, classid) index); a
        -- write only when the owner or the privileges changed
        FOR r IN SELECT DISTINCT ON (o.identity, o.hash) o.identity, o.hash, o.classid, o.objid
                   FROM pggit.objects AS o
                  WHERE o.objid = ANY (v_oids) AND o.dropped_at IS NULL
                    AND o.kind IN ('table', 'view', 'materialized view', 'sequence', 'function', 'procedure', 'type',
                                   'domain', 'schema')
                  ORDER BY o.identity, o.hash, o.id DESC LOOP
            v_own := pggit.owner_details(r.classid, r.objid);
            IF v_own IS NOT NULL
               AND v_own IS DISTINCT FROM (SELECT d.details -> 'own' FROM pggit.object_details AS d
                                            WHERE d.identity = r.identity AND d.blob_hash = r.hash) THEN
                INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
                VALUES (r.identity, r.hash, jsonb_build_object('own', v_own))
                ON CONFLICT (identity, blob_hash) DO UPDATE SET details = od.details || EXCLUDED.details,
                                                                recorded_at = DEFAULT;
            END IF;
        END LOOP;
    END IF;
    IF cardinality(v_kinds) > 0 THEN
        -- GRANT / REVOKE: every live object of the kinds it names
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        SELECT DISTINCT ON (o.identity, o.hash) o.identity, o.hash, jsonb_build_object('own', w.own)
          FROM pggit.objects AS o
         CROSS JOIN LATERAL (SELECT pggit.owner_details(o.classid, o.objid) AS own OFFSET 0) AS w
          LEFT JOIN pggit.object_details AS d ON d.identity = o.identity AND d.blob_hash = o.hash
         WHERE o.kind = ANY (v_kinds) AND o.dropped_at IS NULL AND o.objid IS NOT NULL
           AND w.own IS NOT NULL
           AND (d.details -> 'own') IS DISTINCT FROM w.own
         ORDER BY o.identity, o.hash, o.id DESC
        ON CONFLICT (identity, blob_hash) DO UPDATE SET details = od.details || EXCLUDED.details,
                                                        recorded_at = DEFAULT;
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION pggit.record_owners() FROM PUBLIC;

COMMENT ON FUNCTION pggit.record_owners() IS
    'Event trigger on GRANT / REVOKE / ALTER: records the owner and privileges of tracked objects again (object_details, key own).';
