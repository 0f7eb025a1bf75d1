-- pggit.settle_checkout(statements text[] DEFAULT '{}') -> bigint
--
-- Promises: settles the DDL a checkout with apply ran, so that it is not left pending
-- on the branch it brought the live schema to. Internal step of
-- pggit.checkout(branch, apply => true), callable on its own. Settling needs the live
-- schema to be the head of the session's branch (pggit.current_branch()):
-- pggit.diff('refs/heads/<branch>', 'WORKING') must be empty, and every pending row of
-- that branch must be the calling transaction's (none of an earlier or other
-- transaction: settling part of a net-nil set could leave a net change pending), else
-- 55000 and nothing changes. Then it records one row in pggit.checkouts (branch, head
-- commit, role, txid, time, number of rows settled, and `statements`: the DDL the
-- caller says it ran, as pggit.checkout passes it; informational, the history rows are
-- what pggit recorded) and settles, in pggit.history, exactly the rows that
--   * are pending on the session's branch (branch = it, commit_hash IS NULL),
--   * were written by the calling transaction (txid = pg_current_xact_id()),
--   * record a change of a tracked object (object_id set; not a pause, resume or
--     untracked row): the rows that can describe a change of the registry.
-- A settled row keeps its id, statement, role, txid, time, object kind and identities,
-- versions and hashes; it gets checkout_id (the new pggit.checkouts row), branch
-- '<branch>@{checkout}' (no branch can have that name: "@{" is not allowed), and
-- object_id NULL (the old value is kept in note as 'object_id <n>'): pggit.status,
-- commit_changes, merges and diff (which replay pending rows by object) no longer see
-- it. Every other row stays as it was: other branches', and the transaction's rows
-- that change no tree (pause, resume, untracked, failed-tracking rows: still pending
-- and visible in pggit.status).
-- Why this hides nothing: settling happens only when the live registry equals the
-- branch head and every pending row of the branch is being settled, so committing the
-- settled rows would give the head's tree again (they are no net change); rows of
-- earlier transactions or other sessions are never touched; and with tracking paused (pggit.tracking = off, the registry may not follow
-- the catalog) it refuses. Returns the pggit.checkouts id.
-- Errors: 22004 statements NULL; 55000 tracking paused; 55000 pending rows of other
-- transactions (DETAIL: the objects); 55000 the live schema differs from the head
-- (level 7: a table whose columns are only in another order, which a migration that
-- adds a column back leaves since PostgreSQL cannot move one, or whose index and
-- constraint expressions print differently once parsed again, counts as the head:
-- pggit.table_definition_reached)
-- (DETAIL: the objects and how); resolve_ref's errors for the session's branch (42704 unknown
-- branch, 55000 deleted or without commits); 22023 an invalid session branch name.
-- Cost: one diff against WORKING (O(schema)), one index scan of the branch's pending
-- rows. VOLATILE; SECURITY DEFINER (it writes pggit's tables) with a pinned
-- search_path; EXECUTE: PUBLIC (sql/grants/roles.sql moves it to pggit_writer).
CREATE OR REPLACE FUNCTION pggit.settle_checkout(statements text[] DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch text := pggit.current_branch();
    v_head text;
    v_differs text;
    v_id bigint;
    v_rows integer;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF settle_checkout.statements IS NULL THEN
        RAISE EXCEPTION 'statements must not be NULL (use ''{}'')'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pggit.assert_valid_branch_name(v_branch);
    IF pggit.tracking_paused() THEN
        RAISE EXCEPTION 'cannot settle the checkout of "%": tracking is paused', pggit.clip(v_branch)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Resume it first: pggit.resume_tracking().';
    END IF;
    v_head := pggit.resolve_ref('refs/heads/' || v_branch);
    SELECT pg_catalog.string_agg(DISTINCT coalesce(h.object_identity, h.command_tag), ', ')
      INTO v_differs
      FROM pggit.history AS h
     WHERE h.branch = v_branch
       AND h.commit_hash IS NULL
       AND h.txid <> pg_catalog.pg_current_xact_id();
    IF v_differs IS NOT NULL THEN
        RAISE EXCEPTION 'cannot settle the checkout of "%": it has uncommitted tracked changes of other transactions',
                pggit.clip(v_branch)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('changed: %s', v_differs),
                  HINT = pg_catalog.format('Commit them first: pggit.commit_changes(%L, message).', pggit.clip(v_branch));
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s %s (%s)', d.object_kind, d.object_identity, d.change),
                                 ', ' ORDER BY d.object_identity, d.object_kind)
      INTO v_differs
      FROM pggit.diff(v_head, 'WORKING') AS d
     -- a column the migration added back ends last (PostgreSQL cannot move one; the script
     -- warned); an expression parsed again may print differently
     WHERE NOT (d.object_kind OPERATOR(pg_catalog.=) 'table' AND d.change OPERATOR(pg_catalog.=) 'modified'
                AND pggit.table_definition_reached(d.old_definition, d.new_definition));
    IF v_differs IS NOT NULL THEN
        RAISE EXCEPTION 'cannot settle the checkout of "%": the live schema differs from its head %',
                pggit.clip(v_branch), v_head
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('WORKING against the head: %s', v_differs),
                  HINT = 'Only DDL that leaves the live schema at the branch head is settled; commit other changes.';
    END IF;

    INSERT INTO pggit.checkouts (branch, commit_hash, settled_rows, statements, role)
    VALUES (v_branch, v_head, 0, settle_checkout.statements,
            CASE pg_catalog.current_setting('role') WHEN 'none' THEN SESSION_USER::text
                 ELSE pg_catalog.current_setting('role') END)
    RETURNING id INTO v_id;

    UPDATE pggit.history AS h
       SET checkout_id = v_id,
           branch = h.branch || '@{checkout}',
           note = pg_catalog.concat_ws('; ', h.note, 'object_id ' || h.object_id::text),
           object_id = NULL
     WHERE h.branch = v_branch
       AND h.commit_hash IS NULL
       AND h.txid = pg_catalog.pg_current_xact_id()
       AND h.object_id IS NOT NULL
       AND h.change NOT IN ('pause', 'resume', 'untracked');
    GET DIAGNOSTICS v_rows = ROW_COUNT;

    UPDATE pggit.checkouts AS c SET settled_rows = v_rows WHERE c.id = v_id;
    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.settle_checkout(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.settle_checkout(text[]) TO PUBLIC;

COMMENT ON FUNCTION pggit.settle_checkout(text[]) IS
    'Settles the calling transaction''s pending DDL rows of the session''s branch into a pggit.checkouts row, only when the live schema equals the branch head.';
