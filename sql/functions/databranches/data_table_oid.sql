-- pggit.data_table_oid("table" text) -> oid
--
-- Promises: the OID of the relation `table` names, resolved the way PostgreSQL resolves
-- a relation name (the caller's search_path, quoting, case folding; through
-- pggit.resolve_object, which never raises for malformed text). The public data-branch
-- functions (create_data_branch, diff_data_branch, merge_data_branch,
-- drop_data_branch) resolve their first argument with it; whether the relation is a
-- table they may branch is theirs to check. First (level 6) it makes sure the OIDs
-- pggit stores for branched tables belong to this database (pggit.bind_oids: a no-op
-- unless the database was restored or upgraded since), so that what the caller then
-- looks up by this OID is found.
-- Errors:
--   22004 null_value_not_allowed  `table` is NULL: 'table must not be NULL'
--   42P01 undefined_table         nothing of that name, or a name that is no valid
--                                 relation name (too many dots, unterminated quotes,
--                                 a routine signature): 'relation "<table>" does not exist'
-- VOLATILE (it may re-bind); runs with the caller's rights and search_path (no SET search_path: the name
-- is the caller's), everything it calls pg_catalog- or pggit-qualified; EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.data_table_oid("table" text)
RETURNS oid
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    IF data_table_oid."table" IS NULL THEN
        RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pggit.bind_oids();
    SELECT r.objid INTO v_rel
      FROM pggit.resolve_object(data_table_oid."table") AS r
     WHERE r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass;
    IF v_rel IS NULL THEN
        RAISE EXCEPTION 'relation "%" does not exist', pggit.clip(data_table_oid."table") USING ERRCODE = 'undefined_table';
    END IF;
    RETURN v_rel;
END
$function$;

COMMENT ON FUNCTION pggit.data_table_oid(text) IS
    'OID of the relation a name resolves to (caller''s search_path); 42P01 when none, never a syntax error.';
