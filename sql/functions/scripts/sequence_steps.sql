-- pggit.sequence_steps(diff jsonb, object_identity text, change text, old_definition text,
--                      new_definition text, old_identity text, gone_schemas text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.type_steps' steps for one sequence of `diff` (the rows of pggit.diff
-- as a jsonb array of objects): the row's fields (`change` 'added', 'removed',
-- 'modified' or 'renamed'; definitions as pggit.describe_sequence writes them, a
-- '\nCOMMENT ..' line last) and `gone_schemas`, the schemas the diff removes.
--   CREATE [UNLOGGED] SEQUENCE (phase 120); ALTER SEQUENCE with every option (AS, START,
--   INCREMENT, MIN/MAXVALUE, CACHE, [NO] CYCLE) and SET LOGGED/UNLOGGED (120); COMMENT
--   ON SEQUENCE (120); ownership: OWNED BY NONE before any column or table is dropped
--   (44, on its old name: dropping the owner would drop the sequence) and OWNED BY the
--   new column after the tables (165); a dropped sequence: commented DROP SEQUENCE IF
--   EXISTS with a warning (its current value is lost), after column defaults change
--   (146) or with the other drops (60) when its name is taken again by a table, view,
--   materialized view or sequence of `diff` or its schema goes.
-- Sort key: the sequence's identity (its old one for OWNED BY NONE). Rows in the order
-- type_steps returns them. Never raises for a row of pggit.diff; 22023 from parse_ident
-- for a removed sequence's identity that is no valid name.
-- STABLE (it only reads its arguments), SECURITY INVOKER, callable by everyone: the
-- piece of type_steps (itself callable by everyone) for sequences.
CREATE OR REPLACE FUNCTION pggit.sequence_steps(diff jsonb, object_identity text, change text, old_definition text,
                                                new_definition text, old_identity text, gone_schemas text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    c_comment CONSTANT text := E'\nCOMMENT (''(?:[^'']|'''')*'')$';
    v_ocm text := substring(old_definition FROM c_comment);
    v_ncm text := substring(new_definition FROM c_comment);
    v_oline text;
    v_nline text;
    v_txt text;
    v_prev text;
BEGIN
    IF change = 'removed' THEN
        phase := CASE WHEN (parse_ident(sequence_steps.object_identity))[1] = ANY (gone_schemas)
                           OR EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                                       WHERE d.value ->> 'object_identity' = sequence_steps.object_identity
                                         AND d.value ->> 'change' IN ('added', 'renamed')
                                         AND d.value ->> 'object_kind' IN ('table', 'view', 'materialized view',
                                                                           'sequence'))
                      THEN 60 ELSE 146 END;
        sort_key := object_identity;
        statement := format('-- DROP SEQUENCE IF EXISTS %s;', object_identity);
        warning := format('sequence %s is dropped: its current value is lost', object_identity);
        RETURN NEXT;
        RETURN;
    END IF;
    v_nline := split_part(new_definition, E'\n', 1);
    v_oline := split_part(old_definition, E'\n', 1);
    phase := 120; sort_key := object_identity; warning := NULL;
    IF change = 'added' THEN
        statement := format('CREATE %sSEQUENCE %s %s;',
                            CASE WHEN starts_with(v_nline, 'UNLOGGED ') THEN 'UNLOGGED ' ELSE '' END,
                            object_identity, regexp_replace(v_nline, '^(UNLOGGED )?SEQUENCE ', ''));
        RETURN NEXT;
    ELSE
        IF regexp_replace(v_nline, '^UNLOGGED ', '') <> regexp_replace(v_oline, '^UNLOGGED ', '') THEN
            statement := format('ALTER SEQUENCE %s %s%s;', object_identity,
                                regexp_replace(v_nline, '^(UNLOGGED )?SEQUENCE ', ''),
                                CASE WHEN v_nline ~ ' CYCLE$' THEN '' ELSE ' NO CYCLE' END);
            RETURN NEXT;
        END IF;
        IF starts_with(v_nline, 'UNLOGGED ') <> starts_with(v_oline, 'UNLOGGED ') THEN
            statement := format('ALTER SEQUENCE %s SET %s;', object_identity,
                                CASE WHEN starts_with(v_nline, 'UNLOGGED ') THEN 'UNLOGGED' ELSE 'LOGGED' END);
            RETURN NEXT;
        END IF;
    END IF;
    IF v_ncm IS DISTINCT FROM v_ocm THEN
        statement := format('COMMENT ON SEQUENCE %s IS %s;', object_identity, coalesce(v_ncm, 'NULL'));
        RETURN NEXT;
    END IF;
    -- the owner column's identity: quoted parts may hold newlines, so not "to the end of line"
    v_txt := substring(new_definition
                       FROM '\nOWNED BY ((?:"(?:[^"]|"")*"|[^\n."]+)(?:[.](?:"(?:[^"]|"")*"|[^\n."]+))*)');
    v_prev := substring(old_definition
                        FROM '\nOWNED BY ((?:"(?:[^"]|"")*"|[^\n."]+)(?:[.](?:"(?:[^"]|"")*"|[^\n."]+))*)');
    IF v_txt IS DISTINCT FROM v_prev THEN
        IF v_prev IS NOT NULL THEN
            -- before any column or table goes: dropping the owner would drop the sequence
            phase := 44; sort_key := old_identity;
            statement := format('ALTER SEQUENCE %s OWNED BY NONE;', old_identity);
            RETURN NEXT;
        END IF;
        IF v_txt IS NOT NULL THEN
            phase := 165; sort_key := object_identity;
            statement := format('ALTER SEQUENCE %s OWNED BY %s;', object_identity, v_txt);
            RETURN NEXT;
        END IF;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.sequence_steps(jsonb, text, text, text, text, text, text[]) IS
    'The steps of type_steps for one sequence of a pggit.diff (create, alter, comment, ownership, drop).';
