-- pggit.is_valid_branch_name(name text) -> boolean
--
-- Promises: true when `name` follows every branch-name rule (see
-- sql/functions/branches/branch_name_violation.sql for the list: git's
-- check-ref-format rules for a branch, at most 255 bytes), false otherwise;
-- NULL for NULL. Never raises. IMMUTABLE, PARALLEL SAFE, callable by everyone.
-- Used by the CHECK constraint on pggit.branches.name.
--
-- PL/pgSQL (not SQL) so that it can be created before pggit.branch_name_violation:
-- the body is resolved at first call, not at CREATE time.
CREATE OR REPLACE FUNCTION pggit.is_valid_branch_name(name text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN pggit.branch_name_violation(name) IS NULL;
END
$function$;

COMMENT ON FUNCTION pggit.is_valid_branch_name(text) IS
    'True when name is a valid pggit branch name (git ref-name rules, at most 255 bytes); NULL for NULL.';
