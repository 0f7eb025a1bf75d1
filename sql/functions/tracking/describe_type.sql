-- pggit.describe_type(typid oid) -> (structure json, definition text)
--
-- Promises: for an enum, a composite type (CREATE TYPE .. AS (..), not a table's row
-- type), a range type or a domain, its canonical description; for anything else
-- (NULL, missing, base, array, multirange or row types) two NULLs. Never raises for
-- a missing object. Reads pg_catalog only, sees the calling transaction's
-- uncommitted DDL. STABLE, PARALLEL SAFE, callable by everyone.
--
-- `definition`, one item per line:
--   ENUM ('<label>', ...)                              labels in sort order
--   COMPOSITE TYPE / ATTRIBUTE <name> <type> [COLLATE ..] [COMMENT '..'] ...
--   RANGE SUBTYPE <type> [SUBTYPE_OPCLASS ..] [COLLATION ..] [CANONICAL ..]
--         [SUBTYPE_DIFF ..] MULTIRANGE_TYPE_NAME <name>
--   DOMAIN <base type> [COLLATE ..] [NOT NULL] [DEFAULT ..]
--          then CONSTRAINT <pg_get_constraintdef> lines, sorted, without their names
--   COMMENT '..'
-- Names of other objects are schema-qualified (pinned search_path); the type's own
-- name, schema, OIDs, owner and grants are left out.
--
-- `structure` (for pggit.classify_change):
--   enum:      {"t": "enum", "l": [labels in order]}
--   composite: {"t": "composite", "c": [[attnum, name, type, collation or null], ...]}
--   range:     {"t": "range"}
--   domain:    {"t": "domain", "nn": not null, "k": ["<contype> <definition>", ...]}
CREATE OR REPLACE FUNCTION pggit.describe_type(
    typid oid,
    OUT structure json,
    OUT definition text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
AS $function$
DECLARE
    typ record;
    body text;
    lines text;
    items json;
    dsc text;
BEGIN
    SELECT t.typtype, t.typrelid, t.typbasetype, t.typtypmod, t.typnotnull, t.typcollation,
           t.typdefaultbin, (SELECT c.relkind FROM pg_class AS c WHERE c.oid = t.typrelid) AS relkind
      INTO typ
      FROM pg_type AS t
     WHERE t.oid = typid;
    IF NOT FOUND OR NOT (typ.typtype IN ('e', 'r', 'd') OR (typ.typtype = 'c' AND typ.relkind = 'c')) THEN
        RETURN;
    END IF;
    SELECT ds.description INTO dsc
      FROM pg_description AS ds
     WHERE ds.objoid = typid AND ds.classoid = 'pg_type'::regclass AND ds.objsubid = 0;

    IF typ.typtype = 'e' THEN
        SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder),
               string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
          INTO items, lines
          FROM pg_enum AS e
         WHERE e.enumtypid = typid;
        structure := json_build_object('t', 'enum', 'l', coalesce(items, '[]'::json));
        body := 'ENUM (' || coalesce(lines, '') || ')';
    ELSIF typ.typtype = 'c' THEN
        SELECT json_agg(ARRAY[a.attnum::text, a.attname::text, x.typ, x.coll]
                         ORDER BY a.attnum),
               string_agg(concat_ws(' ', 'ATTRIBUTE', quote_ident(a.attname), x.typ, 'COLLATE ' || x.coll,
                                    'COMMENT ' || quote_literal(ds.description)),
                          E'\n' ORDER BY a.attnum)
          INTO items, lines
          FROM pg_attribute AS a
          JOIN pg_type AS t ON t.oid = a.atttypid
          LEFT JOIN pg_description AS ds
                 ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
          CROSS JOIN LATERAL (
              SELECT format_type(a.atttypid, a.atttypmod) AS typ,
                     CASE WHEN a.attcollation <> t.typcollation THEN (
                          SELECT format('%I.%I', cn.nspname, co.collname)
                            FROM pg_collation AS co JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
                           WHERE co.oid = a.attcollation) END AS coll
              OFFSET 0) AS x
         WHERE a.attrelid = typ.typrelid AND a.attnum > 0 AND NOT a.attisdropped;
        structure := json_build_object('t', 'composite', 'c', coalesce(items, '[]'::json));
        body := concat_ws(E'\n', 'COMPOSITE TYPE', lines);
    ELSIF typ.typtype = 'r' THEN
        SELECT concat_ws(' ', 'RANGE SUBTYPE ' || format_type(r.rngsubtype, NULL),
                   (SELECT format('SUBTYPE_OPCLASS %I.%I', n.nspname, oc.opcname)
                      FROM pg_opclass AS oc JOIN pg_namespace AS n ON n.oid = oc.opcnamespace
                     WHERE oc.oid = r.rngsubopc),
                   (SELECT format('COLLATION %I.%I', n.nspname, co.collname)
                      FROM pg_collation AS co JOIN pg_namespace AS n ON n.oid = co.collnamespace
                     WHERE co.oid = r.rngcollation),
                   CASE WHEN r.rngcanonical <> 0 THEN 'CANONICAL ' || r.rngcanonical::regproc::text END,
                   CASE WHEN r.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF ' || r.rngsubdiff::regproc::text END,
                   'MULTIRANGE_TYPE_NAME ' || format_type(r.rngmultitypid, NULL))
          INTO body
          FROM pg_range AS r
         WHERE r.rngtypid = typid;
        structure := json_build_object('t', 'range');
    ELSE
        SELECT json_agg(k.contype::text || ' ' || k.def ORDER BY k.contype, k.def COLLATE "C"),
               string_agg('CONSTRAINT ' || k.def || coalesce(' COMMENT ' || quote_literal(k.dsc), ''),
                          E'\n' ORDER BY k.def COLLATE "C", k.dsc COLLATE "C")
          INTO items, lines
          FROM (SELECT c.contype, pg_get_constraintdef(c.oid) AS def,
                       (SELECT ds.description FROM pg_description AS ds
                         WHERE ds.objoid = c.oid AND ds.classoid = 'pg_constraint'::regclass
                           AND ds.objsubid = 0) AS dsc
                  FROM pg_constraint AS c
                 WHERE c.contypid = typid
                   AND c.contype <> 'n') AS k;  -- a domain's NOT NULL: a row on 17+, typnotnull everywhere
        structure := json_build_object('t', 'domain', 'nn', typ.typnotnull, 'k', coalesce(items, '[]'::json));
        body := concat_ws(E'\n',
            concat_ws(' ', 'DOMAIN ' || format_type(typ.typbasetype, typ.typtypmod),
                      CASE WHEN typ.typcollation <> (SELECT b.typcollation FROM pg_type AS b
                                                      WHERE b.oid = typ.typbasetype) THEN (
                           SELECT format('COLLATE %I.%I', n.nspname, co.collname)
                             FROM pg_collation AS co JOIN pg_namespace AS n ON n.oid = co.collnamespace
                            WHERE co.oid = typ.typcollation) END,
                      CASE WHEN typ.typnotnull THEN 'NOT NULL' END,
                      'DEFAULT ' || pg_get_expr(typ.typdefaultbin, 0)),
            lines);
    END IF;
    definition := concat_ws(E'\n', body, 'COMMENT ' || quote_literal(dsc));
END
$function$;

COMMENT ON FUNCTION pggit.describe_type(oid) IS
    'Canonical description of an enum, composite, range type or domain (structure json, definition text); NULLs otherwise.';
