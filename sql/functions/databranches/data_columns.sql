-- pggit.data_columns(relid oid)
--     -> TABLE(attnum smallint, name name, type_sql text, not_null boolean,
--              default_sql text, identity "char", generated "char")
--
-- Promises: one row per live column of relation `relid`, in attnum order: its name,
-- its type as SQL (format_type, schema-qualified when not visible from pggit's pinned
-- search_path, plus COLLATE "schema"."collation" when the column's collation differs
-- from its type's), NOT NULL, the default expression as SQL (pg_get_expr; for an
-- identity column nextval of its sequence), attidentity and attgenerated. No rows
-- for an unknown relid. Reads pg_catalog only.
CREATE OR REPLACE FUNCTION pggit.data_columns(relid oid)
RETURNS TABLE(attnum smallint, name name, type_sql text, not_null boolean, default_sql text,
              identity "char", generated "char")
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
SELECT a.attnum,
       a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                 THEN pg_catalog.format(' COLLATE %I.%I', cn.nspname, co.collname) ELSE '' END,
       a.attnotnull,
       CASE WHEN a.attidentity <> ''
            THEN pg_catalog.format('nextval(%L::regclass)',
                     pg_catalog.pg_get_serial_sequence(pg_catalog.format('%I.%I', n.nspname, c.relname), a.attname))
            ELSE pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
       a.attidentity,
       a.attgenerated
  FROM pg_catalog.pg_attribute AS a
  JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_collation AS co ON co.oid = a.attcollation
  LEFT JOIN pg_catalog.pg_namespace AS cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = data_columns.relid
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attnum
$function$;

COMMENT ON FUNCTION pggit.data_columns(oid) IS
    'Live columns of a relation with type (and collation) as SQL, NOT NULL, default, identity, generated.';
