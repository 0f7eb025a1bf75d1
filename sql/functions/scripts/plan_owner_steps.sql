-- pggit.plan_owner_steps(created jsonb, statements text[], to_working boolean, to_at timestamptz)
--     -> TABLE(created_step integer, statement text, warning text, replaces boolean)
--
-- Promises: the owner and privilege steps (level 5) of pggit.migration_plan for the
-- objects its script creates: `created` is [[kind, identity, step, blob hash], ...],
-- `step` the index in `statements` (the script's steps so far) of its CREATE; the
-- owner and privileges are those recorded with the state at to_ref
-- (pggit.details_at as of `to_at`; the live catalog, pggit.owner_details, when
-- `to_working`). For each object in step order, each row going with its CREATE
-- (`created_step`: migration_plan gives it that step's phase and sort key): ALTER ..
-- OWNER TO, and for a non-default ACL REVOKE ALL from PUBLIC and the owner, then one
-- GRANT per grantee (and one WITH GRANT OPTION); a grantee that no longer exists is
-- left out, warned at the OWNER TO step; REFRESH MATERIALIZED VIEW last. No recorded
-- owner, or one that no longer exists: a commented note with a warning, and a SECURITY
-- DEFINER function or procedure is not created: a row with `replaces` true gives its
-- CREATE step's commented statement and warning instead.
-- Errors: 22023 when `created` is not an array, 22P02 / 22003 for a step that is no
-- integer. PL/pgSQL, STABLE, SECURITY INVOKER with a pinned search_path; callable by
-- everyone, like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_owner_steps(created jsonb, statements text[], to_working boolean,
                                                 to_at timestamptz)
RETURNS TABLE(created_step integer, statement text, warning text, replaces boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    c record;
    v_own jsonb;
    v_kw text;
    v_on text;
    v_secdef boolean;
    v_txt text;
    v_k integer;
    ats integer[] := '{}';      -- the steps: the created step each goes with, statement, warning,
    sts text[] := '{}';         -- and whether it replaces that step (else it is a new one)
    wns text[] := '{}';
    rps boolean[] := '{}';
BEGIN
    FOR c IN SELECT e.value ->> 0 AS kind, e.value ->> 1 AS ident, (e.value ->> 2)::integer AS idx,
                    e.value ->> 3 AS blob
               FROM jsonb_array_elements(created) AS e ORDER BY (e.value ->> 2)::integer LOOP
        IF to_working THEN
            SELECT pggit.owner_details(o.classid, pggit.resolve_identity(o.kind, o.identity)) INTO v_own
              FROM pggit.objects AS o
             WHERE o.dropped_at IS NULL AND o.kind = c.kind AND o.identity = c.ident
             ORDER BY o.id DESC LIMIT 1;
        ELSE
            v_own := pggit.details_at(c.ident, c.blob, to_at) -> 'own';
        END IF;
        v_kw := CASE c.kind WHEN 'materialized view' THEN 'MATERIALIZED VIEW' ELSE upper(c.kind) END;
        v_on := CASE WHEN c.kind IN ('table', 'view', 'materialized view') THEN 'TABLE'
                     WHEN c.kind = 'domain' THEN 'TYPE' ELSE upper(c.kind) END;
        v_secdef := c.kind IN ('function', 'procedure') AND strpos(statements[c.idx], E'\n SECURITY DEFINER\n') > 0;
        IF v_own IS NULL OR NOT EXISTS (SELECT FROM pg_roles AS ro WHERE ro.rolname = v_own ->> 'o') THEN
            v_txt := CASE WHEN v_own IS NULL
                          THEN 'no owner is recorded for it (a state committed before level 5)'
                          ELSE format('its recorded owner %I does not exist', v_own ->> 'o') END;
            ats := ats || c.idx; rps := rps || false;
            sts := sts || format('-- %s %s: owner not restored', lower(v_kw), c.ident);
            wns := wns || format('%s %s: %s%s', lower(v_kw), c.ident, v_txt,
                                 CASE WHEN v_secdef THEN ': the SECURITY DEFINER routine is not created'
                                      ELSE ': it is created owned by the role that runs the script' END);
            IF v_secdef THEN
                ats := ats || c.idx; rps := rps || true;
                sts := sts || ('-- ' || statements[c.idx]);
                wns := wns || format('%s %s is SECURITY DEFINER and its owner cannot be restored: not created',
                                     lower(v_kw), c.ident);
            END IF;
            CONTINUE;
        END IF;
        ats := ats || c.idx; rps := rps || false;
        sts := sts || format('ALTER %s %s OWNER TO %I;', v_kw, c.ident, v_own ->> 'o'); wns := wns || NULL::text;
        v_k := cardinality(sts);  -- the step a grantee that no longer exists is warned at
        IF jsonb_typeof(v_own -> 'a') = 'array' THEN
            ats := ats || c.idx; rps := rps || false;
            sts := sts || format('REVOKE ALL ON %s %s FROM PUBLIC;', v_on, c.ident); wns := wns || NULL::text;
            ats := ats || c.idx; rps := rps || false;
            sts := sts || format('REVOKE ALL ON %s %s FROM %I;', v_on, c.ident, v_own ->> 'o'); wns := wns || NULL::text;
            FOR r IN SELECT g.value ->> 0 AS grantee, g.value ->> 1 AS privs, g.value ->> 2 AS gprivs
                       FROM jsonb_array_elements(v_own -> 'a') AS g
                      -- privilege keywords only (aclexplode's): nothing else reaches the statement
                      WHERE (g.value ->> 1) ~ '^[A-Z]+( [A-Z]+)?(,[A-Z]+( [A-Z]+)?)*$'
                        AND coalesce(g.value ->> 2, '') ~ '^([A-Z]+( [A-Z]+)?(,[A-Z]+( [A-Z]+)?)*)?$' LOOP
                IF r.grantee <> '' AND NOT EXISTS (SELECT FROM pg_roles AS ro WHERE ro.rolname = r.grantee) THEN
                    wns[v_k] := concat_ws('; ', wns[v_k], format('role %I, granted %s on %s %s, no longer exists: '
                                                                 'not granted', r.grantee, r.privs, lower(v_kw), c.ident));
                    CONTINUE;
                END IF;
                ats := ats || c.idx; rps := rps || false;
                sts := sts || format('GRANT %s ON %s %s TO %s;', replace(r.privs, ',', ', '), v_on, c.ident,
                                     CASE WHEN r.grantee = '' THEN 'PUBLIC' ELSE quote_ident(r.grantee) END);
                wns := wns || NULL::text;
                IF r.gprivs <> '' THEN
                    ats := ats || c.idx; rps := rps || false;
                    sts := sts || format('GRANT %s ON %s %s TO %s WITH GRANT OPTION;', replace(r.gprivs, ',', ', '),
                                         v_on, c.ident, CASE WHEN r.grantee = '' THEN 'PUBLIC' ELSE quote_ident(r.grantee) END);
                    wns := wns || NULL::text;
                END IF;
            END LOOP;
        END IF;
        IF c.kind = 'materialized view' THEN
            ats := ats || c.idx; rps := rps || false;
            sts := sts || format('REFRESH MATERIALIZED VIEW %s;', c.ident); wns := wns || NULL::text;
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT u.a, u.s, u.w, u.r
          FROM unnest(ats, sts, wns, rps) WITH ORDINALITY AS u (a, s, w, r, o)
         ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_owner_steps(jsonb, text[], boolean, timestamp with time zone) IS
    'Internal: owner and privilege steps for the objects a migration creates, for migration_plan.';
