-- pggit.settle_at_commit() -> trigger
--
-- Level 9: the function of the deferred constraint trigger pending_settle of pggit.pending
-- (AFTER INSERT, DEFERRABLE INITIALLY DEFERRED, FOR EACH ROW WHEN (NEW.announce)). The
-- first pending row of a transaction announces it (again after a settling mid-transaction
-- emptied them), so PostgreSQL fires it once when the transaction commits (or prepares),
-- after the last statement, and it settles the transaction's pending rows
-- (pggit.settle_pending). Under SET CONSTRAINTS ALL IMMEDIATE it fires at the end of the
-- announcing statement, and the next statement announces again. Returns NULL (an AFTER
-- trigger). Internal.
CREATE OR REPLACE FUNCTION pggit.settle_at_commit()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    PERFORM pggit.settle_pending();
    RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION pggit.settle_at_commit() FROM PUBLIC;

COMMENT ON FUNCTION pggit.settle_at_commit() IS
    'Deferred trigger of pggit.pending: settles the transaction''s pending DDL history at COMMIT.';
