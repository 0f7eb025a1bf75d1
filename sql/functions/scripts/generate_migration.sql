-- pggit.generate_migration(from_ref text, to_ref text)
--     -> TABLE(step integer, statement text, warning text)
-- pggit.generate_migration(from_ref text, to_ref text, online boolean)
--     -> TABLE(step integer, statement text, warning text)
--
-- Promises: the ordered DDL script that turns the schema at from_ref into the schema
-- at to_ref: the first three columns of pggit.migration_plan(from_ref, to_ref, online)
-- (see it for the order, the lossy steps commented out with a warning, and what
-- `online` changes); online is false for the two-argument form. A script with online
-- steps holds statements that run outside a transaction block (CREATE INDEX
-- CONCURRENTLY): run it step by step in autocommit, or read migration_plan's
-- `transactional` column.
-- Errors: those of pggit.migration_plan (22004, 42704, 42P09, 55000). VOLATILE from level 9:
-- it settles the calling transaction's pending DDL first (pggit.settle_pending), then reads.
CREATE OR REPLACE FUNCTION pggit.generate_migration(from_ref text, to_ref text)
RETURNS TABLE(step integer, statement text, warning text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    RETURN QUERY SELECT p.step, p.statement, p.warning
                   FROM pggit.migration_plan(from_ref, to_ref, false) AS p ORDER BY p.step;
END
$function$;

COMMENT ON FUNCTION pggit.generate_migration(text, text) IS
    'Ordered DDL steps turning the schema at from_ref into the schema at to_ref; lossy steps commented out with a warning.';

CREATE OR REPLACE FUNCTION pggit.generate_migration(from_ref text, to_ref text, online boolean)
RETURNS TABLE(step integer, statement text, warning text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    RETURN QUERY SELECT p.step, p.statement, p.warning
                   FROM pggit.migration_plan(from_ref, to_ref, online) AS p ORDER BY p.step;
END
$function$;

COMMENT ON FUNCTION pggit.generate_migration(text, text, boolean) IS
    'Ordered DDL steps turning the schema at from_ref into the schema at to_ref; online => true: forms that keep large tables usable.';
