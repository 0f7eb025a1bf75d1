-- pggit.type_steps(diff jsonb, from_ref text, to_ref text)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: the DDL steps for the types, domains and sequences of `diff` (the rows of
-- pggit.diff(from_ref, to_ref) as a jsonb array of objects), for
-- pggit.generate_migration, which sorts all its steps by (phase, sort_key COLLATE
-- "C", order of appearance) and numbers them. Renames are not here (generate_migration
-- writes them, phases 90 to 92): a renamed object's other changes are, on its new name.
-- Statements end with ';'; a step that loses data is commented out ('-- ' before it)
-- with a warning; a change that cannot be generated is a commented note with a
-- warning (no ';': pggit.apply_migration refuses it). Never silent.
--
-- Types (phase 110, in dependency order: a type after the types of the diff its
-- definition names, by the schema-qualified names in it):
--   enum       CREATE TYPE .. AS ENUM; labels added by ALTER TYPE .. ADD VALUE
--              BEFORE/AFTER; labels lost or reordered: commented DROP TYPE; CREATE
--              TYPE with a warning.
--   composite  CREATE TYPE .. AS (..); ALTER TYPE .. ADD ATTRIBUTE (appended),
--              ALTER ATTRIBUTE .. TYPE (only while nothing at from_ref uses the type:
--              PostgreSQL refuses it otherwise), DROP ATTRIBUTE (commented, warning).
--              Order is kept: attributes after the first one out of place, or retyped
--              while tables use the type, are dropped and added again (commented with a
--              warning when something uses the type: their values are lost).
--              COMMENT ON COLUMN for attribute comments.
--   range      CREATE TYPE .. AS RANGE (SUBTYPE, SUBTYPE_OPCLASS, COLLATION, CANONICAL,
--              SUBTYPE_DIFF, MULTIRANGE_TYPE_NAME); a range renamed or moved: its
--              multirange renamed or moved after it (PostgreSQL leaves it); any other
--              change: commented DROP TYPE; CREATE TYPE with a warning.
--   domain     CREATE DOMAIN .. AS base [COLLATE] [DEFAULT] [NOT NULL] [CONSTRAINT n
--              CHECK ..]; changes by ALTER DOMAIN SET/DROP DEFAULT, SET/DROP NOT NULL,
--              DROP/ADD CONSTRAINT by name, COMMENT ON CONSTRAINT; a changed base type
--              or collation: commented DROP DOMAIN; CREATE DOMAIN with a warning.
--              Constraint names come from pggit.object_details (pggit.type_details,
--              recorded for every tracked domain state) or, for WORKING, the live
--              catalog; without them constraint changes are a note with a warning.
--   any        COMMENT ON TYPE / DOMAIN. A dropped type: DROP TYPE / DOMAIN in reverse
--              dependency order, after the columns and attributes that change away
--              from it (phase 147) or, when its name is taken again by another type or
--              its schema goes, with the other drops (phase 70).
-- Sequences: CREATE [UNLOGGED] SEQUENCE (120); ALTER SEQUENCE with every option
-- (AS, START, INCREMENT, MIN/MAXVALUE, CACHE, [NO] CYCLE) and SET LOGGED/UNLOGGED
-- (120); COMMENT ON SEQUENCE (120); ownership: OWNED BY NONE before any column or
-- table is dropped (44: dropping the owner would drop the sequence) and OWNED BY the
-- new column after the tables (165); a dropped sequence: commented DROP SEQUENCE IF
-- EXISTS with a warning, after column defaults change (146) or with the other drops
-- (60) when its name is taken again or its schema goes.
-- Not generated (documented in docs/REFS_AND_MERGE.md): a domain whose CHECK calls a
-- function of the diff or whose default uses a sequence of the diff (created before
-- them), a composite type with an attribute of a table's row type, dependencies of
-- views on attributes, base types, typed tables (CREATE TABLE .. OF).
-- Errors: 22004 NULL diff, 22023 diff not an array of objects, 22023 an identity
-- that is no valid name. STABLE: it only reads. Cost: O(types and sequences in diff),
-- plus pggit.schema_at(from_ref) once per composite type whose attributes move or
-- change type.
CREATE OR REPLACE FUNCTION pggit.type_steps(diff jsonb, from_ref text, to_ref text)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    -- a schema-qualified name as format_type and pg_identify_object print it
    c_name CONSTANT text := '((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\.(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))';
    c_comment CONSTANT text := E'\nCOMMENT (''(?:[^'']|'''')*'')$';
    -- the first line of a definition: up to the first newline outside "quoted names" and
    -- 'literals' (a quoted name may hold a newline)
    c_first_line CONSTANT text := '^(?:[^\n"'']|"(?:[^"]|"")*"|''(?:[^'']|'''')*'')*';
    r record;
    c record;
    v_rows jsonb;
    v_deps jsonb;
    v_level jsonb := '{}';
    v_rlevel jsonb := '{}';
    v_tlevel jsonb := '{}';
    v_grew boolean;
    v_iter integer;
    v_gone_schemas text[];
    v_schema_map jsonb;
    v_key text;
    v_obj text;
    v_ob text;
    v_nb text;
    v_ocm text;
    v_ncm text;
    v_create text;
    v_after text[];
    v_redone boolean;
    v_from_working boolean;
    v_to_working boolean;
    v_fd jsonb;
    v_td jsonb;
    v_used boolean;
    v_on text[]; v_ot text[]; v_oc text[];
    v_nn text[]; v_nt text[]; v_nc text[];
    v_p integer;
    v_j integer;
    v_last integer;
    i integer;
    v_prev text;
    v_old_labels text[];
    v_new_labels text[];
    v_o record;
    v_n record;
    v_txt text;
    v_oline text;
    v_nline text;
