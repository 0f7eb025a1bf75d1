-- pggit.plan_function_steps(diff jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
--
-- Promises: the steps of pggit.migration_plan for the functions and procedures of
-- `diff` (the rows of pggit.diff as a jsonb array of objects), in identity order. They
-- hold no data: a removed or changed one is dropped first (DROP FUNCTION / PROCEDURE,
-- phase 10, sort key the old identity), an added or changed one is created from its
-- recorded definition after everything else (phase 180), with COMMENT ON after it
-- when the definition has a comment.
-- Steps as pggit.migration_plan collects them: it sorts all steps by (phase, sort_key
-- COLLATE "C", order of appearance) and numbers them; `created` names the object a
-- step creates ([kind, identity, blob hash of its state at to_ref]; NULL for the other
-- steps), whose owner and privileges pggit.plan_owner_steps restores.
-- Errors: 22023 when `diff` is not an array of objects. PL/pgSQL, STABLE, SECURITY
-- INVOKER with a pinned search_path; callable by everyone, like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_function_steps(diff jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    v_obj text;
    v_txt text;
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
    v_created jsonb := '{}';    -- steps that create an object: {step: [kind, identity, blob hash]}
BEGIN
    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind IN ('function', 'procedure')
              ORDER BY d.object_identity COLLATE "C" LOOP
        v_obj := upper(r.object_kind);
        IF r.change <> 'added' THEN
            ph := ph || 10; ks := ks || r.old_identity;
            sts := sts || format('DROP %s %s;', v_obj, r.old_identity); wns := wns || NULL::text;
        END IF;
        IF r.change <> 'removed' THEN
            v_txt := regexp_replace(r.new_definition, E'\nCOMMENT ''(?:[^'']|'''')*''$', '');
            ph := ph || 180; ks := ks || r.object_identity;
            sts := sts || (rtrim(v_txt, E' \n') || ';'); wns := wns || NULL::text;
            v_created := v_created || jsonb_build_object(cardinality(sts)::text, jsonb_build_array(r.object_kind, r.object_identity,
                encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
            IF v_txt <> r.new_definition THEN
                ph := ph || 180; ks := ks || (r.object_identity || ' comment');
                sts := sts || format('COMMENT ON %s %s IS %s;', v_obj, r.object_identity,
                                     substring(r.new_definition FROM E'\nCOMMENT (''(?:[^'']|'''')*'')$'));
                wns := wns || NULL::text;
            END IF;
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT u.p, u.k, u.s, u.w, v_created -> u.o::text
          FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o)
         ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_function_steps(jsonb) IS
    'Internal: steps dropping and creating the functions and procedures of a pggit.diff, for migration_plan.';
