-- pggit.composite_steps(object_identity text, change text, old_definition text, new_definition text,
--                       old_identity text, dep_level integer, from_ref text)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.type_steps' steps for one type of a diff that is a composite type at
-- the target and stays or is added (`change` 'added', 'modified' or 'renamed';
-- definitions as pggit.describe_type writes them: 'ATTRIBUTE <name> <type> [COLLATE c]
-- [COMMENT '..']' lines and a '\nCOMMENT ..' line last), on its name at the target;
-- phase 110, sort key `dep_level` (its dependency level among the types of the diff, 4
-- digits) and the identity.
--   CREATE TYPE .. AS (..) and COMMENT ON COLUMN for its attributes' comments; ALTER
--   TYPE .. ADD ATTRIBUTE (appended), ALTER ATTRIBUTE .. TYPE (only while nothing at
--   `from_ref` uses the type, on its old name `old_identity`: PostgreSQL refuses it
--   otherwise), DROP ATTRIBUTE (commented, warning). Order is kept: attributes after the
--   first one out of place, or retyped while tables use the type, are dropped and added
--   again (commented with a warning when something uses the type: their values are
--   lost). COMMENT ON COLUMN for attribute comments. Another kind of type under the
--   same name: commented DROP; CREATE with a warning. COMMENT ON TYPE.
-- Errors: those of pggit.schema_at(from_ref), read once when attributes move or change
-- type. Cost: O(attributes), plus that pggit.schema_at(from_ref).
-- STABLE (it only reads), SECURITY INVOKER, callable by everyone: the piece of
-- type_steps (itself callable by everyone) for composite types.
CREATE OR REPLACE FUNCTION pggit.composite_steps(object_identity text, change text, old_definition text,
                                                 new_definition text, old_identity text, dep_level integer,
                                                 from_ref text)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    -- a schema-qualified name as format_type and pg_identify_object print it
    c_name CONSTANT text := '((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))';
    c_comment CONSTANT text := E'\nCOMMENT (''(?:[^'']|'''')*'')$';
    v_ocm text := substring(old_definition FROM c_comment);
    v_ncm text := substring(new_definition FROM c_comment);
    v_ob text := regexp_replace(old_definition, c_comment, '');
    v_nb text := regexp_replace(new_definition, c_comment, '');
    v_create text;
    v_after text[];
    v_redone boolean := false;
    v_used boolean;
    v_on text[]; v_ot text[]; v_oc text[];
    v_nn text[]; v_nt text[]; v_nc text[];
    v_p integer;
    v_j integer;
    v_last integer;
    v_txt text;
BEGIN
    phase := 110;
    sort_key := lpad(dep_level::text, 4, '0') || composite_steps.object_identity;
    warning := NULL;

    -- ATTRIBUTE <name> <type> [COLLATE <c>] [COMMENT '..'] lines, old (1) and new (2)
    SELECT coalesce(array_agg(a.nm ORDER BY a.o) FILTER (WHERE a.s = 1), '{}'),
           coalesce(array_agg(a.ty ORDER BY a.o) FILTER (WHERE a.s = 1), '{}'),
           coalesce(array_agg(a.cm ORDER BY a.o) FILTER (WHERE a.s = 1), '{}'),
           coalesce(array_agg(a.nm ORDER BY a.o) FILTER (WHERE a.s = 2), '{}'),
           coalesce(array_agg(a.ty ORDER BY a.o) FILTER (WHERE a.s = 2), '{}'),
           coalesce(array_agg(a.cm ORDER BY a.o) FILTER (WHERE a.s = 2), '{}')
      INTO v_on, v_ot, v_oc, v_nn, v_nt, v_nc
      FROM (SELECT s.s, p.o, x.nm, z.cm,
                   CASE WHEN z.cm IS NULL THEN y.rest ELSE left(y.rest, length(y.rest) - length(z.cm) - 9) END
                       AS ty
              FROM (VALUES (1, v_ob), (2, v_nb)) AS s (s, body)
             CROSS JOIN LATERAL regexp_split_to_table(s.body, E'\nATTRIBUTE ') WITH ORDINALITY AS p (l, o)
             CROSS JOIN LATERAL (SELECT substring(p.l FROM '^("(?:[^"]|"")*"|[^ "]+) ') AS nm) AS x
             CROSS JOIN LATERAL (SELECT substr(p.l, length(x.nm) + 2) AS rest) AS y
             CROSS JOIN LATERAL (SELECT substring(y.rest FROM ' COMMENT (''(?:[^'']|'''')*'')$') AS cm) AS z
             WHERE p.o > 1) AS a;
    v_create := format('CREATE TYPE %s AS (%s);', object_identity,
                       array_to_string(ARRAY(SELECT v_nn[g.g] || ' ' || v_nt[g.g]
                                               FROM generate_subscripts(v_nn, 1) AS g (g) ORDER BY g.g), ', '));
    v_after := ARRAY(SELECT format('COMMENT ON COLUMN %s.%s IS %s;', composite_steps.object_identity, v_nn[g.g],
                                   v_nc[g.g])
                       FROM generate_subscripts(v_nn, 1) AS g (g) WHERE v_nc[g.g] IS NOT NULL ORDER BY g.g);

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
        -- attributes matched by name. v_p: the longest start of the new attributes that
        -- are old ones in their old order (and keep their type while something uses the
        -- type); every other old attribute is dropped, every other new one appended, so
        -- the order comes out as at to_ref.
        v_p := 0;
        v_last := 0;
        FOR i IN 1 .. coalesce(array_length(v_nn, 1), 0) LOOP
            v_j := array_position(v_on, v_nn[i]);
            EXIT WHEN v_j IS NULL OR v_j < v_last;
            IF v_ot[v_j] <> v_nt[i] THEN
                IF v_used IS NULL THEN
                    v_used := EXISTS (
                        SELECT FROM pggit.schema_at(from_ref) AS s
                         WHERE s.object_kind IN ('table', 'type', 'domain')
                           AND s.object_identity <> composite_steps.old_identity
                           AND strpos(s.definition, composite_steps.old_identity) > 0
                           AND EXISTS (SELECT FROM regexp_matches(s.definition, c_name, 'g') AS m
                                        WHERE m[1] = composite_steps.old_identity));
                END IF;
                EXIT WHEN v_used;
            END IF;
            v_last := v_j;
            v_p := i;
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(v_on, 1), 0) LOOP
            IF NOT v_on[i] = ANY (v_nn[1:v_p]) THEN
                statement := format('ALTER TYPE %s DROP ATTRIBUTE %s;', object_identity, v_on[i]);
                IF v_on[i] = ANY (v_nn) THEN
                    IF v_used IS NULL THEN
                        v_used := EXISTS (
                            SELECT FROM pggit.schema_at(from_ref) AS s
                             WHERE s.object_kind IN ('table', 'type', 'domain')
                               AND s.object_identity <> composite_steps.old_identity
                               AND strpos(s.definition, composite_steps.old_identity) > 0
                               AND EXISTS (SELECT FROM regexp_matches(s.definition, c_name, 'g') AS m
                                            WHERE m[1] = composite_steps.old_identity));
                    END IF;
                    IF v_used THEN
                        statement := '-- ' || statement;
                        warning := format('attribute %s of type %s is dropped and added again (to keep the order of '
                                          'the attributes or to change its type): its values in columns of that '
                                          'type are lost', v_on[i], object_identity);
                    END IF;
                ELSE
                    statement := '-- ' || statement;
                    warning := format('attribute %s of type %s is dropped: its values in columns of that type are '
                                      'lost', v_on[i], object_identity);
                END IF;
                RETURN NEXT;
                warning := NULL;
            END IF;
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(v_nn, 1), 0) LOOP
            IF i <= v_p THEN
                v_j := array_position(v_on, v_nn[i]);
                IF v_ot[v_j] <> v_nt[i] THEN
                    statement := format('ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s;', object_identity, v_nn[i],
                                        v_nt[i]);
                    RETURN NEXT;
                END IF;
                IF v_oc[v_j] IS DISTINCT FROM v_nc[i] THEN
                    statement := format('COMMENT ON COLUMN %s.%s IS %s;', object_identity, v_nn[i],
                                        coalesce(v_nc[i], 'NULL'));
                    RETURN NEXT;
                END IF;
            ELSE
                statement := format('ALTER TYPE %s ADD ATTRIBUTE %s %s;', object_identity, v_nn[i], v_nt[i]);
                RETURN NEXT;
                IF v_nc[i] IS NOT NULL THEN
                    statement := format('COMMENT ON COLUMN %s.%s IS %s;', object_identity, v_nn[i], v_nc[i]);
                    RETURN NEXT;
                END IF;
            END IF;
        END LOOP;
    END IF;

    IF v_redone THEN
        warning := NULL;
        FOREACH v_txt IN ARRAY v_after LOOP
            statement := v_txt; RETURN NEXT;
        END LOOP;
    END IF;
    IF v_ncm IS DISTINCT FROM (CASE WHEN NOT v_redone THEN v_ocm END) THEN
        warning := NULL;
        statement := format('COMMENT ON TYPE %s IS %s;', object_identity, coalesce(v_ncm, 'NULL'));
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.composite_steps(text, text, text, text, text, integer, text) IS
    'The steps of type_steps for one composite type that stays or is added (create, attributes, comments).';
