-- pggit.merge_data_branch("table" text, branch text, "into" text DEFAULT 'main',
--                         strategy text DEFAULT 'fail')
--     -> TABLE(inserted bigint, updated bigint, deleted bigint, conflicts bigint, commit_hash text)
-- (pggit.data_branch_merge, which this header also documents, is in data_branch_merge.sql)
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
-- Rows are compared column by column with each type's equality (pggit.data_equal:
-- numeric 1.0 = 1.000, float -0 = 0; the text form for types without one).
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
-- branch + pre-images it holds). Level 9: one pass computes the plan; when nothing but
-- the merge's writes can change the table's rows (pggit.data_branch_merge_capture), the
-- capture of this branch pauses while they run and each applied row leaves the branch's
-- storage in the statement that writes it to the table; otherwise the branch point
-- moves first, so that the table's capture keeps nothing for the merged keys.
-- Level 11 (the fast path: capture paused, a plain table, track_counts on): the plan
-- holds only the keys with a base row (main changed them since the branch point: the
-- only keys that can conflict), none at all when the base table is empty; the other keys
-- the branch wrote or deleted are applied by one MERGE, one join by key (its counts are
-- the transaction's counters of the table's inserted, updated and deleted rows), and
-- then taken out of the branch's storage by one DELETE. The planner statistics of the
-- branch's storage (its state column) are gathered first when stale, so that the joins
-- are planned for the merge's size. Otherwise (triggers, rules, a partitioned table,
-- track_counts off) every key the branch wrote goes through the plan, as at level 9.
-- "table" is resolved with the caller's search_path (merge_data_branch is SECURITY
-- INVOKER); data_branch_merge (SECURITY INVOKER, pinned search_path) does the work.
-- Rights (level 5): every statement on the table and its storage runs as the table's
-- owner (pggit.data_act_as_owner: the caller must be the owner or a member of its role),
-- so the table's triggers, defaults, checks and index expressions never run with more
-- rights than the owner's, whoever merges. Only pggit's bookkeeping runs as pggit's
-- owner: data_branch_merge_begin (checks, locks the into-branch row) and
-- data_branch_merge_record (data_conflicts rows, the commit, merged_at).
-- A merge never shows a row the merging role cannot see: when row-level security applies
-- to the owner (FORCE ROW LEVEL SECURITY), the merge is refused (42501).
-- Errors: 22004 NULL argument; 22023 unknown strategy, into = branch; 42P01 no such
-- relation; 42704 no such data branch or into branch; 55000 into is deleted; 0A000
-- into has its own data branch of the table; 42501 not the table's owner; the table's
-- constraint violations (e.g. 23505) abort the merge with nothing applied; 42501 row-level
-- security applies to the table's owner.
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
