-- pggit.describe_object(classid oid, objid oid)
--     -> (kind text, schema_name text, object_name text, identity text,
--         structure json, definition text, partition_parent oid)
--
-- Promises: for a trackable object, addressed as pggit.tracked_owner returns it, one
-- row describing it; for anything else a row of NULLs (kind IS NULL). Never raises
-- for a missing object. Sees the calling transaction's uncommitted DDL. STABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- Trackable: an object of one of the kinds below whose schema passes
-- pggit.is_tracked_schema (so not pggit's own schemas, not temporary or system
-- schemas), that is not a member of an extension (pg_depend deptype 'e'), and (from
-- level 5) that is not the relation of a data branch: a relation whose schema and name
-- a row of pggit.data_branches records (relation_schema, relation_name) is pggit's,
-- created and dropped by the data-branch functions, never the user's schema change (so
-- it never lands in history, commits or generated migrations). A branch relation a
-- level-4 database registered is marked dropped (one 'drop' history row) the next time
-- a tracked statement touches it.
--
--   kind                 catalog                       definition from
--   table                pg_class r, p, f              pggit.describe_table
--   view                 pg_class v                    pggit.describe_view
--   materialized view    pg_class m                    pggit.describe_view
--   sequence             pg_class S, not an identity   SEQUENCE AS <type> START ..
--                        column's                      INCREMENT .. MINVALUE .. MAXVALUE
--                                                      .. CACHE .. [CYCLE], OWNED BY
--                                                      <table.column>, COMMENT
--   function, procedure  pg_proc f, w / p              pg_get_functiondef + COMMENT
--   type                 pg_type e, r, c (CREATE TYPE) pggit.describe_type
--   domain               pg_type d                     pggit.describe_type
--   schema               pg_namespace                  SCHEMA + COMMENT
--
-- identity is pg_identify_object(classid, objid, 0).identity (public.t, "My S"."T",
-- public.f(integer), s); schema_name and object_name are the raw names (for a
-- schema both are its name; for a routine object_name is its name without
-- arguments). partition_parent is the parent table's OID for a partition, else
-- NULL. Definitions are deparsed under the pinned search_path, so other objects
-- always appear schema-qualified.
CREATE OR REPLACE FUNCTION pggit.describe_object(
    classid oid,
    objid oid,
    OUT kind text,
    OUT schema_name text,
    OUT object_name text,
    OUT identity text,
    OUT structure json,
    OUT definition text,
    OUT partition_parent oid)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    relkind "char";
    ispartition boolean;
    persistence "char";
    dsc text;
    excluded boolean;
