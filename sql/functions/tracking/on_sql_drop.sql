-- pggit.on_sql_drop() -> event_trigger
--
-- The function of event trigger pggit_sql_drop (ON sql_drop), which PostgreSQL fires
-- once per statement that dropped objects, just before ddl_command_end.
-- Promises:
--   * every tracked object the statement dropped (pg_event_trigger_dropped_objects(),
--     whole objects only) is marked dropped in pggit.objects (dropped_at set, objid
--     NULL; the row and its history stay) with a 'drop' history row (old version and
--     hash, no new ones). DROP ... CASCADE and DROP SCHEMA ... CASCADE mark every
--     tracked object they take with them;
--   * a dropped part of a surviving tracked object — a column, column default,
--     constraint, index, trigger, rule or policy of a table or view, a domain's
--     constraint, a composite type's attribute — is handed to the ddl_command_end
--     trigger (transaction-local GUC pggit.dropped_parts, a jsonb list), which
--     versions the owner once for the whole statement (not a dropped trigger that the
--     owner's registered definition does not show: one of pggit's own). The dropped_objects row of an
--     index does not name its table: the owner is found through pggit.object_indexes
--     (index OID -> registry row, kept by pggit.track_object), else by the index
--     name among the index names stored in the structures of the live tables and
--     materialized views of the index's schema (index names are unique per schema);
--   * temporary objects, objects of untracked schemas and objects pggit never
--     registered (extension members, toast tables, row and array types) are ignored;
--   * first, pggit.ready_to_record() (re-binds stored OIDs after a restore; nothing is
--     recorded while a backup is replayed);
--   * while tracking is paused (pggit.tracking_paused()) it only remembers the first
--     dropped object's identity for the 'untracked' row of ddl_command_end.
-- Level 8: first of all, a setting pggit.branch naming no live branch fails the
-- statement (pggit.current_branch, pggit.branch_setting) rather than record it there.
-- Otherwise never makes the DDL fail: any error other than a serialization failure or deadlock
-- (class 40), lock timeout (55P03), or shortage (class 53) is turned into a WARNING
-- and the statement runs on; set pggit.strict = on to have such errors raised instead
-- (for tests). SECURITY DEFINER with a pinned search_path: it writes pggit's history,
-- which ordinary roles may only read, for whoever runs the DDL.
CREATE OR REPLACE FUNCTION pggit.on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    r record;
    v_now timestamptz := clock_timestamp();
    v_oids oid[];
    v_keys text[];
    v_index_oids oid[];
    v_parts jsonb := '[]'::jsonb;
    v_owner_classid oid;
    v_owner_objid oid;
    v_relid oid;
    v_state text;
    v_message text;
