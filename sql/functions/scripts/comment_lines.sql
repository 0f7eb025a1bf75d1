-- pggit.comment_lines(body text) -> text
--
-- Promises: comment_lines('-- ' || s) is entirely an SQL comment, whatever s holds:
-- after every line break in it ('\r\n', '\n', '\r', and the other line boundaries a
-- client may split on: VT, FF, FS, GS, RS, U+0085, U+2028, U+2029) it inserts '-- ',
-- so no line of it can end the comment and leave the rest to run (PostgreSQL ends a
-- '--' comment at '\n' or '\r'; the others are covered for clients that split lines
-- on them). uncomment_lines is its exact inverse on such text: it drops the leading
-- '-- ' and the '-- ' after every line break, so
--     uncomment_lines('-- ' || ... ) of comment_lines('-- ' || s) = s
-- for every s (the break chosen at a position is the longest, '\r\n' before '\r', in
-- both directions). generate_migration writes every commented step and note through
-- comment_lines; apply_migration runs a commented statement (with force, or when it
-- loses nothing) through uncomment_lines; merge_migration comments warnings with it.
-- The pattern uses regex escapes only (no
-- Unicode string literal), so it installs in any server encoding. NULL gives NULL. IMMUTABLE plain SQL, no SET (inlined): every name qualified.
CREATE OR REPLACE FUNCTION pggit.comment_lines(body text)
RETURNS text
LANGUAGE sql
IMMUTABLE
STRICT
PARALLEL SAFE
RETURN pg_catalog.regexp_replace(body, E'(\\r\\n|[\\n\\r\\v\\f\\u001c-\\u001e\\u0085\\u2028\\u2029])', E'\\1-- ', 'g');

COMMENT ON FUNCTION pggit.comment_lines(text) IS
    'Inserts ''-- '' after every line break, so that ''-- '' || text stays one SQL comment; inverse: uncomment_lines.';
