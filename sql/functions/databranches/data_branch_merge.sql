-- pggit.data_branch_merge(relid oid, branch text, "into" text, strategy text) -> same
--
-- Promises: as the header of pggit.merge_data_branch (merge_data_branch.sql) states; that header documents
-- both functions, which work together.
CREATE OR REPLACE FUNCTION pggit.data_branch_merge(relid oid, branch text, "into" text, strategy text)
RETURNS TABLE(inserted bigint, updated bigint, deleted bigint, conflicts bigint, commit_hash text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_id bigint;
    dt record;
    v_strategy text := pg_catalog.lower(strategy);
    v_table text;
    v_delta text;
    v_base text;
    v_apply text;
    v_set text;
    v_role text;
    v_inserted bigint := 0;
    v_updated bigint := 0;
    v_deleted bigint := 0;
    v_conflicts bigint;
    v_records jsonb;
    v_commit text;
    v_paused boolean;
    v_fast boolean;
    v_planned boolean := true;
    v_stale boolean;
    v_ins0 bigint;
    v_upd0 bigint;
    v_del0 bigint;
BEGIN
    IF "into" IS NULL OR strategy IS NULL THEN
        RAISE EXCEPTION 'into and strategy must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF v_strategy NOT IN ('fail', 'ours', 'theirs') THEN
        RAISE EXCEPTION 'invalid merge strategy "%"', pggit.clip(strategy)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use fail, ours or theirs.';
    END IF;
    -- bookkeeping checks and the into-branch row lock (FOR KEY SHARE), as pggit's owner
    v_id := pggit.data_branch_merge_begin(relid, branch, "into");
    SELECT * INTO dt FROM pggit.data_tables AS t WHERE t.relid = data_branch_merge.relid;
    v_table := pg_catalog.format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class AS c
                                             JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                                            WHERE c.oid = data_branch_merge.relid),
                                 (SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = data_branch_merge.relid));
    v_delta := pg_catalog.format('pggit_data.%I', 'd' || v_id);
    v_base := pg_catalog.format('pggit_data.%I', 'b' || v_id);

    -- From here to the bookkeeping: as the table's owner.
    v_role := pggit.data_act_as_owner(relid);
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_table);
    EXECUTE pg_catalog.format('LOCK TABLE %s, %s IN EXCLUSIVE MODE', v_delta, v_base);
    IF pg_catalog.row_security_active(relid) THEN
        RAISE EXCEPTION 'cannot merge data branch "%" of %: row-level security applies to %', pggit.clip(branch), v_table, current_user
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A merge compares every row the branch wrote with the table''s; it would not see rows the policies hide.',
                  HINT = 'Merge as a role that bypasses row-level security, or disable FORCE ROW LEVEL SECURITY.';
    END IF;

    -- When nothing but the merge's writes can change the table's rows (no rules, no
    -- triggers but checks), the capture of this branch pauses while they run
    -- (pggit.data_branch_merge_capture) and each statement moves the branch's rows it
    -- applies out of the branch's storage: the table then holds exactly them.
    v_paused := pggit.data_branch_merge_capture(v_id, true);
    -- Level 11: paused, on a plain table (not partitioned) and with the statistics
    -- counters on (track_counts): the keys the branch alone changed are applied without
    -- a plan, by one MERGE (below).
    v_fast := v_paused AND pg_catalog.current_setting('track_counts')::boolean
              AND EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c WHERE c.oid = data_branch_merge.relid AND c.relkind = 'r');

    -- Level 11: the planner's statistics of the storage, when they are stale (never
    -- gathered, or the table's size moved by more than a tenth since): of the state
    -- column only, which is all the joins below need to be planned for their size (a
    -- hash join for a large merge, index probes for a small one). The row count comes
    -- from the table's size, the key's uniqueness from its primary key.
    SELECT pg_catalog.bool_or(c.reltuples < 0 OR c.relpages = 0
                              OR pg_catalog.abs(c.relpages - pg_catalog.pg_relation_size(c.oid)
                                                / pg_catalog.current_setting('block_size')::integer)
                                 > c.relpages / 10)
      INTO v_stale
      FROM pg_catalog.pg_class AS c
     WHERE c.oid IN (pg_catalog.to_regclass(v_delta), pg_catalog.to_regclass(v_base))
       AND pg_catalog.pg_relation_size(c.oid) > 0;
    IF v_stale THEN
        EXECUTE pg_catalog.format('ANALYZE %s (_pggit_state), %s (_pggit_state)', v_delta, v_base);
    END IF;

    -- Level 11: on the fast path with an empty base table (main changed none of the
    -- branch's keys since the branch point) there is nothing to plan: no conflict.
    IF v_fast THEN
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s)', v_base) INTO v_planned;
    END IF;
    IF NOT v_planned THEN
        v_conflicts := 0;
    ELSE
        -- The plan: one row per key written on the branch, with presence of base, ours and
        -- theirs and a verdict from each type's equality; one pass over the branch's rows,
        -- each joined to its base and the table's row by key. Level 11: on the fast path
        -- (v_fast), only the keys with a row in the base table: main changed those since the
        -- branch point, and only they can conflict; for the others the table's row is the
        -- base, and the statements below apply them without a plan.
        IF pg_catalog.to_regclass('pg_temp.pggit_merge_plan') IS NOT NULL THEN
            DROP TABLE pg_temp.pggit_merge_plan;
        END IF;
        -- For plpgsql_check (a no-op at run time): the plan's static columns; the key columns vary.
        PERFORM 'PRAGMA:TABLE: pg_temp.pggit_merge_plan (_pggit_theirs_p boolean, _pggit_ours_p boolean, _pggit_verdict text)';
        EXECUTE pg_catalog.format($sql$
            CREATE TEMPORARY TABLE pggit_merge_plan ON COMMIT DROP AS
            SELECT %1$s, y._pggit_theirs_p, y._pggit_ours_p,
                   CASE WHEN (y._pggit_theirs_p = y._pggit_base_p AND (NOT y._pggit_theirs_p OR y._pggit_tb))
                          OR (y._pggit_theirs_p = y._pggit_ours_p AND (NOT y._pggit_theirs_p OR y._pggit_to))
                        THEN 'skip'
                        WHEN y._pggit_ours_p = y._pggit_base_p AND (NOT y._pggit_ours_p OR y._pggit_ob)
                        THEN 'apply'
                        ELSE 'conflict' END AS _pggit_verdict
              FROM (SELECT %2$s,
                           d._pggit_state = 'w' AS _pggit_theirs_p,
                           t.%3$I IS NOT NULL AS _pggit_ours_p,
                           CASE WHEN b._pggit_state IS NULL THEN t.%3$I IS NOT NULL ELSE b._pggit_state = 'v' END
                             AS _pggit_base_p,
                           CASE WHEN b._pggit_state IS NULL THEN %8$s ELSE %9$s END AS _pggit_tb,
                           %8$s AS _pggit_to,
                           CASE WHEN b._pggit_state IS NULL THEN true ELSE %10$s END AS _pggit_ob
                      FROM %4$s AS d
                      %12$s %5$s AS b ON %6$s
                      LEFT JOIN %7$s AS t ON %11$s
                     WHERE d._pggit_state IN ('w', 'd')) AS y$sql$,
            pggit.data_list(dt.key_columns, 'y'), pggit.data_list(dt.key_columns, 'd'),
            dt.key_columns[1], v_delta, v_base, pggit.data_key_match(dt.key_columns, 'b', 'd'),
            v_table, pggit.data_equal(relid, dt.columns, 'd', 't'), pggit.data_equal(relid, dt.columns, 'd', 'b'),
            pggit.data_equal(relid, dt.columns, 't', 'b'), pggit.data_key_match(dt.key_columns, 't', 'd'),
            CASE WHEN v_fast THEN 'JOIN' ELSE 'LEFT JOIN' END);

        -- The conflicts, as jsonb (key, theirs, ours, base), read again by key: only their rows.
        EXECUTE pg_catalog.format($sql$
            SELECT pg_catalog.count(*), pg_catalog.jsonb_agg(x.r ORDER BY x.k)
              FROM (SELECT k.k, pg_catalog.jsonb_build_object(
                           'key', k.k,
                           'theirs', CASE WHEN p._pggit_theirs_p THEN pg_catalog.to_jsonb(d.*) - '_pggit_state' END,
                           'ours', CASE WHEN p._pggit_ours_p THEN pg_catalog.to_jsonb(t.*) END,
                           'base', CASE WHEN b._pggit_state IS NULL THEN (CASE WHEN p._pggit_ours_p THEN pg_catalog.to_jsonb(t.*) END)
                                        WHEN b._pggit_state = 'v' THEN pg_catalog.to_jsonb(b.*) - '_pggit_state' END) AS r
                      FROM pg_temp.pggit_merge_plan AS p
                      JOIN %1$s AS d ON %4$s
                      LEFT JOIN %2$s AS b ON %5$s
                      LEFT JOIN %3$s AS t ON %6$s
                     CROSS JOIN LATERAL (SELECT pg_catalog.jsonb_build_object(%7$s) AS k) AS k
                     WHERE p._pggit_verdict = 'conflict') AS x$sql$,
            v_delta, v_base, v_table, pggit.data_key_match(dt.key_columns, 'd', 'p'),
            pggit.data_key_match(dt.key_columns, 'b', 'd'), pggit.data_key_match(dt.key_columns, 't', 'd'),
            (SELECT pg_catalog.string_agg(pg_catalog.format('%L, d.%I', k, k), ', ' ORDER BY o)
               FROM pg_catalog.unnest(dt.key_columns) WITH ORDINALITY AS u(k, o)))
          INTO v_conflicts, v_records;
    END IF;

    IF v_strategy = 'fail' AND v_conflicts > 0 THEN
        DROP TABLE pg_temp.pggit_merge_plan;
        IF v_paused THEN
            PERFORM pggit.data_branch_merge_capture(v_id, false);
        END IF;
        IF v_role IS NOT NULL THEN
            PERFORM pg_catalog.set_config('role', v_role, true);
        END IF;
        PERFORM pggit.data_branch_merge_record(v_id, "into", v_strategy, v_records, 0, 0, 0, false);
        RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, v_conflicts, NULL::text;
        RETURN;
    END IF;

    v_apply := CASE WHEN v_strategy = 'theirs' THEN '(p._pggit_verdict = ''apply'' OR p._pggit_verdict = ''conflict'')'
                    ELSE 'p._pggit_verdict = ''apply''' END;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I = d.%I', c, c), ', ' ORDER BY o) INTO v_set
      FROM pg_catalog.unnest(dt.columns) WITH ORDINALITY AS u(c, o)
     WHERE c <> ALL (dt.key_columns);

    -- Apply, set-based: one DELETE, one UPDATE, one INSERT on the table for the keys of
    -- the plan.
    IF v_paused AND v_planned THEN
        EXECUTE pg_catalog.format(
            'WITH d AS (DELETE FROM %1$s AS x USING pg_temp.pggit_merge_plan AS p WHERE %2$s AND %3$s'
            ' AND NOT p._pggit_theirs_p RETURNING %4$s) DELETE FROM %5$s AS t USING d WHERE %6$s',
            v_delta, pggit.data_key_match(dt.key_columns, 'x', 'p'), v_apply, pggit.data_list(dt.key_columns, 'x'),
            v_table, pggit.data_key_match(dt.key_columns, 't', 'd'));
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        IF v_set IS NOT NULL THEN
            EXECUTE pg_catalog.format(
                'WITH d AS (DELETE FROM %1$s AS x USING pg_temp.pggit_merge_plan AS p WHERE %2$s AND %3$s'
                ' AND p._pggit_theirs_p AND p._pggit_ours_p RETURNING x.*) UPDATE %4$s AS t SET %5$s FROM d WHERE %6$s',
                v_delta, pggit.data_key_match(dt.key_columns, 'x', 'p'), v_apply, v_table, v_set,
                pggit.data_key_match(dt.key_columns, 't', 'd'));
            GET DIAGNOSTICS v_updated = ROW_COUNT;
        END IF;
        EXECUTE pg_catalog.format(
            'WITH d AS (DELETE FROM %1$s AS x USING pg_temp.pggit_merge_plan AS p WHERE %2$s AND %3$s'
            ' AND p._pggit_theirs_p AND NOT p._pggit_ours_p RETURNING x.*)'
            ' INSERT INTO %4$s AS t (%5$s) OVERRIDING SYSTEM VALUE SELECT %6$s FROM d',
            v_delta, pggit.data_key_match(dt.key_columns, 'x', 'p'), v_apply, v_table,
            pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'd'));
        GET DIAGNOSTICS v_inserted = ROW_COUNT;
    END IF;
    IF v_fast THEN
        -- Level 11: the keys without a base row, each written on the branch only since
        -- the branch point (the table's row is their base): no conflict, and the branch's
        -- row is applied unless it equals the table's. One MERGE writes them to the table,
        -- joined to it once by key (for a large merge a hash of the branch's rows probed
        -- by one scan of the table), then one DELETE takes them out of the branch's
        -- storage (the ones equal to the table's too: the branch reads the table's values
        -- for them; nothing else writes the storage meanwhile: the capture is paused and
        -- branch writers wait for its lock). MERGE returns no counts by action: they are this
        -- transaction's counters of the table's rows inserted, updated and deleted, read
        -- before and after (exact: nothing else writes the table while it runs, no
        -- trigger of the table's own writes it, and the table is no partitioned one).
        SELECT pg_catalog.pg_stat_get_xact_tuples_inserted(relid), pg_catalog.pg_stat_get_xact_tuples_updated(relid),
               pg_catalog.pg_stat_get_xact_tuples_deleted(relid)
          INTO v_ins0, v_upd0, v_del0;
        EXECUTE pg_catalog.format(
            'MERGE INTO %4$s AS t USING (SELECT * FROM %1$s AS x WHERE x._pggit_state IN (''w'', ''d'')'
            ' AND NOT EXISTS (SELECT 1 FROM %2$s AS b WHERE %3$s)) AS x ON %5$s'
            ' WHEN MATCHED AND x._pggit_state = ''d'' THEN DELETE'
            '%6$s'
            ' WHEN NOT MATCHED AND x._pggit_state = ''w'' THEN INSERT (%7$s) OVERRIDING SYSTEM VALUE VALUES (%8$s)',
            v_delta, v_base, pggit.data_key_match(dt.key_columns, 'b', 'x'), v_table,
            pggit.data_key_match(dt.key_columns, 't', 'x'),
            CASE WHEN v_set IS NOT NULL THEN pg_catalog.format(
                     ' WHEN MATCHED AND x._pggit_state = ''w'' AND NOT (%s) THEN UPDATE SET %s',
                     pggit.data_equal(relid, dt.columns, 'x', 't'),
                     (SELECT pg_catalog.string_agg(pg_catalog.format('%I = x.%I', c, c), ', ' ORDER BY o)
                        FROM pg_catalog.unnest(dt.columns) WITH ORDINALITY AS u(c, o)
                       WHERE c <> ALL (dt.key_columns))) ELSE '' END,
            pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'x'));
        v_inserted := v_inserted + pg_catalog.pg_stat_get_xact_tuples_inserted(relid) - v_ins0;
        v_updated := v_updated + pg_catalog.pg_stat_get_xact_tuples_updated(relid) - v_upd0;
        v_deleted := v_deleted + pg_catalog.pg_stat_get_xact_tuples_deleted(relid) - v_del0;
        EXECUTE pg_catalog.format(
            'DELETE FROM %1$s AS x WHERE x._pggit_state IN (''w'', ''d'') AND NOT EXISTS (SELECT 1 FROM %2$s AS b WHERE %3$s)',
            v_delta, v_base, pggit.data_key_match(dt.key_columns, 'b', 'x'));
    END IF;

    -- Move the branch point to the merge: what the branch wrote (and still holds) becomes
    -- its base (w -> c, d -> a); the merge base goes. Without the pause this comes first:
    -- the table's capture trigger then finds the branch's keys kept already when the
    -- writes below change them, and keeps nothing more for this branch. (Level 11: on the
    -- fast path without a plan the DELETE after the MERGE took every row in state w or d
    -- out, and the base table is empty: nothing to move.)
    IF v_planned THEN
        EXECUTE pg_catalog.format(
            'UPDATE %s AS d SET _pggit_state = CASE d._pggit_state WHEN ''w'' THEN ''c'' ELSE ''a'' END'
            ' WHERE d._pggit_state IN (''w'', ''d'')', v_delta);
        EXECUTE pg_catalog.format('DELETE FROM %s', v_base);
    END IF;

    IF NOT v_paused THEN
        EXECUTE pg_catalog.format(
            'DELETE FROM %s AS t USING pg_temp.pggit_merge_plan AS p WHERE %s AND %s AND NOT p._pggit_theirs_p',
            v_table, pggit.data_key_match(dt.key_columns, 't', 'p'), v_apply);
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        IF v_set IS NOT NULL THEN
            EXECUTE pg_catalog.format(
                'UPDATE %s AS t SET %s FROM %s AS d JOIN pg_temp.pggit_merge_plan AS p ON %s'
                ' WHERE %s AND %s AND p._pggit_theirs_p AND p._pggit_ours_p',
                v_table, v_set, v_delta, pggit.data_key_match(dt.key_columns, 'p', 'd'),
                pggit.data_key_match(dt.key_columns, 't', 'd'), v_apply);
            GET DIAGNOSTICS v_updated = ROW_COUNT;
        END IF;
        EXECUTE pg_catalog.format(
            'INSERT INTO %s AS t (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s AS d JOIN pg_temp.pggit_merge_plan AS p'
            ' ON %s WHERE %s AND p._pggit_theirs_p AND NOT p._pggit_ours_p',
            v_table, pggit.data_list(dt.columns), pggit.data_list(dt.columns, 'd'), v_delta,
            pggit.data_key_match(dt.key_columns, 'p', 'd'), v_apply);
        GET DIAGNOSTICS v_inserted = ROW_COUNT;
    END IF;

    -- Rows of the branch equal (each type's equality) to the table's now are not needed
    -- any more: the branch reads the table's own values for them.
    EXECUTE pg_catalog.format(
        'DELETE FROM %1$s AS d WHERE CASE WHEN d._pggit_state = ''c'''
        ' THEN EXISTS (SELECT 1 FROM %2$s AS t WHERE %3$s AND %4$s)'
        ' ELSE NOT EXISTS (SELECT 1 FROM %2$s AS t WHERE %3$s) END',
        v_delta, v_table, pggit.data_key_match(dt.key_columns, 't', 'd'),
        pggit.data_equal(relid, dt.columns, 't', 'd'));
    IF v_paused THEN
        PERFORM pggit.data_branch_merge_capture(v_id, false);
    END IF;
    IF v_planned THEN
        DROP TABLE pg_temp.pggit_merge_plan;
    END IF;
    IF v_role IS NOT NULL THEN
        PERFORM pg_catalog.set_config('role', v_role, true);
    END IF;

    v_commit := pggit.data_branch_merge_record(v_id, "into", v_strategy, v_records, v_inserted, v_updated,
                                               v_deleted, true);
    RETURN QUERY SELECT v_inserted, v_updated, v_deleted, v_conflicts, v_commit;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_merge(oid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_merge(oid, text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_merge(oid, text, text, text) IS
    'Does the work of pggit.merge_data_branch for a resolved table, as the table''s owner.';
