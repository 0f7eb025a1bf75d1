-- pggit.on_ddl_command_end() -> event_trigger
--
-- The function of event trigger pggit_ddl_command_end (ON ddl_command_end), which
-- PostgreSQL fires at the end of every DDL statement, inside its transaction (a
-- rolled-back statement leaves no trace), including statements run by functions,
-- procedures and DO blocks (each statement inside is one event).
-- Promises:
--   * the objects the statement created or changed — pg_event_trigger_ddl_commands()
--     and the parts of surviving objects the sql_drop trigger handed over — are mapped
--     to their tracked owners (pggit.tracked_owner: an index, constraint, trigger,
--     rule, policy, default or column counts for its table or view); in the deferred case
--     (below), for each owner, once per statement, one pggit.pending row is written in
--     the statement's transaction: the owner, whether the statement created it (CREATE
--     ..., CREATE TABLE AS, SELECT INTO), the command tag of the owner's own command row
--     (else the first), the owner's identity when the statement named it, the subobject
--     identity naming the parts involved when the owner itself was not, the statement,
--     role, branch and time; the transaction's first such row announces it (queues the
--     deferred trigger that settles).
--   * Level 9: when the transaction began with this statement's client message (an
--     autocommit statement, a DO block, a query string sent alone: statement_timestamp()
--     = transaction_timestamp()), no later message can add to it, and each owner is
--     tracked at once by pggit.track_object as before level 9 (mode 'create' or
--     'direct'), followed by pggit.track_related. Otherwise (BEGIN ... COMMIT over several
--     messages) describing, versioning and hashing happen once per object per transaction,
--     in pggit.settle_pending: at the end of the transaction (the deferred trigger of
--     pggit.pending), before a DROP statement, or at the first pggit read in the
--     transaction that needs them. It also tracks what PostgreSQL does not report (the
--     partitions and inheritance children of an altered table, the objects of a renamed
--     schema, the objects referring to a renamed object: pggit.track_related), and
--     writes the history rows. A statement rolled back (or its savepoint) leaves nothing.
--   * skipped: commands without an object (GRANT, REVOKE, ALTER DEFAULT PRIVILEGES),
--     REFRESH MATERIALIZED VIEW (data, not structure), commands inside CREATE / ALTER
--     EXTENSION, objects of pggit's own schemas, temporary and system schemas;
--   * while tracking is paused (pggit.tracking_paused()): one cheap history row with
--     change 'untracked' (command tag, statement, first object identity; no version
--     change) for a statement touching objects of tracked schemas, nothing else.
--   * first, pggit.ready_to_record(): after a restore or upgrade the stored OIDs are
--     re-bound by name before anything is looked up by OID; in a session replaying a
--     backup (pggit.restoring) nothing is recorded.
-- Level 8: first of all, the session's branch is checked (pggit.current_branch): a
-- setting pggit.branch naming no live branch fails the statement (22023 / 42704 /
-- 55000, see pggit.branch_setting), whatever it touches, rather than record it there.
-- Otherwise never makes the DDL fail: errors other than class 40 (serialization failure,
-- deadlock), class 53 and 55P03 (lock timeout) become a WARNING plus an 'untracked'
-- row whose note carries the error; pggit.strict = on raises them instead (tests).
--
-- Not tracked, because PostgreSQL gives event triggers nothing to work with: DDL on
-- shared objects (databases, roles, tablespaces) and on event triggers; sessions with
-- session_replication_role = replica (event triggers do not fire there); indirect
-- effects PostgreSQL records no dependency for (a PL/pgSQL body naming a renamed
-- table still reads the old name: only BEGIN ATOMIC bodies, views, defaults,
-- constraints, triggers and policies are re-described after a rename). Not tracked by
-- choice: kinds outside the registry (aggregates, operators, casts, collations, text
-- search objects, extended statistics, foreign servers, publications...), GRANT /
-- REVOKE and ownership (no structural change: OWNER TO records 'none'), data.
-- Changes made while tracking is paused are recorded by pggit.resume_tracking(), or
-- folded into the next tracked change of the object.
-- Isolation: tracking locks the object's registry row; under REPEATABLE READ or
-- SERIALIZABLE, DDL on an object another transaction changed since the snapshot can
-- fail with 40001 (retryable), as can creating identical definitions concurrently
-- (blobs ON CONFLICT). READ COMMITTED never fails for this.
-- SECURITY DEFINER with a pinned search_path: it writes pggit's history, which
-- ordinary roles may only read, for whoever runs the DDL.
CREATE OR REPLACE FUNCTION pggit.on_ddl_command_end()
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
    t record;
    v_owner_classid oid;
    v_owner_objid oid;
    v_parts text := current_setting('pggit.dropped_parts', true);
    -- the statement's tracked owners, in order of first mention
    v_classids oid[] := '{}';
    v_objids oid[] := '{}';
    v_tags text[] := '{}';
    v_created boolean[] := '{}';
    v_self boolean[] := '{}';
    v_subs text[] := '{}';
    v_identities text[] := '{}';
    v_done text[] := '{}';
    v_related text[] := '{}';
    v_pos integer;
    v_is_self boolean;
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
        IF v_parts <> '' THEN
            PERFORM set_config('pggit.dropped_parts', '', true);
        END IF;
        IF NOT pggit.ready_to_record() THEN
            RETURN;  -- a backup being restored: replayed DDL is not a change
        END IF;

        IF pggit.tracking_paused() THEN
            INSERT INTO pggit.history (object_identity, command_tag, change, statement, role, branch)
            SELECT x.identity, TG_TAG, 'untracked', pggit.statement_text(TG_TAG),
                   CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
                   pggit.current_branch()
              FROM (SELECT coalesce((SELECT c.object_identity
                                       FROM pg_event_trigger_ddl_commands() AS c
                                      WHERE NOT c.in_extension AND c.objid IS NOT NULL
                                        AND pggit.is_tracked_schema(coalesce(c.schema_name, c.object_identity))
                                      LIMIT 1),
                                    nullif(current_setting('pggit.untracked_identity', true), '')) AS identity) AS x
             WHERE x.identity IS NOT NULL;
            IF current_setting('pggit.untracked_identity', true) <> '' THEN
                PERFORM set_config('pggit.untracked_identity', '', true);
            END IF;
            RETURN;
        END IF;

        -- The statement's commands and the parts sql_drop handed over, mapped to their
        -- tracked owners; each owner once, with the tag of its own command row if any.
        FOR r IN
            SELECT c.classid, c.objid, c.objsubid, c.command_tag, c.object_identity, c.object_type
              FROM pg_event_trigger_ddl_commands() AS c
             WHERE c.objid IS NOT NULL AND NOT c.in_extension AND c.command_tag <> 'REFRESH MATERIALIZED VIEW'
               AND CASE WHEN c.schema_name IS NOT NULL THEN pggit.is_tracked_schema(c.schema_name)
                        WHEN c.object_type = 'schema' THEN pggit.is_tracked_schema(c.object_identity)
                        ELSE true END
            UNION ALL
            SELECT (e ->> 'c')::oid, (e ->> 'o')::oid, -1, TG_TAG, e ->> 's', NULL
              FROM json_array_elements(CASE WHEN v_parts <> '' THEN v_parts::json END) AS e
        LOOP
            IF r.objsubid = -1 THEN
                v_owner_classid := r.classid;
                v_owner_objid := r.objid;
                v_is_self := false;
            ELSE
                SELECT x.owner_classid, x.owner_objid INTO v_owner_classid, v_owner_objid
                  FROM pggit.tracked_owner(r.classid, r.objid) AS x;
                CONTINUE WHEN v_owner_objid IS NULL;
                -- a composite type's command may name its pg_class row: the type itself
                v_is_self := r.objsubid = 0 AND ((r.classid = v_owner_classid AND r.objid = v_owner_objid)
                                                 OR r.object_type = 'composite type');
            END IF;
            v_pos := array_position(v_objids, v_owner_objid);
            WHILE v_pos IS NOT NULL AND v_classids[v_pos] <> v_owner_classid LOOP
                v_pos := array_position(v_objids, v_owner_objid, v_pos + 1);
            END LOOP;
            IF v_pos IS NULL THEN
                v_classids := v_classids || v_owner_classid;
                v_objids := v_objids || v_owner_objid;
                v_tags := v_tags || r.command_tag;
                v_created := v_created || (v_is_self AND (r.command_tag LIKE 'CREATE %' OR r.command_tag = 'SELECT INTO'));
                v_self := v_self || v_is_self;
                v_subs := v_subs || CASE WHEN v_is_self THEN NULL ELSE r.object_identity END;
                v_identities := v_identities || CASE WHEN v_is_self THEN r.object_identity END;
            ELSIF v_is_self THEN
                IF NOT v_self[v_pos] THEN
                    v_identities[v_pos] := r.object_identity;
                    v_tags[v_pos] := r.command_tag;
                    v_self[v_pos] := true;
                    v_subs[v_pos] := NULL;
                END IF;
                v_created[v_pos] := v_created[v_pos]
                                    OR r.command_tag LIKE 'CREATE %' OR r.command_tag = 'SELECT INTO';
            ELSIF NOT v_self[v_pos] AND r.object_identity IS NOT NULL
                  AND NOT coalesce(r.object_identity = ANY (string_to_array(v_subs[v_pos], ', ')), false) THEN
                v_subs[v_pos] := concat_ws(', ', v_subs[v_pos], r.object_identity);
            END IF;
        END LOOP;

        -- Level 9: tracked now (one message) or recorded as pending, described once per
        -- object by pggit.settle_pending (several messages).
        IF v_objids <> '{}' AND statement_timestamp() = transaction_timestamp() THEN
            -- The transaction began with this client message (an autocommit statement, a
            -- DO block or a query string sent alone): no later message can add to it, so
            -- each owner is tracked right away, statement by statement, as before level 9.
            FOR i IN 1 .. array_length(v_objids, 1) LOOP
                v_done := v_done || (v_classids[i] || '/' || v_objids[i]);
                SELECT x.change, x.renamed, x.old_schema_name INTO t
                  FROM pggit.track_object(v_classids[i], v_objids[i], v_tags[i], v_subs[i],
                                          CASE WHEN v_created[i] THEN 'create' ELSE 'direct' END) AS x;
                -- what PostgreSQL does not report: partitions and children of an altered
                -- table, objects of a renamed schema, objects referring to a renamed object
                -- (after all of the statement's own objects: those are tracked as such)
                IF t.renamed
                   OR (v_classids[i] = 'pg_class'::regclass AND NOT v_created[i]
                       AND EXISTS (SELECT FROM pg_class AS c
                                    WHERE c.oid = v_objids[i] AND (c.relkind = 'p' OR c.relhassubclass))) THEN
                    v_related := v_related || ARRAY[v_classids[i]::text, v_objids[i]::text, v_tags[i],
                                                    coalesce(t.renamed, false)::text, t.old_schema_name];
                END IF;
            END LOOP;
            FOR i IN 0 .. coalesce(array_length(v_related, 1), 0) / 5 - 1 LOOP
                v_done := pggit.track_related(v_related[5 * i + 1]::oid, v_related[5 * i + 2]::oid,
                                              v_related[5 * i + 3], v_related[5 * i + 4]::boolean,
                                              v_related[5 * i + 5], v_done);
            END LOOP;
        ELSIF v_objids <> '{}' THEN
            -- Several messages: one pggit.pending row per owner, in one INSERT (under SET
            -- CONSTRAINTS ALL IMMEDIATE the trigger fires at its end and finds them all); the
            -- transaction's first row announces it (queues the deferred trigger).
            INSERT INTO pggit.pending (classid, objid, created, announce, command_tag, object_identity,
                                       subobject_identity, statement, role, branch)
            SELECT o.classid, o.objid, o.created,
                   o.n = 1 AND NOT EXISTS (SELECT FROM pggit.pending AS p WHERE p.txid = pg_current_xact_id()),
                   o.tag, o.identity, o.sub, pggit.statement_text(TG_TAG),
                   CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
                   pggit.current_branch()
              FROM unnest(v_classids, v_objids, v_created, v_tags, v_identities, v_subs)
                   WITH ORDINALITY AS o (classid, objid, created, tag, identity, sub, n)
             ORDER BY o.n;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_state LIKE '40%' OR v_state LIKE '53%' OR v_state = '55P03'
           OR lower(coalesce(current_setting('pggit.strict', true), '')) IN ('on', 'true', '1') THEN
            RAISE;
        END IF;
        RAISE WARNING 'pggit: could not track % (SQLSTATE %): %', TG_TAG, v_state, v_message
            USING HINT = 'The statement goes on; pggit.resume_tracking() brings the registry up to date.';
        BEGIN
            INSERT INTO pggit.history (command_tag, change, statement, role, branch, note)
            VALUES (TG_TAG, 'untracked', pggit.statement_text(TG_TAG),
                    CASE current_setting('role') WHEN 'none' THEN session_user::text
                                                 ELSE current_setting('role') END,
                    coalesce(nullif(pggit.scoped_setting('pggit.branch'), ''), 'main'),
                    format('tracking failed (SQLSTATE %s): %s', v_state, v_message));
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_ddl_command_end() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_ddl_command_end() IS
    'Event trigger pggit_ddl_command_end: versions and records every tracked object a DDL statement changed.';
