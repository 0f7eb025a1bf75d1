-- pggit.type_steps(diff jsonb, from_ref text, to_ref text)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: the DDL steps for the types, domains and sequences of `diff` (the rows of
-- pggit.diff(from_ref, to_ref) as a jsonb array of objects), for
-- pggit.generate_migration, which sorts all its steps by (phase, sort_key COLLATE
-- "C", order of appearance) and numbers them. Renames are not here (generate_migration
-- writes them, phases 90 to 92): a renamed object's other changes are, on its new name.
-- Statements end with ';'; a step that loses data is commented out ('-- ' before it)
-- with a warning; a change that cannot be generated is a commented note with a
-- warning (no ';': pggit.apply_migration refuses it). Never silent.
--
-- The orchestration: the objects of `diff` one after the other (by identity COLLATE "C",
-- then kind), each object's steps together, by the piece for its kind at to_ref:
-- Types (phase 110, in dependency order: a type after the types of the diff its
-- definition names, by the schema-qualified names in it; sort key: that level, 4
-- digits, and the identity):
--   enum       pggit.enum_steps: CREATE TYPE .. AS ENUM; labels added by ALTER TYPE ..
--              ADD VALUE BEFORE/AFTER; labels lost or reordered: commented DROP TYPE;
--              CREATE TYPE with a warning.
--   composite  pggit.composite_steps: CREATE TYPE .. AS (..); ALTER TYPE .. ADD / ALTER
--              / DROP ATTRIBUTE, the order of the attributes kept (dropped and added
--              again, commented with a warning when something uses the type);
--              COMMENT ON COLUMN for attribute comments.
--   range      pggit.range_steps: CREATE TYPE .. AS RANGE (..); a range renamed or
--              moved: its multirange renamed or moved after it (PostgreSQL leaves it);
--              any other change: commented DROP TYPE; CREATE TYPE with a warning.
--   domain     pggit.domain_steps: CREATE DOMAIN; ALTER DOMAIN SET/DROP DEFAULT,
--              SET/DROP NOT NULL, DROP/ADD CONSTRAINT by name, COMMENT ON CONSTRAINT; a
--              changed base type or collation: commented DROP DOMAIN; CREATE DOMAIN with
--              a warning. Constraint names come from pggit.object_details or, for
--              WORKING, the live catalog; without them a note with a warning.
--   any        (in each piece) another kind of type under the same name: commented
--              DROP; CREATE with a warning; COMMENT ON TYPE / DOMAIN. (here) A dropped
--              type: DROP TYPE / DOMAIN in reverse dependency order, after the columns
--              and attributes that change away from it (phase 147) or, when its name is
--              taken again by another type or its schema goes, with the other drops
--              (phase 70).
-- Sequences: pggit.sequence_steps: CREATE [UNLOGGED] SEQUENCE, ALTER SEQUENCE with every
-- option and SET LOGGED/UNLOGGED, COMMENT ON SEQUENCE (120); ownership: OWNED BY NONE
-- before any column or table is dropped (44) and OWNED BY the new column after the
-- tables (165); a dropped sequence: commented DROP SEQUENCE IF EXISTS with a warning,
-- after column defaults change (146) or with the other drops (60) when its name is taken
-- again or its schema goes.
-- Not generated (documented in docs/REFS_AND_MERGE.md): a domain whose CHECK calls a
-- function of the diff or whose default uses a sequence of the diff (created before
-- them), a composite type with an attribute of a table's row type, dependencies of
-- views on attributes, base types, typed tables (CREATE TABLE .. OF).
-- Errors: 22004 NULL diff, 22023 diff not an array of objects, 22023 an identity
-- that is no valid name. STABLE: it only reads; the pieces are SECURITY INVOKER and
-- callable by everyone too (this function runs with its caller's rights). Cost: O(types and sequences in diff),
-- plus pggit.schema_at(from_ref) once per composite type whose attributes move or
-- change type.
CREATE OR REPLACE FUNCTION pggit.type_steps(diff jsonb, from_ref text, to_ref text)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    -- a schema-qualified name as format_type and pg_identify_object print it
    c_name CONSTANT text := '((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))';
    r record;
    c record;
    v_rows jsonb;
    v_deps jsonb;
    v_level jsonb := '{}';
    v_rlevel jsonb := '{}';
    v_tlevel jsonb := '{}';
    v_grew boolean;
    v_iter integer;
    v_gone_schemas text[];
    v_schema_map jsonb;
    v_dep integer;
    v_to_working boolean;
BEGIN
    IF diff IS NULL THEN
        RAISE EXCEPTION 'type_steps: diff is NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(diff) <> 'array' THEN
        RAISE EXCEPTION 'type_steps: diff must be a jsonb array of pggit.diff rows, not a %', jsonb_typeof(diff)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT coalesce(jsonb_agg(to_jsonb(d) ORDER BY d.object_identity COLLATE "C", d.object_kind), '[]')
      INTO v_rows
      FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text,
                                          new_definition text, old_identity text)
     WHERE d.object_kind IN ('type', 'domain', 'sequence')
       AND d.change IN ('added', 'removed', 'modified', 'renamed') AND d.object_identity IS NOT NULL
       AND (d.change = 'added' OR (d.old_definition IS NOT NULL AND d.old_identity IS NOT NULL))
       AND (d.change = 'removed' OR d.new_definition IS NOT NULL);
    IF v_rows = '[]' THEN
        RETURN;
    END IF;
    SELECT coalesce(jsonb_object_agg((parse_ident(d.value ->> 'old_identity'))[1],
                                     (parse_ident(d.value ->> 'object_identity'))[1]), '{}')
      INTO v_schema_map
      FROM jsonb_array_elements(diff) AS d
     WHERE d.value ->> 'object_kind' = 'schema' AND d.value ->> 'change' = 'renamed'
       AND d.value ->> 'old_identity' IS NOT NULL AND d.value ->> 'object_identity' IS NOT NULL;
    v_gone_schemas := ARRAY(SELECT (parse_ident(d.value ->> 'object_identity'))[1]
                              FROM jsonb_array_elements(diff) AS d
                             WHERE d.value ->> 'object_kind' = 'schema' AND d.value ->> 'change' = 'removed');

    -- dependency levels: 1 + the greatest level of the types of the same side its
    -- definition names (v_level: types at to_ref, v_rlevel: removed types at from_ref)
    FOR i IN 1 .. 2 LOOP
        SELECT coalesce(jsonb_object_agg(x.ident, x.deps), '{}') INTO v_deps
          FROM (SELECT d.value ->> 'object_identity' AS ident,
                       coalesce((SELECT jsonb_agg(DISTINCT m[1])
                                   FROM regexp_matches(d.value ->> CASE WHEN i = 1 THEN 'new_definition'
                                                                        ELSE 'old_definition' END, c_name, 'g') AS m
                                  WHERE m[1] <> d.value ->> 'object_identity'
                                    AND EXISTS (SELECT FROM jsonb_array_elements(v_rows) AS o
                                                 WHERE o.value ->> 'object_kind' IN ('type', 'domain')
                                                   AND o.value ->> 'object_identity' = m[1]
                                                   AND (o.value ->> 'change' = 'removed') = (i = 2))), '[]') AS deps
                  FROM jsonb_array_elements(v_rows) AS d
                 WHERE d.value ->> 'object_kind' IN ('type', 'domain')
                   AND (d.value ->> 'change' = 'removed') = (i = 2)) AS x;
        v_level := '{}';
        v_iter := 0;
        LOOP
            v_grew := false;
            v_iter := v_iter + 1;
            FOR c IN SELECT e.key AS ident,
                            1 + coalesce((SELECT max((v_level ->> x.x)::integer)
                                            FROM jsonb_array_elements_text(e.value) AS x (x)), 0) AS lvl
                       FROM jsonb_each(v_deps) AS e LOOP
                IF c.lvl > coalesce((v_level ->> c.ident)::integer, 0) AND c.lvl < 100 THEN
                    v_level := v_level || jsonb_build_object(c.ident, c.lvl);
                    v_grew := true;
                END IF;
            END LOOP;
            EXIT WHEN NOT v_grew OR v_iter > 200;
        END LOOP;
        IF i = 2 THEN
            v_rlevel := v_level;
        ELSE
            v_tlevel := v_level;
        END IF;
    END LOOP;
    v_level := v_tlevel;

    -- one object after the other, in the order of v_rows: each kind's piece returns its
    -- object's steps in order
    FOR r IN SELECT * FROM jsonb_to_recordset(v_rows) AS d (object_identity text, object_kind text, change text,
                                                            old_definition text, new_definition text, old_identity text)
    LOOP
        IF r.object_kind = 'sequence' THEN
            RETURN QUERY SELECT * FROM pggit.sequence_steps(diff, r.object_identity, r.change, r.old_definition,
                                                            r.new_definition, r.old_identity, v_gone_schemas);
            CONTINUE;
        END IF;

        -- types and domains: a dropped one here, in reverse dependency order
        IF r.change = 'removed' THEN
            phase := CASE WHEN (parse_ident(r.object_identity))[1] = ANY (v_gone_schemas)
                               OR EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                                           WHERE d.value ->> 'object_identity' = r.object_identity
                                             AND d.value ->> 'change' IN ('added', 'renamed')
                                             AND d.value ->> 'object_kind' IN ('type', 'domain'))
                          THEN 70 ELSE 147 END;
            sort_key := lpad((1000 - coalesce((v_rlevel ->> r.object_identity)::integer, 1))::text, 4, '0')
                        || r.object_identity;
            statement := format('DROP %s %s;', upper(r.object_kind), r.object_identity);
            warning := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;
        -- one that stays or is added: by its kind at to_ref (the start of its definition)
        v_dep := coalesce((v_level ->> r.object_identity)::integer, 1);
        IF r.object_kind = 'domain' THEN
            v_to_working := coalesce(v_to_working, pggit.resolve_ref(to_ref) IS NULL);
            RETURN QUERY SELECT * FROM pggit.domain_steps(r.object_identity, r.change, r.old_definition,
                                                          r.new_definition, r.old_identity, v_dep, from_ref, to_ref,
                                                          v_to_working);
        ELSIF starts_with(r.new_definition, 'ENUM (') THEN
            RETURN QUERY SELECT * FROM pggit.enum_steps(r.object_identity, r.change, r.old_definition,
                                                        r.new_definition, v_dep);
        ELSIF starts_with(r.new_definition, 'RANGE ') THEN
            RETURN QUERY SELECT * FROM pggit.range_steps(r.object_identity, r.change, r.old_definition,
                                                         r.new_definition, v_dep, v_schema_map);
        ELSE
            RETURN QUERY SELECT * FROM pggit.composite_steps(r.object_identity, r.change, r.old_definition,
                                                             r.new_definition, r.old_identity, v_dep, from_ref);
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.type_steps(jsonb, text, text) IS
    'DDL steps (phase, sort key, statement, warning) for the types, domains and sequences of a pggit.diff, for generate_migration.';
