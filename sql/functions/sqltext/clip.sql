-- pggit.clip(value text) -> text
--
-- Promises: `value` as an error message may echo it: unchanged when it has at most 64
-- characters, else its first 61 characters followed by '...' (64 in all). NULL in,
-- NULL out. Never raises. Every RAISE of pggit that echoes input a caller gave (names,
-- refs, paths, statements, settings) passes it through this function, so a message, its
-- DETAIL and its HINT stay short whatever the input (a 10,000-character name gave a
-- 10,049-character message before level 8) and still begin with the input's own
-- characters. ASCII dots, not U+2026: the message must be representable in every
-- server encoding. tests/reliability/test_error_length.py holds every text-taking API
-- function to it.
-- IMMUTABLE, PARALLEL SAFE, callable by everyone (invoker callers need it as well).
CREATE OR REPLACE FUNCTION pggit.clip(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
SELECT CASE WHEN pg_catalog.length(value) OPERATOR(pg_catalog.<=) 64 THEN value
            ELSE pg_catalog.left(value, 61) OPERATOR(pg_catalog.||) '...' END
$function$;

COMMENT ON FUNCTION pggit.clip(text) IS
    'value cut to 64 characters (61 and ''...'') for an error message; NULL for NULL.';
