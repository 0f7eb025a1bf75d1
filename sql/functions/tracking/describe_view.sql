-- pggit.describe_view(relid oid) -> (structure json, definition text)
--
-- Promises: for a view (relkind v) or materialized view (m) its canonical description;
-- for anything else (NULL, missing, a table...) two NULLs. Never raises for a missing
-- object. Reads pg_catalog only, sees the calling transaction's uncommitted DDL.
-- STABLE, PARALLEL SAFE, callable by everyone.
--
-- `definition`, one item per line:
--   VIEW | MATERIALIZED VIEW
--   COLUMN <name> <type> [COLLATE ..] [DEFAULT ..] [COMMENT '..']   in column order
--   WITH (<reloptions, sorted>)                 security_barrier, check_option, ...
--   AS <pggit.view_query>                       pg_get_viewdef with the pinned search_path, as
--                                               16+ print it on every major (one view hashes
--                                               alike on 15 and 18)
--   INDEX ..., TRIGGER ..., RULE ... lines as in pggit.describe_table
--   USING <access method> (materialized views), COMMENT '..'
-- It leaves out the view's own name and schema, OIDs, owner, grants, tablespace and
-- whether a materialized view is populated (data).
--
-- `structure`: {"t": "view" | "materialized view",
--               "c": [[attnum, name, type, collation or null], ...],
--               "i": {index name: INDEX line, ...}}   (indexes: materialized views)
-- Classification (pggit.classify_change): a column removed, renamed or retyped is
-- major, a column added minor, an index added minor, anything else patch.
CREATE OR REPLACE FUNCTION pggit.describe_view(
    relid oid,
    OUT structure json,
    OUT definition text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
AS $function$
DECLARE
    rel record;
    self text;
    cols json;
    col_lines text;
    idx json;
    idx_lines text;
    trg_lines text;
    rule_lines text;
BEGIN
    SELECT c.relkind, c.reloptions, c.relam, c.relhastriggers, c.relhasrules, n.nspname, c.relname
      INTO rel
      FROM pg_class AS c
      JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = relid;
    IF NOT FOUND OR rel.relkind NOT IN ('v', 'm') THEN
        RETURN;
    END IF;
    self := format('%I.%I', rel.nspname, rel.relname);

    SELECT json_agg(ARRAY[a.attnum::text, a.attname::text, x.typ, x.coll]
                     ORDER BY a.attnum),
           string_agg(concat_ws(' ', 'COLUMN', quote_ident(a.attname), x.typ, 'COLLATE ' || x.coll,
                                'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                                'COMMENT ' || quote_literal(ds.description)),
                      E'\n' ORDER BY a.attnum)
      INTO cols, col_lines
      FROM pg_attribute AS a
      JOIN pg_type AS t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_description AS ds
             ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
      CROSS JOIN LATERAL (
          SELECT format_type(a.atttypid, a.atttypmod) AS typ,
                 CASE WHEN a.attcollation <> t.typcollation THEN (
                      SELECT format('%I.%I', cn.nspname, co.collname)
                        FROM pg_collation AS co JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
                       WHERE co.oid = a.attcollation) END AS coll
              OFFSET 0) AS x
     WHERE a.attrelid = relid AND a.attnum > 0 AND NOT a.attisdropped;

    IF rel.relkind = 'm' THEN
        SELECT json_object_agg(i.name, i.line),
               string_agg('INDEX ' || i.line || coalesce(' COMMENT ' || quote_literal(i.dsc), ''),
                          E'\n' ORDER BY i.line COLLATE "C", i.dsc COLLATE "C")
          INTO idx, idx_lines
          FROM (SELECT ic.relname AS name,
                       (SELECT ds.description FROM pg_description AS ds
                         WHERE ds.objoid = ic.oid AND ds.classoid = 'pg_class'::regclass
                           AND ds.objsubid = 0) AS dsc,
                       CASE WHEN starts_with(f.def, f.head || self || ' USING ')
                            THEN f.uniq || substr(f.def, length(f.head || self || ' USING ') + 1)
                            ELSE f.def END AS line
                  FROM pg_index AS x
                  JOIN pg_class AS ic ON ic.oid = x.indexrelid
                  CROSS JOIN LATERAL (
                      SELECT pg_get_indexdef(x.indexrelid) AS def,
                             CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END AS uniq,
                             format('CREATE %sINDEX %I ON ', CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END,
                                    ic.relname) AS head
                  OFFSET 0) AS f
                 WHERE x.indrelid = relid AND x.indisvalid) AS i;
    END IF;

    IF rel.relhastriggers THEN
        trg_lines := pggit.describe_triggers(relid, self);
    END IF;

    IF rel.relhasrules THEN
        rule_lines := pggit.describe_rules(relid, self);
    END IF;

    structure := json_build_object(
        't', CASE rel.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
        'c', coalesce(cols, '[]'::json),
        'i', coalesce(idx, '{}'::json));
    definition := concat_ws(E'\n',
        CASE rel.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
        col_lines,
        'WITH (' || (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(rel.reloptions) AS o) || ')',
        'AS ' || pggit.view_query(relid),
        idx_lines, trg_lines, rule_lines,
        (SELECT 'USING ' || quote_ident(am.amname) FROM pg_am AS am WHERE am.oid = rel.relam),
        (SELECT 'COMMENT ' || quote_literal(ds.description) FROM pg_description AS ds
          WHERE ds.objoid = relid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0));
END
$function$;

COMMENT ON FUNCTION pggit.describe_view(oid) IS
    'Canonical description of a view or materialized view (structure json, definition text); NULLs otherwise.';
