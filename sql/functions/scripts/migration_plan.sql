-- pggit.migration_plan(from_ref text, to_ref text, online boolean DEFAULT false)
--     -> TABLE(step integer, statement text, warning text, locks text, transactional boolean)
--
-- The generator behind pggit.generate_migration (which returns its first three
-- columns). `locks` says, for every step, the strongest lock it takes on an existing
-- object and what that means for the sessions using it (pggit.step_lock: a scan, a
-- rewrite, or brief); `transactional` is false for a step that must run outside a
-- transaction block (CREATE / DROP INDEX CONCURRENTLY).
-- online => true: the forms teams use on large live tables, for tables that exist
-- before the script: indexes built and dropped CONCURRENTLY; foreign keys and CHECK
-- constraints added NOT VALID, then VALIDATE CONSTRAINT (rows checked under SHARE
-- UPDATE EXCLUSIVE); a UNIQUE or PRIMARY KEY constraint over plain columns from a
-- unique index built CONCURRENTLY (ADD CONSTRAINT .. USING INDEX); SET NOT NULL after a
-- validated CHECK (column IS NOT NULL) (pggit.column_steps). A type change that
-- rewrites the table has no such form: its `locks` says so.
--
-- Promises: the ordered DDL script that turns the schema at from_ref into the schema at
-- to_ref (refs as pggit.resolve_ref takes them; WORKING = the live schema), one
-- statement per row, numbered from 1, each ending with ';'. The script is the
-- statements in step order; `warning` is NULL for a plain step and says what is wrong
-- otherwise. A step that would lose data is never run by accident: its statement is
-- written commented out ('-- ' before it) and it carries a warning (dropped table,
-- dropped column, narrowing type change, a dropped sequence, an enum that loses or
-- reorders labels). A step that may fail on existing rows (a NOT NULL column added
-- without a default) is written as is, with a warning. What the generator cannot do
-- yet is one commented row with a warning, never silence.
--
-- Order: drops in reverse dependency order (functions, views, indexes, constraints,
-- defaults that use a sequence a later drop takes along (its owner table or column goes,
-- or it goes with the other drops: PostgreSQL refuses that drop while a default uses
-- it), columns, tables (in foreign-key order: a table before the removed tables it
-- references; a foreign key that a cycle of removed tables leaves out of order is
-- dropped just before, commented like the table's drop), sequences, types, schemas), then renames (schemas first, then
-- tables, sequences, types, as pggit.diff reports them), then creations in dependency
-- order (schemas, types, sequences, tables and their columns, constraints (foreign
-- keys last), indexes, sequence ownership, views (those a view's text names first),
-- functions). Columns diff reports renamed are renamed in place (ALTER TABLE .. RENAME
-- COLUMN, on the table's new name, after the drops and before the other column steps;
-- through temporary names pggit_rename_<n> when the renames of a table form a chain or
-- a swap), so their data stays and a type change applies to the new name.
-- Tables are changed in place with ALTER TABLE (ADD / DROP COLUMN, ALTER
-- COLUMN TYPE .. USING, SET / DROP NOT NULL, SET / DROP DEFAULT, ADD / DROP CONSTRAINT,
-- CREATE / DROP INDEX); a table is never dropped and re-created. Views and functions
-- hold no data: a changed one is dropped and created again, and so is every unchanged
-- view whose text names a changed table or a re-created view.
--
-- Names: a table's canonical definition leaves out the names of its constraints and
-- indexes; they come from pggit.object_details (recorded by level 4 for every tracked
-- table state under its identity and blob hash) as they were when each ref was
-- committed (pggit.details_at: level 7 keeps replaced names in object_details_log),
-- or, for WORKING, from the live catalog. A table state without details (committed
-- before level 4 was installed) gives a warning row instead of its changes. A
-- constraint or index whose definition stays and whose name changes is renamed
-- (pggit.name_renames), also on a table whose state is the same at both refs; a
-- foreign key follows the renames of the table, schema and columns it references
-- (pggit.foreign_key_renamed) and needs no step of its own.
-- Columns (add, type, default, NOT NULL, identity, generation, their order): pggit.column_steps.
-- Types, domains and sequences (create, alter, drop): pggit.type_steps.
-- Partitioned tables and partitions (CREATE TABLE .. PARTITION BY / PARTITION OF,
-- ATTACH / DETACH): pggit.create_table_statement, pggit.partition_steps; comments,
-- triggers, policies, rules and options of tables: pggit.table_extra_steps.
-- Not generated (warning rows): foreign tables, typed tables, legacy inheritance, a
-- changed partition key.
-- Commented steps and notes are commented on every line (pggit.comment_lines): no
-- name or stored definition can end the comment early and run the rest.
-- Errors: those of pggit.diff (22004, 42704, 42P09, 55000). VOLATILE from level 9: it
-- settles the calling transaction's pending DDL first (pggit.settle_pending), then reads.
-- Cost: pggit.diff, plus O(schema) once when views may depend on a changed object.
-- The steps are written by one internal function per object kind or phase (issue 16,
-- level 12): pggit.plan_schema_steps, plan_rename_steps, plan_function_steps,
-- plan_table_drop_steps (with plan_gone_sequences), plan_table_steps, type_steps,
-- plan_view_steps, and plan_owner_steps for the owners and privileges of what they
-- create; this function gathers the diff, collects their steps and numbers them.
CREATE OR REPLACE FUNCTION pggit.migration_plan(from_ref text, to_ref text, online boolean DEFAULT false)
RETURNS TABLE(step integer, statement text, warning text, locks text, transactional boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_from_working boolean;
    v_to_working boolean;
    r record;
    c record;
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
    i integer;
    v_diff jsonb;
    v_gone_seqs jsonb;          -- sequences a drop takes along before the column steps: {identity: owner column}
    v_created jsonb := '[]';    -- objects the script creates: [kind, identity, step index, blob hash]
    v_kw text;
    v_n integer;
    v_from_at timestamptz;      -- when from_ref / to_ref was committed (NULL: WORKING): names as they were then
    v_to_at timestamptz;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF from_ref IS NULL OR to_ref IS NULL OR online IS NULL THEN
        RAISE EXCEPTION 'generate_migration: a ref or online is NULL (from_ref %, to_ref %, online %)',
                        coalesce(quote_literal(pggit.clip(from_ref)), 'NULL'), coalesce(quote_literal(pggit.clip(to_ref)), 'NULL'),
                        coalesce(online::text, 'NULL')
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_from_working := pggit.resolve_ref(from_ref) IS NULL;
    v_to_working := pggit.resolve_ref(to_ref) IS NULL;
    SELECT cm.committed_at INTO v_from_at FROM pggit.commits AS cm WHERE cm.hash = pggit.resolve_ref(from_ref);
    SELECT cm.committed_at INTO v_to_at FROM pggit.commits AS cm WHERE cm.hash = pggit.resolve_ref(to_ref);

    SELECT coalesce(jsonb_agg(to_jsonb(d)), '[]') INTO v_diff FROM pggit.diff(from_ref, to_ref) AS d;

    -- Sequences the script drops before the column steps (phase 140): one the diff
    -- removes that is owned by a column (DROP TABLE / DROP COLUMN of its owner takes it
    -- along, phases 45 and 50), or that goes with the other drops (phase 60: its name is
    -- taken again or its schema goes; pggit.type_steps). A default that uses one of them
    -- must be gone by then: PostgreSQL refuses the drop while it depends on it (2BP01).
    v_gone_seqs := pggit.plan_gone_sequences(v_diff);

    -- The pieces, one object kind or phase each. Steps are sorted by (phase, sort key,
    -- order of appearance); `created` marks a step that creates an object, whose owner
    -- and privileges plan_owner_steps restores below.
    -- schemas: create, drop, rename, comment
    FOR c IN SELECT * FROM pggit.plan_schema_steps(v_diff) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
        IF c.created IS NOT NULL THEN
            v_created := v_created || jsonb_build_array(jsonb_build_array(c.created ->> 0, c.created ->> 1,
                                                                          cardinality(sts), c.created ->> 2));
        END IF;
    END LOOP;
    -- tables, sequences, types and domains renamed in place
    FOR c IN SELECT * FROM pggit.plan_rename_steps(v_diff) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
    END LOOP;
    -- functions and procedures: dropped, created again
    FOR c IN SELECT * FROM pggit.plan_function_steps(v_diff) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
        IF c.created IS NOT NULL THEN
            v_created := v_created || jsonb_build_array(jsonb_build_array(c.created ->> 0, c.created ->> 1,
                                                                          cardinality(sts), c.created ->> 2));
        END IF;
    END LOOP;
    -- removed tables, in foreign-key order
    FOR c IN SELECT * FROM pggit.plan_table_drop_steps(v_diff, v_gone_seqs, v_from_working, v_from_at) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
    END LOOP;
    -- added and changed tables (columns, constraints, indexes, partitions, triggers, ...),
    -- and renamed constraints and indexes of every table
    FOR c IN SELECT * FROM pggit.plan_table_steps(v_diff, v_gone_seqs, from_ref, to_ref, online, v_from_working,
                                                  v_to_working, v_from_at, v_to_at) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
        IF c.created IS NOT NULL THEN
            v_created := v_created || jsonb_build_array(jsonb_build_array(c.created ->> 0, c.created ->> 1,
                                                                          cardinality(sts), c.created ->> 2));
        END IF;
    END LOOP;

    -- types, domains and sequences: pggit.type_steps (create, alter, drop; renames are above)
    v_n := cardinality(sts);
    FOR c IN SELECT * FROM pggit.type_steps(v_diff, from_ref, to_ref) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
    END LOOP;
    -- the types, domains and sequences type_steps creates (or re-creates, commented)
    FOR r IN SELECT * FROM jsonb_to_recordset(v_diff) AS d (object_identity text, object_kind text, change text, new_definition text)
              WHERE d.object_kind IN ('type', 'domain', 'sequence') AND d.change <> 'removed' LOOP
        v_kw := upper(r.object_kind);
        SELECT min(u.o) INTO i
          FROM unnest(sts[v_n + 1 :]) WITH ORDINALITY AS u (s, o)
         WHERE u.s ~ '^(-- DROP [A-Z]+ [^\n]*; )?CREATE (UNLOGGED )?(TYPE|DOMAIN|SEQUENCE) '
           AND (strpos(u.s, format('CREATE %s %s ', v_kw, r.object_identity)) > 0
                OR strpos(u.s, format('CREATE %s %s;', v_kw, r.object_identity)) > 0
                OR strpos(u.s, format('CREATE UNLOGGED %s %s', v_kw, r.object_identity)) > 0);
        IF i IS NOT NULL THEN
            v_created := v_created || jsonb_build_array(jsonb_build_array(r.object_kind, r.object_identity, v_n + i,
                encode(sha256(convert_to(r.new_definition, 'UTF8')), 'hex')));
        END IF;
    END LOOP;

    -- views and materialized views: dropped and created again, with the views that name
    -- what changes
    FOR c IN SELECT * FROM pggit.plan_view_steps(v_diff, to_ref) LOOP
        ph := ph || c.phase; ks := ks || c.sort_key; sts := sts || c.statement; wns := wns || c.warning;
        IF c.created IS NOT NULL THEN
            v_created := v_created || jsonb_build_array(jsonb_build_array(c.created ->> 0, c.created ->> 1,
                                                                          cardinality(sts), c.created ->> 2));
        END IF;
    END LOOP;

    -- Owners and privileges (level 5) of every object the script creates, right after its
    -- CREATE (same phase and sort key); a SECURITY DEFINER routine whose owner cannot be
    -- restored is not created: its CREATE step is replaced by a commented one
    FOR c IN SELECT * FROM pggit.plan_owner_steps(v_created, sts, v_to_working, v_to_at) LOOP
        IF c.replaces THEN
            sts[c.created_step] := c.statement; wns[c.created_step] := c.warning;
        ELSE
            ph := ph || ph[c.created_step]; ks := ks || ks[c.created_step];
            sts := sts || c.statement; wns := wns || c.warning;
        END IF;
    END LOOP;

    -- A commented step or note stays a comment on every line, whatever a name or a
    -- stored definition in it holds (a quoted name or a literal may hold a line break):
    -- pggit.comment_lines puts '-- ' after every line break (apply_migration undoes it
    -- with pggit.uncomment_lines before running such a step).
    RETURN QUERY
        SELECT x.n, x.s, x.w, pggit.step_lock(x.s), x.s !~ '^(CREATE (UNIQUE )?INDEX|DROP INDEX) CONCURRENTLY '
          FROM (SELECT (row_number() OVER (ORDER BY u.p, u.k COLLATE "C", u.o))::integer AS n,
                       CASE WHEN starts_with(u.s, '-- ') THEN pggit.comment_lines(u.s) ELSE u.s END AS s, u.w
                  FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o)) AS x
         ORDER BY 1;
END
$function$;

COMMENT ON FUNCTION pggit.migration_plan(text, text, boolean) IS
    'Ordered DDL steps turning the schema at from_ref into the schema at to_ref, with the lock each takes; lossy steps commented out with a warning.';
