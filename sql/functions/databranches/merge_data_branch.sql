-- pggit.merge_data_branch("table" text, branch text, "into" text DEFAULT 'main',
--                         strategy text DEFAULT 'fail')
--     -> TABLE(inserted bigint, updated bigint, deleted bigint, conflicts bigint, commit_hash text)
-- pggit.data_branch_merge(relid oid, branch text, "into" text, strategy text) -> same
--
-- Promises: a three-way merge, by primary key, of data branch `branch` of `table` into
-- the table (the rows of branch `into`, main by default), against the branch point.
-- For each key written on the branch (the only keys the branch can contribute):
--   base   = the row at the branch point (NULL when absent)
--   ours   = the table's row now (NULL when absent)
--   theirs = the branch's row now (NULL when deleted)
--   theirs = base or theirs = ours  -> nothing to do
--   ours = base                     -> theirs is applied (insert, update or delete)
--   otherwise                       -> a conflict: both sides changed it, differently
-- Rows are compared as jsonb (to_jsonb), so every column type compares.
-- Every conflict is recorded in pggit.data_conflicts (key, base, ours, theirs, the
-- strategy and its resolution). strategy (case-insensitive):
--   'fail'    with conflicts: nothing is applied, the branch is untouched, the result
--             is (0, 0, 0, <conflicts>, NULL) and the conflicts stay recorded
--             (resolution NULL). Without conflicts it merges like the others.
--   'ours'    conflicts keep the table's row;  'theirs'  conflicts take the branch's.
-- A successful merge applies its rows to the table in one go (the table's own
-- constraints and triggers apply; other data branches keep their pre-images), is
-- recorded as a commit on `into` (pggit.commit_changes; commit_hash, NULL when nothing
-- was applied or resolved), and moves the branch point to the merge, like git: the
-- branch's rows do not change, and what it had written now counts as its base, so
-- diff_data_branch is empty and a second merge applies nothing. Rows of the branch
-- that equal the table's afterwards are dropped from its storage.
-- Locks: SHARE ROW EXCLUSIVE on the table (writers wait), EXCLUSIVE on the branch's
-- storage (branch writers wait; readers of both go on). Cost: O(rows written on the
-- branch + pre-images it holds).
-- "table" is resolved with the caller's search_path (merge_data_branch is SECURITY
-- INVOKER); data_branch_merge (SECURITY DEFINER, pinned search_path) checks that the
-- session user owns the table.
-- Errors: 22004 NULL argument; 22023 unknown strategy, into = branch; 42P01 no such
-- relation; 42704 no such data branch or into branch; 55000 into is deleted; 0A000
-- into has its own data branch of the table; 42501 not the table's owner; the table's
-- constraint violations (e.g. 23505) abort the merge with nothing applied.
CREATE OR REPLACE FUNCTION pggit.merge_data_branch("table" text, branch text, "into" text DEFAULT 'main',
                                                   strategy text DEFAULT 'fail')
RETURNS TABLE(inserted bigint, updated bigint, deleted bigint, conflicts bigint, commit_hash text)
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    v_rel := pggit.data_table_oid(merge_data_branch."table");
    RETURN QUERY SELECT * FROM pggit.data_branch_merge(v_rel, merge_data_branch.branch, merge_data_branch."into",
                                                       merge_data_branch.strategy);
END
$function$;

COMMENT ON FUNCTION pggit.merge_data_branch(text, text, text, text) IS
    'Three-way merge of a data branch into the table by primary key (strategy fail/ours/theirs); counts and commit.';

