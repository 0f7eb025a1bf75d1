-- pggit.diff_data_branch("table" text, branch text)
--     -> TABLE(key jsonb, change text, before jsonb, after jsonb)
-- (pggit.data_branch_diff, which this header also documents, is in data_branch_diff.sql)
--
-- Promises: one row per primary key whose row on data branch `branch` differs from
-- the branch point (the table as it was when the branch was created or last merged):
--   change 'insert'  before NULL, after the branch's row
--   change 'update'  before the branch-point row, after the branch's row
--   change 'delete'  before the branch-point row, after NULL
-- key is a jsonb object of the primary-key columns, before/after are to_jsonb of the
-- rows (every column). A key written on the branch back to its branch-point value is
-- not a change. Main's later writes are not part of the diff. Ordered by key. Cost:
-- O(rows written on the branch) (index lookups into the table and the base table).
-- A key whose values on the branch equal the branch point's by each type's equality
-- (pggit.data_equal: numeric 1.0 = 1.000) is no change.
-- "table" is resolved with the caller's search_path (diff_data_branch is SECURITY
-- INVOKER); data_branch_diff (SECURITY INVOKER too, pinned search_path) reads the table
-- and the storage with the caller's rights: SELECT on the table (checked live; the
-- storage lets exactly those roles read it), and the table's row-level security: when it
-- applies to the caller, only keys whose row in the table the caller sees are shown
-- (a key the branch inserted, or main deleted, has no such row and is left out).
-- Errors: 22004 NULL argument; 42P01 no such relation; 42704 no such data branch;
-- 42501 no SELECT privilege on the table.
-- diff_data_branch is VOLATILE (level 6): resolving the table may first re-bind pggit's
-- stored OIDs after a restore (pggit.data_table_oid), which the diff must then see.
CREATE OR REPLACE FUNCTION pggit.diff_data_branch("table" text, branch text)
RETURNS TABLE(key jsonb, change text, before jsonb, after jsonb)
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    v_rel := pggit.data_table_oid(diff_data_branch."table");
    RETURN QUERY SELECT * FROM pggit.data_branch_diff(v_rel, diff_data_branch.branch);
END
$function$;

COMMENT ON FUNCTION pggit.diff_data_branch(text, text) IS
    'Row-level diff of a data branch against its branch point: key, change (insert/update/delete), before, after.';
