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
-- STABLE, callable by everyone (reads pg_catalog only). Cost (level 12, issue 15): one
-- query per part, index scans only, built as json and cast to jsonb once (building
-- jsonb row by row costs several times as much), joins instead of per-row subqueries
-- (each subquery's plan starts at every execution), a default deparsed without its
-- table (pg_get_expr with a relation costs O(columns) per call; a default cannot refer
-- to columns, a generation expression can and keeps it), and the index query only for a
-- table that has indexes. Same result as level 11's version.
CREATE OR REPLACE FUNCTION pggit.table_details(relid oid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    rel record;
    seq_cols smallint[];
    seq_oids oid[];
    cols json;
    cons json;
    idx json;
BEGIN
    -- PL/pgSQL, not SQL: a SQL function with SET is planned again at every call (in the
    -- trigger, once per tracked statement); PL/pgSQL keeps the plan for the session.
    -- the table, and the sequences its identity columns own (an internal dependency of the
    -- sequence on the column), found in one scan of the table's dependents
    SELECT c.relhasindex, format('%I.%I', n.nspname, c.relname) AS self, sq.cols, sq.oids
      INTO rel
      FROM pg_class AS c
      JOIN pg_namespace AS n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL (SELECT array_agg(dp.refobjsubid) AS cols, array_agg(dp.objid) AS oids
                            FROM pg_depend AS dp
                            JOIN pg_class AS sc ON sc.oid = dp.objid AND sc.relkind = 'S'
                           WHERE dp.refclassid = 'pg_class'::regclass AND dp.refobjid = c.oid
                             AND dp.classid = 'pg_class'::regclass AND dp.deptype = 'i') AS sq
     WHERE c.oid = table_details.relid AND c.relkind IN ('r', 'p', 'f');
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    seq_cols := rel.cols;
    seq_oids := rel.oids;

    SELECT json_agg(CASE WHEN q.seqrelid IS NULL
                         THEN json_build_object('n', a.attname, 't', a.typ, 'nn', a.attnotnull, 'd', a.def,
                                                'g', a.gen, 'i', a.ident, 'c', a.coll)
                         ELSE json_build_object('n', a.attname, 't', a.typ, 'nn', a.attnotnull, 'd', a.def,
                                                'g', a.gen, 'i', a.ident, 'c', a.coll,
                                                's', format('%I.%I', sn.nspname, sc.relname),
                                                'so', json_strip_nulls(json_build_object(
             'start', CASE WHEN q.seqstart <> CASE WHEN q.seqincrement > 0 THEN q.seqmin ELSE q.seqmax END
                           THEN q.seqstart END,
             'inc', CASE WHEN q.seqincrement <> 1 THEN q.seqincrement END,
             'min', CASE WHEN q.seqmin <> CASE WHEN q.seqincrement > 0 THEN 1
                                               WHEN q.seqtypid = 'int2'::regtype THEN -32768
                                               WHEN q.seqtypid = 'int4'::regtype THEN -2147483648
                                               ELSE -9223372036854775808 END
                         THEN q.seqmin END,
             'max', CASE WHEN q.seqmax <> CASE WHEN q.seqincrement <= 0 THEN -1
                                               WHEN q.seqtypid = 'int2'::regtype THEN 32767
                                               WHEN q.seqtypid = 'int4'::regtype THEN 2147483647
                                               ELSE 9223372036854775807 END
                         THEN q.seqmax END,
             'cache', CASE WHEN q.seqcache <> 1 THEN q.seqcache END,
             'cycle', CASE WHEN q.seqcycle THEN true END))) END
                    ORDER BY a.attnum)
      INTO cols
      FROM (SELECT a.attnum, a.attname, a.attnotnull, a.attidentity, a.attrelid,
                   format_type(a.atttypid, a.atttypmod) AS typ,
                   CASE WHEN a.attgenerated = '' AND d.adbin IS NOT NULL THEN pg_get_expr(d.adbin, 0) END AS def,
                   CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS gen,
                   nullif(a.attidentity::text, '') AS ident,
                   CASE WHEN co.oid IS NOT NULL THEN format('%I.%I', cn.nspname, co.collname) END AS coll
              FROM pg_attribute AS a
              JOIN pg_type AS t ON t.oid = a.atttypid
              -- (lookups keyed by NULL when a column needs none: no index probe at all)
              LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = CASE WHEN a.atthasdef THEN a.attnum END
              LEFT JOIN pg_collation AS co
                     ON co.oid = CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation END
              LEFT JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
             WHERE a.attrelid = table_details.relid AND a.attnum > 0 AND NOT a.attisdropped
            OFFSET 0) AS a
      -- an identity column's sequence and its options
      LEFT JOIN pg_sequence AS q
             ON q.seqrelid = CASE WHEN a.attidentity <> '' THEN seq_oids[array_position(seq_cols, a.attnum)] END
      LEFT JOIN pg_class AS sc ON sc.oid = q.seqrelid
      LEFT JOIN pg_namespace AS sn ON sn.oid = sc.relnamespace;

    SELECT json_agg(json_build_object('n', k.conname, 't', k.contype, 'd', pg_get_constraintdef(k.oid))
                    ORDER BY k.conname COLLATE "C")
      INTO cons
      FROM pg_constraint AS k
     WHERE k.conrelid = table_details.relid
       -- a plain column NOT NULL is a constraint row only on 18 (attnotnull on every major)
       AND NOT (k.contype = 'n' AND k.convalidated AND NOT k.connoinherit);

    IF rel.relhasindex THEN
        -- pg_get_indexdef: CREATE [UNIQUE ]INDEX <name> ON [ONLY ]<table> USING <rest>: keep <rest>
        SELECT json_agg(json_build_object('n', f.name, 'u', f.uniq,
                                          'd', CASE WHEN strpos(f.def, f.tail) > 0
                                               THEN substr(f.def, strpos(f.def, f.tail) + length(f.tail))
                                               ELSE substr(f.def, strpos(f.def, f.only_tail) + length(f.only_tail))
                                          END)
                        ORDER BY f.name COLLATE "C")
          INTO idx
          FROM (SELECT ic.relname AS name, x.indisunique AS uniq, pg_get_indexdef(x.indexrelid) AS def,
                       format(' ON %s USING ', rel.self) AS tail,
                       format(' ON ONLY %s USING ', rel.self) AS only_tail
                  FROM pg_index AS x
                  JOIN pg_class AS ic ON ic.oid = x.indexrelid
                  LEFT JOIN pg_constraint AS k
                         ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')
                 WHERE x.indrelid = table_details.relid AND k.oid IS NULL
                OFFSET 0) AS f;
    END IF;

    RETURN json_build_object('cols', coalesce(cols, '[]'::json), 'cons', coalesce(cons, '[]'::json),
                             'idx', coalesce(idx, '[]'::json))::jsonb;
END
$function$;

COMMENT ON FUNCTION pggit.table_details(oid) IS
    'Names and DDL pieces of a table that its canonical definition leaves out (columns, named constraints and indexes), as jsonb.';
