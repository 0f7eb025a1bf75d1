-- pggit.domain_steps(object_identity text, change text, old_definition text, new_definition text,
--                    old_identity text, dep_level integer, from_ref text, to_ref text,
--                    to_working boolean)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.type_steps' steps for one domain of a diff that stays or is added
-- (`change` 'added', 'modified' or 'renamed'; definitions as pggit.describe_type writes
-- them, a '\nCOMMENT ..' line last), on its name at the target; phase 110, sort key
-- `dep_level` (its dependency level among the types of the diff, 4 digits) and the
-- identity. `to_working`: whether `to_ref` is WORKING (type_steps resolves it once).
--   CREATE DOMAIN .. AS base [COLLATE] [DEFAULT] [NOT NULL] [CONSTRAINT n CHECK ..]
--   (NOT VALID constraints added after it, then COMMENT ON CONSTRAINT); changes by ALTER
--   DOMAIN DROP CONSTRAINT (by name), SET/DROP DEFAULT, SET/DROP NOT NULL, ADD
--   CONSTRAINT (by name), COMMENT ON CONSTRAINT; a changed base type or collation:
--   commented DROP DOMAIN; CREATE DOMAIN with a warning; another kind of type under the
--   same name: commented DROP; CREATE with a warning. COMMENT ON DOMAIN.
--   Constraint names come from pggit.object_details (pggit.type_details, recorded for
--   every tracked domain state) or, for WORKING, the live catalog; without them
--   constraint changes are a note with a warning.
-- Errors: those of pggit.resolve_ref(from_ref) (read when the constraints change),
-- 22023 from parse_ident for an identity that is no valid name (for WORKING).
-- STABLE (it only reads), SECURITY INVOKER, callable by everyone: the piece of
-- type_steps (itself callable by everyone) for domains.
CREATE OR REPLACE FUNCTION pggit.domain_steps(object_identity text, change text, old_definition text,
                                              new_definition text, old_identity text, dep_level integer,
                                              from_ref text, to_ref text, to_working boolean)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    c_comment CONSTANT text := E'\nCOMMENT (''(?:[^'']|'''')*'')$';
    -- the first line of a definition: up to the first newline outside "quoted names" and
    -- 'literals' (a quoted name may hold a newline)
    c_first_line CONSTANT text := '^(?:[^\n"'']|"(?:[^"]|"")*"|''(?:[^'']|'''')*'')*';
    v_ocm text := substring(old_definition FROM c_comment);
    v_ncm text := substring(new_definition FROM c_comment);
    v_ob text := regexp_replace(old_definition, c_comment, '');
    v_nb text := regexp_replace(new_definition, c_comment, '');
    c record;
    v_o record;
    v_n record;
    v_create text;
    v_after text[] := '{}';
    v_redone boolean := false;
    v_fd jsonb;
    v_td jsonb;
    v_from_working boolean;
    v_txt text;
