-- pggit.table_details(relid oid) -> jsonb
--
-- Promises: for a table (pg_class.relkind r, p, f) what pggit.describe_table leaves
-- out and a DDL generator needs, as jsonb; NULL for anything else (NULL, missing, not
-- a table). Never raises for a missing object. Sees the calling transaction's DDL.
--   {"cols": [{"n": name, "t": format_type, "nn": not null, "d": default expression or
--              null, "g": generation expression or null, "i": identity 'a'/'d' or null,
--              "c": collation (schema-qualified) or null,
--              identity columns only (level 7; details recorded before lack them):
--              "s": the identity sequence, schema-qualified and quoted,
--              "so": its options that differ from what `GENERATED .. AS IDENTITY`
--                    gives by default, {"start", "inc", "min", "max", "cache": numbers,
--                    "cycle": true}, each key only when not the default (the sequence's
--                    type is always the column's: PostgreSQL refuses AS in them)
--             }, ...]   in column order,
--    "cons": [{"n": constraint name, "t": contype, "d": pg_get_constraintdef}, ...]
--              sorted by name (NOT NULL is no constraint in PostgreSQL 15),
--    "idx": [{"n": index name, "u": unique, "d": the text after "USING " of
--              pg_get_indexdef}, ...]   indexes that no constraint owns, sorted by name}
-- Expressions are deparsed under the pinned search_path (other objects, and a serial
-- column's sequence, schema-qualified). Kept by level 4's trigger
-- objects_record_details in pggit.object_details, out of every tree hash.
-- STABLE, callable by everyone (reads pg_catalog only). Cost: three index scans, and
-- for each identity column one pg_depend and one pg_sequence lookup.
CREATE OR REPLACE FUNCTION pggit.table_details(relid oid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- PL/pgSQL, not SQL: a SQL function with SET is planned again at every call (in the
    -- trigger, once per tracked statement); PL/pgSQL keeps the plan for the session.
    RETURN (SELECT jsonb_build_object(
    'cols', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'n', a.attname, 't', format_type(a.atttypid, a.atttypmod), 'nn', a.attnotnull,
                   'd', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                   'g', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                   'i', nullif(a.attidentity::text, ''),
                   'c', (SELECT format('%I.%I', cn.nspname, co.collname)
                           FROM pg_collation AS co JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
                          WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation))
                   || coalesce(sq.o, '{}')
                 ORDER BY a.attnum)
          FROM pg_attribute AS a
          JOIN pg_type AS t ON t.oid = a.atttypid
          LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          -- an identity column's sequence (internal dependency on the column) and its options
          LEFT JOIN LATERAL (
              SELECT jsonb_strip_nulls(jsonb_build_object(
                         's', format('%I.%I', sn.nspname, sc.relname),
                         'so', jsonb_strip_nulls(jsonb_build_object(
                             'start', CASE WHEN q.seqstart <> CASE WHEN q.seqincrement > 0 THEN q.seqmin ELSE q.seqmax END
                                           THEN q.seqstart END,
                             'inc', CASE WHEN q.seqincrement <> 1 THEN q.seqincrement END,
                             'min', CASE WHEN q.seqmin <> CASE WHEN q.seqincrement > 0 THEN 1 ELSE lim.lo END
                                         THEN q.seqmin END,
                             'max', CASE WHEN q.seqmax <> CASE WHEN q.seqincrement > 0 THEN lim.hi ELSE -1 END
                                         THEN q.seqmax END,
                             'cache', CASE WHEN q.seqcache <> 1 THEN q.seqcache END,
                             'cycle', CASE WHEN q.seqcycle THEN true END)))) AS o
                FROM pg_depend AS dp
                JOIN pg_class AS sc ON sc.oid = dp.objid AND sc.relkind = 'S'
                JOIN pg_namespace AS sn ON sn.oid = sc.relnamespace
                JOIN pg_sequence AS q ON q.seqrelid = sc.oid
               CROSS JOIN LATERAL (SELECT CASE q.seqtypid WHEN 'int2'::regtype THEN -32768
                                                          WHEN 'int4'::regtype THEN -2147483648
                                                          ELSE -9223372036854775808 END AS lo,
                                          CASE q.seqtypid WHEN 'int2'::regtype THEN 32767
                                                          WHEN 'int4'::regtype THEN 2147483647
                                                          ELSE 9223372036854775807 END AS hi) AS lim
               WHERE a.attidentity <> '' AND dp.classid = 'pg_class'::regclass
                 AND dp.refclassid = 'pg_class'::regclass AND dp.refobjid = a.attrelid
                 AND dp.refobjsubid = a.attnum AND dp.deptype = 'i'
               LIMIT 1) AS sq ON true
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::jsonb),
    'cons', coalesce((
        SELECT jsonb_agg(jsonb_build_object('n', k.conname, 't', k.contype, 'd', pg_get_constraintdef(k.oid))
                         ORDER BY k.conname COLLATE "C")
          FROM pg_constraint AS k
         WHERE k.conrelid = c.oid
           -- a plain column NOT NULL is a constraint row only on 18 (attnotnull on every major)
           AND NOT (k.contype = 'n' AND k.convalidated AND NOT k.connoinherit)), '[]'::jsonb),
    'idx', coalesce((
        -- pg_get_indexdef: CREATE [UNIQUE ]INDEX <name> ON [ONLY ]<table> USING <rest>: keep <rest>
        SELECT jsonb_agg(jsonb_build_object('n', f.name, 'u', f.uniq,
                                            'd', CASE WHEN strpos(f.def, f.tail) > 0
                                                 THEN substr(f.def, strpos(f.def, f.tail) + length(f.tail))
                                                 ELSE substr(f.def, strpos(f.def, f.only_tail) + length(f.only_tail))
                                            END)
                         ORDER BY f.name COLLATE "C")
          FROM (SELECT ic.relname AS name, x.indisunique AS uniq, pg_get_indexdef(x.indexrelid) AS def,
                       format(' ON %s USING ', format('%I.%I', n.nspname, c.relname)) AS tail,
                       format(' ON ONLY %s USING ', format('%I.%I', n.nspname, c.relname)) AS only_tail
                  FROM pg_index AS x
                  JOIN pg_class AS ic ON ic.oid = x.indexrelid
                 WHERE x.indrelid = c.oid
                   AND NOT EXISTS (SELECT FROM pg_constraint AS k
                                    WHERE k.conindid = x.indexrelid AND k.conrelid = c.oid
                                      AND k.contype IN ('p', 'u', 'x'))) AS f), '[]'::jsonb))
  FROM pg_class AS c
  JOIN pg_namespace AS n ON n.oid = c.relnamespace
 WHERE c.oid = table_details.relid AND c.relkind IN ('r', 'p', 'f'));
END
$function$;

COMMENT ON FUNCTION pggit.table_details(oid) IS
    'Names and DDL pieces of a table that its canonical definition leaves out (columns, named constraints and indexes), as jsonb.';
