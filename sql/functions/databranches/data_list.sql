-- pggit.data_list(names name[], alias text DEFAULT NULL) -> text
--
-- Promises: the identifiers in `names`, each quoted with format('%I') and prefixed by
-- `alias`. when alias is given, joined by ', ' in array order: '"a", "B c"' or
-- 'd."a", d."B c"'. An empty array gives ''. Used to write the SQL that data
-- branches generate. IMMUTABLE.
CREATE OR REPLACE FUNCTION pggit.data_list(names name[], alias text DEFAULT NULL)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
SELECT coalesce(pg_catalog.string_agg(coalesce(alias || '.', '') || pg_catalog.format('%I', n), ', '
                                      ORDER BY o), '')
  FROM pg_catalog.unnest(names) WITH ORDINALITY AS u(n, o)
$function$;

COMMENT ON FUNCTION pggit.data_list(name[], text) IS
    'Quoted identifiers joined by ", ", each prefixed by alias. when given (SQL generation helper).';
