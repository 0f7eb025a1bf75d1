-- pggit.apply_migration(to_ref text, force boolean, from_ref text DEFAULT 'WORKING') -> text[]
--
-- Promises: brings the live schema to the schema at `to_ref` by executing the steps of
-- pggit.generate_migration(from_ref, to_ref) in step order, with the caller's rights,
-- in the caller's transaction, and returns the statements executed, in order. Every
-- step is checked before the first one runs:
--   - a plain step runs;
--   - a commented-out `-- DROP TABLE t;` or `-- ALTER TABLE t DROP COLUMN c;` runs
--     (without its `-- `) when the table has no row / the column no non-NULL value;
--     when it holds data it runs only with `force`; so does a commented-out
--     `-- ALTER TABLE t DROP CONSTRAINT k;` (a foreign key that goes before its table
--     is dropped: it runs when the table has no row), and a commented-out
--     `-- UPDATE t SET c = <placeholder> WHERE c IS NULL;` (before c becomes NOT NULL:
--     it runs when no row holds NULL in c, else only with `force`);
--   - any other commented-out statement (a narrowing type change, a dropped sequence,
--     an enum losing or reordering labels) runs only with `force`;
--   - a commented note the generator could not turn into DDL ("not generated") is
--     never run: it is refused even with `force`.
-- `from_ref` is 'WORKING' (the live schema) but for pggit.revert, which passes a commit
-- whose objects the script touches are, as revert has checked, as they are live (the
-- inverse of one older commit, applied on top of the head).
-- The DDL is tracked as usual (history rows on the session's branch).
-- Errors: 22004 NULL; generate_migration's (resolve_ref's) errors; 0A000 a step that
-- is not generated (DETAIL: the steps); 55000 steps that lose data without `force`
-- (DETAIL: the steps and their warnings; HINT: force => true); whatever a statement
-- raises. An internal building block of checkout(branch, apply) and revert;
-- SECURITY INVOKER, EXECUTE: PUBLIC (it runs only DDL the caller may run).
CREATE OR REPLACE FUNCTION pggit.apply_migration(to_ref text, force boolean, from_ref text DEFAULT 'WORKING')
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    v_sql text;
    v_m text[];
    v_rel regclass;
    v_col name;
    v_has boolean;
    v_steps text[] := '{}';
    v_lossy text[] := '{}';
    v_notes text[] := '{}';
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF apply_migration.to_ref IS NULL OR apply_migration.force IS NULL OR apply_migration.from_ref IS NULL THEN
        RAISE EXCEPTION 'to_ref, force and from_ref must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR r IN SELECT g.step, g.statement, g.warning
               FROM pggit.generate_migration(apply_migration.from_ref, apply_migration.to_ref) AS g
              ORDER BY g.step
    LOOP
        IF left(r.statement, 3) <> '-- ' THEN
            v_steps := v_steps || r.statement;
            CONTINUE;
        END IF;
        IF right(r.statement, 1) <> ';' THEN
            v_notes := v_notes || format('step %s: %s (%s)', r.step, r.statement, r.warning);
            CONTINUE;
        END IF;
        v_sql := pggit.uncomment_lines(r.statement);  -- every line was commented (comment_lines)
        v_has := NULL;
        v_m := regexp_match(v_sql, '^DROP TABLE (.+);$');
        IF v_m IS NULL THEN
            -- the foreign key of a table the script drops, before the table (a cycle)
            v_m := regexp_match(v_sql, '^ALTER TABLE ((?:"(?:[^"]|"")*"|[^".\s]+)[.](?:"(?:[^"]|"")*"|[^".\s]+)) '
                                       'DROP CONSTRAINT (?:"(?:[^"]|"")*"|[^".\s]+);$');
        END IF;
        IF v_m IS NOT NULL THEN
            v_rel := to_regclass(v_m[1]);
            IF v_rel IS NOT NULL THEN
                EXECUTE format('SELECT EXISTS (SELECT FROM %s)', v_rel) INTO v_has;
            END IF;
        ELSE
            v_m := regexp_match(v_sql, '^ALTER TABLE (.+) DROP COLUMN (.+);$');
            IF v_m IS NULL THEN
                -- rows holding NULL that get a placeholder before SET NOT NULL
                v_m := regexp_match(v_sql, '^UPDATE ((?:"(?:[^"]|"")*"|[^".\s]+)[.](?:"(?:[^"]|"")*"|[^".\s]+)) SET '
                                           '((?:"(?:[^"]|"")*"|[^".\s]+)) = .* WHERE \2 IS NULL;$');
            END IF;
            IF v_m IS NOT NULL THEN
                v_rel := to_regclass(v_m[1]);
                SELECT a.attname INTO v_col
                  FROM pg_attribute AS a
                 WHERE a.attrelid = v_rel AND a.attnum > 0 AND NOT a.attisdropped
                   AND quote_ident(a.attname) = v_m[2];
                IF v_col IS NOT NULL THEN
                    EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE %I IS %s NULL)', v_rel, v_col,
                                   CASE WHEN starts_with(v_sql, 'UPDATE ') THEN '' ELSE 'NOT' END) INTO v_has;
                END IF;
            END IF;
        END IF;
        IF v_has IS FALSE OR apply_migration.force THEN
            v_steps := v_steps || v_sql;
        ELSE
            v_lossy := v_lossy || format('step %s: %s (%s)', r.step, v_sql,
                                         coalesce(r.warning, 'loses data'));
        END IF;
    END LOOP;
    IF cardinality(v_notes) > 0 THEN
        RAISE EXCEPTION 'cannot bring the live schema to "%": % step(s) cannot be generated',
                pggit.clip(apply_migration.to_ref), cardinality(v_notes)
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = array_to_string(v_notes, E'\n');
    END IF;
    IF cardinality(v_lossy) > 0 THEN
        RAISE EXCEPTION 'bringing the live schema to "%" loses data in % step(s)',
                pggit.clip(apply_migration.to_ref), cardinality(v_lossy)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = array_to_string(v_lossy, E'\n'),
                  HINT = 'Pass force => true to run them.';
    END IF;
    FOREACH v_sql IN ARRAY v_steps LOOP
        EXECUTE v_sql;
    END LOOP;
    RETURN v_steps;
END
$function$;

COMMENT ON FUNCTION pggit.apply_migration(text, boolean, text) IS
    'Executes generate_migration(from_ref (default WORKING), to_ref) on the live schema; data-losing steps only when empty or with force; returns the statements run.';