BEGIN
    phase := 110;
    sort_key := lpad(dep_level::text, 4, '0') || domain_steps.object_identity;
    warning := NULL;

    -- the statement that creates the domain as it is at to_ref (v_create), with the
    -- comments of its parts that follow it (v_after)
    v_td := coalesce((SELECT od.details FROM pggit.object_details AS od
                       WHERE od.identity = domain_steps.object_identity
                         AND od.blob_hash = encode(sha256(convert_to(domain_steps.new_definition, 'UTF8')), 'hex')),
                     CASE WHEN to_working THEN (
                         SELECT pggit.type_details(t.oid)
                           FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
                          WHERE n.nspname = (parse_ident(domain_steps.object_identity))[1]
                            AND t.typname = (parse_ident(domain_steps.object_identity))[2]) END);
    -- DOMAIN <base> [COLLATE <c>] [NOT NULL] [DEFAULT <expr>], then CONSTRAINT lines
    FOR c IN SELECT s.s, x.dflt, y.nn, z.coll,
                    substr(CASE WHEN z.coll IS NULL THEN y.h ELSE left(y.h, strpos(y.h, ' COLLATE ') - 1) END, 8)
                        AS base,
                    substr(s.body, length(l.line) + 1) AS cons
               FROM (VALUES (1, v_ob), (2, v_nb)) AS s (s, body)
              CROSS JOIN LATERAL (SELECT substring(s.body FROM c_first_line) AS line) AS l
              CROSS JOIN LATERAL (
                    SELECT CASE WHEN strpos(l.line, ' DEFAULT ') > 0
                                THEN substr(l.line, strpos(l.line, ' DEFAULT ') + 9) END AS dflt,
                           CASE WHEN strpos(l.line, ' DEFAULT ') > 0
                                THEN left(l.line, strpos(l.line, ' DEFAULT ') - 1) ELSE l.line END AS head) AS x
              CROSS JOIN LATERAL (SELECT x.head ~ ' NOT NULL$' AS nn,
                                         regexp_replace(x.head, ' NOT NULL$', '') AS h) AS y
              CROSS JOIN LATERAL (SELECT CASE WHEN strpos(y.h, ' COLLATE ') > 0
                                              THEN substr(y.h, strpos(y.h, ' COLLATE ') + 9) END AS coll) AS z
    LOOP
        IF c.s = 1 THEN v_o := c; ELSE v_n := c; END IF;
    END LOOP;
    v_create := concat_ws(' ', format('CREATE DOMAIN %s AS %s', object_identity, v_n.base),
                          'COLLATE ' || v_n.coll, 'DEFAULT ' || v_n.dflt,
                          CASE WHEN v_n.nn THEN 'NOT NULL' END);
    IF v_td IS NOT NULL THEN
        SELECT v_create || coalesce(string_agg(format(' CONSTRAINT %I %s', k.value ->> 'n', k.value ->> 'd'), ''
                                               ORDER BY k.ordinality)
                                      FILTER (WHERE NOT (k.value ->> 'd') ~ ' NOT VALID$'), ''),
               ARRAY(SELECT x FROM unnest(ARRAY(
                   SELECT format('ALTER DOMAIN %s ADD CONSTRAINT %I %s;', domain_steps.object_identity, k2.value ->> 'n',
                                 k2.value ->> 'd')
                     FROM jsonb_array_elements(v_td -> 'cons') WITH ORDINALITY AS k2
                    WHERE (k2.value ->> 'd') ~ ' NOT VALID$' ORDER BY k2.ordinality)
                   || ARRAY(SELECT format('COMMENT ON CONSTRAINT %I ON DOMAIN %s IS %L;', k3.value ->> 'n',
                                          domain_steps.object_identity, k3.value ->> 'm')
                              FROM jsonb_array_elements(v_td -> 'cons') WITH ORDINALITY AS k3
                             WHERE k3.value ->> 'm' IS NOT NULL ORDER BY k3.ordinality)) AS x)
          INTO v_create, v_after
          FROM jsonb_array_elements(v_td -> 'cons') WITH ORDINALITY AS k;
    ELSE
        v_create := v_create || coalesce((SELECT string_agg(' ' || regexp_replace(substr(l.l, 12),
                                                                  ' COMMENT ''(?:[^'']|'''')*''$', ''),
                                                            '' ORDER BY l.o)
                                            FROM regexp_split_to_table(v_nb, E'\n') WITH ORDINALITY AS l (l, o)
                                           WHERE starts_with(l.l, 'CONSTRAINT ')), '');
    END IF;
    v_create := v_create || ';';

    IF change = 'added' THEN
        statement := v_create; RETURN NEXT;
        v_redone := true;
    ELSIF v_nb = v_ob THEN
        NULL;  -- renamed only, or its comment changed
    ELSIF split_part(v_nb, ' ', 1) <> split_part(v_ob, ' ', 1) THEN
        -- another kind of type under the same name
        statement := format('-- DROP %s %s; %s', 'DOMAIN', object_identity, v_create);
        warning := format('%s %s becomes another kind of type (%s to %s): it is dropped and created again; columns '
                          'of that type lose their values', 'domain', object_identity,
                          split_part(v_ob, ' ', 1), split_part(v_nb, ' ', 1));
        RETURN NEXT;
        v_redone := true;
    ELSIF v_o.base <> v_n.base OR v_o.coll IS DISTINCT FROM v_n.coll THEN
        statement := format('-- DROP DOMAIN %s; %s', object_identity, v_create);
        warning := format('domain %s changes its base type from %s to %s: it is dropped and created again; '
                          'columns of that type must be converted first', object_identity,
                          concat_ws(' COLLATE ', v_o.base, v_o.coll), concat_ws(' COLLATE ', v_n.base, v_n.coll));
        RETURN NEXT;
        v_redone := true;
    ELSE
        IF v_o.cons IS DISTINCT FROM v_n.cons THEN
            v_from_working := pggit.resolve_ref(from_ref) IS NULL;
            v_fd := coalesce((SELECT od.details FROM pggit.object_details AS od
                               WHERE od.identity = domain_steps.old_identity
                                 AND od.blob_hash = encode(sha256(convert_to(domain_steps.old_definition, 'UTF8')), 'hex')),
                             CASE WHEN v_from_working THEN (
                                 SELECT pggit.type_details(t.oid)
                                   FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
                                  WHERE n.nspname = (parse_ident(domain_steps.old_identity))[1]
                                    AND t.typname = (parse_ident(domain_steps.old_identity))[2]) END);
            IF v_fd IS NULL OR v_td IS NULL THEN
                statement := format('-- domain %s: constraint changes not generated', object_identity);
                warning := format('domain %s at %s has no recorded details (names of its constraints): it was '
                                  'committed before level 4', object_identity,
                                  CASE WHEN v_td IS NULL THEN to_ref ELSE from_ref END);
                RETURN NEXT;
                warning := NULL;
            ELSE
                FOR c IN SELECT f.value ->> 'n' AS n
                           FROM jsonb_array_elements(v_fd -> 'cons') AS f
                          WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(v_td -> 'cons') AS t
                                             WHERE t.value ->> 'n' = f.value ->> 'n'
                                               AND t.value ->> 'd' = f.value ->> 'd')
                          ORDER BY (f.value ->> 'n') COLLATE "C" LOOP
                    statement := format('ALTER DOMAIN %s DROP CONSTRAINT %I;', object_identity, c.n);
                    RETURN NEXT;
                END LOOP;
            END IF;
        END IF;
        IF v_o.dflt IS DISTINCT FROM v_n.dflt THEN
            statement := format('ALTER DOMAIN %s %s;', object_identity,
                                coalesce('SET DEFAULT ' || v_n.dflt, 'DROP DEFAULT'));
            RETURN NEXT;
        END IF;
        IF v_o.nn <> v_n.nn THEN
            statement := format('ALTER DOMAIN %s %s NOT NULL;', object_identity,
                                CASE WHEN v_n.nn THEN 'SET' ELSE 'DROP' END);
            RETURN NEXT;
        END IF;
        IF v_o.cons IS DISTINCT FROM v_n.cons AND v_fd IS NOT NULL AND v_td IS NOT NULL THEN
            FOR c IN SELECT t.value ->> 'n' AS n, t.value ->> 'd' AS d, t.value ->> 'm' AS m,
                            f.value ->> 'm' AS om, f.value IS NOT NULL AS kept
                       FROM jsonb_array_elements(v_td -> 'cons') AS t
                       LEFT JOIN jsonb_array_elements(v_fd -> 'cons') AS f
                              ON f.value ->> 'n' = t.value ->> 'n' AND f.value ->> 'd' = t.value ->> 'd'
                      ORDER BY (t.value ->> 'n') COLLATE "C" LOOP
                IF NOT c.kept THEN
                    statement := format('ALTER DOMAIN %s ADD CONSTRAINT %I %s;', object_identity, c.n, c.d);
                    RETURN NEXT;
                END IF;
                IF c.m IS DISTINCT FROM (CASE WHEN c.kept THEN c.om END) THEN
                    statement := format('COMMENT ON CONSTRAINT %I ON DOMAIN %s IS %s;', c.n, object_identity,
                                        coalesce(quote_literal(c.m), 'NULL'));
                    RETURN NEXT;
                END IF;
            END LOOP;
        END IF;
    END IF;

    IF v_redone THEN
        warning := NULL;
        FOREACH v_txt IN ARRAY v_after LOOP
            statement := v_txt; RETURN NEXT;
        END LOOP;
    END IF;
    IF v_ncm IS DISTINCT FROM (CASE WHEN NOT v_redone THEN v_ocm END) THEN
        warning := NULL;
        statement := format('COMMENT ON DOMAIN %s IS %s;', object_identity, coalesce(v_ncm, 'NULL'));
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.domain_steps(text, text, text, text, text, integer, text, text, boolean) IS
    'The steps of type_steps for one domain that stays or is added (create, alter, constraints, comments).';
