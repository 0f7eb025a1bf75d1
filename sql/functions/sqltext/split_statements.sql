-- pggit.split_statements(sql text) -> TABLE(ordinal int, statement text, unterminated boolean)
--
-- Promises: splits `sql` into its top-level statements the way PostgreSQL's lexer (and
-- psql) would, one row per statement in order (ordinal 1, 2, ...). A statement is the
-- text between two top-level semicolons, without the semicolon, with surrounding
-- whitespace trimmed; comments inside it are kept. Pieces holding only whitespace and
-- comments are not statements and give no row. NULL or '' gives no row.
--
-- Recognised, so that a `;` inside them never splits: 'string' ('' inside), E'string'
-- (backslash escapes), "identifier" ("" inside), $tag$ dollar quotes $tag$ (a `$` right
-- after an identifier character is part of the identifier, as in PostgreSQL), -- line
-- comments, /* nested /* block */ comments */, and the BEGIN ATOMIC ... END body of a
-- CREATE FUNCTION / PROCEDURE (BEGIN and CASE open, END closes, as psql counts them).
-- Assumes standard_conforming_strings = on (the default since 9.1): in a plain
-- 'string' a backslash is an ordinary character.
--
-- `unterminated` is true only on the last row, when the text ends inside a string,
-- quoted identifier, dollar quote, block comment or BEGIN ATOMIC body: a caller that
-- needs complete statements refuses it. Never raises. IMMUTABLE; pinned search_path.
--
-- Cost: two regular-expression passes over the text (split and delimiters) and a loop
-- over the delimiters (quotes, dollar tags, comment marks, newlines, semicolons,
-- backslashes); linear in the text's length, plus one more pass over the rest of the
-- text after each dollar-quoted body (a function body usually comes once per statement).
CREATE OR REPLACE FUNCTION pggit.split_statements(sql text)
RETURNS TABLE (ordinal integer, statement text, unterminated boolean)
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    delim_re constant text :=
        '''|"|\$(?:[A-Za-z_\u0080-\uFFFF][A-Za-z_0-9\u0080-\uFFFF]*)?\$|--|/\*|\*/|\n|;|\\';
    pieces text[];
    delims text[];
    n integer;
    i integer;
    piece text;
    d text;
    state text := 'code';    -- code, squote, equote, dquote, dollar, line, block
    rest text;               -- the text still to split
    pos integer;              -- characters of rest consumed so far
    close integer;
    depth integer := 0;       -- block comment nesting
    esc boolean := false;     -- a backslash seen in an E'' string
    buf text[] := '{}';       -- pieces of the current statement
    code text := '';          -- the current statement's code outside quotes and comments (its start)
    routine boolean := false; -- the current statement is CREATE FUNCTION / PROCEDURE
    atomic integer := 0;      -- BEGIN/CASE ... END nesting inside a routine statement
    word text;
    k integer := 0;
    s text;
BEGIN
    IF sql IS NULL OR sql = '' THEN
        RETURN;
    END IF;
    rest := sql;
    <<texts>>
    WHILE rest <> '' LOOP
        pieces := regexp_split_to_array(rest, delim_re);
        SELECT coalesce(array_agg(m[1] ORDER BY o), '{}') INTO delims
          FROM regexp_matches(rest, '(' || delim_re || ')', 'g') WITH ORDINALITY AS x (m, o);
        n := cardinality(pieces);
        pos := 0;
        FOR i IN 1 .. n LOOP
            piece := pieces[i];
            pos := pos + length(piece);
            IF state = 'equote' AND esc THEN
                esc := false;
                IF piece = '' AND i < n THEN        -- the backslash escapes the delimiter itself
                    buf := buf || delims[i];
                    pos := pos + length(delims[i]);
                    CONTINUE;
                END IF;
            END IF;
            buf := buf || piece;
            IF state = 'code' AND piece <> '' THEN
                IF NOT routine AND length(code) < 400 THEN
                    code := code || ' ' || piece;
                    routine := code ~* '^\s*create\s+(or\s+replace\s+)?(function|procedure)\M';
                END IF;
                IF routine THEN
                    FOR word IN SELECT lower(w[1]) FROM regexp_matches(piece, '\m(begin|case|end)\M', 'gi') AS w LOOP
                        atomic := greatest(atomic + CASE WHEN word = 'end' THEN -1 ELSE 1 END, 0);
                    END LOOP;
                END IF;
            END IF;
            EXIT WHEN i = n;
            d := delims[i];
            pos := pos + length(d);
            CASE state
            WHEN 'code' THEN
                IF d = ';' AND atomic = 0 THEN
                    s := btrim(array_to_string(buf, ''), E' \t\r\n\f\x0b');
                    IF code ~ '\S' THEN
                        k := k + 1;
                        ordinal := k; statement := s; unterminated := false;
                        RETURN NEXT;
                    END IF;
                    buf := '{}'; code := ''; routine := false; atomic := 0;
                    CONTINUE;
                ELSIF d = '''' THEN
                    state := CASE WHEN piece ~ '(^|[^A-Za-z_0-9$\u0080-\uFFFF])[eE]$' THEN 'equote' ELSE 'squote' END;
                    code := code || 'x';
                ELSIF d = '"' THEN
                    state := 'dquote';
                    code := code || 'x';
                ELSIF d ~ '^\$' AND piece !~ '[A-Za-z_0-9$\u0080-\uFFFF]$' THEN
                    -- a dollar quote: its body ends at the first repetition of the tag, which
                    -- may overlap a false delimiter the split found inside the body, so look
                    -- for it in the text itself and split what follows it anew
                    code := code || 'x';
                    buf := buf || d;
                    rest := substr(rest, pos + 1);
                    close := strpos(rest, d);
                    IF close = 0 THEN
                        buf := buf || rest;
                        state := 'dollar';
                        rest := '';
                    ELSE
                        buf := buf || substr(rest, 1, close - 1 + length(d));
                        rest := substr(rest, close + length(d));
                    END IF;
                    CONTINUE texts;
                ELSIF d = '--' THEN
                    state := 'line';
                ELSIF d = '/*' THEN
                    state := 'block';
                    depth := 1;
                END IF;
            WHEN 'squote' THEN
                IF d = '''' THEN state := 'code'; END IF;
            WHEN 'equote' THEN
                IF d = '\' THEN
                    esc := true;
                ELSIF d = '''' THEN
                    state := 'code';
                END IF;
            WHEN 'dquote' THEN
                IF d = '"' THEN state := 'code'; END IF;
            WHEN 'line' THEN
                IF d = E'\n' THEN state := 'code'; END IF;
            WHEN 'block' THEN
                IF d = '/*' THEN
                    depth := depth + 1;
                ELSIF d = '*/' THEN
                    depth := depth - 1;
                    IF depth = 0 THEN state := 'code'; END IF;
                END IF;
            END CASE;
            buf := buf || d;
        END LOOP;
        rest := '';
    END LOOP;
    s := btrim(array_to_string(buf, ''), E' \t\r\n\f\x0b');
    IF code ~ '\S' OR state NOT IN ('code', 'line') THEN
        k := k + 1;
        ordinal := k; statement := s;
        unterminated := state NOT IN ('code', 'line') OR atomic > 0;
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.split_statements(text) IS
    'The top-level statements of a SQL text, split as PostgreSQL''s lexer would (quotes, dollar quotes, comments, BEGIN ATOMIC); unterminated marks a text that ends inside one.';
