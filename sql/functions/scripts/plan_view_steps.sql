-- pggit.plan_view_steps(diff jsonb, to_ref text)
--     -> TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
--
-- Promises: the steps of pggit.migration_plan for views and materialized views, from
-- `diff` (the rows of pggit.diff(from_ref, to_ref) as a jsonb array of objects). They
-- hold no data: a removed or changed one is dropped (DROP VIEW / MATERIALIZED VIEW,
-- phase 20, those that name it first) and an added or changed one created (phase 170,
-- those it names first: CREATE .. AS its query, read with pggit.split_statements;
-- a materialized view WITH NO DATA, refreshed after its owner steps; COMMENT ON after
-- it); so is every view of to_ref the diff leaves alone whose text names a table the
-- diff removes or changes or a view that goes (closure; pggit.schema_at(to_ref), read
-- only then). A recorded definition without a readable query: a commented note with a
-- warning.
-- Steps as pggit.migration_plan collects them: it sorts all steps by (phase, sort_key
-- COLLATE "C", order of appearance) and numbers them; `created` names the object a
-- step creates ([kind, identity, blob hash of its state at to_ref]; NULL for the other
-- steps), whose owner and privileges pggit.plan_owner_steps restores.
-- Errors: those of pggit.schema_at(to_ref) (22004, 42704, 42P09, 55000), 22023 when
-- `diff` is not an array of objects. PL/pgSQL, STABLE, SECURITY INVOKER with a pinned
-- search_path; callable by everyone, like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_view_steps(diff jsonb, to_ref text)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text, created jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    c record;
    v_obj text;
    v_txt text;
    v_n integer;
    v_k integer;
    v_grew boolean;
    v_changed_tables text[] := '{}';  -- tables the script drops or changes, by their identity at from_ref
    v_views jsonb := '[]';
    v_drop_views jsonb := '{}';
    v_create_views jsonb := '{}';
    v_level jsonb := '{}';
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
    v_created jsonb := '{}';    -- steps that create an object: {step: [kind, identity, blob hash]}
