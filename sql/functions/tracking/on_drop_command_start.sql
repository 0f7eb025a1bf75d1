-- pggit.on_drop_command_start() -> event_trigger
--
-- Level 9: the function of event trigger pggit_settle_before_drop (ON ddl_command_start,
-- for the DROP commands of the kinds pggit tracks and of their parts: DROP TABLE, VIEW,
-- MATERIALIZED VIEW, FOREIGN TABLE, SEQUENCE, FUNCTION, PROCEDURE, ROUTINE, TYPE,
-- DOMAIN, SCHEMA, INDEX, TRIGGER, RULE, POLICY, OWNED, EXTENSION). Before the objects
-- go, the transaction's pending DDL is settled (pggit.settle_pending), so an object
-- created or changed earlier in the transaction is described while it still exists and
-- its drop is recorded against that description. Costs one check when nothing is pending.
-- Never makes the DROP fail beyond what settle_pending raises (class 40, 53, 55P03).
CREATE OR REPLACE FUNCTION pggit.on_drop_command_start()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_drop_command_start() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_drop_command_start() IS
    'Event trigger pggit_settle_before_drop: settles the transaction''s pending DDL history before a DROP.';
