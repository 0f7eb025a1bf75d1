-- pggit.type_widens(from_type text, to_type text) -> boolean
--
-- Promises: true when `ALTER TABLE .. ALTER COLUMN c TYPE to_type USING c::to_type`
-- can neither fail nor lose a value of from_type: every value of from_type casts to
-- to_type, and cast back it equals the original (by from_type's equality). Types are
-- spelled as format_type spells them (what pggit.table_details records: 'integer',
-- 'character varying(255)', 'numeric(10,2)', 'timestamp(3) without time zone', ..),
-- arrays as '<element>[]' (an array widens when its element does). false for anything
-- else, for unknown spellings, for NULL and for pairs that are not certain; never
-- raises. The rules:
--   same spelling                                             always
--   smallint -> integer -> bigint -> numeric (unconstrained)  exact
--   smallint/integer/bigint -> numeric(p,s) when p - s holds their digits (5/10/19)
--   numeric(p,s) -> numeric(p2,s2) with p2 - s2 >= p - s and s2 >= s; -> numeric
--   smallint -> real; smallint/integer/real -> double precision (exact in binary;
--   bigint -> double precision is not: 2^53 + 1)
--   text, character varying (no length): from every type below but bytea (their text
--   form reads back as the same value: integers, numeric, real and double precision
--   (shortest exact output, extra_float_digits >= 1, the default), boolean, uuid, date,
--   time, timestamp and interval (under one DateStyle / IntervalStyle), json, jsonb,
--   inet, cidr, bit strings, and every character type)
--   character varying(n): from a type whose longest text has at most n characters:
--   smallint 6, integer 11, bigint 20, boolean 5, uuid 36, date 13, real 15,
--   double precision 24, numeric(p,s) its sign, digits and point (at least 3: NaN;
--   a constrained numeric holds no infinity), character varying(m) / character(m)
--   with m <= n
--   character(n) -> character(m >= n) / bpchar, and to the text types above:
--   trailing blanks are insignificant in character(n) (its equality, length and
--   casts ignore them), so dropping them loses no character(n) value
--   timestamp(p) -> timestamp(p2 >= p) / timestamp; the same for timestamp with time
--   zone, time, time with time zone, interval(p); an interval with fields (year to
--   month, ..) -> interval
--   bit varying(n) -> bit varying(m >= n) / bit varying; bit(n) -> bit varying(m >= n)
--   jsonb -> json; cidr -> inet
-- Not widening (false): anything to a narrower or other type (integer -> smallint,
-- text -> varchar(n), numeric -> double precision, timestamp -> timestamptz (local
-- times in a DST gap move), date -> timestamp (dates go to 5874897 AD, timestamps to
-- 294276 AD), json -> jsonb (duplicate keys and spacing go)).
-- IMMUTABLE, PARALLEL SAFE, callable by everyone; reads nothing.
CREATE OR REPLACE FUNCTION pggit.type_widens(from_type text, to_type text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    f text := from_type;
    t text := to_type;
    m text[];
    n text[];
    v_len integer;  -- longest text of a from_type value, NULL: unbounded or unknown
    v_textual boolean;
    c_num CONSTANT text := '^numeric\((\d{1,4}),(-?\d{1,4})\)$';
    c_tm CONSTANT text := '^(timestamp|time)(?:\((\d)\))? (with|without) time zone$';
BEGIN
    IF f IS NULL OR t IS NULL THEN
        RETURN false;
    END IF;
    IF f = t THEN
        RETURN true;
    END IF;
    -- arrays: element by element
    IF right(f, 2) = '[]' OR right(t, 2) = '[]' THEN
        RETURN right(f, 2) = '[]' AND right(t, 2) = '[]' AND length(f) > 2 AND length(t) > 2
               AND pggit.type_widens(left(f, -2), left(t, -2));
    END IF;

    -- integers and numerics
    IF t = 'integer' THEN
        RETURN f = 'smallint';
    ELSIF t = 'bigint' THEN
        RETURN f IN ('smallint', 'integer');
    ELSIF t = 'numeric' THEN
        RETURN f IN ('smallint', 'integer', 'bigint') OR f ~ c_num;
    ELSIF t ~ c_num THEN
        n := regexp_match(t, c_num);
        IF f IN ('smallint', 'integer', 'bigint') THEN
            RETURN n[1]::integer - n[2]::integer >= CASE f WHEN 'smallint' THEN 5 WHEN 'integer' THEN 10 ELSE 19 END;
        END IF;
        m := regexp_match(f, c_num);
        RETURN m IS NOT NULL AND n[1]::integer - n[2]::integer >= m[1]::integer - m[2]::integer
               AND n[2]::integer >= m[2]::integer;
    ELSIF t = 'real' THEN
        RETURN f = 'smallint';
    ELSIF t = 'double precision' THEN
        RETURN f IN ('smallint', 'integer', 'real');
    END IF;

    -- date and time
    IF t ~ c_tm THEN
        n := regexp_match(t, c_tm);
        m := regexp_match(f, c_tm);
        RETURN m IS NOT NULL AND m[1] = n[1] AND m[3] = n[3]
               AND (n[2] IS NULL OR (m[2] IS NOT NULL AND n[2]::integer >= m[2]::integer));
    ELSIF t = 'interval' THEN
        RETURN f ~ '^interval[ (]';
    ELSIF t ~ '^interval\(\d\)$' THEN
        RETURN f ~ '^interval\(\d\)$' AND substring(t FROM '\d')::integer >= substring(f FROM '\d')::integer;
    END IF;

    -- bit strings
    IF t = 'bit varying' THEN
        RETURN f ~ '^bit(?: varying)?\(\d{1,9}\)$';
    ELSIF t ~ '^bit varying\(\d{1,9}\)$' THEN
        RETURN f ~ '^bit(?: varying)?\(\d{1,9}\)$'
               AND substring(t FROM '\d+')::integer >= substring(f FROM '\d+')::integer;
    END IF;

    IF t = 'json' THEN
        RETURN f = 'jsonb';
    ELSIF t = 'inet' THEN
        RETURN f = 'cidr';
    END IF;

    -- character types
    IF t = 'bpchar' THEN
        RETURN f ~ '^character\(\d{1,9}\)$';
    ELSIF t ~ '^character\(\d{1,9}\)$' THEN
        RETURN f ~ '^character\(\d{1,9}\)$'
               AND substring(t FROM '\d+')::integer >= substring(f FROM '\d+')::integer;
    END IF;
    v_textual := f IN ('smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'boolean', 'uuid',
                       'date', 'interval', 'json', 'jsonb', 'inet', 'cidr', 'text', 'character varying', 'bpchar',
                       'bit varying')
                 OR f ~ c_num OR f ~ c_tm OR f ~ '^interval[ (]' OR f ~ '^character(?: varying)?\(\d{1,9}\)$'
                 OR f ~ '^bit(?: varying)?\(\d{1,9}\)$';
    IF t IN ('text', 'character varying') THEN
        RETURN v_textual;
    ELSIF t ~ '^character varying\(\d{1,9}\)$' THEN
        IF f ~ c_num THEN
            m := regexp_match(f, c_num);
            v_len := greatest(3, 1 + greatest(m[1]::integer - m[2]::integer, 1)
                                 + CASE WHEN m[2]::integer > 0 THEN 1 + m[2]::integer ELSE 0 END);
        ELSIF f ~ '^character(?: varying)?\(\d{1,9}\)$' THEN
            v_len := substring(f FROM '\d+')::integer;
        ELSE
            v_len := CASE f WHEN 'smallint' THEN 6 WHEN 'integer' THEN 11 WHEN 'bigint' THEN 20
                            WHEN 'boolean' THEN 5 WHEN 'uuid' THEN 36 WHEN 'date' THEN 13
                            WHEN 'real' THEN 15 WHEN 'double precision' THEN 24 END;
        END IF;
        RETURN v_len IS NOT NULL AND substring(t FROM '\d+')::integer >= v_len;
    END IF;
    RETURN false;
END
$function$;

COMMENT ON FUNCTION pggit.type_widens(text, text) IS
    'Whether a column of from_type retyped to to_type (format_type spellings) can neither fail nor lose a value.';
