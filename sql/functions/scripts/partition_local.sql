-- pggit.partition_local(details jsonb, definition text, ref text) -> jsonb
--
-- Promises: for a partition (its canonical definition has a PARTITION OF line) the
-- pggit.table_details `details` without what it inherits from its parent at `ref`
-- (pggit.table_state): CHECK constraints of the parent's name and definition, foreign
-- keys, primary keys, unique and exclusion constraints, and indexes of the parent's
-- definition (PostgreSQL makes them on the partition when they are made on the parent,
-- and drops them with the parent's). Columns are kept. `details` unchanged for any
-- other table, or when the parent's details are not recorded. STABLE, callable by
-- everyone.
CREATE OR REPLACE FUNCTION pggit.partition_local(details jsonb, definition text, ref text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_parent text;
    v_pd jsonb;
BEGIN
    v_parent := substring(definition FROM '\nPARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) ');
    IF details IS NULL OR v_parent IS NULL THEN
        RETURN details;
    END IF;
    v_pd := (pggit.table_state(ref, v_parent)).details;
    IF v_pd IS NULL THEN
        RETURN details;
    END IF;
    RETURN details || jsonb_build_object(
        'cons', coalesce((SELECT jsonb_agg(k.value ORDER BY k.o)
                            FROM jsonb_array_elements(details -> 'cons') WITH ORDINALITY AS k (value, o)
                           WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(v_pd -> 'cons') AS p
                                              WHERE p.value ->> 't' = k.value ->> 't' AND p.value ->> 'd' = k.value ->> 'd'
                                                AND (k.value ->> 't' <> 'c' OR p.value ->> 'n' = k.value ->> 'n'))), '[]'),
        'idx', coalesce((SELECT jsonb_agg(i.value ORDER BY i.o)
                           FROM jsonb_array_elements(details -> 'idx') WITH ORDINALITY AS i (value, o)
                          WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(v_pd -> 'idx') AS p
                                             WHERE p.value ->> 'd' = i.value ->> 'd'
                                               AND p.value ->> 'u' = i.value ->> 'u')), '[]'));
END
$function$;

COMMENT ON FUNCTION pggit.partition_local(jsonb, text, text) IS
    'A partition''s table_details without the constraints and indexes it inherits from its parent.';
