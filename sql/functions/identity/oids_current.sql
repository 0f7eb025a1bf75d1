-- pggit.oids_current() -> boolean
--
-- Promises: true when the OIDs pggit stores (pggit.objects.objid and
-- partition_parent, pggit.object_indexes.index_oid, pggit.data_tables.relid and
-- pggit.data_branches.relid) were bound to this very database: pggit.instance holds
-- one row whose system_identifier is this cluster's (pg_control_system()) and whose
-- anchor is the OID pggit.instance_anchor() has now. False after any pg_dump /
-- pg_restore (into a fresh cluster: another system identifier; into the same
-- cluster: a new OID for the anchor function), after pg_upgrade (functions get new
-- OIDs), and while pggit.instance is empty (a schema-only restore). CREATE DATABASE
-- ... TEMPLATE copies OIDs exactly: the copy stays current. Never raises.
-- Cost: one index lookup and one read of pg_control (about 15 us).
-- SECURITY DEFINER (pg_control_system may be revoked from PUBLIC; pggit's owner
-- reads it the same way every time), pinned search_path; reads only. EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.oids_current()
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
SELECT EXISTS (SELECT 1
                 FROM pggit.instance AS i
                WHERE i.anchor OPERATOR(pg_catalog.=) 'pggit.instance_anchor()'::pg_catalog.regprocedure::pg_catalog.oid
                  AND i.system_identifier OPERATOR(pg_catalog.=)
                      (SELECT s.system_identifier FROM pg_catalog.pg_control_system() AS s))
$function$;

COMMENT ON FUNCTION pggit.oids_current() IS
    'True when pggit''s stored OIDs were bound to this database (not restored or upgraded since).';