BEGIN
    IF diff IS NULL THEN
        RAISE EXCEPTION 'type_steps: diff is NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(diff) <> 'array' THEN
        RAISE EXCEPTION 'type_steps: diff must be a jsonb array of pggit.diff rows, not a %', jsonb_typeof(diff)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT coalesce(jsonb_agg(to_jsonb(d) ORDER BY d.object_identity COLLATE "C", d.object_kind), '[]')
      INTO v_rows
      FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text,
                                          new_definition text, old_identity text)
     WHERE d.object_kind IN ('type', 'domain', 'sequence')
       AND d.change IN ('added', 'removed', 'modified', 'renamed') AND d.object_identity IS NOT NULL
       AND (d.change = 'added' OR (d.old_definition IS NOT NULL AND d.old_identity IS NOT NULL))
       AND (d.change = 'removed' OR d.new_definition IS NOT NULL);
    IF v_rows = '[]' THEN
        RETURN;
    END IF;
    SELECT coalesce(jsonb_object_agg((parse_ident(d.value ->> 'old_identity'))[1],
                                     (parse_ident(d.value ->> 'object_identity'))[1]), '{}')
      INTO v_schema_map
      FROM jsonb_array_elements(diff) AS d
     WHERE d.value ->> 'object_kind' = 'schema' AND d.value ->> 'change' = 'renamed'
       AND d.value ->> 'old_identity' IS NOT NULL AND d.value ->> 'object_identity' IS NOT NULL;
    v_gone_schemas := ARRAY(SELECT (parse_ident(d.value ->> 'object_identity'))[1]
                              FROM jsonb_array_elements(diff) AS d
                             WHERE d.value ->> 'object_kind' = 'schema' AND d.value ->> 'change' = 'removed');

    -- dependency levels: 1 + the greatest level of the types of the same side its
    -- definition names (v_level: types at to_ref, v_rlevel: removed types at from_ref)
    FOR i IN 1 .. 2 LOOP
        SELECT coalesce(jsonb_object_agg(x.ident, x.deps), '{}') INTO v_deps
          FROM (SELECT d.value ->> 'object_identity' AS ident,
                       coalesce((SELECT jsonb_agg(DISTINCT m[1])
                                   FROM regexp_matches(d.value ->> CASE WHEN i = 1 THEN 'new_definition'
                                                                        ELSE 'old_definition' END, c_name, 'g') AS m
                                  WHERE m[1] <> d.value ->> 'object_identity'
                                    AND EXISTS (SELECT FROM jsonb_array_elements(v_rows) AS o
                                                 WHERE o.value ->> 'object_kind' IN ('type', 'domain')
                                                   AND o.value ->> 'object_identity' = m[1]
                                                   AND (o.value ->> 'change' = 'removed') = (i = 2))), '[]') AS deps
                  FROM jsonb_array_elements(v_rows) AS d
                 WHERE d.value ->> 'object_kind' IN ('type', 'domain')
                   AND (d.value ->> 'change' = 'removed') = (i = 2)) AS x;
        v_level := '{}';
        v_iter := 0;
        LOOP
            v_grew := false;
            v_iter := v_iter + 1;
            FOR c IN SELECT e.key AS ident,
                            1 + coalesce((SELECT max((v_level ->> x.x)::integer)
                                            FROM jsonb_array_elements_text(e.value) AS x (x)), 0) AS lvl
                       FROM jsonb_each(v_deps) AS e LOOP
                IF c.lvl > coalesce((v_level ->> c.ident)::integer, 0) AND c.lvl < 100 THEN
                    v_level := v_level || jsonb_build_object(c.ident, c.lvl);
                    v_grew := true;
                END IF;
            END LOOP;
            EXIT WHEN NOT v_grew OR v_iter > 200;
        END LOOP;
        IF i = 2 THEN
            v_rlevel := v_level;
        ELSE
            v_tlevel := v_level;
        END IF;
    END LOOP;
    v_level := v_tlevel;

    FOR r IN SELECT * FROM jsonb_to_recordset(v_rows) AS d (object_identity text, object_kind text, change text,
                                                            old_definition text, new_definition text, old_identity text)
    LOOP
        v_obj := upper(r.object_kind);
        v_ocm := substring(r.old_definition FROM c_comment);
        v_ncm := substring(r.new_definition FROM c_comment);
        v_ob := regexp_replace(r.old_definition, c_comment, '');
        v_nb := regexp_replace(r.new_definition, c_comment, '');
        v_fd := NULL; v_td := NULL; v_used := NULL;
        v_on := '{}'; v_ot := '{}'; v_oc := '{}'; v_nn := '{}'; v_nt := '{}'; v_nc := '{}';

        IF r.object_kind = 'sequence' THEN
            IF r.change = 'removed' THEN
                phase := CASE WHEN (parse_ident(r.object_identity))[1] = ANY (v_gone_schemas)
                                   OR EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                                               WHERE d.value ->> 'object_identity' = r.object_identity
                                                 AND d.value ->> 'change' IN ('added', 'renamed')
                                                 AND d.value ->> 'object_kind' IN ('table', 'view', 'materialized view',
                                                                                   'sequence'))
                              THEN 60 ELSE 146 END;
                sort_key := r.object_identity;
                statement := format('-- DROP SEQUENCE IF EXISTS %s;', r.object_identity);
                warning := format('sequence %s is dropped: its current value is lost', r.object_identity);
                RETURN NEXT;
                CONTINUE;
            END IF;
            v_nline := split_part(r.new_definition, E'\n', 1);
            v_oline := split_part(r.old_definition, E'\n', 1);
            phase := 120; sort_key := r.object_identity; warning := NULL;
            IF r.change = 'added' THEN
                statement := format('CREATE %sSEQUENCE %s %s;',
                                    CASE WHEN starts_with(v_nline, 'UNLOGGED ') THEN 'UNLOGGED ' ELSE '' END,
                                    r.object_identity, regexp_replace(v_nline, '^(UNLOGGED )?SEQUENCE ', ''));
                RETURN NEXT;
            ELSE
                IF regexp_replace(v_nline, '^UNLOGGED ', '') <> regexp_replace(v_oline, '^UNLOGGED ', '') THEN
                    statement := format('ALTER SEQUENCE %s %s%s;', r.object_identity,
                                        regexp_replace(v_nline, '^(UNLOGGED )?SEQUENCE ', ''),
                                        CASE WHEN v_nline ~ ' CYCLE$' THEN '' ELSE ' NO CYCLE' END);
                    RETURN NEXT;
                END IF;
                IF starts_with(v_nline, 'UNLOGGED ') <> starts_with(v_oline, 'UNLOGGED ') THEN
                    statement := format('ALTER SEQUENCE %s SET %s;', r.object_identity,
                                        CASE WHEN starts_with(v_nline, 'UNLOGGED ') THEN 'UNLOGGED' ELSE 'LOGGED' END);
                    RETURN NEXT;
                END IF;
            END IF;
            IF v_ncm IS DISTINCT FROM v_ocm THEN
                statement := format('COMMENT ON SEQUENCE %s IS %s;', r.object_identity, coalesce(v_ncm, 'NULL'));
                RETURN NEXT;
            END IF;
            -- the owner column's identity: quoted parts may hold newlines, so not "to the end of line"
            v_txt := substring(r.new_definition
                               FROM '\nOWNED BY ((?:"(?:[^"]|"")*"|[^\n."]+)(?:[.](?:"(?:[^"]|"")*"|[^\n."]+))*)');
            v_prev := substring(r.old_definition
                                FROM '\nOWNED BY ((?:"(?:[^"]|"")*"|[^\n."]+)(?:[.](?:"(?:[^"]|"")*"|[^\n."]+))*)');
            IF v_txt IS DISTINCT FROM v_prev THEN
                IF v_prev IS NOT NULL THEN
                    -- before any column or table goes: dropping the owner would drop the sequence
                    phase := 44; sort_key := r.old_identity;
                    statement := format('ALTER SEQUENCE %s OWNED BY NONE;', r.old_identity);
                    RETURN NEXT;
                END IF;
                IF v_txt IS NOT NULL THEN
                    phase := 165; sort_key := r.object_identity;
                    statement := format('ALTER SEQUENCE %s OWNED BY %s;', r.object_identity, v_txt);
                    RETURN NEXT;
                END IF;
            END IF;
            CONTINUE;
        END IF;

        -- types and domains
        IF r.change = 'removed' THEN
            phase := CASE WHEN (parse_ident(r.object_identity))[1] = ANY (v_gone_schemas)
                               OR EXISTS (SELECT FROM jsonb_array_elements(diff) AS d
                                           WHERE d.value ->> 'object_identity' = r.object_identity
                                             AND d.value ->> 'change' IN ('added', 'renamed')
                                             AND d.value ->> 'object_kind' IN ('type', 'domain'))
                          THEN 70 ELSE 147 END;
            sort_key := lpad((1000 - coalesce((v_rlevel ->> r.object_identity)::integer, 1))::text, 4, '0')
                        || r.object_identity;
            statement := format('DROP %s %s;', v_obj, r.object_identity);
            warning := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;
        phase := 110;
        sort_key := lpad(coalesce((v_level ->> r.object_identity)::integer, 1)::text, 4, '0') || r.object_identity;
        warning := NULL;
        v_after := '{}';
        v_redone := false;

        -- the statement that creates the type as it is at to_ref (v_create), with the
        -- comments of its parts that follow it (v_after)
        IF r.object_kind = 'domain' THEN
            v_to_working := coalesce(v_to_working, pggit.resolve_ref(to_ref) IS NULL);
            v_td := coalesce((SELECT od.details FROM pggit.object_details AS od
                               WHERE od.identity = r.object_identity
                                 AND od.blob_hash = encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')),
                             CASE WHEN v_to_working THEN (
                                 SELECT pggit.type_details(t.oid)
                                   FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
                                  WHERE n.nspname = (parse_ident(r.object_identity))[1]
                                    AND t.typname = (parse_ident(r.object_identity))[2]) END);
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
            v_create := concat_ws(' ', format('CREATE DOMAIN %s AS %s', r.object_identity, v_n.base),
                                  'COLLATE ' || v_n.coll, 'DEFAULT ' || v_n.dflt,
                                  CASE WHEN v_n.nn THEN 'NOT NULL' END);
            IF v_td IS NOT NULL THEN
                SELECT v_create || coalesce(string_agg(format(' CONSTRAINT %I %s', k.value ->> 'n', k.value ->> 'd'), ''
                                                       ORDER BY k.ordinality)
                                              FILTER (WHERE NOT (k.value ->> 'd') ~ ' NOT VALID$'), ''),
                       ARRAY(SELECT x FROM unnest(ARRAY(
                           SELECT format('ALTER DOMAIN %s ADD CONSTRAINT %I %s;', r.object_identity, k2.value ->> 'n',
                                         k2.value ->> 'd')
                             FROM jsonb_array_elements(v_td -> 'cons') WITH ORDINALITY AS k2
                            WHERE (k2.value ->> 'd') ~ ' NOT VALID$' ORDER BY k2.ordinality)
                           || ARRAY(SELECT format('COMMENT ON CONSTRAINT %I ON DOMAIN %s IS %L;', k3.value ->> 'n',
                                                  r.object_identity, k3.value ->> 'm')
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
        ELSIF starts_with(v_nb, 'ENUM (') THEN
            v_create := format('CREATE TYPE %s AS %s;', r.object_identity, v_nb);
        ELSIF starts_with(v_nb, 'RANGE ') THEN
            SELECT format('CREATE TYPE %s AS RANGE (%s);', r.object_identity,
                          string_agg(CASE WHEN x.o = 1 THEN 'SUBTYPE = ' || substr(x.p, 15)
                                          ELSE regexp_replace(x.p, '^([A-Z_]+) ', '\1 = ') END, ', ' ORDER BY x.o))
              INTO v_create
              FROM regexp_split_to_table(v_nb, ' (?=(SUBTYPE_OPCLASS|COLLATION|CANONICAL|SUBTYPE_DIFF|'
                                               'MULTIRANGE_TYPE_NAME) )') WITH ORDINALITY AS x (p, o);
        ELSE
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
            v_create := format('CREATE TYPE %s AS (%s);', r.object_identity,
                               array_to_string(ARRAY(SELECT v_nn[g.g] || ' ' || v_nt[g.g]
                                                       FROM generate_subscripts(v_nn, 1) AS g (g) ORDER BY g.g), ', '));
            v_after := ARRAY(SELECT format('COMMENT ON COLUMN %s.%s IS %s;', r.object_identity, v_nn[g.g], v_nc[g.g])
                               FROM generate_subscripts(v_nn, 1) AS g (g) WHERE v_nc[g.g] IS NOT NULL ORDER BY g.g);
        END IF;

        IF r.change = 'added' THEN
            statement := v_create; RETURN NEXT;
            v_redone := true;
        ELSIF v_nb = v_ob THEN
            NULL;  -- renamed only, or its comment changed
        ELSIF split_part(v_nb, ' ', 1) <> split_part(v_ob, ' ', 1) THEN
            -- another kind of type under the same name
            statement := format('-- DROP %s %s; %s', v_obj, r.object_identity, v_create);
            warning := format('%s %s becomes another kind of type (%s to %s): it is dropped and created again; columns '
                              'of that type lose their values', lower(v_obj), r.object_identity,
                              split_part(v_ob, ' ', 1), split_part(v_nb, ' ', 1));
            RETURN NEXT;
            v_redone := true;
        ELSIF r.object_kind = 'domain' THEN
            IF v_o.base <> v_n.base OR v_o.coll IS DISTINCT FROM v_n.coll THEN
                statement := format('-- DROP DOMAIN %s; %s', r.object_identity, v_create);
                warning := format('domain %s changes its base type from %s to %s: it is dropped and created again; '
                                  'columns of that type must be converted first', r.object_identity,
                                  concat_ws(' COLLATE ', v_o.base, v_o.coll), concat_ws(' COLLATE ', v_n.base, v_n.coll));
                RETURN NEXT;
                v_redone := true;
            ELSE
                IF v_o.cons IS DISTINCT FROM v_n.cons THEN
                    v_from_working := coalesce(v_from_working, pggit.resolve_ref(from_ref) IS NULL);
                    v_fd := coalesce((SELECT od.details FROM pggit.object_details AS od
                                       WHERE od.identity = r.old_identity
                                         AND od.blob_hash = encode(sha256(convert_to(r.old_definition, 'UTF8')), 'hex')),
                                     CASE WHEN v_from_working THEN (
                                         SELECT pggit.type_details(t.oid)
                                           FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
                                          WHERE n.nspname = (parse_ident(r.old_identity))[1]
                                            AND t.typname = (parse_ident(r.old_identity))[2]) END);
                    IF v_fd IS NULL OR v_td IS NULL THEN
                        statement := format('-- domain %s: constraint changes not generated', r.object_identity);
                        warning := format('domain %s at %s has no recorded details (names of its constraints): it was '
                                          'committed before level 4', r.object_identity,
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
                            statement := format('ALTER DOMAIN %s DROP CONSTRAINT %I;', r.object_identity, c.n);
                            RETURN NEXT;
                        END LOOP;
                    END IF;
                END IF;
                IF v_o.dflt IS DISTINCT FROM v_n.dflt THEN
                    statement := format('ALTER DOMAIN %s %s;', r.object_identity,
                                        coalesce('SET DEFAULT ' || v_n.dflt, 'DROP DEFAULT'));
                    RETURN NEXT;
                END IF;
                IF v_o.nn <> v_n.nn THEN
                    statement := format('ALTER DOMAIN %s %s NOT NULL;', r.object_identity,
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
                            statement := format('ALTER DOMAIN %s ADD CONSTRAINT %I %s;', r.object_identity, c.n, c.d);
                            RETURN NEXT;
                        END IF;
                        IF c.m IS DISTINCT FROM (CASE WHEN c.kept THEN c.om END) THEN
                            statement := format('COMMENT ON CONSTRAINT %I ON DOMAIN %s IS %s;', c.n, r.object_identity,
                                                coalesce(quote_literal(c.m), 'NULL'));
                            RETURN NEXT;
                        END IF;
                    END LOOP;
                END IF;
            END IF;
        ELSIF starts_with(v_nb, 'ENUM (') THEN
            v_old_labels := ARRAY(SELECT replace(m[1], '''''', '''')
                                    FROM regexp_matches(v_ob, '''((?:[^'']|'''')*)''', 'g') AS m);
            v_new_labels := ARRAY(SELECT replace(m[1], '''''', '''')
                                    FROM regexp_matches(v_nb, '''((?:[^'']|'''')*)''', 'g') AS m);
            IF v_old_labels <@ v_new_labels
               AND v_old_labels = ARRAY(SELECT l FROM unnest(v_new_labels) AS l WHERE l = ANY (v_old_labels)) THEN
                v_prev := NULL;
                FOR i IN 1 .. coalesce(array_length(v_new_labels, 1), 0) LOOP
                    IF NOT v_new_labels[i] = ANY (v_old_labels) THEN
                        statement := format('ALTER TYPE %s ADD VALUE %L %s;', r.object_identity, v_new_labels[i],
                            CASE WHEN v_prev IS NOT NULL THEN format('AFTER %L', v_prev)
                                 WHEN array_length(v_old_labels, 1) > 0 THEN format('BEFORE %L', v_old_labels[1])
                                 ELSE '' END);
                        RETURN NEXT;
                    END IF;
                    v_prev := v_new_labels[i];
                END LOOP;
            ELSE
                statement := format('-- DROP TYPE %s; %s', r.object_identity, v_create);
                warning := format('enum %s loses or reorders labels: values of its columns may be lost',
                                  r.object_identity);
                RETURN NEXT;
                v_redone := true;
            END IF;
        ELSIF starts_with(v_nb, 'RANGE ')
              AND regexp_replace(v_nb, ' MULTIRANGE_TYPE_NAME .*$', '') = regexp_replace(v_ob, ' MULTIRANGE_TYPE_NAME .*$', '')
              AND cardinality(parse_ident(substring(v_ob FROM ' MULTIRANGE_TYPE_NAME (.*)$'))) = 2
              AND cardinality(parse_ident(substring(v_nb FROM ' MULTIRANGE_TYPE_NAME (.*)$'))) = 2 THEN
            -- only the multirange's name differs: the range was renamed or moved, and
            -- PostgreSQL renames or moves a range's array type with it, not its multirange
            v_old_labels := parse_ident(substring(v_ob FROM ' MULTIRANGE_TYPE_NAME (.*)$'));
            v_new_labels := parse_ident(substring(v_nb FROM ' MULTIRANGE_TYPE_NAME (.*)$'));
            v_old_labels[1] := coalesce(v_schema_map ->> v_old_labels[1], v_old_labels[1]);
            IF v_old_labels[2] <> v_new_labels[2] THEN
                statement := format('ALTER TYPE %I.%I RENAME TO %I;', v_old_labels[1], v_old_labels[2], v_new_labels[2]);
                RETURN NEXT;
            END IF;
            IF v_old_labels[1] <> v_new_labels[1] THEN
                statement := format('ALTER TYPE %I.%I SET SCHEMA %I;', v_old_labels[1], v_new_labels[2], v_new_labels[1]);
                RETURN NEXT;
            END IF;
        ELSIF starts_with(v_nb, 'RANGE ') THEN
            statement := format('-- DROP TYPE %s; %s', r.object_identity, v_create);
            warning := format('range type %s changes (%s to %s): it is dropped and created again; columns of that '
                              'type lose their values', r.object_identity, v_ob, v_nb);
            RETURN NEXT;
            v_redone := true;
        ELSE
            -- composite: attributes matched by name. v_p: the longest start of the new
            -- attributes that are old ones in their old order (and keep their type while
            -- something uses the type); every other old attribute is dropped, every other
            -- new one appended, so the order comes out as at to_ref.
            v_p := 0;
            v_last := 0;
            FOR i IN 1 .. coalesce(array_length(v_nn, 1), 0) LOOP
                v_j := array_position(v_on, v_nn[i]);
                EXIT WHEN v_j IS NULL OR v_j < v_last;
                IF v_ot[v_j] <> v_nt[i] THEN
                    IF v_used IS NULL THEN
                        v_used := EXISTS (
                            SELECT FROM pggit.schema_at(from_ref) AS s
                             WHERE s.object_kind IN ('table', 'type', 'domain') AND s.object_identity <> r.old_identity
                               AND strpos(s.definition, r.old_identity) > 0
                               AND EXISTS (SELECT FROM regexp_matches(s.definition, c_name, 'g') AS m
                                            WHERE m[1] = r.old_identity));
                    END IF;
                    EXIT WHEN v_used;
                END IF;
                v_last := v_j;
                v_p := i;
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(v_on, 1), 0) LOOP
                IF NOT v_on[i] = ANY (v_nn[1:v_p]) THEN
                    statement := format('ALTER TYPE %s DROP ATTRIBUTE %s;', r.object_identity, v_on[i]);
                    IF v_on[i] = ANY (v_nn) THEN
                        IF v_used IS NULL THEN
                            v_used := EXISTS (
                            SELECT FROM pggit.schema_at(from_ref) AS s
                             WHERE s.object_kind IN ('table', 'type', 'domain') AND s.object_identity <> r.old_identity
                               AND strpos(s.definition, r.old_identity) > 0
                               AND EXISTS (SELECT FROM regexp_matches(s.definition, c_name, 'g') AS m
                                            WHERE m[1] = r.old_identity));
                        END IF;
                        IF v_used THEN
                            statement := '-- ' || statement;
                            warning := format('attribute %s of type %s is dropped and added again (to keep the order of '
                                              'the attributes or to change its type): its values in columns of that '
                                              'type are lost', v_on[i], r.object_identity);
                        END IF;
                    ELSE
                        statement := '-- ' || statement;
                        warning := format('attribute %s of type %s is dropped: its values in columns of that type are '
                                          'lost', v_on[i], r.object_identity);
                    END IF;
                    RETURN NEXT;
                    warning := NULL;
                END IF;
            END LOOP;
            FOR i IN 1 .. coalesce(array_length(v_nn, 1), 0) LOOP
                IF i <= v_p THEN
                    v_j := array_position(v_on, v_nn[i]);
                    IF v_ot[v_j] <> v_nt[i] THEN
                        statement := format('ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s;', r.object_identity, v_nn[i],
                                            v_nt[i]);
                        RETURN NEXT;
                    END IF;
                    IF v_oc[v_j] IS DISTINCT FROM v_nc[i] THEN
                        statement := format('COMMENT ON COLUMN %s.%s IS %s;', r.object_identity, v_nn[i],
                                            coalesce(v_nc[i], 'NULL'));
                        RETURN NEXT;
                    END IF;
                ELSE
                    statement := format('ALTER TYPE %s ADD ATTRIBUTE %s %s;', r.object_identity, v_nn[i], v_nt[i]);
                    RETURN NEXT;
                    IF v_nc[i] IS NOT NULL THEN
                        statement := format('COMMENT ON COLUMN %s.%s IS %s;', r.object_identity, v_nn[i], v_nc[i]);
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
            statement := format('COMMENT ON %s %s IS %s;', v_obj, r.object_identity, coalesce(v_ncm, 'NULL'));
            RETURN NEXT;
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.type_steps(jsonb, text, text) IS
    'DDL steps (phase, sort key, statement, warning) for the types, domains and sequences of a pggit.diff, for generate_migration.';
