-- pggit.data_key_match(keys name[], a text, b text) -> text
--
-- Promises: the SQL condition 'a."k1" = b."k1" AND a."k2" = b."k2" ...' over the
-- key columns `keys` (quoted with format('%I')), for the SQL data branches
-- generate. An empty array gives 'true'. IMMUTABLE.
CREATE OR REPLACE FUNCTION pggit.data_key_match(keys name[], a text, b text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
SELECT coalesce(pg_catalog.string_agg(pg_catalog.format('%s.%I = %s.%I', a, k, b, k), ' AND ' ORDER BY o), 'true')
  FROM pg_catalog.unnest(keys) WITH ORDINALITY AS u(k, o)
$function$;

COMMENT ON FUNCTION pggit.data_key_match(name[], text, text) IS
    'SQL condition a.k = b.k for every key column k, joined by AND (SQL generation helper).';
