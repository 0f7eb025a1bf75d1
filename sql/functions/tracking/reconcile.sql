-- pggit.reconcile(command_tag text) -> integer
--
-- Promises: brings the whole registry in line with the catalog and returns the
-- number of objects whose registry row changed:
--   * every live registry row is re-described (pggit.track_object, mode
--     'reconcile'): objects changed since they were last tracked get their version
--     bump and history row, objects gone or no longer trackable are marked dropped;
--   * every trackable object of the database that is not registered yet (schemas,
--     tables, views, materialized views, sequences, types, domains, functions and
--     procedures outside pggit's own, temporary and system schemas, extension members
--     left out; see pggit.describe_object) is registered at 1.0.0 with a 'register'
--     history row;
-- all history rows carry `command_tag` and the session's branch. Level 2's install
-- runs it as pggit.reconcile('PGGIT REGISTER') (on branch main) so that the next
-- commit on main holds the whole schema; pggit.resume_tracking() runs it as
-- 'PGGIT RESUME' to catch up with what happened while tracking was paused.
-- After a restore or upgrade it re-binds pggit's stored OIDs first (pggit.bind_oids).
-- Cost: one describe per object of the database (about 0.1-0.5 ms each).
-- Errors: none of its own. Internal; EXECUTE is not granted to PUBLIC.
CREATE OR REPLACE FUNCTION pggit.reconcile(command_tag text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    r record;
    res record;
    changed integer := 0;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending).
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    PERFORM pggit.bind_oids();  -- after a restore or upgrade: stored OIDs by name first
    FOR r IN
        SELECT o.classid, o.objid FROM pggit.objects AS o WHERE o.dropped_at IS NULL ORDER BY o.id
    LOOP
        SELECT x.* INTO res FROM pggit.track_object(r.classid, r.objid, command_tag, NULL, 'reconcile') AS x;
        IF res.change IS NOT NULL THEN
            changed := changed + 1;
        END IF;
    END LOOP;

    FOR r IN
        SELECT c.classid, c.objid
          FROM (SELECT 1 AS rank, 'pg_namespace'::regclass::oid AS classid, n.oid AS objid,
                       n.nspname AS schema_name, n.nspname AS name
                  FROM pg_namespace AS n
                 WHERE pggit.is_tracked_schema(n.nspname)
                UNION ALL
                SELECT 2, 'pg_type'::regclass, t.oid, n.nspname, t.typname
                  FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
                 WHERE pggit.is_tracked_schema(n.nspname)
                   AND (t.typtype IN ('e', 'r', 'd')
                        OR (t.typtype = 'c' AND EXISTS (SELECT FROM pg_class AS k
                                                         WHERE k.oid = t.typrelid AND k.relkind = 'c')))
                UNION ALL
                SELECT 3, 'pg_class'::regclass, k.oid, n.nspname, k.relname
                  FROM pg_class AS k JOIN pg_namespace AS n ON n.oid = k.relnamespace
                 WHERE pggit.is_tracked_schema(n.nspname) AND k.relkind IN ('S', 'r', 'p', 'f', 'v', 'm')
                UNION ALL
                SELECT 4, 'pg_proc'::regclass, p.oid, n.nspname, p.proname
                  FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                 WHERE pggit.is_tracked_schema(n.nspname) AND p.prokind IN ('f', 'p', 'w')) AS c
         WHERE NOT EXISTS (SELECT FROM pggit.objects AS o
                            WHERE o.objid = c.objid AND o.classid = c.classid AND o.dropped_at IS NULL)
         ORDER BY c.rank, c.schema_name COLLATE "C", c.name COLLATE "C", c.objid
    LOOP
        SELECT x.* INTO res FROM pggit.track_object(r.classid, r.objid, command_tag, NULL, 'reconcile') AS x;
        IF res.change IS NOT NULL THEN
            changed := changed + 1;
        END IF;
    END LOOP;
    RETURN changed;
END
$function$;

REVOKE ALL ON FUNCTION pggit.reconcile(text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.reconcile(text) IS
    'Internal: re-describes every registered object and registers every unregistered trackable one.';
