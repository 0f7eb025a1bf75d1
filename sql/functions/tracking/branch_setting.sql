-- pggit.branch_setting(value text) -> text
--
-- Promises: `value` (the text of the setting pggit.branch) when it names a live branch;
-- otherwise an error, so that nothing is recorded on, or read from, a branch that
-- does not exist (before level 8 `SET pggit.branch = 'bad name'` recorded DDL under
-- that name without a word). Called by pggit.current_branch() for every value but
-- unset, '' and 'main', so every reader of the setting answers the same way: the
-- event triggers (which check it first, so the DDL fails instead of being recorded),
-- pause_tracking, resume_tracking, status() without a branch, diff of WORKING,
-- checkout(.., apply), settle_checkout, revert.
-- Errors (the value clipped by pggit.clip; HINT: 'RESET pggit.branch (the session then
-- records on main), or switch with SELECT pggit.checkout(''<branch>'').'):
--   22023 invalid_parameter_value  'invalid setting pggit.branch = "<value>": <rule>'
--                                  (the branch-name rule it breaks)
--   42704 undefined_object         'setting pggit.branch = "<value>" names no branch'
--   55000 object_not_in_prerequisite_state
--                                  'setting pggit.branch = "<value>" names a deleted branch'
-- STABLE, PARALLEL SAFE, SECURITY INVOKER (pggit.branches is readable by everyone),
-- callable by everyone. Cost: one unique-index probe.
CREATE OR REPLACE FUNCTION pggit.branch_setting(value text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_rule text := pggit.branch_name_violation(branch_setting.value);
    v_status text;
    v_hint constant text := 'RESET pggit.branch (the session then records on main), '
                            'or switch with SELECT pggit.checkout(''<branch>'').';
BEGIN
    IF branch_setting.value IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_rule IS NOT NULL THEN
        RAISE EXCEPTION 'invalid setting pggit.branch = "%": %', pggit.clip(branch_setting.value), v_rule
            USING ERRCODE = 'invalid_parameter_value', HINT = v_hint;
    END IF;
    SELECT b.status INTO v_status FROM pggit.branches AS b WHERE b.name = branch_setting.value;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'setting pggit.branch = "%" names no branch', pggit.clip(branch_setting.value)
            USING ERRCODE = 'undefined_object', HINT = v_hint;
    END IF;
    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'setting pggit.branch = "%" names a deleted branch', pggit.clip(branch_setting.value)
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = v_hint;
    END IF;
    RETURN branch_setting.value;
END
$function$;

COMMENT ON FUNCTION pggit.branch_setting(text) IS
    'value when it names a live branch; else 22023 (invalid name), 42704 (no branch), 55000 (deleted branch).';
