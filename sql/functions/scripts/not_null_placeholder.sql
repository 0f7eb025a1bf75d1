-- pggit.not_null_placeholder(type_name text) -> text
--
-- Promises: a constant expression of type `type_name` (a format_type spelling, as
-- pggit.table_details records it) that every column of that type accepts: the value
-- generate_migration gives the rows a table already has when it adds a NOT NULL column
-- without a default (as a default of the ADD COLUMN, dropped right after). NULL when
-- the type has no value that is safe everywhere: a domain (its CHECKs), a composite or
-- range type, an unknown spelling. The placeholders:
--   smallint, integer, bigint, numeric[(p,s)], real, double precision, money   0
--   text, character varying[(n)], character(n), bpchar, bytea                  ''
--   boolean false; uuid 00000000-0000-0000-0000-000000000000; json, jsonb {};
--   date, timestamp [with time zone] the epoch (1970-01-01 00:00:00, UTC);
--   time [with time zone] 00:00:00; interval 0; bit(n) n zero bits; bit varying
--   the empty string; inet 0.0.0.0; cidr 0.0.0.0/0; any array '{}' (empty);
--   an enum (by the live catalog: the type as the script's database will know it)
--   enum_first(NULL::<type>), its first label when the statement runs.
-- Never raises. STABLE (an enum is recognised in the live catalog), callable by everyone.
CREATE OR REPLACE FUNCTION pggit.not_null_placeholder(type_name text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    t text := type_name;
    v text;
    v_oid oid;
BEGIN
    IF t IS NULL OR t = '' THEN
        RETURN NULL;
    END IF;
    IF right(t, 2) = '[]' THEN
        v := '{}';
    ELSIF t IN ('smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision', 'money')
          OR t ~ '^numeric\(\d{1,4},-?\d{1,4}\)$' THEN
        v := '0';
    ELSIF t IN ('text', 'character varying', 'bpchar', 'bytea') OR t ~ '^character(?: varying)?\(\d{1,9}\)$' THEN
        v := '';
    ELSIF t = 'boolean' THEN
        v := 'false';
    ELSIF t = 'uuid' THEN
        v := '00000000-0000-0000-0000-000000000000';
    ELSIF t IN ('json', 'jsonb') THEN
        v := '{}';
    ELSIF t = 'date' THEN
        v := '1970-01-01';
    ELSIF t ~ '^timestamp(?:\(\d\))? without time zone$' THEN
        v := '1970-01-01 00:00:00';
    ELSIF t ~ '^timestamp(?:\(\d\))? with time zone$' THEN
        v := '1970-01-01 00:00:00+00';
    ELSIF t ~ '^time(?:\(\d\))? without time zone$' THEN
        v := '00:00:00';
    ELSIF t ~ '^time(?:\(\d\))? with time zone$' THEN
        v := '00:00:00+00';
    ELSIF t ~ '^interval(?:$|[ (])' THEN
        v := '0';
    ELSIF t ~ '^bit\(\d{1,4}\)$' THEN
        v := repeat('0', substring(t FROM '\d+')::integer);
    ELSIF t ~ '^bit varying(?:\(\d{1,9}\))?$' THEN
        v := '';
    ELSIF t = 'inet' THEN
        v := '0.0.0.0';
    ELSIF t = 'cidr' THEN
        v := '0.0.0.0/0';
    ELSE
        -- an enum: its first label when the script runs (types are changed before columns)
        BEGIN
            v_oid := to_regtype(t);
        EXCEPTION WHEN OTHERS THEN
            v_oid := NULL;  -- not a type name at all
        END;
        IF v_oid IS NOT NULL AND EXISTS (SELECT FROM pg_type AS ty WHERE ty.oid = v_oid AND ty.typtype = 'e')
           AND format_type(v_oid, NULL) = t THEN
            RETURN format('enum_first(NULL::%s)', t);
        END IF;
        RETURN NULL;
    END IF;
    RETURN format('%L::%s', v, t);
END
$function$;

COMMENT ON FUNCTION pggit.not_null_placeholder(text) IS
    'A constant every column of the type accepts: what existing rows get when generate_migration adds a NOT NULL column without a default.';
