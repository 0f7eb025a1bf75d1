-- pggit.status(branch text DEFAULT NULL)
--     -> TABLE(id bigint, branch text, object_kind text, object_identity text,
--              old_identity text, subobject_identity text, command_tag text,
--              change text, old_version text, new_version text, statement text,
--              role text, changed_at timestamptz)
--
-- Promises: the tracked changes not yet committed on a branch, oldest first (by
-- history id): the pggit.history rows with that branch and commit_hash IS NULL that
-- the caller can see (its own transaction's included, other sessions' uncommitted
-- ones not). `branch` NULL (the default, so pggit.status() works) means the
-- session's branch, pggit.current_branch(): the setting pggit.branch (pggit.checkout
-- sets it), 'main' when unset or empty; the branch history rows record. A branch that has no commit yet is fine (its first commit_changes
-- creates it): there is no "unknown branch" error here.
-- Declared with OUT id, INOUT branch, OUT ...: see pggit.log for why.
-- Errors:
--   22023 invalid_parameter_value  invalid branch name given ('invalid branch name
--                                  "<name>": <rule>')
--   branch NULL and a setting pggit.branch naming no live branch: the errors of
--   pggit.branch_setting (level 8: 22023, 42704, 55000, naming the setting)
-- VOLATILE (level 9: it settles the transaction's pending DDL first), SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: one scan of the partial index on pending rows.
CREATE OR REPLACE FUNCTION pggit.status(
    OUT id bigint,
    INOUT branch text DEFAULT NULL,
    OUT object_kind text,
    OUT object_identity text,
    OUT old_identity text,
    OUT subobject_identity text,
    OUT command_tag text,
    OUT change text,
    OUT old_version text,
    OUT new_version text,
    OUT statement text,
    OUT role text,
    OUT changed_at timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch text := coalesce(status.branch, pggit.current_branch());
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    PERFORM pggit.assert_valid_branch_name(v_branch);
    RETURN QUERY
        SELECT h.id, h.branch, h.object_kind, h.object_identity, h.old_identity,
               h.subobject_identity, h.command_tag, h.change, h.old_version, h.new_version,
               h.statement, h.role, h.changed_at
          FROM pggit.history AS h
         WHERE h.branch = v_branch
           AND h.commit_hash IS NULL
         ORDER BY h.id;
END
$function$;

COMMENT ON FUNCTION pggit.status(text) IS
    'Tracked changes not yet committed on branch (default: the session''s branch, setting pggit.branch, else main), oldest first.';
