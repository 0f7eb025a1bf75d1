-- pggit.revert(commit text, force boolean DEFAULT false) -> text
--
-- Promises: records the inverse of a commit C as a new commit on top of a branch head
-- and returns the new commit's id. `commit` is any ref (resolve_ref).
--   * Branch: the session's branch (pggit.current_branch()) when C is its head or an
--     ancestor of its head (pggit.dag_merge_base(C, head) = C, over both parents);
--     else C's own branch when its head is C; else refused.
--   * P = C's parent; a merge commit is reverted against its FIRST parent (the previous
--     head of its own branch), so the revert undoes what the merge brought in.
--   * The objects C touched: the rows of diff(P, C) (for a rename both identities).
--     Refused when one of them is different at the head than at C (diff(C, head):
--     a later commit changed, renamed, dropped or re-created it; DETAIL names them):
--     the inverse would then overwrite later work (a table whose columns are only in
--     another order is not changed: level 7). Nothing else of the head matters.
--   * Refused while the session's branch or the revert's branch has uncommitted
--     tracked changes (pggit.status; DETAIL names the objects) or the live schema
--     differs from the head (diff(head, 'WORKING'); DETAIL names the objects, HINT
--     checkout with apply).
--   * Then the steps of generate_migration(C, P) run on the live schema
--     (pggit.apply_migration(P, force, C): checkout's data-loss rule, `force` for a
--     dropped table or column holding data and for every other lossy step), with the
--     setting pggit.branch set to the revert's branch for the transaction (restored
--     afterwards), so their history rows are pending on it. The live schema must then
--     be the head's with exactly the touched objects as at P (checked against
--     schema_at('WORKING'); a table whose columns are only in another order, or whose
--     index and constraint expressions PostgreSQL prints differently once parsed again,
--     counts as reached (level 7: PostgreSQL cannot move a column a migration adds back,
--     and the revert commit records the table as it is; pggit.table_definition_reached);
--     else 55000 naming the objects, nothing kept), and
--     commit_changes(branch, 'Revert "<C's message>"') records them. Tables the revert
--     does not drop keep their rows.
--   * All in the caller's transaction: an error leaves nothing.
-- Errors: 22004 NULL; 22023 `WORKING`; resolve_ref's errors (42704 unknown commit);
-- 55000 a root commit (no parent), a commit on neither the session's branch nor the
-- head of its own branch, a touched object changed later, uncommitted changes, a live
-- schema that differs from the head, a commit without a tree, a result that is not
-- the expected schema; apply_migration's errors (55000 data loss without force,
-- 0A000 steps that cannot be generated).
-- VOLATILE; SECURITY INVOKER (the DDL runs with the caller's rights); EXECUTE: PUBLIC
-- (sql/grants/roles.sql moves it to pggit_writer).
CREATE OR REPLACE FUNCTION pggit.revert(commit text, force boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_hash text;
    v_parent text;
    v_message text;
    v_branch text;
    v_head text;
    v_current text := pggit.current_branch();
    v_current_head text;
    v_saved text := coalesce(current_setting('pggit.branch', true), '');
    v_saved_stamp text := coalesce(current_setting('pggit.branch_xact', true), '');
    v_name text;
    v_count bigint;
    v_objects text;
    v_kinds text[];
    v_identities text[];
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF revert.commit IS NULL OR revert.force IS NULL THEN
        RAISE EXCEPTION 'commit and force must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_hash := pggit.resolve_ref(revert.commit);
    IF v_hash IS NULL THEN
        RAISE EXCEPTION 'cannot revert "WORKING": name a commit'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.parent_hash, c.message INTO v_parent, v_message
      FROM pggit.commits AS c
     WHERE c.hash = v_hash;
    IF v_parent IS NULL THEN
        RAISE EXCEPTION 'cannot revert commit %: it is a root commit (no parent)', v_hash
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    SELECT b.head_commit_hash INTO v_current_head
      FROM pggit.branches AS b
     WHERE b.name = v_current AND b.status IS DISTINCT FROM 'deleted';
    IF v_current_head = v_hash OR pggit.dag_merge_base(v_hash, v_current_head) = v_hash THEN
        v_branch := v_current;
        v_head := v_current_head;
    ELSE
        SELECT b.name, b.head_commit_hash INTO v_branch, v_head
          FROM pggit.commits AS c
          JOIN pggit.branches AS b ON b.id = c.branch_id
         WHERE c.hash = v_hash AND b.head_commit_hash = c.hash
           AND b.status IS DISTINCT FROM 'deleted';
    END IF;
    IF v_branch IS NULL THEN
        RAISE EXCEPTION 'cannot revert commit %: it is not on the session''s branch "%" nor the head of its own branch',
                v_hash, pggit.clip(v_current)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Check out the branch the commit belongs to first.';
    END IF;

    FOREACH v_name IN ARRAY ARRAY[v_current, v_branch] LOOP
        SELECT count(*), string_agg(DISTINCT coalesce(s.object_identity, s.command_tag), ', ')
          INTO v_count, v_objects
          FROM pggit.status(v_name) AS s;
        IF v_count > 0 THEN
            RAISE EXCEPTION 'cannot revert commit %: branch "%" has % uncommitted tracked change(s)',
                    v_hash, pggit.clip(v_name), v_count
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('changed: %s', v_objects),
                      HINT = format('Commit them first: pggit.commit_changes(%L, message).', pggit.clip(v_name));
        END IF;
    END LOOP;
    SELECT string_agg(format('%s %s (%s)', d.object_kind, d.object_identity, d.change), ', '
                      ORDER BY d.object_identity, d.object_kind)
      INTO v_objects
      FROM pggit.diff(v_head, 'WORKING') AS d;
    IF v_objects IS NOT NULL THEN
        RAISE EXCEPTION 'cannot revert commit %: the live schema differs from the head of "%"', v_hash, pggit.clip(v_branch)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('WORKING against the head: %s', v_objects),
                  HINT = format('Bring it there first: pggit.checkout(%L, apply => true).', pggit.clip(v_branch));
    END IF;

    -- the objects the commit touched (a rename: both identities), as (kind, identity)
    SELECT coalesce(array_agg(k.kind ORDER BY k.identity, k.kind), '{}'),
           coalesce(array_agg(k.identity ORDER BY k.identity, k.kind), '{}')
      INTO v_kinds, v_identities
      FROM (SELECT DISTINCT d.object_kind AS kind, i.identity
              FROM pggit.diff(v_parent, v_hash) AS d
             CROSS JOIN LATERAL (VALUES (d.object_identity), (d.old_identity)) AS i (identity)
             WHERE i.identity IS NOT NULL) AS k;

    IF v_head <> v_hash THEN
        SELECT string_agg(format('%s %s (%s%s)', d.object_kind, d.object_identity, d.change,
                                 CASE WHEN d.change = 'renamed' THEN ' from ' || d.old_identity ELSE '' END),
                          ', ' ORDER BY d.object_identity, d.object_kind)
          INTO v_objects
          FROM pggit.diff(v_hash, v_head) AS d
         WHERE EXISTS (SELECT FROM unnest(v_kinds, v_identities) AS t (kind, identity)
                        WHERE t.kind = d.object_kind
                          AND t.identity IN (d.object_identity, d.old_identity))
           -- columns only in another order (an earlier revert added one back), expressions only
           -- reprinted: the same table
           AND NOT (d.object_kind = 'table' AND d.change = 'modified'
                    AND pggit.table_definition_reached(d.old_definition, d.new_definition));
        IF v_objects IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert commit %: a later commit of "%" changed what it changed', v_hash, pggit.clip(v_branch)
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('changed since: %s', v_objects),
                      HINT = 'Revert the later commits first, or change the objects by hand and commit.';
        END IF;
    END IF;

    PERFORM pggit.set_scoped_setting('pggit.branch', v_branch, true);
    PERFORM pggit.apply_migration(v_parent, revert.force, v_hash);
    PERFORM set_config('pggit.branch', v_saved, true);
    PERFORM set_config('pggit.branch_xact', v_saved_stamp, true);

    -- the live schema must be the head's with the touched objects as at the parent
    WITH touched AS (
        SELECT t.kind, t.identity FROM unnest(v_kinds, v_identities) AS t (kind, identity)
    ), expected AS (
        SELECT s.object_kind AS kind, s.object_identity AS identity, s.blob_hash AS blob, s.definition AS def
          FROM pggit.schema_at(v_head) AS s
         WHERE NOT EXISTS (SELECT FROM touched AS t
                            WHERE t.kind = s.object_kind AND t.identity = s.object_identity)
        UNION ALL
        SELECT s.object_kind, s.object_identity, s.blob_hash, s.definition
          FROM pggit.schema_at(v_parent) AS s
         WHERE EXISTS (SELECT FROM touched AS t
                        WHERE t.kind = s.object_kind AND t.identity = s.object_identity)
    ), live AS (
        SELECT s.object_kind AS kind, s.object_identity AS identity, s.blob_hash AS blob, s.definition AS def
          FROM pggit.schema_at('WORKING') AS s
    )
    SELECT string_agg(format('%s %s', coalesce(e.kind, l.kind), coalesce(e.identity, l.identity)), ', '
                      ORDER BY coalesce(e.identity, l.identity))
      INTO v_objects
      FROM expected AS e
      FULL JOIN live AS l ON l.kind = e.kind AND l.identity = e.identity
     WHERE e.blob IS DISTINCT FROM l.blob
       -- a column added back ends last (PostgreSQL cannot move one; the script warned), and
       -- an expression parsed again may print differently
       AND NOT (e.kind = 'table' AND l.kind = 'table' AND pggit.table_definition_reached(e.def, l.def));
    IF v_objects IS NOT NULL THEN
        RAISE EXCEPTION 'cannot revert commit %: the generated inverse does not give the expected schema', v_hash
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('differs from the head with the commit undone: %s', v_objects);
    END IF;
    RETURN pggit.commit_changes(v_branch, format('Revert "%s"', v_message));
END
$function$;

COMMENT ON FUNCTION pggit.revert(text, boolean) IS
    'Reverts a commit of the session''s branch (or a branch head) on top of the head: the inverse of what it changed, committed as Revert "<message>".';
