-- pggit.assert_valid_branch_name(name text) -> void
--
-- Promises: returns normally when `name` is a valid branch name (rules in
-- sql/functions/branches/branch_name_violation.sql). Otherwise raises:
--   22004 null_value_not_allowed       name is NULL: 'branch name must not be NULL'
--   22023 invalid_parameter_value      'invalid branch name "<name>": <rule>', the
--                                      first rule broken, with the same text as
--                                      pggit.branch_name_violation and refname.py
-- IMMUTABLE, PARALLEL SAFE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.assert_valid_branch_name(name text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    violation text;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'branch name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    violation := pggit.branch_name_violation(name);
    IF violation IS NOT NULL THEN
        RAISE EXCEPTION 'invalid branch name "%": %', pggit.clip(name), violation
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.assert_valid_branch_name(text) IS
    'Raises 22004 for NULL and 22023 ''invalid branch name "<name>": <rule>'' unless name is a valid branch name.';
