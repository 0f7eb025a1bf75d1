-- pggit.restoring() -> boolean
--
-- Promises: true when this session is replaying a backup into a database whose
-- stored OIDs pggit has not bound yet: pggit.oids_current() is false and the session
-- runs with the settings every pg_dump script and pg_restore connection sets before
-- its first statement, row_security = off and check_function_bodies = off. pggit's
-- event triggers, the capture triggers of branched tables and the triggers on pggit's
-- own tables then do nothing: what a restore replays (the schema, a data-only
-- restore's COPY into tables, ALTER TABLE ... DISABLE TRIGGER) is not a change and
-- must not become history, branch pre-images or derived rows. Any other session
-- (defaults: row_security on) is not restoring; its first tracked statement re-binds
-- the OIDs first (pggit.bind_oids). A restore run with --enable-row-security is not
-- recognised: run such a data-only restore with session_replication_role = replica.
-- Cost in ordinary sessions: one current_setting. Never raises. EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.restoring()
RETURNS boolean
LANGUAGE sql
STABLE
AS $function$
SELECT pg_catalog.current_setting('row_security') OPERATOR(pg_catalog.=) 'off'
   AND pg_catalog.current_setting('check_function_bodies') OPERATOR(pg_catalog.=) 'off'
   AND NOT pggit.oids_current()
$function$;

COMMENT ON FUNCTION pggit.restoring() IS
    'True in a session replaying a backup (pg_dump''s settings) before pggit re-bound its OIDs: triggers record nothing.';
