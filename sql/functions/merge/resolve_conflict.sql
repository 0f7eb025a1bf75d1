-- pggit.resolve_conflict(conflict_id bigint, resolution text) -> text
--
-- Promises: records how one conflict of a merge with status 'conflicts' is resolved
-- and returns the resolution kind stored: 'ours' (the object as the target has it,
-- under its name there; absent if the target removed it), 'theirs' (as the source has
-- it, under its name there), or any other text is the object's new canonical
-- definition ('custom': stored as a blob under its sha256, like tracked definitions;
-- under the object's name in the target, else in the source, else object_identity).
-- Resolving again replaces the earlier choice.
-- pggit.merge_continue(id) then records the merge.
-- Errors: 22004 NULL; 22023 an empty or blank custom definition; 42704 unknown
-- conflict; 55000 its merge is already merged or aborted.
-- SECURITY DEFINER with a pinned search_path; EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.resolve_conflict(conflict_id bigint, resolution text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_merge bigint;
    v_status text;
    v_ours text;
    v_theirs text;
    v_kind text;
    v_blob text;
    v_identity text;
    v_ours_identity text;
    v_theirs_identity text;
    v_object_identity text;
BEGIN
    IF resolve_conflict.conflict_id IS NULL OR resolve_conflict.resolution IS NULL THEN
        RAISE EXCEPTION 'resolve_conflict: conflict_id and resolution must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT mc.merge_id, mc.ours_blob, mc.theirs_blob, mc.ours_identity, mc.theirs_identity, mc.object_identity
      INTO v_merge, v_ours, v_theirs, v_ours_identity, v_theirs_identity, v_object_identity
      FROM pggit.merge_conflicts AS mc
     WHERE mc.id = resolve_conflict.conflict_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'merge conflict % does not exist', resolve_conflict.conflict_id
            USING ERRCODE = 'undefined_object';
    END IF;
    SELECT m.status INTO v_status FROM pggit.merges AS m WHERE m.id = v_merge FOR UPDATE;
    IF v_status <> 'conflicts' THEN
        RAISE EXCEPTION 'merge % is already %: its conflicts cannot change', v_merge, v_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF resolve_conflict.resolution = 'ours' THEN
        v_kind := 'ours';
        v_blob := v_ours;
        v_identity := v_ours_identity;
    ELSIF resolve_conflict.resolution = 'theirs' THEN
        v_kind := 'theirs';
        v_blob := v_theirs;
        v_identity := v_theirs_identity;
    ELSE
        IF pg_catalog.btrim(resolve_conflict.resolution, E' \t\r\n') = '' THEN
            RAISE EXCEPTION 'a custom resolution must be a definition, not blank: use ''ours'', ''theirs'' or the definition'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_kind := 'custom';
        v_identity := coalesce(v_ours_identity, v_theirs_identity, v_object_identity);
        v_blob := pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(resolve_conflict.resolution, 'UTF8')), 'hex');
        INSERT INTO pggit.blobs (hash, definition) VALUES (v_blob, resolve_conflict.resolution)
        ON CONFLICT (hash) DO NOTHING;
    END IF;
    UPDATE pggit.merge_conflicts AS mc
       SET resolution = v_kind, resolved_identity = v_identity, resolved_blob = v_blob,
           resolved_at = pg_catalog.clock_timestamp(), resolved_by = SESSION_USER
     WHERE mc.id = resolve_conflict.conflict_id;
    RETURN v_kind;
END
$function$;

REVOKE ALL ON FUNCTION pggit.resolve_conflict(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.resolve_conflict(bigint, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.resolve_conflict(bigint, text) IS
    'Resolves one merge conflict: ''ours'', ''theirs'' or a custom canonical definition; returns the kind stored.';
