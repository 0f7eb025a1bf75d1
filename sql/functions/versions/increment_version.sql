-- pggit.increment_version(major int, minor int, patch int, kind text)
--     -> (major int, minor int, patch int, version text)
--
-- Promises: the semantic version after one increment of `kind`, one row:
--   kind 'major' -> (major + 1, 0, 0)
--   kind 'minor' -> (major, minor + 1, 0)
--   kind 'patch' -> (major, minor, patch + 1)
-- and version = 'major.minor.patch' of the result. `kind` is matched
-- case-insensitively (lower(kind); no trimming, so ' major' is not a kind).
-- Pure: IMMUTABLE, PARALLEL SAFE, callable by everyone.
--   SELECT * FROM pggit.increment_version(1, 2, 3, 'minor')  ->  1 | 3 | 0 | 1.3.0
--
-- Errors, checked in this order:
--   22004 null_value_not_allowed   major, minor or patch is NULL (names which)
--   22023 invalid_parameter_value  major, minor or patch is negative (names it and
--                                  its value)
--   P0001 raise_exception          'Invalid increment type: <kind>' for any other
--                                  kind, NULL included (shown as NULL, else quoted)
--   22003 numeric_value_out_of_range  the incremented part is already 2147483647
--
-- DESIGN.md writes the signature as RETURNS TABLE(major, minor, patch, version).
-- It is declared with INOUT major/minor/patch and OUT version instead: the result
-- columns are the same, and the input arguments keep the names major, minor, patch
-- so callers can use named notation (major => 1, ...), which RETURNS TABLE would
-- forbid (its column names would clash with the argument names).
CREATE OR REPLACE FUNCTION pggit.increment_version(
    INOUT major integer,
    INOUT minor integer,
    INOUT patch integer,
    kind text,
    OUT version text)
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    k text := pg_catalog.lower(kind);
BEGIN
    IF major IS NULL THEN
        RAISE EXCEPTION 'version number major must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    ELSIF minor IS NULL THEN
        RAISE EXCEPTION 'version number minor must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    ELSIF patch IS NULL THEN
        RAISE EXCEPTION 'version number patch must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF major < 0 THEN
        RAISE EXCEPTION 'invalid version number major = %: must not be negative', major
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF minor < 0 THEN
        RAISE EXCEPTION 'invalid version number minor = %: must not be negative', minor
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF patch < 0 THEN
        RAISE EXCEPTION 'invalid version number patch = %: must not be negative', patch
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF k = 'major' THEN
        IF major = 2147483647 THEN
            RAISE EXCEPTION 'cannot increment major = %: integer out of range', major
                USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        major := major + 1;
        minor := 0;
        patch := 0;
    ELSIF k = 'minor' THEN
        IF minor = 2147483647 THEN
            RAISE EXCEPTION 'cannot increment minor = %: integer out of range', minor
                USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        minor := minor + 1;
        patch := 0;
    ELSIF k = 'patch' THEN
        IF patch = 2147483647 THEN
            RAISE EXCEPTION 'cannot increment patch = %: integer out of range', patch
                USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        patch := patch + 1;
    ELSE
        RAISE EXCEPTION 'Invalid increment type: %', pg_catalog.quote_nullable(pggit.clip(kind))
            USING ERRCODE = 'raise_exception',
                  HINT = 'The increment type is major, minor or patch (in any letter case).';
    END IF;
    version := major || '.' || minor || '.' || patch;
END
$function$;

COMMENT ON FUNCTION pggit.increment_version(integer, integer, integer, text) IS
    'Semantic version after one major/minor/patch increment (case-insensitive kind): major, minor, patch, version.';
