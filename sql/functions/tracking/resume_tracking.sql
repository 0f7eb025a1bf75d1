-- pggit.resume_tracking() -> integer
--
-- Promises: resumes DDL tracking for the session: sets the GUC pggit.tracking to 'on'
-- at session level, writes one history row with change 'resume' and command tag
-- 'PGGIT RESUME', then brings the registry up to date with whatever happened while
-- tracking was paused (pggit.reconcile('PGGIT RESUME')): objects changed meanwhile
-- get their version bump and a history row, objects dropped meanwhile are marked
-- dropped, objects created meanwhile are registered at 1.0.0 ('register'). Returns
-- the number of objects whose registry row changed. Works whether or not tracking
-- was paused. Cost: one describe per object of the database. Errors: none of its
-- own. Level 10: the setting through pggit.set_scoped_setting (behind a transaction
-- pooler: for the calling transaction). SECURITY DEFINER with a pinned search_path;
-- EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.resume_tracking()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    PERFORM pggit.set_scoped_setting('pggit.tracking', 'on');
    INSERT INTO pggit.history (command_tag, change, statement, role, branch)
    VALUES ('PGGIT RESUME', 'resume', pggit.statement_text('PGGIT RESUME'),
            CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
            pggit.current_branch());
    RETURN pggit.reconcile('PGGIT RESUME');
END
$function$;

REVOKE ALL ON FUNCTION pggit.resume_tracking() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.resume_tracking() TO PUBLIC;

COMMENT ON FUNCTION pggit.resume_tracking() IS
    'Resumes DDL tracking for this session, records it, and catches the registry up with changes made meanwhile.';
