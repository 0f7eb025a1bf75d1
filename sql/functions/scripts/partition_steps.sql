-- pggit.partition_steps(old_identity text, tbl text, old_definition text, new_definition text,
--                       from_details jsonb, to_details jsonb, from_ref text, to_ref text)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: for a partition that the script creates (`old_definition` NULL) or that stays
-- the partition of the same parent with the same bound, the steps that give the indexes
-- and keys it inherits from its parent (pggit.partition_local leaves them out of its own
-- steps) their names at the target (`to_details`, pggit.table_details): PostgreSQL
-- names a partition's index itself when the parent's index is made. An inherited index
-- or key that
--   - the partition has already (same definition, `from_details`) under another name:
--     ALTER INDEX .. RENAME TO (phase 96, after the table renames);
--   - PostgreSQL makes when the partition is created (its nearest ancestor that the
--     script does not create has it at `from_ref`):
--     ALTER INDEX <the name PostgreSQL gives, pggit.partition_index_name> RENAME TO
--     (phase 139, after the tables are created) when the names differ;
--   - the parent gets in the script: made on the partition first under its target name
--     (CREATE INDEX, phase 159; ALTER TABLE .. ADD CONSTRAINT, phase 149), so that the
--     parent's CREATE INDEX (160) / ADD CONSTRAINT (150) attaches it instead of making one.
-- A partition whose own columns differ from its parent's (a default or NOT NULL of its
-- own) gets a note with a warning: column steps of a partition are its parent's.
-- Errors: 22023 'invalid table name "<tbl>": not a valid identifier' (clipped).
-- STABLE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.partition_steps(old_identity text, tbl text, old_definition text,
                                                 new_definition text, from_details jsonb, to_details jsonb,
                                                 from_ref text, to_ref text)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_parent text;
    v_pt jsonb;
    v_pf jsonb;
    v_id text[];
    c record;
    v_old jsonb;
    v_name text;
    v_anc text;
    v_depth integer;
