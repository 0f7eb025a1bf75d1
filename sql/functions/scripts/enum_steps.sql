-- pggit.enum_steps(object_identity text, change text, old_definition text, new_definition text,
--                  dep_level integer)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.type_steps' steps for one type of a diff that is an enum at the
-- target and stays or is added (`change` 'added', 'modified' or 'renamed'; definitions
-- as pggit.describe_type writes them, 'ENUM (..)' and a '\nCOMMENT ..' line last), on
-- its name at the target; phase 110, sort key `dep_level` (its dependency level among
-- the types of the diff, 4 digits) and the identity.
--   CREATE TYPE .. AS ENUM; labels added by ALTER TYPE .. ADD VALUE BEFORE/AFTER; labels
--   lost or reordered: commented DROP TYPE; CREATE TYPE with a warning; another kind of
--   type under the same name: commented DROP; CREATE with a warning. COMMENT ON TYPE.
-- Never raises. STABLE (it only reads its arguments), SECURITY INVOKER, callable by
-- everyone: the piece of type_steps (itself callable by everyone) for enums.
CREATE OR REPLACE FUNCTION pggit.enum_steps(object_identity text, change text, old_definition text,
                                            new_definition text, dep_level integer)
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
    v_old_labels text[];
    v_new_labels text[];
    v_prev text;
BEGIN
    phase := 110;
    sort_key := lpad(dep_level::text, 4, '0') || object_identity;
    warning := NULL;
    v_create := format('CREATE TYPE %s AS %s;', object_identity, v_nb);

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
    ELSE
        v_old_labels := ARRAY(SELECT replace(m[1], '''''', '''')
                                FROM regexp_matches(v_ob, '''((?:[^'']|'''')*)''', 'g') AS m);
        v_new_labels := ARRAY(SELECT replace(m[1], '''''', '''')
                                FROM regexp_matches(v_nb, '''((?:[^'']|'''')*)''', 'g') AS m);
        IF v_old_labels <@ v_new_labels
           AND v_old_labels = ARRAY(SELECT l FROM unnest(v_new_labels) AS l WHERE l = ANY (v_old_labels)) THEN
            v_prev := NULL;
            FOR i IN 1 .. coalesce(array_length(v_new_labels, 1), 0) LOOP
                IF NOT v_new_labels[i] = ANY (v_old_labels) THEN
                    statement := format('ALTER TYPE %s ADD VALUE %L %s;', object_identity, v_new_labels[i],
                        CASE WHEN v_prev IS NOT NULL THEN format('AFTER %L', v_prev)
                             WHEN array_length(v_old_labels, 1) > 0 THEN format('BEFORE %L', v_old_labels[1])
                             ELSE '' END);
                    RETURN NEXT;
                END IF;
                v_prev := v_new_labels[i];
            END LOOP;
        ELSE
            statement := format('-- DROP TYPE %s; %s', object_identity, v_create);
            warning := format('enum %s loses or reorders labels: values of its columns may be lost',
                              object_identity);
            RETURN NEXT;
            v_redone := true;
        END IF;
    END IF;

    IF v_ncm IS DISTINCT FROM (CASE WHEN NOT v_redone THEN v_ocm END) THEN
        warning := NULL;
        statement := format('COMMENT ON TYPE %s IS %s;', object_identity, coalesce(v_ncm, 'NULL'));
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.enum_steps(text, text, text, text, integer) IS
    'The steps of type_steps for one enum type that stays or is added (create, labels added, comment).';
