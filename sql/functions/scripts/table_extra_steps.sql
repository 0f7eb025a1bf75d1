-- pggit.table_extra_steps(old_identity text, tbl text, old_definition text, new_definition text,
--                         to_details jsonb, renames jsonb, from_ref text, to_ref text,
--                         dropped_functions text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: the steps of pggit.generate_migration for what a table's canonical
-- definition (pggit.describe_table) holds beyond its columns' types, defaults and NOT
-- NULL, its constraints and its indexes, from `old_definition` (NULL: the script
-- creates the table) to `new_definition`, on the table's name at each side
-- (`old_identity` before the renames, `tbl` after; both quoted as pg_identify_object
-- quotes). `to_details` is pggit.table_details at the target (index names), `renames`
-- the column renames ({new name: old name}), `from_ref` / `to_ref` the refs (a
-- partition's parent is read there), `dropped_functions` the identities (as pggit.diff
-- gives them) of the functions and procedures the script drops: a trigger, policy or
-- rule whose text calls one is dropped before it and created again after it, even
-- when it does not change itself (PostgreSQL refuses the function's drop otherwise).
--   comments (pggit.table_option_steps, column_comment_steps, constraint_comment_steps):
--     COMMENT ON TABLE / COLUMN / CONSTRAINT / INDEX (set, changed, removed: IS NULL), a constraint
--     or index by its definition's name at the target;
--   triggers (pggit.trigger_steps): DROP TRIGGER (phase 5, before functions are dropped)
--     and CREATE TRIGGER (phase 185, after functions are created) for an added, removed
--     or changed one (a changed trigger is dropped and created again), ALTER TABLE ..
--     ENABLE [REPLICA | ALWAYS] / DISABLE TRIGGER for its state, COMMENT ON TRIGGER; a
--     partition's triggers cloned from its parent's are left to the parent (pggit's own
--     triggers are never in a definition: pggit.describe_triggers);
--   policies (pggit.policy_steps): CREATE POLICY (185), DROP POLICY (5), ALTER POLICY
--     (185) when only its roles or expressions change (dropped and created again when
--     its command or kind changes or an expression goes);
--   rules (pggit.rule_steps): CREATE RULE (185), DROP RULE (5), ENABLE / DISABLE RULE;
--   column options (pggit.column_option_steps, phase 165): ALTER COLUMN .. SET STORAGE /
--     COMPRESSION / STATISTICS, SET (..) / RESET (..);
--   options (pggit.table_option_steps; phase 165, after the indexes): ALTER TABLE .. SET
--     (..) / RESET (..), SET ACCESS METHOD and SET LOGGED / UNLOGGED (both rewrite the
--     table: with a warning), REPLICA IDENTITY (the index by its name at the target);
--     (185) ENABLE / DISABLE ROW LEVEL SECURITY, [NO] FORCE ROW LEVEL SECURITY;
--   partitions (pggit.table_partition_steps): ALTER TABLE .. DETACH PARTITION (phase 25,
--     before anything of the parent changes) when a partition stops being one or changes
--     parent or bound, and ATTACH PARTITION (phase 165, after its own and its parent's
--     constraints and indexes) when a table becomes one (creating a partition is CREATE
--     TABLE .. PARTITION OF, by generate_migration).
-- What the definition records and this cannot generate (a typed table's type, legacy
-- inheritance, a partition key that changes, a foreign server, a REPLICA IDENTITY
-- index without a name: pggit.table_option_steps) is a commented note with a warning saying
-- what differs, never silence.
-- The orchestration: it reads both definitions' items, the partition lines and the
-- triggers a partition clones from its parent once, then returns the pieces' rows in
-- this order: partitions, the table's own clauses (notes, options, its comment), column
-- comments, column options, constraint and index comments, triggers, policies, rules (a piece whose items neither
-- side has is not called). STABLE, callable by everyone; the pieces are SECURITY INVOKER
-- and callable by everyone too (this function runs with its caller's rights).
CREATE OR REPLACE FUNCTION pggit.table_extra_steps(old_identity text, tbl text, old_definition text,
                                                   new_definition text, to_details jsonb, renames jsonb,
                                                   from_ref text, to_ref text, dropped_functions text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_old text[] := coalesce(pggit.definition_items(old_definition), '{}');
    v_new text[] := pggit.definition_items(new_definition);
    v_added boolean := old_definition IS NULL;
    v_opo text;
    v_npo text;
    v_opar text[];
    v_npar text[];
    v_inh_old text[] := '{}';
    v_inh_new text[] := '{}';
    -- which parts either side has at all (the rest is skipped: most tables have none)
    v_both text := coalesce(old_definition, '') || E'\n' || coalesce(new_definition, '');
    v_cmts boolean := strpos(v_both, ' COMMENT ''') > 0;
    v_colopts boolean := v_both ~ '\nCOLUMN [^\n]* (STORAGE|COMPRESSION|STATISTICS|OPTIONS) ';
    v_trg boolean := strpos(v_both, E'\nTRIGGER ') > 0;
    v_pol boolean := strpos(v_both, E'\nPOLICY ') > 0;
    v_rul boolean := strpos(v_both, E'\nRULE ') > 0;
    -- the functions and procedures the script drops (and creates again, if they stay), as
    -- '<schema>.<name>(': a trigger, policy or rule that calls one goes before it and
    -- comes back after it
    v_fns text[] := ARRAY(SELECT m[1] || '('
                            FROM unnest(dropped_functions) AS f,
                                 regexp_match(f, '^((?:"(?:[^"]|"")*"|[^."(]+)[.](?:"(?:[^"]|"")*"|[^."(]+))[(]') AS m);
BEGIN
    -- the partition line of each side: PARTITION OF <parent> <bound>
    v_opo := (SELECT x FROM unnest(v_old) AS x WHERE starts_with(x, 'PARTITION OF ') LIMIT 1);
    v_npo := (SELECT x FROM unnest(v_new) AS x WHERE starts_with(x, 'PARTITION OF ') LIMIT 1);
    v_opar := regexp_match(v_opo, '^PARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) (.*)$');
    v_npar := regexp_match(v_npo, '^PARTITION OF ((?:"(?:[^"]|"")*"|[^ ."]+)[.](?:"(?:[^"]|"")*"|[^ ."]+)) (.*)$');
    -- a partition's triggers cloned from its parent's: the parent's own
    IF v_opar IS NOT NULL AND EXISTS (SELECT FROM unnest(v_old) AS x WHERE starts_with(x, 'TRIGGER ')) THEN
        v_inh_old := ARRAY(SELECT x FROM unnest(pggit.definition_items(
                               (pggit.table_state(from_ref, v_opar[1])).definition)) AS x
                            WHERE starts_with(x, 'TRIGGER '));
    END IF;
    IF v_npar IS NOT NULL AND EXISTS (SELECT FROM unnest(v_new) AS x WHERE starts_with(x, 'TRIGGER ')) THEN
        v_inh_new := ARRAY(SELECT x FROM unnest(pggit.definition_items(
                               (pggit.table_state(to_ref, v_npar[1])).definition)) AS x
                            WHERE starts_with(x, 'TRIGGER '));
    END IF;

    -- the pieces, in this order
    IF NOT v_added AND v_opo IS DISTINCT FROM v_npo THEN
        RETURN QUERY SELECT * FROM pggit.table_partition_steps(old_identity, tbl, v_opar, v_npar);
    END IF;
    RETURN QUERY SELECT * FROM pggit.table_option_steps(tbl, v_old, v_new, v_added, to_details);
    IF v_cmts THEN
        RETURN QUERY SELECT * FROM pggit.column_comment_steps(tbl, v_old, v_new, renames);
    END IF;
    IF v_colopts THEN
        RETURN QUERY SELECT * FROM pggit.column_option_steps(tbl, v_old, v_new, renames, to_details);
    END IF;
    IF v_cmts THEN
        RETURN QUERY SELECT * FROM pggit.constraint_comment_steps(tbl, v_old, v_new, to_details);
    END IF;
    IF v_trg THEN
        RETURN QUERY SELECT * FROM pggit.trigger_steps(old_identity, tbl, v_old, v_new, v_inh_old, v_inh_new, v_fns);
    END IF;
    IF v_pol THEN
        RETURN QUERY SELECT * FROM pggit.policy_steps(old_identity, tbl, v_old, v_new, v_fns);
    END IF;
    IF v_rul THEN
        RETURN QUERY SELECT * FROM pggit.rule_steps(old_identity, tbl, v_old, v_new, v_fns);
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.table_extra_steps(text, text, text, text, jsonb, jsonb, text, text, text[]) IS
    'The steps of generate_migration for a table''s comments, triggers, policies, rules, options and partition attachment.';