BEGIN
    IF classid = 'pg_class'::regclass THEN
        SELECT c.relkind, c.relispartition, c.relpersistence, n.nspname, c.relname,
               CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'f' THEN 'table'
                              WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' END,
               -- an extension's member, or an identity column's sequence (part of its table)
               EXISTS (SELECT FROM pg_depend AS d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND (d.deptype = 'e' OR (d.deptype = 'i' AND c.relkind = 'S'
                                                   AND d.refclassid = 'pg_class'::regclass)))
          INTO relkind, ispartition, persistence, schema_name, object_name, kind, excluded
          FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE c.oid = objid;
        -- a data branch's relation (<table>__<branch>, created by create_data_branch) is
        -- pggit's, not the user's schema: known by schema and name in pggit.data_branches
        IF excluded OR NOT pggit.is_tracked_schema(schema_name)
           OR EXISTS (SELECT FROM pggit.data_branches AS db
                       WHERE db.relation_schema = describe_object.schema_name
                         AND db.relation_name = describe_object.object_name) THEN
            kind := NULL;
        END IF;
    ELSIF classid = 'pg_type'::regclass THEN
        SELECT CASE WHEN t.typtype = 'd' THEN 'domain' WHEN t.typtype IN ('e', 'r', 'c') THEN 'type' END,
               n.nspname, t.typname
          INTO kind, schema_name, object_name
          FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
         WHERE t.oid = objid;
    ELSIF classid = 'pg_proc'::regclass THEN
        SELECT CASE p.prokind WHEN 'f' THEN 'function' WHEN 'w' THEN 'function' WHEN 'p' THEN 'procedure' END,
               n.nspname, p.proname
          INTO kind, schema_name, object_name
          FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
         WHERE p.oid = objid;
    ELSIF classid = 'pg_namespace'::regclass THEN
        SELECT 'schema', n.nspname, n.nspname INTO kind, schema_name, object_name
          FROM pg_namespace AS n WHERE n.oid = objid;
    END IF;

    IF kind IS NULL
       OR (classid <> 'pg_class'::regclass
           AND (NOT pggit.is_tracked_schema(schema_name)
                OR EXISTS (SELECT FROM pg_depend AS d
                            WHERE d.classid = describe_object.classid AND d.objid = describe_object.objid
                              AND (d.deptype = 'e' OR (d.deptype = 'i' AND d.classid = 'pg_proc'::regclass))))) THEN
        kind := NULL;
        schema_name := NULL;
        object_name := NULL;
        RETURN;
    END IF;

    IF kind = 'table' THEN
        SELECT d.structure, d.definition INTO structure, definition FROM pggit.describe_table(objid) AS d;
        IF ispartition THEN
            SELECT ih.inhparent INTO partition_parent FROM pg_inherits AS ih WHERE ih.inhrelid = objid;
        END IF;
    ELSIF kind IN ('view', 'materialized view') THEN
        SELECT d.structure, d.definition INTO structure, definition FROM pggit.describe_view(objid) AS d;
    ELSIF kind IN ('type', 'domain') THEN
        SELECT d.structure, d.definition INTO structure, definition FROM pggit.describe_type(objid) AS d;
    ELSE
        SELECT ds.description INTO dsc
          FROM pg_description AS ds
         WHERE ds.objoid = objid AND ds.classoid = classid AND ds.objsubid = 0;
        structure := json_build_object('t', kind);
        IF kind = 'sequence' THEN
            SELECT concat_ws(E'\n',
                       concat_ws(' ', CASE WHEN persistence = 'u' THEN 'UNLOGGED' END,
                                 'SEQUENCE AS ' || format_type(s.seqtypid, NULL), 'START ' || s.seqstart,
                                 'INCREMENT ' || s.seqincrement, 'MINVALUE ' || s.seqmin,
                                 'MAXVALUE ' || s.seqmax, 'CACHE ' || s.seqcache,
                                 CASE WHEN s.seqcycle THEN 'CYCLE' END),
                       (SELECT format('OWNED BY %I.%I.%I', n.nspname, c.relname, a.attname)
                          FROM pg_depend AS d
                          JOIN pg_class AS c ON c.oid = d.refobjid
                          JOIN pg_namespace AS n ON n.oid = c.relnamespace
                          JOIN pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = describe_object.objid
                           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
                         LIMIT 1),
                       'COMMENT ' || quote_literal(dsc))
              INTO definition
              FROM pg_sequence AS s
             WHERE s.seqrelid = objid;
        ELSIF kind IN ('function', 'procedure') THEN
            definition := concat_ws(E'\n', pg_get_functiondef(objid), 'COMMENT ' || quote_literal(dsc));
        ELSE
            definition := concat_ws(E'\n', 'SCHEMA', 'COMMENT ' || quote_literal(dsc));
        END IF;
    END IF;

    IF definition IS NULL THEN
        -- gone meanwhile, or a type describe_type does not cover (base, row, array)
        kind := NULL;
        schema_name := NULL;
        object_name := NULL;
        structure := NULL;
        RETURN;
    END IF;
    -- pg_identify_object prints a relation as quote_ident(schema).quote_ident(name)
    identity := CASE WHEN classid = 'pg_class'::regclass THEN format('%I.%I', schema_name, object_name)
                     ELSE (pg_identify_object(classid, objid, 0)).identity END;
END
$function$;

COMMENT ON FUNCTION pggit.describe_object(oid, oid) IS
    'Kind, names, identity, structure and canonical definition of a trackable object; NULLs if it is not trackable.';
