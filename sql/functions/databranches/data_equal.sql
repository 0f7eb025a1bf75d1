-- pggit.data_equal(relid oid, columns name[], a text, b text) -> text
--
-- Promises: the SQL condition "the rows a and b hold equal values in `columns`" for
-- the columns of table `relid`, for the SQL data branches generate (diff, merge):
--   a."c" IS NOT DISTINCT FROM b."c" AND ...
-- comparing by the type's own equality: the `=` of the default btree operator class
-- of the column's type (of its base type for a domain; enums and ranges; arrays whose
-- element type has one), when that class is pg_catalog's, so numeric 1.0 equals 1.000,
-- float -0 equals 0 and char(3) 'a' equals 'a  '. A type without such an equality
-- (json, xml, geometric types, composites, types of other schemas) compares by its
-- text form: a."c"::text IS NOT DISTINCT FROM b."c"::text. An empty array gives 'true'.
-- Reads pg_catalog only; the condition it returns resolves only pg_catalog operators
-- when run with a search_path of pg_catalog first (diff and merge pin theirs).
CREATE OR REPLACE FUNCTION pggit.data_equal(relid oid, columns name[], a text, b text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
WITH RECURSIVE cols AS (
    SELECT u.o, u.n, at.atttypid AS typ
      FROM pg_catalog.unnest(columns) WITH ORDINALITY AS u(n, o)
      JOIN pg_catalog.pg_attribute AS at ON at.attrelid = data_equal.relid AND at.attname = u.n
), base AS (  -- domains down to their base type
    SELECT c.o, c.typ FROM cols AS c
    UNION ALL
    SELECT b.o, t.typbasetype FROM base AS b JOIN pg_catalog.pg_type AS t ON t.oid = b.typ WHERE t.typtype = 'd'
), resolved AS (
    SELECT b.o, t.oid AS typ, t.typtype, t.typelem, t.typsubscript
      FROM base AS b JOIN pg_catalog.pg_type AS t ON t.oid = b.typ WHERE t.typtype <> 'd'
), verdict AS (
    SELECT r.o,
           CASE WHEN r.typtype IN ('e', 'r', 'm') THEN true
                WHEN r.typtype = 'c' THEN false
                ELSE EXISTS (
                    SELECT 1 FROM pg_catalog.pg_opclass AS oc
                      JOIN pg_catalog.pg_am AS am ON am.oid = oc.opcmethod
                     WHERE am.amname = 'btree' AND oc.opcdefault
                       AND oc.opcnamespace = 'pg_catalog'::pg_catalog.regnamespace
                       AND (oc.opcintype = x.typ
                            OR EXISTS (SELECT 1 FROM pg_catalog.pg_cast AS k
                                        WHERE k.castsource = x.typ AND k.casttarget = oc.opcintype
                                          AND k.castmethod = 'b')))
           END AS typed
      FROM resolved AS r
     CROSS JOIN LATERAL (SELECT CASE WHEN r.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc
                                     THEN r.typelem ELSE r.typ END AS typ) AS x
)
SELECT coalesce(pg_catalog.string_agg(
           CASE WHEN v.typed THEN pg_catalog.format('%s.%I IS NOT DISTINCT FROM %s.%I', a, c.n, b, c.n)
                ELSE pg_catalog.format('%s.%I::text IS NOT DISTINCT FROM %s.%I::text', a, c.n, b, c.n) END,
           ' AND ' ORDER BY c.o), 'true')
  FROM cols AS c JOIN verdict AS v ON v.o = c.o
$function$;

COMMENT ON FUNCTION pggit.data_equal(oid, name[], text, text) IS
    'SQL condition: rows a and b are equal in the given columns by each type''s equality (text form without one).';
