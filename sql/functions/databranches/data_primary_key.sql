-- pggit.data_primary_key(relid oid) -> name[]
--
-- Promises: the names of the primary-key columns of relation `relid` in key order,
-- or NULL when it has no primary key (or does not exist). Reads pg_catalog only.
CREATE OR REPLACE FUNCTION pggit.data_primary_key(relid oid)
RETURNS name[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord)
  FROM pg_catalog.pg_index AS i
 CROSS JOIN LATERAL pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = data_primary_key.relid
   AND i.indisprimary
$function$;

COMMENT ON FUNCTION pggit.data_primary_key(oid) IS
    'Primary-key column names of a relation in key order; NULL without a primary key.';
