-- pggit.policy_parts(line text) -> text[]
--
-- Promises: the parts of a POLICY line of a table's canonical definition
-- (pggit.describe_table: POLICY <name> AS <PERMISSIVE|RESTRICTIVE> FOR <cmd> TO <roles>
-- [USING (<expr>)] [WITH CHECK (<expr>)]) as {name, "AS .. FOR ..", roles, USING
-- expression with its parentheses or NULL, WITH CHECK expression with its parentheses or
-- NULL}; names as quote_ident prints them. The clauses are found by the parentheses at
-- the top level, outside literals and quoted names, so no expression can fake one.
-- NULL for anything that is no such line. IMMUTABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.policy_parts(line text)
RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    m text[];
    v_rest text;
    v_depth integer := 0;
    v_pos integer := 0;
    v_start integer;
    v_using text;
    v_check text;
    t text;
BEGIN
    m := regexp_match(line, '^POLICY ("(?:[^"]|"")*"|[^ "]+) (AS (?:PERMISSIVE|RESTRICTIVE) FOR [A-Z]+) TO '
                            '((?:"(?:[^"]|"")*"|[^ ,"]+)(?:, (?:"(?:[^"]|"")*"|[^ ,"]+))*)(.*)$');
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    v_rest := m[4];
    -- each clause: ' USING (' or ' WITH CHECK (' at the top level, up to its closing parenthesis
    WHILE v_rest <> '' LOOP
        IF starts_with(v_rest, ' USING (') THEN
            v_start := length(' USING ');
        ELSIF starts_with(v_rest, ' WITH CHECK (') THEN
            v_start := length(' WITH CHECK ');
        ELSE
            RETURN NULL;
        END IF;
        v_depth := 0;
        v_pos := v_start;
        FOR t IN SELECT x.v[1] FROM regexp_matches(substr(v_rest, v_start + 1),
                     '(''(?:[^'']|'''')*''|"(?:[^"]|"")*"|[()]|[^''"()]+)', 'g') WITH ORDINALITY AS x (v, o)
                  ORDER BY x.o LOOP
            v_pos := v_pos + length(t);
            IF t = '(' THEN
                v_depth := v_depth + 1;
            ELSIF t = ')' THEN
                v_depth := v_depth - 1;
                EXIT WHEN v_depth = 0;
            END IF;
        END LOOP;
        IF v_depth <> 0 THEN
            RETURN NULL;
        END IF;
        IF v_start = length(' USING ') THEN
            v_using := substr(v_rest, v_start + 1, v_pos - v_start);
        ELSE
            v_check := substr(v_rest, v_start + 1, v_pos - v_start);
        END IF;
        v_rest := substr(v_rest, v_pos + 1);
    END LOOP;
    RETURN ARRAY[m[1], m[2], m[3], v_using, v_check];
END
$function$;

COMMENT ON FUNCTION pggit.policy_parts(text) IS
    'Name, AS/FOR, roles, USING and WITH CHECK of a POLICY line of a table''s canonical definition.';
