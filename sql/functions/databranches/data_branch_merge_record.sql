-- pggit.data_branch_merge_record(data_branch_id bigint, "into" text, strategy text,
--     records jsonb, inserted bigint, updated bigint, deleted bigint, merged boolean) -> text
-- (pggit.data_branch_merge_begin, which this header also documents, is in data_branch_merge_begin.sql)
--
-- The bookkeeping halves of pggit.data_branch_merge (which does the row work as the
-- table's owner). SECURITY DEFINER with a pinned search_path; they read and write only
-- pggit's tables, never the user's table or the branch's storage, and evaluate nothing
-- a user wrote. Both check that the session user owns the table (or is a member of the
-- owner role): 42501 otherwise.
-- data_branch_merge_begin: returns the id of data branch `branch` of table `relid`
--   (42704 none), checks `into` (22004 NULL; 22023 into = branch; 42704 unknown;
--   55000 deleted; 0A000 it has its own data branch of the table) and locks its branch
--   row FOR KEY SHARE (before the table, the exception docs/RELIABILITY.md describes).
-- data_branch_merge_record: refuses NULL into, strategy or merged (22004), a strategy
--   other than fail, ours, theirs and a record that is no object with a key (22023,
--   level 10: before, the table's constraints raised 23502/23514); records each
--   conflict of `records` (a jsonb array of
--   {key, base, ours, theirs}) in pggit.data_conflicts with the strategy (and as
--   resolution unless 'fail'); when `merged`, commits on `into` if anything was applied
--   or resolved (pggit.commit_changes; returns the commit hash, else NULL) and stamps
--   the data branch merged_at / merged_commit.
CREATE OR REPLACE FUNCTION pggit.data_branch_merge_record(data_branch_id bigint, "into" text, strategy text,
                                                          records jsonb, inserted bigint, updated bigint,
                                                          deleted bigint, merged boolean)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    db record;
    v_schema name;
    v_relname name;
    v_owner oid;
    v_branch text;
    v_conflicts bigint := coalesce(pg_catalog.jsonb_array_length(records), 0);
    v_commit text;
BEGIN
    IF "into" IS NULL OR strategy IS NULL OR merged IS NULL THEN
        RAISE EXCEPTION 'into, strategy and merged must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF strategy NOT IN ('fail', 'ours', 'theirs') THEN
        RAISE EXCEPTION 'invalid strategy "%": expected fail, ours or theirs', pggit.clip(strategy)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(coalesce(records, '[]')) AS r(value)
                WHERE pg_catalog.jsonb_typeof(r.value) IS DISTINCT FROM 'object'
                   OR pg_catalog.jsonb_typeof(r.value -> 'key') IS NULL
                   OR pg_catalog.jsonb_typeof(r.value -> 'key') = 'null') THEN
        RAISE EXCEPTION 'every conflict record must be an object with a key'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO db FROM pggit.data_branches AS o WHERE o.id = data_branch_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'data branch % does not exist', data_branch_id USING ERRCODE = 'undefined_object';
    END IF;
    SELECT n.nspname, c.relname, c.relowner INTO v_schema, v_relname, v_owner
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = db.relid;
    IF NOT pg_catalog.pg_has_role(session_user, v_owner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table %.% to merge its data branches',
                pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_relname)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT b.name INTO v_branch FROM pggit.branches AS b WHERE b.id = db.branch_id;
    INSERT INTO pggit.data_conflicts (table_schema, table_name, branch, into_branch, strategy, resolution,
                                      key, base, ours, theirs)
    SELECT v_schema, v_relname, v_branch, "into", strategy, CASE strategy WHEN 'fail' THEN NULL ELSE strategy END,
           r.value -> 'key', r.value -> 'base', r.value -> 'ours', r.value -> 'theirs'
      FROM pg_catalog.jsonb_array_elements(coalesce(records, '[]')) WITH ORDINALITY AS r(value, o)
     ORDER BY r.o;
    IF NOT merged THEN
        RETURN NULL;
    END IF;
    IF inserted + updated + deleted + v_conflicts > 0 THEN
        v_commit := pggit.commit_changes("into", pg_catalog.format(
            'merge data branch "%s" of %s into "%s" (strategy %s): %s inserted, %s updated, %s deleted, %s conflicts',
            v_branch, pg_catalog.format('%I.%I', v_schema, v_relname), "into", strategy, inserted, updated, deleted,
            v_conflicts));
    END IF;
    UPDATE pggit.data_branches AS o
       SET merged_at = pg_catalog.clock_timestamp(), merged_commit = v_commit
     WHERE o.id = db.id;
    RETURN v_commit;
END
$function$;

REVOKE ALL ON FUNCTION pggit.data_branch_merge_record(bigint, text, text, jsonb, bigint, bigint, bigint, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.data_branch_merge_record(bigint, text, text, jsonb, bigint, bigint, bigint, boolean)
    TO PUBLIC;

COMMENT ON FUNCTION pggit.data_branch_merge_record(bigint, text, text, jsonb, bigint, bigint, bigint, boolean) IS
    'Internal: bookkeeping of a data-branch merge (conflicts, commit, merged_at); writes pggit''s tables only.';