CREATE OR REPLACE FUNCTION pggit.data_branch_merge(relid oid, branch text, "into" text, strategy text)
RETURNS TABLE(inserted bigint, updated bigint, deleted bigint, conflicts bigint, commit_hash text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    db record;
    dt record;
    v_strategy text := pg_catalog.lower(strategy);
    v_table text;
    v_owner oid;
    v_delta text;
    v_base text;
    v_into_id bigint;
    v_into_status text;
    v_apply text;
    v_set text;
    v_inserted bigint := 0;
    v_updated bigint := 0;
    v_deleted bigint := 0;
    v_conflicts bigint;
    v_commit text;
BEGIN
    IF "into" IS NULL OR strategy IS NULL THEN
        RAISE EXCEPTION 'into and strategy must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF v_strategy NOT IN ('fail', 'ours', 'theirs') THEN
        RAISE EXCEPTION 'invalid merge strategy "%"', strategy
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use fail, ours or theirs.';
    END IF;
    SELECT * INTO db FROM pggit.data_branches AS o WHERE o.id = pggit.data_branch_lookup(data_branch_merge.relid, data_branch_merge.branch);
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = db.relid;
    SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relowner INTO v_table, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = db.relid;
    IF NOT pg_catalog.pg_has_role(session_user, v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to merge its data branches', v_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF "into" = branch THEN
        RAISE EXCEPTION 'cannot merge data branch "%" into itself', branch USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT b.id, b.status INTO v_into_id, v_into_status FROM pggit.branches AS b WHERE b.name = "into" FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', "into" USING ERRCODE = 'undefined_object';
    END IF;
    IF v_into_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot merge into deleted branch "%"', "into" USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.data_branches AS o WHERE o.relid = db.relid AND o.branch_id = v_into_id) THEN
        RAISE EXCEPTION 'cannot merge into branch "%": it has its own data branch of %', "into", v_table
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'A data branch merges into the table itself (main, or a branch that shares its rows).';
    END IF;

    v_delta := pg_catalog.format('pggit_data.%I', 'd' || db.id);
    v_base := pg_catalog.format('pggit_data.%I', 'b' || db.id);
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    EXECUTE pg_catalog.format('LOCK TABLE %s, %s IN EXCLUSIVE MODE', v_delta, v_base);

    -- The plan: one row per key written on the branch, with base, ours, theirs and a verdict.
    IF pg_catalog.to_regclass('pg_temp.pggit_merge_plan') IS NOT NULL THEN
        DROP TABLE pg_temp.pggit_merge_plan;
    END IF;
    -- For plpgsql_check (a no-op at run time): the plan's static columns; the key columns vary.
    PERFORM 'PRAGMA:TABLE: pg_temp.pggit_merge_plan (_pggit_key jsonb, _pggit_theirs jsonb, _pggit_ours jsonb, _pggit_base jsonb, _pggit_verdict text)';
    EXECUTE pg_catalog.format($sql$
        CREATE TEMPORARY TABLE pggit_merge_plan ON COMMIT DROP AS
        SELECT x.*, CASE WHEN x._pggit_theirs IS NOT DISTINCT FROM x._pggit_base OR x._pggit_theirs IS NOT DISTINCT FROM x._pggit_ours THEN 'skip'
                         WHEN x._pggit_ours IS NOT DISTINCT FROM x._pggit_base THEN 'apply'
                         ELSE 'conflict' END AS _pggit_verdict
          FROM (SELECT %1$s, pg_catalog.jsonb_build_object(%2$s) AS _pggit_key,
                       CASE WHEN d._pggit_state = 'w' THEN pg_catalog.to_jsonb(d.*) - '_pggit_state' END AS _pggit_theirs,
                       CASE WHEN t.%3$I IS NULL THEN NULL ELSE pg_catalog.to_jsonb(t.*) END AS _pggit_ours,
                       CASE WHEN b._pggit_state IS NULL THEN (CASE WHEN t.%3$I IS NULL THEN NULL ELSE pg_catalog.to_jsonb(t.*) END)
                            WHEN b._pggit_state = 'v' THEN pg_catalog.to_jsonb(b.*) - '_pggit_state' END AS _pggit_base
                  FROM %4$s AS d
                  LEFT JOIN %5$s AS b ON %6$s
                  LEFT JOIN %7$s AS t ON %8$s
                 WHERE d._pggit_state IN ('w', 'd')) AS x$sql$,
        pggit.data_list(dt.key_columns, 'd'),
        (SELECT pg_catalog.string_agg(pg_catalog.format('%L, d.%I', k, k), ', ' ORDER BY o)
           FROM pg_catalog.unnest(dt.key_columns) WITH ORDINALITY AS u(k, o)),
        dt.key_columns[1], v_delta, v_base, pggit.data_key_match(dt.key_columns, 'b', 'd'),
        v_table, pggit.data_key_match(dt.key_columns, 't', 'd'));

    SELECT pg_catalog.count(*) INTO v_conflicts FROM pg_temp.pggit_merge_plan AS p WHERE p._pggit_verdict = 'conflict';
    INSERT INTO pggit.data_conflicts (table_schema, table_name, branch, into_branch, strategy, resolution,
                                      key, base, ours, theirs)
    SELECT (SELECT n.nspname FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
             WHERE c.oid = db.relid),
           (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = db.relid),
           branch, "into", v_strategy, CASE v_strategy WHEN 'fail' THEN NULL ELSE v_strategy END,
           p._pggit_key, p._pggit_base, p._pggit_ours, p._pggit_theirs
      FROM pg_temp.pggit_merge_plan AS p
     WHERE p._pggit_verdict = 'conflict'
     ORDER BY p._pggit_key;

    IF v_strategy = 'fail' AND v_conflicts > 0 THEN
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, v_conflicts, NULL::text;
        RETURN;
    END IF;

    v_apply := CASE WHEN v_strategy = 'theirs' THEN '(p._pggit_verdict = ''apply'' OR p._pggit_verdict = ''conflict'')'
                    ELSE 'p._pggit_verdict = ''apply''' END;
    EXECUTE pg_catalog.format(
        'DELETE FROM %s AS t USING pg_temp.pggit_merge_plan AS p WHERE %s AND %s AND p._pggit_theirs IS NULL',
        v_table, pggit.data_key_match(dt.key_columns, 't', 'p'), v_apply);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I = d.%I', c, c), ', ' ORDER BY o) INTO v_set
      FROM pg_catalog.unnest(dt.columns) WITH ORDINALITY AS u(c, o)
     WHERE c <> ALL (dt.key_columns);
    IF v_set IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'UPDATE %s AS t SET %s FROM %s AS d JOIN pg_temp.pggit_merge_plan AS p ON %s'
            ' WHERE %s AND %s AND p._pggit_theirs IS NOT NULL AND p._pggit_ours IS NOT NULL',
            v_table, v_set, v_delta, pggit.data_key_match(dt.key_columns, 'p', 'd'),
            pggit.data_key_match(dt.key_columns, 't', 'd'), v_apply);
        GET DIAGNOSTICS v_updated = ROW_COUNT;
    END IF;
    EXECUTE pg_catalog.format(
        'INSERT INTO %s AS t (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s AS d JOIN pg_temp.pggit_merge_plan AS p'
        ' ON %s WHERE %s AND p._pggit_theirs IS NOT NULL AND p._pggit_ours IS NULL',
        v_table, pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'd'), v_delta,
        pggit.data_key_match(dt.key_columns, 'p', 'd'), v_apply);
    GET DIAGNOSTICS v_inserted = ROW_COUNT;

    -- Move the branch point to the merge: what the branch wrote becomes its base
    -- (w -> c, d -> a); rows equal to the table's now are not needed any more.
    -- (rows compared by their text form: identical text is an identical row, and the
    -- text of a row costs a fraction of building and comparing two jsonb values)
    EXECUTE pg_catalog.format(
        'DELETE FROM %1$s AS d WHERE CASE WHEN d._pggit_state IN (''w'', ''c'')'
        ' THEN EXISTS (SELECT 1 FROM %2$s AS t WHERE %3$s AND ROW(%4$s)::text = ROW(%5$s)::text)'
        ' ELSE NOT EXISTS (SELECT 1 FROM %2$s AS t WHERE %3$s) END',
        v_delta, v_table, pggit.data_key_match(dt.key_columns, 't', 'd'),
        pggit.data_list(dt.columns, 't'), pggit.data_list(dt.columns, 'd'));
    EXECUTE pg_catalog.format(
        'UPDATE %s AS d SET _pggit_state = CASE d._pggit_state WHEN ''w'' THEN ''c'' ELSE ''a'' END'
        ' WHERE d._pggit_state IN (''w'', ''d'')', v_delta);
    EXECUTE pg_catalog.format('DELETE FROM %s', v_base);

    IF v_inserted + v_updated + v_deleted + v_conflicts > 0 THEN
        v_commit := pggit.commit_changes("into", pg_catalog.format(
            'merge data branch "%s" of %s into "%s" (strategy %s): %s inserted, %s updated, %s deleted, %s conflicts',
            branch, v_table, "into", v_strategy, v_inserted, v_updated, v_deleted, v_conflicts));
    END IF;
    UPDATE pggit.data_branches AS o
       SET merged_at = pg_catalog.clock_timestamp(), merged_commit = v_commit
     WHERE o.id = db.id;
    DROP TABLE pg_temp.pggit_merge_plan;

    RETURN QUERY SELECT v_inserted, v_updated, v_deleted, v_conflicts, v_commit;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_merge(oid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_merge(oid, text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_merge(oid, text, text, text) IS
    'Does the work of pggit.merge_data_branch for a resolved table (checks that the session user owns it).';
