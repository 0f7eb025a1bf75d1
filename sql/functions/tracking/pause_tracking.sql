-- pggit.pause_tracking(reason text DEFAULT NULL) -> void
--
-- Promises: pauses DDL tracking for the rest of the session: sets the GUC
-- pggit.tracking to 'off' at session level (as SET would; a rollback of the calling
-- transaction undoes it, as it undoes the history row) and writes one history row
-- with change 'pause', command tag 'PGGIT PAUSE', the statement, role, branch and
-- `reason` in its note. While paused, each DDL statement on tracked objects leaves
-- one 'untracked' history row (statement and first object identity, no version
-- change), so the gap is visible in the audit trail even when the GUC was set
-- directly (SET pggit.tracking = off). Other sessions are tracked as usual.
-- Level 10: through pggit.set_scoped_setting, so behind a transaction pooler
-- (pggit.pool_mode = transaction or statement) the pause lasts until the calling
-- transaction ends (a WARNING when that is the call itself), and only this client's
-- statements in it are untracked; a plain SET pggit.tracking = off is not honoured
-- there (it would stay on the server session for whichever client comes next).
-- Calling it while already paused writes another 'pause' row. Errors: none of its
-- own. SECURITY DEFINER with a pinned search_path (ordinary roles may only read the
-- history); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.pause_tracking(reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    PERFORM pggit.set_scoped_setting('pggit.tracking', 'off');
    INSERT INTO pggit.history (command_tag, change, statement, role, branch, note)
    VALUES ('PGGIT PAUSE', 'pause', pggit.statement_text('PGGIT PAUSE'),
            CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
            pggit.current_branch(), reason);
END
$function$;

REVOKE ALL ON FUNCTION pggit.pause_tracking(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.pause_tracking(text) TO PUBLIC;

COMMENT ON FUNCTION pggit.pause_tracking(text) IS
    'Pauses DDL tracking for this session (GUC pggit.tracking = off) and records the pause with its reason.';
