-- pggit.default_is_volatile(expression text) -> boolean
--
-- Promises: whether a column default as pg_get_expr prints it (the "d" of
-- pggit.table_details) may call a VOLATILE function (nextval, gen_random_uuid,
-- random, clock_timestamp, ...): true when any function it names (quoted or not,
-- qualified or not) has a VOLATILE overload in pg_proc, or when it names a function
-- that does not exist. Such a default makes ADD COLUMN rewrite the table under ACCESS
-- EXCLUSIVE (PostgreSQL computes it per row); any other default is stored once and
-- the table is not rewritten. Conservative: a name that is also a volatile function's
-- counts. False for NULL and for a default that calls nothing. Never raises.
-- STABLE (reads pg_proc), callable by everyone.
CREATE OR REPLACE FUNCTION pggit.default_is_volatile(expression text)
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(bool_or(NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                                         WHERE p.proname = f.name AND p.provolatile <> 'v')
                            OR EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                                        WHERE p.proname = f.name AND p.provolatile = 'v')), false)
      FROM (SELECT CASE WHEN starts_with(m[1], '"') THEN replace(substr(m[1], 2, length(m[1]) - 2), '""', '"')
                        ELSE m[1] END AS name
              FROM regexp_matches(
                       -- string literals blanked out: a name in one calls nothing
                       regexp_replace(expression, '''(?:[^'']|'''')*''', '''''', 'g'),
                       '("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)\s*\(', 'g') AS m) AS f
     WHERE lower(f.name) NOT IN ('numeric', 'varchar', 'character', 'bit', 'timestamp', 'time', 'interval',
                                 'decimal', 'char', 'float')  -- type modifiers, not calls
$function$;

COMMENT ON FUNCTION pggit.default_is_volatile(text) IS
    'Whether a column default may call a VOLATILE function (then ADD COLUMN rewrites the table).';
