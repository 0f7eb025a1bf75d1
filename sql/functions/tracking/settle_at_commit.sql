-- pggit.settle_at_commit() -> trigger
--
-- Level 9: the function of the deferred constraint trigger pending_settle of pggit.pending
-- (AFTER INSERT, DEFERRABLE INITIALLY DEFERRED, FOR EACH ROW). PostgreSQL fires it when the
-- transaction that wrote pending rows commits (or prepares), after the last statement,
-- and it settles them (pggit.settle_pending). The first firing settles every pending row
-- of the transaction; the others find nothing left (one check each). Under
-- SET CONSTRAINTS ALL IMMEDIATE it fires at the end of each statement instead, which
-- settles as often and is exact too. Returns NULL (an AFTER trigger). Internal.
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
