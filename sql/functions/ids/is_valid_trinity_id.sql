-- pggit.is_valid_trinity_id(id text) -> boolean
--
-- Promises: true when `id` is a well-formed Trinity ID, false otherwise, NULL for
-- NULL. Never raises. Well-formed means:
--   * it matches ^[0-9]{20}-[0-9a-z]{6}-[0-9a-f]{8}$ (36 characters, lowercase), and
--   * its first 20 digits are a real UTC date and time YYYYMMDDHHMMSSffffff: year
--     0001-9999, month 01-12, a day that exists in that month (leap years
--     included), hour 00-23, minute 00-59, second 00-59 (no leap second and no
--     24:00, which PostgreSQL's own input functions would accept).
-- IMMUTABLE, PARALLEL SAFE, callable by everyone. pggit.commit_changes uses it to
-- validate a caller-supplied ID; pggit.generate_trinity_id only makes valid ones.
CREATE OR REPLACE FUNCTION pggit.is_valid_trinity_id(id text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    y integer;
    mo integer;
    d integer;
BEGIN
    IF id !~ '^[0-9]{20}-[0-9a-z]{6}-[0-9a-f]{8}$' THEN
        RETURN false;
    END IF;
    y := pg_catalog.substr(id, 1, 4)::integer;
    mo := pg_catalog.substr(id, 5, 2)::integer;
    d := pg_catalog.substr(id, 7, 2)::integer;
    IF y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
       OR pg_catalog.substr(id, 9, 2)::integer > 23
       OR pg_catalog.substr(id, 11, 2)::integer > 59
       OR pg_catalog.substr(id, 13, 2)::integer > 59 THEN
        RETURN false;
    END IF;
    -- The last day of the month: the first of the next month minus one day.
    RETURN d <= pg_catalog.date_part('day',
        pg_catalog.make_date(y, mo, 1) + pg_catalog.make_interval(months => 1, days => -1));
END
$function$;

COMMENT ON FUNCTION pggit.is_valid_trinity_id(text) IS
    'True when id is a well-formed Trinity ID (layout and a real UTC date and time); NULL for NULL.';
