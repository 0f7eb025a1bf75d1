-- pggit.tag(name text, ref text) -> text
--
-- Promises: creates tag `name` on the commit `ref` names (pggit.resolve_ref) and
-- returns that commit's id. Tags are immutable: pggit.tags is readable by everyone
-- and written only by this function (SECURITY DEFINER); nobody but the owner of
-- pggit's tables may UPDATE or DELETE a tag, and no function does. A tag name
-- follows the branch-name rules (pggit.branch_name_violation) and is not reserved
-- (pggit.reserved_ref_name: HEAD, WORKING, refs/...; level 8: 42939, before level 8
-- WORKING and refs/ were 22023 and HEAD was allowed); checked by the table and the
-- trigger ref_name_guard too. Tags and branches have separate
-- names: a tag may share its name with a branch, which makes the plain name an
-- ambiguous ref (refs/tags/<name> still works). Of concurrent creators of one name
-- exactly one succeeds (INSERT ... ON CONFLICT DO NOTHING); created_at is the clock
-- time, created_by the session user.
-- Errors:
--   22004 null_value_not_allowed     name or ref is NULL
--   42939 reserved_name              'cannot create tag "HEAD": HEAD is git's name for
--                                    the checked-out commit' (WORKING, refs/... alike)
--   22023 invalid_parameter_value    'invalid tag name "<name>": <rule>'; 'cannot tag
--                                    WORKING: the live schema is not a commit'
--   Names and refs in messages go through pggit.clip.
--   23505 unique_violation           'tag "<name>" already exists' (DETAIL: its commit)
--   and those of pggit.resolve_ref (42704, 42P09, 55000).
-- SECURITY DEFINER with a pinned search_path. EXECUTE: PUBLIC (like commit_changes;
-- sql/grants/roles.sql moves it to pggit_writer).
CREATE OR REPLACE FUNCTION pggit.tag(name text, ref text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_rule text;
    v_commit text;
    v_existing text;
BEGIN
    IF tag.name IS NULL THEN
        RAISE EXCEPTION 'tag name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF tag.ref IS NULL THEN
        RAISE EXCEPTION 'ref must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_rule := pggit.reserved_ref_name(tag.name);
    IF v_rule IS NOT NULL THEN
        RAISE EXCEPTION 'cannot create tag "%": %', pggit.clip(tag.name), v_rule
            USING ERRCODE = 'reserved_name',
                  DETAIL = 'HEAD, WORKING and names beginning with refs/ are reserved for refs.',
                  HINT = 'Choose another tag name.';
    END IF;
    v_rule := pggit.branch_name_violation(tag.name);
    IF v_rule IS NOT NULL THEN
        RAISE EXCEPTION 'invalid tag name "%": %', pggit.clip(tag.name), v_rule
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_commit := pggit.resolve_ref(tag.ref);
    IF v_commit IS NULL THEN
        RAISE EXCEPTION 'cannot tag WORKING: the live schema is not a commit'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'commit it first (pggit.commit_changes), then tag the commit';
    END IF;
    INSERT INTO pggit.tags AS t (name, commit_hash)
    VALUES (tag.name, v_commit)
    ON CONFLICT ON CONSTRAINT tags_pkey DO NOTHING;
    IF NOT FOUND THEN
        SELECT t.commit_hash INTO v_existing FROM pggit.tags AS t WHERE t.name = tag.name;
        RAISE EXCEPTION 'tag "%" already exists', pggit.clip(tag.name)
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('it points at commit %s; tags are immutable', v_existing),
                  CONSTRAINT = 'tags_pkey', TABLE = 'tags', SCHEMA = 'pggit';
    END IF;
    RETURN v_commit;
END
$function$;

REVOKE ALL ON FUNCTION pggit.tag(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.tag(text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.tag(text, text) IS
    'Creates an immutable tag on the commit a ref names; returns the commit id.';
