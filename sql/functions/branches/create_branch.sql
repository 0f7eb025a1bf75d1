-- pggit.create_branch(name text, from_branch text DEFAULT 'main') -> text
--
-- Promises: creates branch `name` at `from_branch`'s head (parent_branch_id = that
-- branch, head_commit_hash = its head, NULL when it has no commit yet) and returns
-- `name`. The head is read under a FOR SHARE lock on the from-branch row, so it is the
-- latest committed head and the from-branch cannot be deleted until we commit.
-- Concurrent creators of one name: the UNIQUE constraint on pggit.branches.name
-- decides (INSERT ... ON CONFLICT DO NOTHING), exactly one succeeds, every other one
-- gets 23505. The name of a deleted branch stays taken (its commits keep it).
-- Errors:
--   22004 null_value_not_allowed   name or from_branch is NULL
--   22023 invalid_parameter_value  invalid branch name (see branch_name_violation)
--   42704 undefined_object         from_branch does not exist
--   55000 object_not_in_prerequisite_state  from_branch is deleted
--   23505 unique_violation         'branch "<name>" already exists' (also for a
--                                  deleted branch of that name, said in DETAIL)
-- SECURITY DEFINER with a pinned search_path (ordinary roles only read pggit's
-- tables). EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.create_branch(name text, from_branch text DEFAULT 'main')
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_from_id bigint;
    v_from_head text;
    v_from_status text;
    v_status text;
BEGIN
    IF create_branch.from_branch IS NULL THEN
        RAISE EXCEPTION 'from_branch must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pggit.assert_valid_branch_name(create_branch.name);

    SELECT b.id, b.head_commit_hash, b.status
      INTO v_from_id, v_from_head, v_from_status
      FROM pggit.branches AS b
     WHERE b.name = create_branch.from_branch
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', pggit.clip(create_branch.from_branch)
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_from_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot create branch "%" from deleted branch "%"',
                pggit.clip(create_branch.name), pggit.clip(create_branch.from_branch)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    INSERT INTO pggit.branches AS b (name, head_commit_hash, parent_branch_id)
    VALUES (create_branch.name, v_from_head, v_from_id)
    ON CONFLICT ON CONSTRAINT branches_name_key DO NOTHING;
    IF NOT FOUND THEN
        SELECT b.status INTO v_status FROM pggit.branches AS b WHERE b.name = create_branch.name;
        IF v_status = 'deleted' THEN
            RAISE EXCEPTION 'branch "%" already exists', pggit.clip(create_branch.name)
                USING ERRCODE = 'unique_violation',
                      DETAIL = 'It was deleted; the names of deleted branches stay taken.',
                      CONSTRAINT = 'branches_name_key', TABLE = 'branches', SCHEMA = 'pggit';
        END IF;
        RAISE EXCEPTION 'branch "%" already exists', pggit.clip(create_branch.name)
            USING ERRCODE = 'unique_violation',
                  CONSTRAINT = 'branches_name_key', TABLE = 'branches', SCHEMA = 'pggit';
    END IF;
    RETURN create_branch.name;
END
$function$;

REVOKE ALL ON FUNCTION pggit.create_branch(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.create_branch(text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.create_branch(text, text) IS
    'Creates branch name at from_branch''s head (default main); an existing name is an error (23505).';
