-- pggit.uncomment_lines(commented text) -> text
--
-- Promises: the exact inverse of pggit.comment_lines (migration/comment_lines.sql) on its
-- output: drops the leading '-- ' and the '-- ' after every line break, so
--     uncomment_lines('-- ' || comment_lines(s)) = s
-- for every s (the break chosen at a position is the longest, '\r\n' before '\r').
-- apply_migration runs a commented statement (with force, or when it loses nothing)
-- through it. NULL gives NULL. IMMUTABLE plain SQL, no SET (inlined): every name qualified.
CREATE OR REPLACE FUNCTION pggit.uncomment_lines(commented text)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
PARALLEL SAFE
RETURN pg_catalog.regexp_replace(
           CASE WHEN pg_catalog.starts_with(commented, '-- ') THEN pg_catalog.substr(commented, 4) ELSE commented END,
           E'(\\r\\n|[\\n\\r\\v\\f\\u001c-\\u001e\\u0085\\u2028\\u2029])-- ', E'\\1', 'g');

COMMENT ON FUNCTION pggit.uncomment_lines(text) IS
    'Inverse of comment_lines: drops the leading ''-- '' and the ''-- '' after every line break.';