BEGIN
    -- Level 8: a setting pggit.branch that names no live branch fails the statement
    -- (pggit.branch_setting's errors), before the block below could turn it into a
    -- WARNING and record the DDL on that name. pggit.current_branch() checks the value
    -- the client chose (level 10: behind a pooler, only what pggit set in this
    -- transaction). It is called only when the setting holds something other than
    -- unset, '' and 'main' (it then answers 'main' without a lookup anyway): the usual
    -- statement calls no pggit function here, so pggit's own DDL replacing its functions
    -- (a level file, a functions sync) never fails on one that is missing for a moment.
    IF coalesce(current_setting('pggit.branch', true), '') NOT IN ('', 'main') THEN
        PERFORM pggit.current_branch();
    END IF;
    BEGIN
        IF NOT pggit.ready_to_record() THEN
            RETURN;  -- a backup being restored: replayed DDL is not a change
        END IF;
        IF pggit.tracking_paused() THEN
            PERFORM set_config('pggit.untracked_identity', coalesce((
                SELECT d.object_identity
                  FROM pg_event_trigger_dropped_objects() AS d
                 WHERE d.original AND NOT d.is_temporary
                   AND pggit.is_tracked_schema(coalesce(d.schema_name, d.object_name))
                 LIMIT 1), ''), true);
            RETURN;
        END IF;

        SELECT array_agg(d.objid), array_agg(d.classid || '/' || d.objid),
               array_agg(d.objid) FILTER (WHERE d.object_type = 'index')
          INTO v_oids, v_keys, v_index_oids
          FROM pg_event_trigger_dropped_objects() AS d
         WHERE d.objsubid = 0 AND NOT d.is_temporary;

        -- Whole tracked objects: marked dropped, one 'drop' row each.
        WITH gone AS (
            UPDATE pggit.objects AS o
               SET dropped_at = v_now, objid = NULL, updated_at = v_now
             WHERE o.dropped_at IS NULL AND o.objid = ANY (v_oids)
               AND (o.classid || '/' || o.objid) = ANY (v_keys)
            RETURNING o.id, o.kind, o.identity, o.major, o.minor, o.patch, o.hash
        )
        INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, command_tag, change,
                                   statement, old_version, new_version, old_hash, new_hash, role, branch)
        SELECT g.id, g.kind, g.identity, g.identity, TG_TAG, 'drop', pggit.statement_text(TG_TAG),
               g.major || '.' || g.minor || '.' || g.patch, NULL, g.hash, NULL,
               CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
               pggit.current_branch()
          FROM gone AS g
         ORDER BY g.id;

        -- Parts of surviving objects: find their owners for ddl_command_end.
        FOR r IN
            SELECT d.classid, d.objid, d.objsubid, d.object_type, d.schema_name, d.object_name,
                   d.object_identity, d.address_names
              FROM pg_event_trigger_dropped_objects() AS d
             WHERE NOT d.is_temporary
               -- level 9: parts of pggit's own (and system) tables are nobody's change
               AND (d.schema_name IS NULL OR pggit.is_tracked_schema(d.schema_name))
               -- internal triggers (of foreign keys) go with their constraint
               AND NOT (d.classid = 'pg_trigger'::regclass AND NOT d.original AND NOT d.normal)
               AND (d.objsubid <> 0
                    OR d.object_type = 'index'
                    OR d.classid IN ('pg_constraint'::regclass, 'pg_attrdef'::regclass, 'pg_trigger'::regclass,
                                     'pg_rewrite'::regclass, 'pg_policy'::regclass))
        LOOP
            v_owner_classid := NULL;
            v_owner_objid := NULL;
            IF r.classid = 'pg_class'::regclass AND r.objsubid <> 0 THEN
                SELECT w.owner_classid, w.owner_objid INTO v_owner_classid, v_owner_objid
                  FROM pggit.tracked_owner(r.classid, r.objid) AS w;
            ELSIF r.object_type = 'index' THEN
                -- objid NULL when the owner was dropped too (by this statement)
                SELECT o.classid, o.objid INTO v_owner_classid, v_owner_objid
                  FROM pggit.object_indexes AS m
                  JOIN pggit.objects AS o ON o.id = m.object_id
                 WHERE m.index_oid = r.objid;
                IF NOT FOUND AND pggit.is_tracked_schema(r.schema_name) THEN
                    SELECT o.classid, o.objid INTO v_owner_classid, v_owner_objid
                      FROM pggit.objects AS o
                     WHERE o.schema_name = r.schema_name AND o.dropped_at IS NULL
                       AND o.kind IN ('table', 'materialized view')
                       AND (o.structure -> 'i' -> r.object_name) IS NOT NULL
                     LIMIT 1;
                END IF;
            ELSIF r.object_type = 'domain constraint' THEN
                v_owner_classid := 'pg_type'::regclass;
                v_owner_objid := to_regtype(r.address_names[1]);
            ELSIF array_length(r.address_names, 1) >= 2 THEN
                SELECT c.oid INTO v_relid
                  FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                 WHERE n.nspname = r.address_names[1] AND c.relname = r.address_names[2];
                IF FOUND THEN
                    SELECT w.owner_classid, w.owner_objid INTO v_owner_classid, v_owner_objid
                      FROM pggit.tracked_owner('pg_class'::regclass, v_relid) AS w;
                END IF;
            END IF;
            -- a dropped trigger the owner's registered definition does not show was one of
            -- pggit's own (descriptions leave those out): nothing changed for the user
            IF v_owner_objid IS NOT NULL AND r.classid = 'pg_trigger'::regclass
               AND EXISTS (SELECT FROM pggit.objects AS o
                            WHERE o.objid = v_owner_objid AND o.classid = v_owner_classid AND o.dropped_at IS NULL
                              AND strpos(o.definition, E'\nTRIGGER CREATE TRIGGER '
                                                       || quote_ident(r.address_names[3]) || ' ') = 0
                              AND strpos(o.definition, E'\nTRIGGER CREATE CONSTRAINT TRIGGER '
                                                       || quote_ident(r.address_names[3]) || ' ') = 0) THEN
                v_owner_objid := NULL;
            END IF;
            IF v_owner_objid IS NOT NULL THEN
                v_parts := v_parts || jsonb_build_object('c', v_owner_classid, 'o', v_owner_objid,
                                                         's', r.object_identity);
            END IF;
        END LOOP;

        IF v_index_oids IS NOT NULL THEN
            DELETE FROM pggit.object_indexes AS m WHERE m.index_oid = ANY (v_index_oids);
        END IF;

        IF v_parts <> '[]'::jsonb THEN
            PERFORM set_config('pggit.dropped_parts',
                               (coalesce(nullif(current_setting('pggit.dropped_parts', true), ''), '[]')::jsonb
                                || v_parts)::text,
                               true);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_state LIKE '40%' OR v_state LIKE '53%' OR v_state = '55P03'
           OR lower(coalesce(current_setting('pggit.strict', true), '')) IN ('on', 'true', '1') THEN
            RAISE;
        END IF;
        RAISE WARNING 'pggit: could not track the objects % dropped (SQLSTATE %): %', TG_TAG, v_state, v_message
            USING HINT = 'The statement goes on; pggit.resume_tracking() brings the registry up to date.';
    END;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_sql_drop() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_sql_drop() IS
    'Event trigger pggit_sql_drop: marks dropped tracked objects, hands dropped parts to ddl_command_end.';