BEGIN
    v_parent := substring(new_definition FROM '\nPARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) ');
    IF v_parent IS NULL OR to_details IS NULL THEN
        RETURN;
    END IF;
    v_pt := (pggit.table_state(to_ref, v_parent)).details;
    IF v_pt IS NULL THEN
        RETURN;
    END IF;
    BEGIN
        v_id := parse_ident(tbl);
    EXCEPTION WHEN invalid_parameter_value THEN
        -- parse_ident's own message echoes the whole text: clipped (level 8)
        RAISE EXCEPTION 'invalid table name "%": not a valid identifier', pggit.clip(tbl)
            USING ERRCODE = 'invalid_parameter_value';
    END;
    -- what the partition gets when it is created: what its nearest ancestor that exists
    -- before the script has (the ancestors the script creates get it from there too)
    v_anc := v_parent;
    FOR i IN 1 .. 32 LOOP
        v_pf := (pggit.table_state(from_ref, v_anc)).details;
        EXIT WHEN v_pf IS NOT NULL OR old_definition IS NOT NULL;
        v_anc := substring((pggit.table_state(to_ref, v_anc)).definition
                           FROM '\nPARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) ');
        EXIT WHEN v_anc IS NULL;
    END LOOP;
    warning := NULL;
    FOR c IN SELECT * FROM (SELECT 'i' AS part, i.value AS v FROM jsonb_array_elements(to_details -> 'idx') AS i
              WHERE EXISTS (SELECT FROM jsonb_array_elements(v_pt -> 'idx') AS p
                             WHERE p.value ->> 'd' = i.value ->> 'd' AND p.value ->> 'u' = i.value ->> 'u')
             UNION ALL
             SELECT 'k', k.value FROM jsonb_array_elements(to_details -> 'cons') AS k
              WHERE k.value ->> 't' IN ('p', 'u', 'x')
                AND EXISTS (SELECT FROM jsonb_array_elements(v_pt -> 'cons') AS p
                             WHERE p.value ->> 't' = k.value ->> 't' AND p.value ->> 'd' = k.value ->> 'd')
             ) AS x ORDER BY x.part, x.v ->> 'n' COLLATE "C" LOOP
        -- the partition has it already
        SELECT o.value INTO v_old
          FROM jsonb_array_elements(from_details -> CASE c.part WHEN 'i' THEN 'idx' ELSE 'cons' END) AS o
         WHERE old_definition IS NOT NULL AND o.value ->> 'd' = c.v ->> 'd'
           AND (o.value ->> 'u') IS NOT DISTINCT FROM (c.v ->> 'u') AND (o.value ->> 't') IS NOT DISTINCT FROM (c.v ->> 't')
         LIMIT 1;
        IF v_old IS NOT NULL THEN
            IF v_old ->> 'n' <> c.v ->> 'n' THEN
                phase := 96; sort_key := tbl;
                statement := format('ALTER INDEX %I.%I RENAME TO %I;', v_id[1], v_old ->> 'n', c.v ->> 'n');
                RETURN NEXT;
            END IF;
            CONTINUE;
        END IF;
        IF old_definition IS NULL AND EXISTS (
               SELECT FROM jsonb_array_elements(v_pf -> CASE c.part WHEN 'i' THEN 'idx' ELSE 'cons' END) AS p
                WHERE p.value ->> 'd' = c.v ->> 'd' AND (p.value ->> 'u') IS NOT DISTINCT FROM (c.v ->> 'u')
                  AND (p.value ->> 't') IS NOT DISTINCT FROM (c.v ->> 't')) THEN
            -- made by CREATE TABLE .. PARTITION OF, named by PostgreSQL
            v_name := pggit.partition_index_name(v_id[2], c.v ->> 't', c.v ->> 'd');
            IF v_name <> c.v ->> 'n' THEN
                phase := 139; sort_key := tbl;
                statement := format('ALTER INDEX %I.%I RENAME TO %I;', v_id[1], v_name, c.v ->> 'n');
                RETURN NEXT;
            END IF;
            CONTINUE;
        END IF;
        -- the parent gets it in the script: made here first, under the target's name; a
        -- deeper partition's first (a partitioned partition's CREATE INDEX reaches down)
        IF v_depth IS NULL THEN
            v_depth := 0;
            v_anc := v_parent;
            WHILE v_anc IS NOT NULL AND v_depth < 32 LOOP
                v_depth := v_depth + 1;
                v_anc := substring((pggit.table_state(to_ref, v_anc)).definition
                                   FROM '\nPARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) ');
            END LOOP;
        END IF;
        sort_key := lpad((99 - v_depth)::text, 2, '0') || ' ' || tbl;
        IF c.part = 'i' THEN
            phase := 159;
            statement := format('CREATE %sINDEX %I ON %s USING %s;',
                                CASE WHEN (c.v ->> 'u')::boolean THEN 'UNIQUE ' ELSE '' END, c.v ->> 'n', tbl, c.v ->> 'd');
        ELSE
            phase := 149;
            statement := format('ALTER TABLE %s ADD CONSTRAINT %I %s;', tbl, c.v ->> 'n', c.v ->> 'd');
        END IF;
        RETURN NEXT;
    END LOOP;
    -- columns: the parent's (a partition has no column of its own)
    FOR c IN SELECT t.value AS t FROM jsonb_array_elements(to_details -> 'cols') AS t
              WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(v_pt -> 'cols') AS p
                                 WHERE p.value ->> 'n' = t.value ->> 'n'
                                   AND (p.value ->> 'd') IS NOT DISTINCT FROM (t.value ->> 'd')
                                   AND (p.value ->> 'nn') = (t.value ->> 'nn')) LOOP
        phase := 140; sort_key := tbl;
        statement := format('-- column %I of partition %s: not generated', c.t ->> 'n', tbl);
        warning := format('column %I of partition %s has a default or NOT NULL of its own (not its parent''s): '
                          'not generated', c.t ->> 'n', tbl);
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.partition_steps(text, text, text, text, jsonb, jsonb, text, text) IS
    'Names of the indexes and keys a partition inherits from its parent, as generate_migration gives them.';
