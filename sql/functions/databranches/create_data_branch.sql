-- pggit.create_data_branch("table" text, from_branch text, to_branch text) -> text
-- (pggit.data_branch_create, which this header also documents, is in data_branch_create.sql)
--
-- Promises: branches the rows of `table` copy-on-write for branch `to_branch` and
-- returns the name of the branch's relation, a view in the table's schema named
-- pggit.data_relation_name(<table>, <to_branch>): '<table>__<to_branch>', shortened
-- deterministically when that is not an identifier of at most 63 bytes.
--   * No row is copied: the branch gets an empty delta table d<id> and base table
--     b<id> in schema pggit_data, its view and write trigger
--     (pggit.data_branch_install), and the table's capture trigger learns the branch
--     (pggit.data_table_install). Time does not depend on the table's size.
--   * The branch point is the moment of creation: SHARE ROW EXCLUSIVE on the table
--     waits for writes in flight and holds new ones until the creating transaction
--     ends. From then on the branch sees the table as it was then plus its own writes;
--     main never sees branch writes; the branch never sees main's later writes.
--   * `to_branch` is created from main (parent main, at main's head) when it does
--     not exist, as commit_changes creates a branch.
--   * `from_branch` must be a live branch whose rows of the table are the table
--     itself (main, or a branch without a data branch of this table): data branches
--     of data branches are not supported.
-- "table" is resolved with the caller's search_path (create_data_branch is SECURITY
-- INVOKER and only resolves it); data_branch_create, SECURITY DEFINER with a pinned
-- search_path, does the work and checks that the session user may (owns the table
-- or is a member of its owner role).
-- Rights (level 5): data_branch_create is SECURITY DEFINER because it creates objects
-- in pggit_data and writes pggit's bookkeeping; it evaluates nothing a user wrote (it
-- locks the table and creates bare storage tables, a view, functions and triggers). Every
-- object it creates is then owned by the table's owner; the view is security_invoker
-- and PUBLIC may use it (the table's own privileges are checked live, see
-- pggit.data_branch_install); the storage is readable by roles that may SELECT the table.
-- Errors:
--   22004 a NULL argument; 22023 invalid branch name, to_branch = from_branch or main
--   42P01 no such relation; 42809 not an ordinary table; 0A000 partitioned, inherited,
--         temporary or system table, a generated column, from_branch has its own data
--         branch of the table
--   55000 the table has no primary key (rows are found by key to diff, merge and keep
--         pre-images); from_branch or to_branch is deleted
--   42701 a column named _pggit_state (pggit's row-state column)
--   42704 from_branch does not exist; 42501 not the table's owner
--   42710 the table already has a data branch on to_branch
--   42P07 a relation of the branch relation's name already exists
CREATE OR REPLACE FUNCTION pggit.create_data_branch("table" text, from_branch text, to_branch text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
AS $function$
DECLARE
    v_rel oid;
BEGIN
    v_rel := pggit.data_table_oid(create_data_branch."table");
    RETURN pggit.data_branch_create(v_rel, create_data_branch.from_branch, create_data_branch.to_branch);
END
$function$;

COMMENT ON FUNCTION pggit.create_data_branch(text, text, text) IS
    'Branches a table''s rows copy-on-write onto to_branch; returns the branch relation''s name (<table>__<branch>).';
