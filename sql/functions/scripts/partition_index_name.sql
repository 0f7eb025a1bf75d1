-- pggit.partition_index_name(tbl text, contype text, def text) -> text
--
-- Promises: the name PostgreSQL gives the index (or the constraint and its index) it
-- makes on the partition named `tbl` (its name without schema, not quoted) for an
-- index of its parent (`contype` NULL, `def` the text after USING of pg_get_indexdef)
-- or a primary key, unique or exclusion constraint (`contype` 'p', 'u', 'x', `def`
-- pg_get_constraintdef) when the partition is created: ChooseIndexName's rule,
-- <table>_pkey, <table>_<columns>_key, _excl, _idx, with a column's name, a function's
-- name for a call, 'expr' for any other expression, truncated like makeObjectName to
-- 63 bytes. It does not see name collisions (PostgreSQL then appends a number). NULL
-- for NULL. IMMUTABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.partition_index_name(tbl text, contype text, def text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_label text;
    v_list text;
    v_depth integer := 0;
    v_cols text[] := '{}';
    v_cur text := '';
    v_names text;
    t text;
    n1 integer;
    n2 integer;
    v_avail integer;
BEGIN
    IF tbl IS NULL OR def IS NULL THEN
        RETURN NULL;
    END IF;
    v_label := CASE contype WHEN 'p' THEN 'pkey' WHEN 'u' THEN 'key' WHEN 'x' THEN 'excl' ELSE 'idx' END;
    IF contype = 'p' THEN
        v_names := NULL;
    ELSE
        -- the key list: the first parenthesis after the method or keyword, and INCLUDE's
        v_list := substr(def, strpos(def, '('));
        FOR t IN SELECT x.v[1] FROM regexp_matches(v_list, '(''(?:[^'']|'''')*''|"(?:[^"]|"")*"|[(),]|[^''"(),]+)', 'g')
                                    WITH ORDINALITY AS x (v, o) ORDER BY x.o LOOP
            IF t = '(' THEN
                v_depth := v_depth + 1;
                IF v_depth = 1 THEN CONTINUE; END IF;
            ELSIF t = ')' THEN
                v_depth := v_depth - 1;
                IF v_depth = 0 THEN
                    v_cols := v_cols || btrim(v_cur);
                    v_cur := '';
                    CONTINUE;
                END IF;
            ELSIF t = ',' AND v_depth = 1 THEN
                v_cols := v_cols || btrim(v_cur);
                v_cur := '';
                CONTINUE;
            END IF;
            IF v_depth = 0 THEN
                -- between lists: only INCLUDE goes on
                EXIT WHEN btrim(t) <> 'INCLUDE';
                CONTINUE;
            END IF;
            v_cur := v_cur || t;
        END LOOP;
        SELECT string_agg(CASE WHEN c ~ '^"(?:[^"]|"")*"( |$)'
                               THEN replace(substr(substring(c FROM '^"(?:[^"]|"")*"'), 2,
                                                   length(substring(c FROM '^"(?:[^"]|"")*"')) - 2), '""', '"')
                               WHEN c ~ '^[a-z_][a-z0-9_$]*( |$)' THEN substring(c FROM '^[a-z_][a-z0-9_$]*')
                               WHEN c ~ '^([a-z_][a-z0-9_$]*[.])?[a-z_][a-z0-9_$]*[(]'
                               THEN substring(c FROM '([a-z_][a-z0-9_$]*)[(]')
                               ELSE 'expr' END, '_' ORDER BY o)
          INTO v_names
          FROM unnest(v_cols) WITH ORDINALITY AS u (c, o)
         WHERE c <> '';
    END IF;
    -- makeObjectName: shorten the longer of the two names until it all fits in 63 bytes
    n1 := octet_length(tbl);
    n2 := coalesce(octet_length(v_names), 0);
    v_avail := 63 - octet_length(v_label) - 1 - CASE WHEN v_names IS NOT NULL THEN 1 ELSE 0 END;
    WHILE n1 + n2 > v_avail LOOP
        IF n1 > n2 THEN n1 := n1 - 1; ELSE n2 := n2 - 1; END IF;
    END LOOP;
    RETURN concat_ws('_', convert_from(substring(convert_to(tbl, 'UTF8') FROM 1 FOR n1), 'UTF8'),
                     convert_from(substring(convert_to(v_names, 'UTF8') FROM 1 FOR n2), 'UTF8'), v_label);
END
$function$;

COMMENT ON FUNCTION pggit.partition_index_name(text, text, text) IS
    'The name PostgreSQL gives a partition''s index made for an index or key of its parent.';
