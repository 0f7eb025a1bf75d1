-- pggit.oids_current() -> boolean
--
-- Promises: true when the OIDs pggit stores (pggit.objects.objid and
-- partition_parent, pggit.object_indexes.index_oid, pggit.data_tables.relid and
-- pggit.data_branches.relid) were bound to this very database: pggit.instance holds
-- one row naming the OID pggit.instance_anchor() has now and the transaction that
-- wrote its pg_proc row (xmin). False after any pg_dump / pg_restore (the restore
-- re-creates the function: a new OID from the counter and a new xmin; into a fresh
-- cluster the OID may repeat, the creating transaction does not), after pg_upgrade
-- (every function is re-created, past the old cluster's OID counter), and while
-- pggit.instance is empty (a schema-only restore). CREATE DATABASE ... TEMPLATE copies
-- OIDs and rows exactly: the copy stays current. Changing the anchor function itself
-- (ALTER, GRANT on it) only costs one needless re-binding. Never raises.
-- Level 9: PL/pgSQL (its plan is cached for the session): as a SQL function holding a
-- sub-select it was never inlined and was planned again on every call (about 0.1 ms,
-- several times per DDL statement). No SET or STRICT, every name and operator qualified:
-- one index probe of pg_proc and one of a one-row table.
-- EXECUTE: PUBLIC (pggit.instance and pg_proc are readable by every role).
CREATE OR REPLACE FUNCTION pggit.oids_current()
RETURNS boolean
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
AS $function$
BEGIN
    RETURN EXISTS (SELECT 1
                     FROM pggit.instance AS i
                     JOIN pg_catalog.pg_proc AS p
                       ON p.oid OPERATOR(pg_catalog.=) i.anchor AND p.xmin OPERATOR(pg_catalog.=) i.anchor_xmin
                    WHERE p.oid OPERATOR(pg_catalog.=) 'pggit.instance_anchor()'::pg_catalog.regprocedure::pg_catalog.oid);
END
$function$;

COMMENT ON FUNCTION pggit.oids_current() IS
    'True when pggit''s stored OIDs were bound to this database (not restored or upgraded since).';