BEGIN
    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind IN ('table', 'view', 'materialized view')
              ORDER BY d.object_identity COLLATE "C" LOOP
        v_obj := CASE r.object_kind WHEN 'materialized view' THEN 'MATERIALIZED VIEW' ELSE upper(r.object_kind) END;
        IF r.object_kind = 'table' THEN
            IF r.change <> 'added' THEN
                v_changed_tables := v_changed_tables || r.old_identity;
            END IF;
        ELSE
            IF r.change <> 'added' THEN
                v_drop_views := v_drop_views || jsonb_build_object(r.old_identity,
                    jsonb_build_object('k', v_obj, 'd', r.old_definition));
            END IF;
            IF r.change <> 'removed' THEN
                v_create_views := v_create_views || jsonb_build_object(r.object_identity,
                    jsonb_build_object('k', v_obj, 'd', r.new_definition));
            END IF;
        END IF;
    END LOOP;

    -- Views: those that change go and come back; so does every unchanged view whose
    -- text names a changed table or a view that goes (closure over views of views).
    IF v_changed_tables <> '{}' OR v_drop_views <> '{}' THEN
        SELECT coalesce(jsonb_agg(jsonb_build_array(s.object_identity, s.object_kind, s.definition)), '[]')
          INTO v_views
          FROM pggit.schema_at(to_ref) AS s
         WHERE s.object_kind IN ('view', 'materialized view')
           AND NOT EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                            WHERE d.value ->> 'object_identity' = s.object_identity
                              AND d.value ->> 'object_kind' = s.object_kind);
        LOOP
            v_grew := false;
            FOR c IN SELECT v.value ->> 0 AS ident, v.value ->> 1 AS kind, v.value ->> 2 AS def
                       FROM jsonb_array_elements(v_views) AS v
                      WHERE NOT v_drop_views ? (v.value ->> 0)
                        AND (EXISTS (SELECT FROM unnest(v_changed_tables) AS t
                                      WHERE strpos(substr(v.value ->> 2, strpos(v.value ->> 2, E'\nAS ')), t) > 0)
                             OR EXISTS (SELECT FROM jsonb_object_keys(v_drop_views) AS t
                                         WHERE strpos(substr(v.value ->> 2, strpos(v.value ->> 2, E'\nAS ')), t) > 0))
            LOOP
                v_obj := CASE c.kind WHEN 'materialized view' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END;
                v_drop_views := v_drop_views || jsonb_build_object(c.ident, jsonb_build_object('k', v_obj, 'd', c.def));
                v_create_views := v_create_views || jsonb_build_object(c.ident, jsonb_build_object('k', v_obj, 'd', c.def));
                v_grew := true;
            END LOOP;
            EXIT WHEN NOT v_grew;
        END LOOP;
    END IF;
    -- dependency levels by the names in a view's text: level = 1 + the greatest level of
    -- the other views of the same side it names
    FOR i IN 1 .. 2 LOOP
        v_level := '{}';
        LOOP
            v_grew := false;
            FOR c IN SELECT v.key AS ident,
                            1 + coalesce((SELECT max((v_level ->> o.key)::integer)
                                            FROM jsonb_each(CASE WHEN i = 1 THEN v_drop_views ELSE v_create_views END) AS o
                                           WHERE o.key <> v.key
                                             AND strpos(substr(v.value ->> 'd', strpos(v.value ->> 'd', E'\nAS ')),
                                                        o.key) > 0), 0) AS lvl
                       FROM jsonb_each(CASE WHEN i = 1 THEN v_drop_views ELSE v_create_views END) AS v LOOP
                IF (v_level ->> c.ident) IS NULL OR ((v_level ->> c.ident)::integer < c.lvl AND c.lvl < 1000) THEN
                    v_level := v_level || jsonb_build_object(c.ident, c.lvl);
                    v_grew := true;
                END IF;
            END LOOP;
            EXIT WHEN NOT v_grew;
        END LOOP;
        FOR c IN SELECT v.key AS ident, v.value ->> 'k' AS kind, v.value ->> 'd' AS def,
                        (v_level ->> v.key)::integer AS lvl
                   FROM jsonb_each(CASE WHEN i = 1 THEN v_drop_views ELSE v_create_views END) AS v LOOP
            IF i = 1 THEN
                ph := ph || 20; ks := ks || (lpad((1000 - c.lvl)::text, 4, '0') || c.ident);
                sts := sts || format('DROP %s %s;', c.kind, c.ident); wns := wns || NULL::text;
            ELSE
                -- the query: after the definition's own "\nAS " line (the first one outside a
                -- quoted name or a literal: a column name may hold "\nAS "), up to the ';' that
                -- ends it (the INDEX, TRIGGER, RULE, USING and COMMENT lines after it are no
                -- part of it): both by the lexer, pggit.split_statements, so that whatever a
                -- name or a literal holds, the step is one CREATE statement
                v_txt := NULL;
                v_n := 0;
                LOOP
                    v_k := strpos(substr(c.def, v_n + 1), E'\nAS ');
                    EXIT WHEN v_k = 0;
                    v_n := v_n + v_k;
                    IF NOT coalesce((SELECT bool_or(x.unterminated)
                                       FROM pggit.split_statements(left(c.def, v_n - 1)) AS x), false) THEN
                        SELECT x.statement INTO v_txt
                          FROM pggit.split_statements(substr(c.def, v_n + 4)) AS x
                         WHERE NOT x.unterminated
                         ORDER BY x.ordinal LIMIT 1;
                        EXIT;
                    END IF;
                END LOOP;
                ph := ph || 170; ks := ks || (lpad(c.lvl::text, 4, '0') || c.ident);
                IF v_txt IS NULL THEN
                    sts := sts || format('-- %s %s: definition not generated', lower(c.kind), c.ident);
                    wns := wns || format('%s %s: its recorded definition has no query the generator can read',
                                         lower(c.kind), c.ident);
                    CONTINUE;
                END IF;
                -- a materialized view is populated by REFRESH after its owner is set (the owner
                -- steps below): REFRESH runs its query as the owner, CREATE .. AS as the caller
                sts := sts || format('CREATE %s %s AS %s', c.kind, c.ident, v_txt
                                     || CASE WHEN c.kind = 'MATERIALIZED VIEW' THEN E'\nWITH NO DATA;' ELSE ';' END);
                wns := wns || NULL::text;
                v_created := v_created || jsonb_build_object(cardinality(sts)::text, jsonb_build_array(lower(c.kind), c.ident,
                    encode(sha256(convert_to(c.def, 'UTF8')), 'hex')));
                IF c.def ~ E'\nCOMMENT ''(?:[^'']|'''')*''$' THEN
                    ph := ph || 170; ks := ks || (lpad(c.lvl::text, 4, '0') || c.ident || ' comment');
                    sts := sts || format('COMMENT ON %s %s IS %s;', c.kind, c.ident,
                                         substring(c.def FROM E'\nCOMMENT (''(?:[^'']|'''')*'')$'));
                    wns := wns || NULL::text;
                END IF;
            END IF;
        END LOOP;
    END LOOP;
    RETURN QUERY
        SELECT u.p, u.k, u.s, u.w, v_created -> u.o::text
          FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o)
         ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_view_steps(jsonb, text) IS
    'Internal: steps dropping and creating the views of a pggit.diff and the views that depend on what changes, for migration_plan.';
