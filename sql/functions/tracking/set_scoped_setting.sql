-- pggit.set_scoped_setting(name text, value text, is_local boolean DEFAULT false) -> text
--
-- Promises: sets pggit's per-client setting `name` (pggit.branch or pggit.tracking) to
-- `value` for the calling client, and returns `value`:
--   * pggit.pool_mode unset or 'session' (direct connections): for the rest of the
--     session (set_config(name, value, false), as SET: a rollback of the calling
--     transaction undoes it), or with `is_local` until the transaction ends;
--   * pggit.pool_mode 'transaction' or 'statement' (behind a transaction pooler): until
--     the calling transaction ends, whatever `is_local` says (set_config(.., true)),
--     stamped with the transaction's pggit.pool_stamp() in `name`_xact so that
--     pggit.scoped_setting reads it in this transaction only. The next transaction of
--     the client may run on another server session, and this one may serve another
--     client next: a session-wide value would follow the server session, not the
--     client. A WARNING says so when the call is a transaction of its own (autocommit:
--     the value is gone when the call returns).
-- Errors:
--   22004 null_value_not_allowed   name or is_local is NULL
--   22023 invalid_parameter_value  name is not pggit.branch or pggit.tracking; or
--                                  pggit.pool_mode is set to something other than
--                                  session, transaction or statement (a typo would
--                                  otherwise keep session-wide state behind a pooler)
-- VOLATILE; runs with the caller's rights (it only sets the caller's settings);
-- EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.set_scoped_setting(name text, value text, is_local boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_mode text := lower(btrim(coalesce(current_setting('pggit.pool_mode', true), '')));
    v_stamp text := pggit.pool_stamp();
BEGIN
    IF set_scoped_setting.name IS NULL OR set_scoped_setting.is_local IS NULL THEN
        RAISE EXCEPTION 'pggit.set_scoped_setting: name and is_local must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF set_scoped_setting.name NOT IN ('pggit.branch', 'pggit.tracking') THEN
        RAISE EXCEPTION 'pggit.set_scoped_setting: "%" is not pggit.branch or pggit.tracking',
                        pggit.clip(set_scoped_setting.name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_mode NOT IN ('', 'session', 'transaction', 'statement') THEN
        RAISE EXCEPTION 'invalid setting pggit.pool_mode = "%": expected session, transaction or statement',
                        pggit.clip(current_setting('pggit.pool_mode', true))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set it to the pool_mode of the pooler between the clients and the server '
                         '(ALTER ROLE ... SET pggit.pool_mode = transaction), or RESET it on a direct connection.';
    END IF;
    IF v_stamp IS NOT NULL THEN
        PERFORM set_config(set_scoped_setting.name, coalesce(set_scoped_setting.value, ''), true);
        PERFORM set_config(set_scoped_setting.name || '_xact', v_stamp, true);
        IF statement_timestamp() = transaction_timestamp() AND NOT set_scoped_setting.is_local THEN
            RAISE WARNING '% = ''%'' holds until this transaction ends (pggit.pool_mode = %)',
                          set_scoped_setting.name, pggit.clip(coalesce(set_scoped_setting.value, '')), v_mode
                USING HINT = 'Behind a transaction pooler, call it inside BEGIN ... COMMIT, before the statements it is for.';
        END IF;
    ELSE
        PERFORM set_config(set_scoped_setting.name, coalesce(set_scoped_setting.value, ''), set_scoped_setting.is_local);
    END IF;
    RETURN set_scoped_setting.value;
END
$function$;

COMMENT ON FUNCTION pggit.set_scoped_setting(text, text, boolean) IS
    'Sets pggit.branch or pggit.tracking for the calling client: for the session, or behind a transaction pooler (pggit.pool_mode) for this transaction only.';
