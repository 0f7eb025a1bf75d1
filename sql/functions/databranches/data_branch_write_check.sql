-- pggit.data_branch_write_check() -> trigger
--
-- The function of the statement-level trigger pggit_data_branch_check (BEFORE INSERT OR
-- UPDATE OR DELETE ... FOR EACH STATEMENT) of every data branch's view. TG_ARGV[0] is
-- the OID of the branched table. Promises: a write statement on a data branch goes on
-- only when the writing role holds, at that moment, the same privilege (INSERT, UPDATE
-- or DELETE) on the table itself; otherwise it fails with
-- 42501 'permission denied for table <table>' before any row is written. So a REVOKE
-- on the table takes effect on its branches at once, and a GRANT does too.
-- SECURITY INVOKER (the check is about the caller), pinned search_path, reads nothing
-- but the privilege catalog. One call per statement, not per row.
CREATE OR REPLACE FUNCTION pggit.data_branch_write_check()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_rel oid := TG_ARGV[0]::oid;
BEGIN
    IF NOT pg_catalog.has_table_privilege(v_rel, TG_OP) THEN
        RAISE EXCEPTION 'permission denied for table %', v_rel::pg_catalog.regclass
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Writing data branch %s.%s needs %s on the table.',
                                             pg_catalog.quote_ident(TG_TABLE_SCHEMA),
                                             pg_catalog.quote_ident(TG_TABLE_NAME), TG_OP);
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.data_branch_write_check() IS
    'Trigger of data-branch views: a write statement needs the same privilege on the branched table, checked live (42501).';
