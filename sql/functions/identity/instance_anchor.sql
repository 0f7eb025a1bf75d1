-- pggit.instance_anchor() -> text
--
-- Promises: returns 'pggit instance anchor' and nothing else. It exists for its OID:
-- pggit.instance stores the OID this function had, and the transaction that wrote its
-- pg_proc row, when pggit last bound its stored OIDs to the database (pggit.bind_oids).
-- pg_dump/pg_restore and pg_upgrade re-create functions, in another transaction and
-- under new OIDs (pg_upgrade sets the new cluster's OID counter past every OID the old
-- one used; a restore into the same cluster draws new ones from the counter), so a
-- difference here means every OID pggit stored may now name another object or none. Never dropped or re-created by a later level (that would
-- only cost one re-binding). IMMUTABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.instance_anchor()
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT 'pggit instance anchor'::pg_catalog.text
$function$;

COMMENT ON FUNCTION pggit.instance_anchor() IS
    'Its OID marks the database pggit''s stored OIDs belong to (see pggit.instance, pggit.bind_oids).';
