-- pggit.settle_pending() -> integer
--
-- Level 9: finishes the calling transaction's tracked DDL. In a transaction of several
-- client messages each tracked statement writes, inside its own transaction, one
-- pggit.pending row per object it touched (its statement, command tag, subobject, role,
-- branch and time; pggit.on_ddl_command_end). This function describes each such object
-- once, as the transaction sees it now, writes the statements' history rows and empties
-- the transaction's pending rows:
--   * the object's first statement's row carries the change: registered, versioned and
--     hashed by pggit.track_object (mode 'create' when one of the statements created it,
--     else 'direct'; its change is the comparison of the registry before the transaction
--     with the object now, so the version is bumped once, at the kind of the whole
--     transaction's change to it);
--   * the object's later statements' rows are 'folded': same object, kind and identity,
--     old and new version and hash both the carrier's new ones (the chain of versions
--     stays linear), note naming the carrier row;
--   * history ids follow the order in which versions were assigned: commit order between
--     transactions (serialised by the registry row lock), first mention within one;
--   * then what PostgreSQL does not report is tracked as for a statement of its own
--     (pggit.track_related: partitions and children of an altered table, objects of a
--     renamed schema, objects referring to a renamed object), with the carrier's statement;
--   * an object never registered that is gone at the end (created and dropped by a
--     cascade within the transaction before anything described it): its rows become
--     'untracked' with a note saying so; one that exists but is not an object pggit
--     tracks leaves no row (as for a statement of its own).
-- It runs at the end of every transaction that has pending rows (the deferred constraint
-- trigger pending_settle of pggit.pending, queued by the transaction's first pending row,
-- fires at COMMIT or PREPARE TRANSACTION, or earlier under SET CONSTRAINTS ALL
-- IMMEDIATE), before a DROP statement (event trigger pggit_settle_before_drop: the objects
-- are still there to be described), and first in every pggit function that reads
-- versions, history or the registry, so that within the transaction those read exact
-- values. A user may call it too: it touches only the calling transaction's rows.
-- Returns the number of objects settled (0 when nothing was pending: then it costs a check
-- of pg_current_xact_id_if_assigned() and, in a transaction that wrote something, one
-- index probe of pggit.pending).
-- Errors: class 40 (serialization failure, deadlock), 53 and 55P03 (lock timeout) are
-- raised (at COMMIT they abort the transaction, which can be retried); any other error
-- becomes a WARNING and 'untracked' history rows for the pending statements, the error in
-- their note (pggit.strict = on raises it instead), so the DDL always commits.
-- SECURITY DEFINER with a pinned search_path: it writes pggit's history for whoever runs
-- the DDL; it reads nothing but the caller's own transaction's pending rows.
CREATE OR REPLACE FUNCTION pggit.settle_pending()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    v_xid xid8 := pg_current_xact_id_if_assigned();
    r record;
    v_row record;
    v_res record;
    v_count integer := 0;
    v_done text[] := '{}';
    v_related text[] := '{}';
    v_state text;
    v_message text;
