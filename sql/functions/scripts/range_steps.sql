-- pggit.range_steps(object_identity text, change text, old_definition text, new_definition text,
--                   dep_level integer, schema_map jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.type_steps' steps for one type of a diff that is a range type at the
-- target and stays or is added (`change` 'added', 'modified' or 'renamed'; definitions
-- as pggit.describe_type writes them, 'RANGE SUBTYPE ..' and a '\nCOMMENT ..' line
-- last), on its name at the target; phase 110, sort key `dep_level` (its dependency
-- level among the types of the diff, 4 digits) and the identity. `schema_map`: the
-- schemas the diff renames, {old name: new name}.
--   CREATE TYPE .. AS RANGE (SUBTYPE, SUBTYPE_OPCLASS, COLLATION, CANONICAL,
--   SUBTYPE_DIFF, MULTIRANGE_TYPE_NAME); a range renamed or moved: its multirange
--   renamed or moved after it (PostgreSQL leaves it; its old schema through
--   `schema_map`); any other change: commented DROP TYPE; CREATE TYPE with a warning, as
--   for another kind of type under the same name. COMMENT ON TYPE.
-- Errors: 22023 from parse_ident for a MULTIRANGE_TYPE_NAME that is no valid name.
-- STABLE (it only reads its arguments), SECURITY INVOKER, callable by everyone: the
-- piece of type_steps (itself callable by everyone) for range types.
CREATE OR REPLACE FUNCTION pggit.range_steps(object_identity text, change text, old_definition text,
                                             new_definition text, dep_level integer, schema_map jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    c_comment CONSTANT text := E'\nCOMMENT (''(?:[^'']|'''')*'')$';
    v_ocm text := substring(old_definition FROM c_comment);
    v_ncm text := substring(new_definition FROM c_comment);
    v_ob text := regexp_replace(old_definition, c_comment, '');
    v_nb text := regexp_replace(new_definition, c_comment, '');
    v_create text;
    v_redone boolean := false;
    v_old_name text[];
    v_new_name text[];
BEGIN
    phase := 110;
    sort_key := lpad(dep_level::text, 4, '0') || object_identity;
    warning := NULL;
    SELECT format('CREATE TYPE %s AS RANGE (%s);', range_steps.object_identity,
                  string_agg(CASE WHEN x.o = 1 THEN 'SUBTYPE = ' || substr(x.p, 15)
                                  ELSE regexp_replace(x.p, '^([A-Z_]+) ', '\1 = ') END, ', ' ORDER BY x.o))
      INTO v_create
      FROM regexp_split_to_table(v_nb, ' (?=(SUBTYPE_OPCLASS|COLLATION|CANONICAL|SUBTYPE_DIFF|'
                                       'MULTIRANGE_TYPE_NAME) )') WITH ORDINALITY AS x (p, o);

    IF change = 'added' THEN
        statement := v_create; RETURN NEXT;
        v_redone := true;
    ELSIF v_nb = v_ob THEN
        NULL;  -- renamed only, or its comment changed
    ELSIF split_part(v_nb, ' ', 1) <> split_part(v_ob, ' ', 1) THEN
        -- another kind of type under the same name
        statement := format('-- DROP %s %s; %s', 'TYPE', object_identity, v_create);
        warning := format('%s %s becomes another kind of type (%s to %s): it is dropped and created again; columns '
                          'of that type lose their values', 'type', object_identity,
                          split_part(v_ob, ' ', 1), split_part(v_nb, ' ', 1));
        RETURN NEXT;
        v_redone := true;
    ELSIF regexp_replace(v_nb, ' MULTIRANGE_TYPE_NAME .*$', '') = regexp_replace(v_ob, ' MULTIRANGE_TYPE_NAME .*$', '')
          AND cardinality(parse_ident(substring(v_ob FROM ' MULTIRANGE_TYPE_NAME (.*)$'))) = 2
          AND cardinality(parse_ident(substring(v_nb FROM ' MULTIRANGE_TYPE_NAME (.*)$'))) = 2 THEN
        -- only the multirange's name differs: the range was renamed or moved, and
        -- PostgreSQL renames or moves a range's array type with it, not its multirange
        v_old_name := parse_ident(substring(v_ob FROM ' MULTIRANGE_TYPE_NAME (.*)$'));
        v_new_name := parse_ident(substring(v_nb FROM ' MULTIRANGE_TYPE_NAME (.*)$'));
        v_old_name[1] := coalesce(schema_map ->> v_old_name[1], v_old_name[1]);
        IF v_old_name[2] <> v_new_name[2] THEN
            statement := format('ALTER TYPE %I.%I RENAME TO %I;', v_old_name[1], v_old_name[2], v_new_name[2]);
            RETURN NEXT;
        END IF;
        IF v_old_name[1] <> v_new_name[1] THEN
            statement := format('ALTER TYPE %I.%I SET SCHEMA %I;', v_old_name[1], v_new_name[2], v_new_name[1]);
            RETURN NEXT;
        END IF;
    ELSE
        statement := format('-- DROP TYPE %s; %s', object_identity, v_create);
        warning := format('range type %s changes (%s to %s): it is dropped and created again; columns of that '
                          'type lose their values', object_identity, v_ob, v_nb);
        RETURN NEXT;
        v_redone := true;
    END IF;

    IF v_ncm IS DISTINCT FROM (CASE WHEN NOT v_redone THEN v_ocm END) THEN
        warning := NULL;
        statement := format('COMMENT ON TYPE %s IS %s;', object_identity, coalesce(v_ncm, 'NULL'));
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.range_steps(text, text, text, text, integer, jsonb) IS
    'The steps of type_steps for one range type that stays or is added (create, multirange renamed or moved, comment).';
