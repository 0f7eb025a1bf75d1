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
-- tracked object of the kinds the command names whose catalog row this transaction
-- wrote. Runs after pggit_ddl_command_end
-- (event triggers fire in name order), so the registry row is current.
-- SECURITY DEFINER with a pinned search_path: it only reads pg_catalog and pggit's
-- registry and writes pggit.object_details (pggit's bookkeeping); it evaluates nothing
-- a user wrote. EXECUTE: nobody (only the event trigger calls it).
-- Cost: an ALTER: one registry probe, one owner_details and one object_details probe
-- per object it names, a write only when the owner or privileges changed; a GRANT /
-- REVOKE: a scan of the user rows of the catalogs of its kinds for rows this
-- transaction wrote, then one owner_details per such object (instead of one per
-- live tracked object of its kinds: 50-80 ms per GRANT with 2,000
-- tables).
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
    v_xact bigint;
BEGIN
    IF NOT pggit.ready_to_record() THEN
        RETURN;  -- a backup being restored (its GRANTs are not changes)
    END IF;
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
        -- GRANT / REVOKE (whose objects the event trigger does not name): the live objects of
        -- the kinds it names whose catalog row this transaction wrote (a GRANT rewrites the
        -- row's ACL, so its xmin is this transaction's or one of its subtransactions'; rows of
        -- other transactions still in progress are invisible here). The 32-bit xmin is
        -- widened to 64 bits around this transaction's xid to ask pg_xact_status. Only user
        -- objects (OID >= 16384) are asked, the older rows skipped by age(xmin): the cost
        -- follows the rows this transaction wrote, not the database's size.
        v_xact := pg_catalog.pg_current_xact_id()::text::bigint;
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        SELECT DISTINCT ON (o.identity, o.hash) o.identity, o.hash, jsonb_build_object('own', w.own)
          FROM (SELECT 'pg_catalog.pg_class'::regclass AS classid, c.oid AS objid, c.xmin AS xmin
                  FROM pg_catalog.pg_class AS c
                 WHERE c.oid >= 16384 AND v_kinds && ARRAY['table', 'view', 'materialized view', 'sequence']
                UNION ALL
                SELECT 'pg_catalog.pg_proc'::regclass, p.oid, p.xmin FROM pg_catalog.pg_proc AS p
                 WHERE p.oid >= 16384 AND v_kinds && ARRAY['function', 'procedure']
                UNION ALL
                SELECT 'pg_catalog.pg_type'::regclass, y.oid, y.xmin FROM pg_catalog.pg_type AS y
                 WHERE y.oid >= 16384 AND y.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
                   AND v_kinds && ARRAY['type', 'domain']
                UNION ALL
                SELECT 'pg_catalog.pg_namespace'::regclass, n.oid, n.xmin FROM pg_catalog.pg_namespace AS n
                 WHERE n.oid >= 16384 AND v_kinds && ARRAY['schema']) AS ch
         -- the 32-bit xmin widened around this transaction's xid (subtransactions' xids come after it)
         CROSS JOIN LATERAL (SELECT v_xact + ((((ch.xmin::text::bigint - v_xact % 4294967296) % 4294967296
                                               + 4294967296 + 2147483648) % 4294967296) - 2147483648) AS full_xid) AS x
          JOIN pggit.objects AS o ON o.objid = ch.objid AND o.classid = ch.classid
         CROSS JOIN LATERAL (SELECT pggit.owner_details(o.classid, o.objid) AS own OFFSET 0) AS w
          LEFT JOIN pggit.object_details AS d ON d.identity = o.identity AND d.blob_hash = o.hash
         WHERE CASE WHEN pg_catalog.age(ch.xmin) > 0 THEN false  -- older than this transaction: cheap
                    ELSE pg_catalog.pg_xact_status(x.full_xid::text::xid8) = 'in progress' END
           AND o.kind = ANY (v_kinds) AND o.dropped_at IS NULL
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