BEGIN
    IF v_xid IS NULL THEN
        RETURN 0;  -- a transaction that wrote nothing has nothing pending
    END IF;
    IF NOT EXISTS (SELECT FROM pggit.pending AS p WHERE p.txid OPERATOR(pg_catalog.=) v_xid) THEN
        RETURN 0;
    END IF;
    BEGIN
        FOR r IN
            SELECT p.classid, p.objid, bool_or(p.created) AS created, array_agg(p.id ORDER BY p.id) AS rows
              FROM pggit.pending AS p
             WHERE p.txid OPERATOR(pg_catalog.=) v_xid
             GROUP BY p.classid, p.objid
             ORDER BY min(p.id)
        LOOP
            v_count := v_count + 1;
            v_done := v_done || (r.classid || '/' || r.objid);
            SELECT p.command_tag, p.subobject_identity, p.statement INTO v_row
              FROM pggit.pending AS p WHERE p.id OPERATOR(pg_catalog.=) r.rows[1];
            PERFORM set_config('pggit.settling_statement', coalesce(v_row.statement, ''), true);
            SELECT x.change, x.renamed, x.old_schema_name, x.object_id INTO v_res
              FROM pggit.track_object(r.classid, r.objid, v_row.command_tag, v_row.subobject_identity,
                                      CASE WHEN r.created THEN 'create' ELSE 'direct' END, r.rows[1]) AS x;
            IF v_res.change IS NULL THEN
                IF (pg_identify_object(r.classid, r.objid, 0)).identity IS NULL THEN
                    -- never registered and gone: created and dropped (by a cascade) within
                    -- the transaction before anything described it
                    INSERT INTO pggit.history (object_identity, subobject_identity, command_tag, change, statement,
                                               role, txid, changed_at, branch, note)
                    SELECT p.object_identity, p.subobject_identity, p.command_tag, 'untracked', p.statement, p.role,
                           p.txid, p.changed_at, p.branch,
                           'created and dropped within its transaction before pggit described it'
                      FROM pggit.pending AS p
                     WHERE p.id OPERATOR(pg_catalog.=) ANY (r.rows)
                     ORDER BY p.id;
                END IF;
                -- else not an object pggit tracks: no row (as for a statement of its own)
                CONTINUE;
            END IF;
            IF cardinality(r.rows) > 1 THEN
                -- the later statements' rows, after the carrier, as 'folded'
                INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                           command_tag, change, statement, old_version, new_version, old_hash,
                                           new_hash, role, txid, changed_at, branch, note)
                SELECT c.object_id, c.object_kind, c.object_identity, c.object_identity, p.subobject_identity,
                       p.command_tag, 'folded', p.statement, c.new_version, c.new_version, c.new_hash, c.new_hash,
                       p.role, p.txid, p.changed_at, p.branch, 'folded into history row ' || c.id
                  FROM pggit.pending AS p
                 CROSS JOIN (SELECT h.id, h.object_id, h.object_kind, h.object_identity, h.new_version, h.new_hash
                               FROM pggit.history AS h
                              WHERE h.object_id OPERATOR(pg_catalog.=) v_res.object_id
                              ORDER BY h.id DESC
                              LIMIT 1) AS c
                 WHERE p.id OPERATOR(pg_catalog.=) ANY (r.rows[2:])
                 ORDER BY p.id;
            END IF;
            IF v_res.renamed
               OR (r.classid OPERATOR(pg_catalog.=) 'pg_class'::regclass AND NOT r.created
                   AND EXISTS (SELECT FROM pg_class AS c
                                WHERE c.oid OPERATOR(pg_catalog.=) r.objid
                                  AND (c.relkind OPERATOR(pg_catalog.=) 'p' OR c.relhassubclass))) THEN
                v_related := v_related || ARRAY[r.classid::text, r.objid::text, v_row.command_tag,
                                                coalesce(v_res.renamed, false)::text, v_res.old_schema_name,
                                                coalesce(v_row.statement, '')];
            END IF;
        END LOOP;
        FOR i IN 0 .. coalesce(array_length(v_related, 1), 0) / 6 - 1 LOOP
            PERFORM set_config('pggit.settling_statement', v_related[6 * i + 6], true);
            v_done := pggit.track_related(v_related[6 * i + 1]::oid, v_related[6 * i + 2]::oid, v_related[6 * i + 3],
                                          v_related[6 * i + 4]::boolean, v_related[6 * i + 5], v_done);
        END LOOP;
        PERFORM set_config('pggit.settling_statement', '', true);
        DELETE FROM pggit.pending AS p WHERE p.txid OPERATOR(pg_catalog.=) v_xid;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_state LIKE '40%' OR v_state LIKE '53%' OR v_state = '55P03'
           OR lower(coalesce(current_setting('pggit.strict', true), '')) IN ('on', 'true', '1') THEN
            RAISE;
        END IF;
        RAISE WARNING 'pggit: could not track this transaction''s DDL (SQLSTATE %): %', v_state, v_message
            USING HINT = 'The transaction goes on; pggit.resume_tracking() brings the registry up to date.';
        WITH taken AS (
            DELETE FROM pggit.pending AS p WHERE p.txid OPERATOR(pg_catalog.=) v_xid
            RETURNING p.id, p.object_identity, p.subobject_identity, p.command_tag, p.statement, p.role, p.txid,
                      p.changed_at, p.branch
        )
        INSERT INTO pggit.history (object_identity, subobject_identity, command_tag, change, statement, role, txid,
                                   changed_at, branch, note)
        SELECT k.object_identity, k.subobject_identity, k.command_tag, 'untracked', k.statement, k.role, k.txid,
               k.changed_at, k.branch, format('tracking failed (SQLSTATE %s): %s', v_state, v_message)
          FROM taken AS k
         ORDER BY k.id;
        PERFORM set_config('pggit.settling_statement', '', true);
        RETURN 0;
    END;
    RETURN v_count;
END
$function$;

REVOKE ALL ON FUNCTION pggit.settle_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.settle_pending() TO PUBLIC;

COMMENT ON FUNCTION pggit.settle_pending() IS
    'Describes, versions and hashes once each object the calling transaction''s DDL touched, writing its statements'' history rows.';
