-- pggit.plan_rename_steps(diff jsonb)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: the steps of pggit.migration_plan that rename the tables, sequences, types
-- and domains of `diff` (the rows of pggit.diff as a jsonb array of objects) in place,
-- in identity order, after the drops and before the creations: ALTER .. RENAME TO
-- (phase 91) in the schema it is in by then (a renamed schema's new name: its rename,
-- phase 90, is pggit.plan_schema_steps'), then ALTER .. SET SCHEMA (92); sort key the
-- old identity. Schemas, columns, constraints and indexes are renamed elsewhere.
-- Errors: 22023 when `diff` is not an array of objects or an identity is no valid
-- name. PL/pgSQL, STABLE, SECURITY INVOKER with a pinned search_path; callable by
-- everyone, like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_rename_steps(diff jsonb)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    v_schema_map jsonb := '{}';  -- renamed schemas: {old name: new name}
    v_old text[];
    v_new text[];
    v_cur text;
    v_obj text;
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
BEGIN
    -- the schemas' renames (pggit.plan_schema_steps writes them, phase 90) come first:
    -- a relation or type is renamed in its schema's new name
    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind = 'schema' ORDER BY d.object_identity COLLATE "C" LOOP
        IF r.change = 'renamed' THEN
            v_old := parse_ident(r.old_identity);
            v_new := parse_ident(r.object_identity);
            v_schema_map := v_schema_map || jsonb_build_object(v_old[1], v_new[1]);
        END IF;
    END LOOP;

    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind IN ('table', 'sequence', 'type', 'domain') AND d.change = 'renamed'
              ORDER BY d.object_identity COLLATE "C" LOOP
        v_obj := upper(r.object_kind);
        v_old := parse_ident(r.old_identity);
        v_new := parse_ident(r.object_identity);
        v_cur := coalesce(v_schema_map ->> v_old[1], v_old[1]);
        IF v_old[2] <> v_new[2] THEN
            ph := ph || 91; ks := ks || r.old_identity;
            sts := sts || format('ALTER %s %I.%I RENAME TO %I;', v_obj, v_cur, v_old[2], v_new[2]);
            wns := wns || NULL::text;
        END IF;
        IF v_cur <> v_new[1] THEN
            ph := ph || 92; ks := ks || r.old_identity;
            sts := sts || format('ALTER %s %I.%I SET SCHEMA %I;', v_obj, v_cur, v_new[2], v_new[1]);
            wns := wns || NULL::text;
        END IF;
    END LOOP;
    RETURN QUERY SELECT u.p, u.k, u.s, u.w FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o) ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_rename_steps(jsonb) IS
    'Internal: steps renaming the tables, sequences, types and domains of a pggit.diff in place, for migration_plan.';
