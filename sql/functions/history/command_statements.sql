-- pggit.command_statements(query text, command_tag text) -> text
--
-- Promises: the text history keeps of `query` (a query string a client sent, holding
-- several statements) for a change made by a command with tag `command_tag`: the
-- statements of `query` (split by pggit.split_statements) whose leading keywords are
-- those of the command tag, in order, joined by ";" and a newline; NULL when none is
-- (e.g. the DDL ran inside a DO block or a function called among other statements).
-- A query string of exactly one statement is returned whole (that statement ran the
-- command). Nothing else of `query` is ever returned: a password an ALTER ROLE beside
-- the tracked command carried stays out of history (issue 11, item 6).
--
-- Leading keywords: the statement's first words (letters and _; leading whitespace and
-- comments skipped, upper-cased). It matches when its first word is the tag's first
-- word and the tag's other words occur, in order, among its next seven words (so
-- CREATE OR REPLACE FUNCTION matches CREATE FUNCTION, CREATE UNIQUE INDEX
-- CONCURRENTLY matches CREATE INDEX, COMMENT ON TABLE matches COMMENT). Special tags:
-- CREATE TABLE AS and SELECT INTO match statements starting CREATE ... TABLE and
-- SELECT or WITH; pggit's own tags (PGGIT PAUSE, PGGIT RESUME) match SELECT and CALL.
-- NULL in, NULL out. Never raises. IMMUTABLE; pinned search_path.
--
-- Called only when pggit.statement_text's cheap check finds more than one statement
-- possible: off the hot path of ordinary single-statement DDL.
CREATE OR REPLACE FUNCTION pggit.command_statements(query text, command_tag text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_tag text[];
    v_first text[];
    v_count integer := 0;
    v_only text;
    v_kept text[] := '{}';
    v_rest text;
    v_words text[];
    v_pos integer;
    v_ok boolean;
    r record;
BEGIN
    IF query IS NULL OR command_tag IS NULL THEN
        RETURN NULL;
    END IF;
    v_tag := regexp_split_to_array(upper(btrim(command_tag)), '\s+');
    IF v_tag[1] = 'PGGIT' THEN
        v_first := ARRAY['SELECT', 'CALL'];
        v_tag := '{}';
    ELSIF v_tag = ARRAY['SELECT', 'INTO'] THEN
        v_first := ARRAY['SELECT', 'WITH'];
        v_tag := '{}';
    ELSE
        IF v_tag[cardinality(v_tag)] = 'AS' AND cardinality(v_tag) > 2 THEN  -- CREATE TABLE AS
            v_tag := v_tag[1 : cardinality(v_tag) - 1];
        END IF;
        v_first := ARRAY[v_tag[1]];
        v_tag := v_tag[2 :];
    END IF;
    FOR r IN SELECT s.ordinal, s.statement FROM pggit.split_statements(query) AS s ORDER BY s.ordinal LOOP
        v_count := v_count + 1;
        v_only := r.statement;
        -- skip leading whitespace and comments (nested block comments included)
        v_rest := r.statement;
        LOOP
            v_rest := ltrim(v_rest, E' \t\r\n\f\x0b');
            IF starts_with(v_rest, '--') THEN
                v_pos := strpos(v_rest, E'\n');
                v_rest := CASE WHEN v_pos = 0 THEN '' ELSE substr(v_rest, v_pos + 1) END;
            ELSIF starts_with(v_rest, '/*') THEN
                DECLARE
                    depth integer := 0;
                    i integer := 1;
                    n integer := length(v_rest);
                BEGIN
                    WHILE i < n LOOP
                        IF substr(v_rest, i, 2) = '/*' THEN
                            depth := depth + 1;
                            i := i + 2;
                        ELSIF substr(v_rest, i, 2) = '*/' THEN
                            depth := depth - 1;
                            i := i + 2;
                            EXIT WHEN depth = 0;
                        ELSE
                            i := i + 1;
                        END IF;
                    END LOOP;
                    v_rest := substr(v_rest, i);
                END;
            ELSE
                EXIT;
            END IF;
        END LOOP;
        SELECT array_agg(m[1] ORDER BY o) INTO v_words
          FROM regexp_matches(upper(left(v_rest, 400)), '([A-Z_]+)', 'g') WITH ORDINALITY AS x (m, o);
        v_words := v_words[1 : 8];
        v_ok := v_words[1] = ANY (v_first) AND left(v_rest, length(v_words[1])) ILIKE v_words[1];
        IF v_ok THEN
            v_pos := 2;
            FOR i IN 1 .. coalesce(cardinality(v_tag), 0) LOOP
                WHILE v_pos <= coalesce(cardinality(v_words), 0) AND v_words[v_pos] <> v_tag[i] LOOP
                    v_pos := v_pos + 1;
                END LOOP;
                IF v_pos > coalesce(cardinality(v_words), 0) THEN
                    v_ok := false;
                    EXIT;
                END IF;
                v_pos := v_pos + 1;
            END LOOP;
        END IF;
        IF v_ok THEN
            v_kept := v_kept || r.statement;
        END IF;
    END LOOP;
    IF v_count = 1 THEN
        RETURN v_only;
    END IF;
    RETURN nullif(array_to_string(v_kept, E';\n'), '');
END
$function$;

REVOKE ALL ON FUNCTION pggit.command_statements(text, text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.command_statements(text, text) IS
    'The statements of a multi-statement query string that a command with this tag ran (by their leading keywords); NULL when none is.';
