-- pggit.tracking_paused() -> boolean
--
-- Promises: true when the GUC pggit.tracking is set to off (also false, no, 0, f, n;
-- any letter case, surrounding blanks ignored) in this session or transaction, false
-- otherwise (unset, empty, on, or any other value). Level 10: the setting as
-- pggit.scoped_setting reads it, so behind a transaction pooler (pggit.pool_mode) only
-- a pause this client made in this transaction counts. Never raises. STABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- While it is true, pggit's event triggers write one cheap 'untracked' history row per
-- DDL statement instead of tracking it. Set it with pggit.pause_tracking() /
-- pggit.resume_tracking() (which record the pause and bring the registry up to date
-- again), or directly: SET pggit.tracking = off.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it; every
-- operator and function is schema-qualified, so a direct call resolves nothing through
-- the caller's search_path (tests/security/test_definer_audit.py).
CREATE OR REPLACE FUNCTION pggit.tracking_paused()
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT coalesce(pg_catalog.lower(pg_catalog.btrim(pggit.scoped_setting('pggit.tracking')))
                OPERATOR(pg_catalog.=) ANY ('{off,false,no,0,f,n}'::pg_catalog.text[]), false)
$function$;

COMMENT ON FUNCTION pggit.tracking_paused() IS
    'True when GUC pggit.tracking is off in this session: DDL is then recorded only as untracked.';
