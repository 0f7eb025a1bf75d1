-- pggit.resolve_ref(ref text) -> text
--
-- Promises: the full commit id (Trinity ID) a ref names, or NULL for WORKING.
--   'WORKING'         exactly this text (upper case): the live schema (the registry of
--                     tracked objects, pggit.objects). It has no commit, so the result
--                     is NULL: NULL is the marker of WORKING and of nothing else, as
--                     every other outcome is a commit id or an error.
--   refs/heads/<b>    the head of live branch <b> only
--   refs/tags/<t>     the commit of tag <t> only
--   anything else     a full commit id, a live branch (its head) or a tag, by exact
--                     match; it must name exactly one of them.
--   <ref>~N, <ref>^N  ancestry suffixes as git reads them, any number, left to right:
--                     ~N the N-th first-parent ancestor (~ alone = ~1), ^ / ^1 the
--                     first parent, ^2 the merge parent (second parent of a merge
--                     commit), ^0 the commit itself. Branch and tag names cannot
--                     contain ~ or ^ (branch-name rules), so the suffix is never part
--                     of a name. WORKING has no ancestors.
-- Deleted branches are not refs (their commits stay reachable by id and by tags).
-- Errors:
--   22004 null_value_not_allowed     'ref must not be NULL'
--   42704 undefined_object           'ref "<ref>" does not exist: no commit, branch or
--                                    tag of that name'; for a suffix that walks past a
--                                    root or asks ^2 of a commit that is no merge:
--                                    'ref "<ref>" does not exist: <commit> has no
--                                    parent' / 'has no second parent'
--   22023 invalid_parameter_value    a suffix on WORKING; ^N with N > 2 (a commit has
--                                    at most two parents)
--   42P09 ambiguous_alias            'ref "<ref>" is ambiguous: it names a commit, a
--                                    branch and a tag' (those it names; HINT: use
--                                    refs/heads/<ref> or refs/tags/<ref>)
--   55000 object_not_in_prerequisite_state  'branch "<b>" is deleted' (and nothing else
--                                    has that name); 'branch "<b>" has no commits yet'
-- STABLE, SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: three primary-key or unique-index lookups, plus one per ancestry step.
CREATE OR REPLACE FUNCTION pggit.resolve_ref(ref text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_name text := resolve_ref.ref;
    v_scope text := 'any';
    v_commit text;
    v_branch_found boolean := false;
    v_branch_head text;
    v_branch_status text;
    v_tag text;
    v_kinds text[] := '{}';
    v_suffix text[];
    v_step text[];
    v_count integer;
    v_parent text;
BEGIN
    IF resolve_ref.ref IS NULL THEN
        RAISE EXCEPTION 'ref must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF resolve_ref.ref = 'WORKING' THEN
        RETURN NULL;
    END IF;
    -- Ancestry suffixes: resolve what is left of them, then walk the parents.
    v_suffix := pg_catalog.regexp_match(resolve_ref.ref, '^(.+?)((?:[~^][0-9]*)+)$');
    IF v_suffix IS NOT NULL THEN
        IF v_suffix[1] = 'WORKING' THEN
            RAISE EXCEPTION 'ref "%" is invalid: WORKING (the live schema) has no ancestors', pggit.clip(resolve_ref.ref)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_commit := pggit.resolve_ref(v_suffix[1]);
        FOR v_step IN SELECT m FROM pg_catalog.regexp_matches(v_suffix[2], '([~^])([0-9]*)', 'g') AS m LOOP
            IF pg_catalog.length(v_step[2]) > 9 THEN
                RAISE EXCEPTION 'ref "%" is invalid: % is too large', pggit.clip(resolve_ref.ref), v_step[2]
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            v_count := coalesce(nullif(v_step[2], '')::integer, 1);
            IF v_step[1] = '^' THEN
                IF v_count > 2 THEN
                    RAISE EXCEPTION 'ref "%" is invalid: ^% asks for parent %, a commit has at most two',
                                    pggit.clip(resolve_ref.ref), v_count, v_count
                        USING ERRCODE = 'invalid_parameter_value';
                END IF;
                IF v_count = 0 THEN
                    CONTINUE;
                END IF;
                SELECT CASE v_count WHEN 1 THEN c.parent_hash ELSE c.merge_parent_hash END
                  INTO v_parent
                  FROM pggit.commits AS c
                 WHERE c.hash = v_commit;
                IF v_parent IS NULL THEN
                    RAISE EXCEPTION 'ref "%" does not exist: % has no %', pggit.clip(resolve_ref.ref), v_commit,
                                    CASE v_count WHEN 1 THEN 'parent' ELSE 'second parent' END
                        USING ERRCODE = 'undefined_object';
                END IF;
                v_commit := v_parent;
            ELSE
                FOR i IN 1 .. v_count LOOP
                    SELECT c.parent_hash INTO v_parent FROM pggit.commits AS c WHERE c.hash = v_commit;
                    IF v_parent IS NULL THEN
                        RAISE EXCEPTION 'ref "%" does not exist: % has no parent', pggit.clip(resolve_ref.ref), v_commit
                            USING ERRCODE = 'undefined_object';
                    END IF;
                    v_commit := v_parent;
                END LOOP;
            END IF;
        END LOOP;
        RETURN v_commit;
    END IF;
    IF pg_catalog.starts_with(resolve_ref.ref, 'refs/heads/') THEN
        v_scope := 'branch';
        v_name := pg_catalog.substr(resolve_ref.ref, 12);
    ELSIF pg_catalog.starts_with(resolve_ref.ref, 'refs/tags/') THEN
        v_scope := 'tag';
        v_name := pg_catalog.substr(resolve_ref.ref, 11);
    END IF;

    IF v_scope = 'any' THEN
        SELECT c.hash INTO v_commit FROM pggit.commits AS c WHERE c.hash = v_name;
        IF v_commit IS NOT NULL THEN
            v_kinds := v_kinds || 'a commit'::text;
        END IF;
    END IF;
    IF v_scope IN ('any', 'branch') THEN
        SELECT b.head_commit_hash, b.status INTO v_branch_head, v_branch_status
          FROM pggit.branches AS b
         WHERE b.name = v_name;
        v_branch_found := FOUND;
        IF v_branch_found AND v_branch_status <> 'deleted' THEN
            v_kinds := v_kinds || 'a branch'::text;
        END IF;
    END IF;
    IF v_scope IN ('any', 'tag') THEN
        SELECT t.commit_hash INTO v_tag FROM pggit.tags AS t WHERE t.name = v_name;
        IF v_tag IS NOT NULL THEN
            v_kinds := v_kinds || 'a tag'::text;
        END IF;
    END IF;

    IF pg_catalog.cardinality(v_kinds) > 1 THEN
        RAISE EXCEPTION 'ref "%" is ambiguous: it names %', pggit.clip(resolve_ref.ref),
                pg_catalog.array_to_string(v_kinds[1:pg_catalog.cardinality(v_kinds) - 1], ', ')
                || ' and ' || v_kinds[pg_catalog.cardinality(v_kinds)]
            USING ERRCODE = 'ambiguous_alias',
                  HINT = pg_catalog.format('use refs/heads/%s or refs/tags/%s', pggit.clip(v_name), pggit.clip(v_name));
    END IF;
    IF v_commit IS NOT NULL THEN
        RETURN v_commit;
    END IF;
    IF v_tag IS NOT NULL THEN
        RETURN v_tag;
    END IF;
    IF v_branch_found THEN
        IF v_branch_status = 'deleted' THEN
            RAISE EXCEPTION 'branch "%" is deleted', pggit.clip(v_name)
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF v_branch_head IS NULL THEN
            RAISE EXCEPTION 'branch "%" has no commits yet', pggit.clip(v_name)
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RETURN v_branch_head;
    END IF;
    RAISE EXCEPTION 'ref "%" does not exist: no %', pggit.clip(resolve_ref.ref),
            CASE v_scope WHEN 'branch' THEN 'branch' WHEN 'tag' THEN 'tag'
                 ELSE 'commit, branch or tag' END || ' of that name'
        USING ERRCODE = 'undefined_object';
END
$function$;

COMMENT ON FUNCTION pggit.resolve_ref(text) IS
    'Commit id named by a ref (commit id, branch, tag, refs/heads/<b>, refs/tags/<t>); NULL for WORKING (the live schema).';
