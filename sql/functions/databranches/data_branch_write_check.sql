-- pggit.data_branch_write_check() -> trigger
--
-- The function of the statement-level trigger pggit_data_branch_check (BEFORE INSERT OR
-- UPDATE OR DELETE ... FOR EACH STATEMENT) of every data branch's view. Promises: a
-- write statement on a data branch goes on only when the writing role holds, at that
-- moment, the same privilege (INSERT, UPDATE or DELETE) on the table itself; otherwise
-- it fails with 42501 'permission denied for table <table>' before any row is
-- written. So a REVOKE on the table takes effect on its branches at once, and a GRANT
-- does too. The table is the one the view reads (found through the view's dependencies
-- in pg_depend, never through a stored OID: triggers made before level 6 pass the
-- table's OID as an argument, which a restore or upgrade leaves pointing at another
-- object or none; it is ignored). No such table (cannot happen while pggit's
-- sql_drop trigger guards it): 42501 as well, so a write is never let through unchecked.
-- SECURITY INVOKER (the check is about the caller), pinned search_path, reads nothing
-- but the catalog. One call per statement, not per row.
CREATE OR REPLACE FUNCTION pggit.data_branch_write_check()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_rel oid;
BEGIN
    SELECT d.refobjid INTO v_rel
      FROM pg_catalog.pg_rewrite AS r
      JOIN pg_catalog.pg_depend AS d
        ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
       AND d.objid OPERATOR(pg_catalog.=) r.oid
       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
      JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) d.refobjid
      JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE r.ev_class OPERATOR(pg_catalog.=) TG_RELID
       AND d.refobjid OPERATOR(pg_catalog.<>) TG_RELID
       AND n.nspname OPERATOR(pg_catalog.<>) 'pggit_data'
       AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::"char"[])
     LIMIT 1;
    IF v_rel IS NULL OR NOT pg_catalog.has_table_privilege(v_rel, TG_OP) THEN
        RAISE EXCEPTION 'permission denied for table %', coalesce(v_rel::pg_catalog.regclass::pg_catalog.text, '?')
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Writing data branch %s.%s needs %s on the table.',
                                             pg_catalog.quote_ident(TG_TABLE_SCHEMA),
                                             pg_catalog.quote_ident(TG_TABLE_NAME), TG_OP);
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.data_branch_write_check() IS
    'Trigger of data-branch views: a write statement needs the same privilege on the table the view reads, checked live (42501).';
