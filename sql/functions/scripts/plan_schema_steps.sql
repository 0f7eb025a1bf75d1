-- pggit.plan_schema_steps(diff jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
--
-- Promises: the steps of pggit.migration_plan for the schemas of `diff` (the rows of
-- pggit.diff(from_ref, to_ref) as a jsonb array of objects), in identity order: DROP
-- SCHEMA (phase 80), ALTER SCHEMA .. RENAME TO (90, sort key the old identity), CREATE
-- SCHEMA (100) and COMMENT ON SCHEMA when its definition changes (100, after it).
-- Steps as pggit.migration_plan collects them: it sorts all steps by (phase, sort_key
-- COLLATE "C", order of appearance) and numbers them; `created` names the object a
-- step creates ([kind, identity, blob hash of its state at to_ref]; NULL for the other
-- steps), whose owner and privileges pggit.plan_owner_steps restores.
-- Errors: 22023 when `diff` is not an array of objects. PL/pgSQL, STABLE (it only
-- reads), SECURITY INVOKER with a pinned search_path; callable by everyone, like
-- migration_plan, which runs with its caller's rights.
CREATE OR REPLACE FUNCTION pggit.plan_schema_steps(diff jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
    v_created jsonb := '{}';    -- steps that create an object: {step: [kind, identity, blob hash]}
BEGIN
    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind = 'schema' ORDER BY d.object_identity COLLATE "C" LOOP
        IF r.change = 'added' THEN
            ph := ph || 100; ks := ks || r.object_identity; sts := sts || format('CREATE SCHEMA %s;', r.object_identity);
            wns := wns || NULL::text;
            v_created := v_created || jsonb_build_object(cardinality(sts)::text, jsonb_build_array('schema', r.object_identity,
                encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
        ELSIF r.change = 'removed' THEN
            ph := ph || 80; ks := ks || r.object_identity; sts := sts || format('DROP SCHEMA %s;', r.object_identity);
            wns := wns || NULL::text;
        ELSIF r.change = 'renamed' THEN
            ph := ph || 90; ks := ks || r.old_identity;
            sts := sts || format('ALTER SCHEMA %s RENAME TO %s;', r.old_identity, r.object_identity);
            wns := wns || NULL::text;
        END IF;
        IF r.change <> 'removed' AND r.new_definition IS DISTINCT FROM r.old_definition THEN
            ph := ph || 100; ks := ks || (r.object_identity || ' comment');
            sts := sts || format('COMMENT ON SCHEMA %s IS %s;', r.object_identity,
                                 coalesce(substring(r.new_definition FROM E'\nCOMMENT (''.*'')$'), 'NULL'));
            wns := wns || NULL::text;
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT u.p, u.k, u.s, u.w, v_created -> u.o::text
          FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o)
         ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_schema_steps(jsonb) IS
    'Internal: steps (phase, sort key, statement, warning, created) for the schemas of a pggit.diff, for migration_plan.';
