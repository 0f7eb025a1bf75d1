-- pggit.plan_gone_sequences(diff jsonb) -> jsonb
--
-- Promises: the sequences that the script of pggit.migration_plan drops before the
-- column steps (phase 140), as {identity: [schema, table, column] of its owner, or
-- null}: one `diff` (the rows of pggit.diff as a jsonb array of objects) removes that
-- is owned by a column (DROP TABLE / DROP COLUMN of its owner takes it along, phases 45
-- and 50), or that goes with the other drops (phase 60: its name is taken again by a
-- table, view or sequence, or its schema goes; pggit.type_steps). A default that uses
-- one of them must be gone by then (pggit.plan_table_drop_steps, plan_table_steps,
-- phase 43): PostgreSQL refuses the drop while it depends on it (2BP01).
-- Errors: 22023 when `diff` is not an array or an identity is no valid name.
-- PL/pgSQL, IMMUTABLE (a function of its argument), SECURITY INVOKER with a pinned
-- search_path; callable by everyone, like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_gone_sequences(diff jsonb)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- {identity: [schema, table, column] of its owner, or null}
    RETURN (SELECT coalesce(jsonb_object_agg(x.ident, x.owner), '{}')
      FROM (SELECT d.value ->> 'object_identity' AS ident,
                   to_jsonb(parse_ident(substring(d.value ->> 'old_definition'
                       FROM '\nOWNED BY ((?:"(?:[^"]|"")*"|[^\n."]+)(?:[.](?:"(?:[^"]|"")*"|[^\n."]+))*)'))) AS owner
              FROM jsonb_array_elements(diff) AS d
             WHERE d.value ->> 'object_kind' = 'sequence' AND d.value ->> 'change' = 'removed') AS x
     WHERE x.owner IS NOT NULL
        OR (parse_ident(x.ident))[1] IN (SELECT (parse_ident(d.value ->> 'object_identity'))[1]
                                           FROM jsonb_array_elements(diff) AS d
                                          WHERE d.value ->> 'object_kind' = 'schema' AND d.value ->> 'change' = 'removed')
        OR EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                    WHERE d.value ->> 'object_identity' = x.ident AND d.value ->> 'change' IN ('added', 'renamed')
                      AND d.value ->> 'object_kind' IN ('table', 'view', 'materialized view', 'sequence')));
END
$function$;

COMMENT ON FUNCTION pggit.plan_gone_sequences(jsonb) IS
    'Internal: the sequences a migration drops before its column steps, with their owner columns, for migration_plan.';
