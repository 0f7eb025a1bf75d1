-- pggit.scoped_setting(name text) -> text
--
-- Promises: the value of the setting `name` (pggit.branch or pggit.tracking) that
-- this client chose, for the readers of pggit's per-client state (current_branch,
-- tracking_paused):
--   * pggit.pool_mode unset or 'session' (a direct connection, or a pooler in session
--     mode): current_setting(name), whatever set it (pggit.checkout, pause_tracking,
--     or SET / SET LOCAL) -- the behaviour of levels 1 to 9;
--   * pggit.pool_mode 'transaction' or 'statement' (behind a transaction pooler such as
--     PgBouncer, where one server session serves many clients in turn): the value only
--     when pggit.set_scoped_setting set it in this very transaction (the stamp
--     `name`_xact equals pggit.pool_stamp(), this transaction's), else NULL.
--     A session-level SET some other client left on the shared server session is never
--     read, so no client records on a branch, or pauses tracking, for another.
-- NULL when unset. Never raises. STABLE, PARALLEL SAFE, callable by everyone.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it (and
-- current_branch and tracking_paused, which call it, stay inlinable); every function
-- and operator is schema-qualified.
CREATE OR REPLACE FUNCTION pggit.scoped_setting(name text)
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT CASE WHEN pggit.pool_stamp() IS NULL
              OR pg_catalog.current_setting(scoped_setting.name OPERATOR(pg_catalog.||) '_xact', true)
                 OPERATOR(pg_catalog.=) pggit.pool_stamp()
            THEN pg_catalog.current_setting(scoped_setting.name, true) END
$function$;

COMMENT ON FUNCTION pggit.scoped_setting(text) IS
    'The value of pggit.branch or pggit.tracking this client chose: the setting, or behind a transaction pooler (pggit.pool_mode) only what pggit set in this transaction.';
