-- pggit.drop_data_branch("table" text, branch text) -> void
-- (pggit.data_branch_drop, which this header also documents, is in data_branch_drop.sql)
--
-- Promises: removes data branch `branch` of `table`: its view, write function, delta
-- and base tables, and its registration; then rewrites the table's capture trigger
-- for the branches left (pggit.data_table_install), so pre-images stop being kept
-- for it, and with no branch left the table has no pggit trigger at all. The branch
-- itself (pggit.branches) stays. Unmerged writes on the data branch are discarded.
-- Holds SHARE ROW EXCLUSIVE on the table while the capture changes.
-- "table" is resolved with the caller's search_path (drop_data_branch is SECURITY
-- INVOKER); data_branch_drop is SECURITY DEFINER with a pinned search_path and checks
-- that the session user owns the table.
-- Errors: 22004 NULL argument; 42P01 no such relation; 42704 the table has no data
-- branch of that name; 42501 not the table's owner.
CREATE OR REPLACE FUNCTION pggit.drop_data_branch("table" text, branch text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    v_rel := pggit.data_table_oid(drop_data_branch."table");
    PERFORM pggit.data_branch_drop(v_rel, drop_data_branch.branch);
END
$function$;

COMMENT ON FUNCTION pggit.drop_data_branch(text, text) IS
    'Removes a data branch of a table: its relation, storage and the pre-image keeping only it needed.';
