-- pggit.track_object(classid oid, objid oid, command_tag text, subobject text DEFAULT NULL,
--                    mode text DEFAULT 'direct', pending_id bigint DEFAULT NULL)
--     -> (change text, renamed boolean, object_id bigint, old_schema_name text)
--
-- Promises: brings the registry row of one tracked object (addressed as
-- pggit.tracked_owner returns it) in line with the catalog as the calling transaction
-- sees it, and records the change in pggit.history:
--   * not registered and trackable (pggit.describe_object): a new pggit.objects row at
--     1.0.0 and a history row with change 'create' (mode 'create') or 'register'
--     (any other mode: an object seen for the first time by other means);
--   * registered and still trackable: the change is decided by comparing the stored
--     structure and definition with the catalog now: its identity changed (renamed,
--     moved to another schema) -> 'major'; the canonical definition unchanged ->
--     'none'; else pggit.classify_change's major/minor, or 'patch'. In mode
--     'dependent' (the object only prints differently because something it refers to
--     was renamed) the rules are not applied: 'patch' if the definition changed.
--     The version is bumped (major resets minor and patch, minor resets patch), and a
--     history row is written — for 'none' too in modes 'direct' and 'create'; in
--     modes 'propagated', 'dependent' and 'reconcile' only when something changed;
--   * registered but gone or no longer trackable (moved into an untracked schema,
--     added to an extension): marked dropped (dropped_at set, objid NULL) with a
--     'drop' history row.
-- Every new canonical definition is written to pggit.blobs (ON CONFLICT DO NOTHING)
-- before the history row naming its hash. The history row carries command_tag,
-- subobject (e.g. the index a CREATE INDEX made), the statement (current_query()),
-- old and new identity, version and hash, the effective role (SET ROLE's role, else
-- session_user), the transaction, the time and the session's branch
-- (pggit.current_branch()); commit_hash stays NULL until a commit includes it.
-- The registry row is locked (FOR UPDATE) before it is compared, so concurrent
-- statements on one object bump it one after the other, none lost. The blob, the
-- registry update and the history row are written by one statement.
-- Level 9: with pending_id (a pggit.pending row of the calling transaction, settled by
-- pggit.settle_pending), the history row takes that statement's text, command tag,
-- subobject, role, branch, transaction and time instead of the current ones (read once,
-- before anything is written).
-- Returns the change recorded (NULL when nothing was done), whether something was
-- renamed (identity, column, attribute or enum label: objects referring to it may
-- print differently), the registry id, and the schema name stored before (for a
-- renamed schema: the name its objects are still registered under).
--
-- Errors: 22023 for an unknown mode; otherwise none of its own. Internal: called by
-- pggit's event triggers and pggit.reconcile; EXECUTE is not granted to PUBLIC (it
-- writes the history ordinary roles may only read).
CREATE OR REPLACE FUNCTION pggit.track_object(
    classid oid,
    objid oid,
    command_tag text,
    subobject text DEFAULT NULL,
    mode text DEFAULT 'direct',
    pending_id bigint DEFAULT NULL,
    OUT change text,
    OUT renamed boolean,
    OUT object_id bigint,
    OUT old_schema_name text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    reg pggit.objects;
    d record;
    cls record;
    v_hash text;
    v_major integer;
    v_minor integer;
    v_patch integer;
    v_now timestamptz := clock_timestamp();
    v_role text := CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END;
    -- what the history row records of its statement: the pending statement's, else the current one
    v_sub text := subobject;
    v_tag text := command_tag;
    v_statement text;
    v_txid xid8 := pg_current_xact_id();
    v_at timestamptz := v_now;
    v_branch text;
BEGIN
    IF mode IS NULL OR mode NOT IN ('direct', 'create', 'propagated', 'dependent', 'reconcile') THEN
        RAISE EXCEPTION 'invalid tracking mode "%": expected direct, create, propagated, dependent or reconcile',
                pggit.clip(mode)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    renamed := false;
    IF track_object.pending_id IS NULL THEN
        v_statement := pggit.statement_text(track_object.command_tag);
        v_branch := pggit.current_branch();
    ELSE
        SELECT p.subobject_identity, p.command_tag, p.statement, p.role, p.txid, p.changed_at, p.branch
          INTO v_sub, v_tag, v_statement, v_role, v_txid, v_at, v_branch
          FROM pggit.pending AS p
         WHERE p.id = track_object.pending_id;
    END IF;

    SELECT o.* INTO reg
      FROM pggit.objects AS o
     WHERE o.objid = track_object.objid AND o.classid = track_object.classid AND o.dropped_at IS NULL
       FOR UPDATE;

    SELECT x.* INTO d FROM pggit.describe_object(track_object.classid, track_object.objid) AS x;

    IF d.kind IS NULL THEN
        IF reg.id IS NOT NULL THEN
            WITH gone AS (
                UPDATE pggit.objects AS o
                   SET dropped_at = v_now, objid = NULL, updated_at = v_now
                 WHERE o.id = reg.id
            )
            INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                       command_tag, change, statement, old_version, new_version, old_hash,
                                       new_hash, role, txid, changed_at, branch)
            VALUES (reg.id, reg.kind, reg.identity, reg.identity, v_sub, v_tag, 'drop', v_statement,
                    reg.major || '.' || reg.minor || '.' || reg.patch, NULL, reg.hash, NULL, v_role, v_txid, v_at,
                    v_branch);
            change := 'drop';
            object_id := reg.id;
            old_schema_name := reg.schema_name;
        END IF;
        RETURN;
    END IF;

    v_hash := encode(sha256(convert_to(d.definition, 'UTF8')), 'hex');

    IF reg.id IS NULL THEN
        change := CASE WHEN mode = 'create' THEN 'create' ELSE 'register' END;
        WITH blob AS (
            INSERT INTO pggit.blobs (hash, definition) VALUES (v_hash, d.definition) ON CONFLICT (hash) DO NOTHING
        ), obj AS (
            INSERT INTO pggit.objects AS o (kind, schema_name, object_name, identity, classid, objid, structure,
                                            definition, hash, partition_parent, created_at, updated_at)
            VALUES (d.kind, d.schema_name, d.object_name, d.identity, track_object.classid, track_object.objid,
                    d.structure, d.definition, v_hash, d.partition_parent, v_now, v_now)
            RETURNING o.id
        )
        INSERT INTO pggit.history AS h (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                        command_tag, change, statement, old_version, new_version, old_hash,
                                        new_hash, role, txid, changed_at, branch)
        SELECT obj.id, d.kind, d.identity, NULL, v_sub, v_tag, track_object.change, v_statement, NULL, '1.0.0',
               NULL, v_hash, v_role, v_txid, v_at, v_branch
          FROM obj
        RETURNING h.object_id INTO object_id;
        IF (d.structure -> 'i')::text <> '{}' THEN
            INSERT INTO pggit.object_indexes AS m (index_oid, object_id)
            SELECT x.indexrelid, track_object.object_id FROM pg_index AS x WHERE x.indrelid = track_object.objid
            ON CONFLICT (index_oid) DO UPDATE SET object_id = excluded.object_id;
        END IF;
        RETURN;
    END IF;

    object_id := reg.id;
    old_schema_name := reg.schema_name;
    IF reg.identity IS DISTINCT FROM d.identity THEN
        change := 'major';
        renamed := true;
    ELSIF reg.hash = v_hash THEN
        change := 'none';
    ELSIF mode = 'dependent' THEN
        change := 'patch';
    ELSE
        SELECT c.change, c.renamed INTO cls FROM pggit.classify_change(reg.structure, d.structure) AS c;
        change := coalesce(cls.change, 'patch');
        renamed := cls.renamed;
    END IF;

    IF change = 'none' AND mode NOT IN ('direct', 'create') THEN
        -- Nothing to record. Keep the stored structure in step (e.g. an index renamed).
        IF reg.structure::text IS DISTINCT FROM d.structure::text THEN
            UPDATE pggit.objects AS o SET structure = d.structure WHERE o.id = reg.id;
        END IF;
        change := NULL;
    ELSE
        v_major := reg.major;
        v_minor := reg.minor;
        v_patch := reg.patch;
        IF change = 'major' THEN
            v_major := v_major + 1;
            v_minor := 0;
            v_patch := 0;
        ELSIF change = 'minor' THEN
            v_minor := v_minor + 1;
            v_patch := 0;
        ELSIF change = 'patch' THEN
            v_patch := v_patch + 1;
        END IF;
        IF change = 'none' AND reg.structure::text IS NOT DISTINCT FROM d.structure::text THEN
            INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                       command_tag, change, statement, old_version, new_version, old_hash,
                                       new_hash, role, txid, changed_at, branch)
            VALUES (reg.id, d.kind, d.identity, reg.identity, v_sub, v_tag, change, v_statement,
                    reg.major || '.' || reg.minor || '.' || reg.patch, v_major || '.' || v_minor || '.' || v_patch,
                    reg.hash, v_hash, v_role, v_txid, v_at, v_branch);
        ELSE
            WITH blob AS (
                INSERT INTO pggit.blobs (hash, definition)
                SELECT v_hash, d.definition WHERE v_hash <> reg.hash
                ON CONFLICT (hash) DO NOTHING
            ), obj AS (
                UPDATE pggit.objects AS o
                   SET kind = d.kind, schema_name = d.schema_name, object_name = d.object_name,
                       identity = d.identity, major = v_major, minor = v_minor, patch = v_patch,
                       structure = d.structure, definition = d.definition, hash = v_hash,
                       partition_parent = d.partition_parent,
                       updated_at = CASE WHEN change = 'none' THEN o.updated_at ELSE v_now END
                 WHERE o.id = reg.id
            )
            INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                       command_tag, change, statement, old_version, new_version, old_hash,
                                       new_hash, role, txid, changed_at, branch)
            VALUES (reg.id, d.kind, d.identity, reg.identity, v_sub, v_tag, change, v_statement,
                    reg.major || '.' || reg.minor || '.' || reg.patch, v_major || '.' || v_minor || '.' || v_patch,
                    reg.hash, v_hash, v_role, v_txid, v_at, v_branch);
        END IF;
    END IF;

    IF (reg.structure -> 'i')::text IS DISTINCT FROM (d.structure -> 'i')::text
       AND (d.structure -> 'i')::text <> '{}' THEN
        INSERT INTO pggit.object_indexes AS m (index_oid, object_id)
        SELECT x.indexrelid, reg.id FROM pg_index AS x WHERE x.indrelid = track_object.objid
        ON CONFLICT (index_oid) DO UPDATE SET object_id = excluded.object_id
            WHERE m.object_id IS DISTINCT FROM excluded.object_id;
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION pggit.track_object(oid, oid, text, text, text, bigint) FROM PUBLIC;

COMMENT ON FUNCTION pggit.track_object(oid, oid, text, text, text, bigint) IS
    'Internal: registers, versions or marks dropped one tracked object and writes its history row.';
