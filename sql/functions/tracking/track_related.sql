-- pggit.track_related(classid oid, objid oid, command_tag text, renamed boolean,
--                     old_schema_name text, INOUT done text[])
--
-- Promises: tracks the objects a statement changed without PostgreSQL reporting them,
-- after the statement's own objects were tracked (pggit.track_object). `done` holds
-- 'classid/objid' of every object already tracked for this statement; each object
-- is tracked at most once per statement, and `done` is returned with the additions.
--   * partitions and inheritance children: when (classid, objid) is a partitioned
--     table or has inheritance children, every descendant (pg_inherits, recursively)
--     and every table still registered as its partition (a DETACH leaves no
--     pg_inherits row) is tracked in mode 'propagated' (ALTER TABLE, CREATE INDEX
--     and ATTACH/DETACH PARTITION on the parent change them too; PostgreSQL reports
--     only the parent);
--   * renames (renamed true): for a schema, every object still registered under
--     old_schema_name is tracked in mode 'propagated' (its identity changed: major);
--     then, for the object and each of those, every tracked object that refers to it
--     (pg_depend: views, foreign keys and defaults of other tables, triggers,
--     sequences owned by its columns, routines and columns using a renamed type) is
--     tracked in mode 'dependent' (patch when its definition now reads differently,
--     major when its own identity changed).
-- History rows are written only for objects that actually changed. Cost: nothing
-- beyond one catalog lookup unless the object has children or was renamed.
-- Internal (called by the ddl_command_end trigger); EXECUTE is not granted to PUBLIC.
CREATE OR REPLACE FUNCTION pggit.track_related(
    classid oid,
    objid oid,
    command_tag text,
    renamed boolean,
    old_schema_name text,
    INOUT done text[])
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    res record;
    renamed_objects text[] := '{}';
    item text;
    v_classid oid;
    v_objid oid;
BEGIN
    IF classid = 'pg_class'::regclass
       AND EXISTS (SELECT FROM pg_class AS c
                    WHERE c.oid = track_related.objid AND (c.relkind = 'p' OR c.relhassubclass)) THEN
        FOR r IN
            WITH RECURSIVE tree AS (
                SELECT ih.inhrelid AS relid FROM pg_inherits AS ih WHERE ih.inhparent = track_related.objid
                UNION
                SELECT ih.inhrelid FROM pg_inherits AS ih JOIN tree ON ih.inhparent = tree.relid
            )
            SELECT tree.relid FROM tree
            UNION
            SELECT o.objid FROM pggit.objects AS o
             WHERE o.partition_parent = track_related.objid AND o.dropped_at IS NULL
        LOOP
            IF NOT ('pg_class'::regclass::oid || '/' || r.relid) = ANY (done) THEN
                done := done || ('pg_class'::regclass::oid || '/' || r.relid);
                PERFORM pggit.track_object('pg_class'::regclass, r.relid, command_tag, NULL, 'propagated');
            END IF;
        END LOOP;
    END IF;

    IF NOT renamed THEN
        RETURN;
    END IF;
    renamed_objects := ARRAY[classid || '/' || objid];

    IF classid = 'pg_namespace'::regclass THEN
        FOR r IN
            SELECT o.classid, o.objid
              FROM pggit.objects AS o
             WHERE o.schema_name = old_schema_name AND o.dropped_at IS NULL AND o.kind <> 'schema'
             ORDER BY o.id
        LOOP
            IF NOT (r.classid || '/' || r.objid) = ANY (done) THEN
                done := done || (r.classid || '/' || r.objid);
                SELECT x.* INTO res FROM pggit.track_object(r.classid, r.objid, command_tag, NULL, 'propagated') AS x;
                IF res.renamed THEN
                    renamed_objects := renamed_objects || (r.classid || '/' || r.objid);
                END IF;
            END IF;
        END LOOP;
    END IF;

    FOREACH item IN ARRAY renamed_objects LOOP
        v_classid := split_part(item, '/', 1)::oid;
        v_objid := split_part(item, '/', 2)::oid;
        FOR r IN
            SELECT DISTINCT w.owner_classid, w.owner_objid
              FROM (SELECT v_classid AS refclassid, v_objid AS refobjid
                    UNION ALL  -- a relation's row type and its array type
                    SELECT 'pg_type'::regclass, t.oid
                      FROM pg_class AS c JOIN pg_type AS t ON t.oid IN (c.reltype, (SELECT e.typarray FROM pg_type AS e
                                                                                      WHERE e.oid = c.reltype))
                     WHERE v_classid = 'pg_class'::regclass AND c.oid = v_objid
                    UNION ALL  -- a type's array type
                    SELECT 'pg_type'::regclass, t.typarray
                      FROM pg_type AS t
                     WHERE v_classid = 'pg_type'::regclass AND t.oid = v_objid AND t.typarray <> 0) AS ref
              JOIN pg_depend AS dp ON dp.refclassid = ref.refclassid AND dp.refobjid = ref.refobjid
              CROSS JOIN LATERAL pggit.tracked_owner(dp.classid, dp.objid) AS w
             WHERE dp.deptype IN ('n', 'a') AND w.owner_objid IS NOT NULL
        LOOP
            IF NOT (r.owner_classid || '/' || r.owner_objid) = ANY (done) THEN
                done := done || (r.owner_classid || '/' || r.owner_objid);
                PERFORM pggit.track_object(r.owner_classid, r.owner_objid, command_tag, NULL, 'dependent');
            END IF;
        END LOOP;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION pggit.track_related(oid, oid, text, boolean, text, text[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.track_related(oid, oid, text, boolean, text, text[]) IS
    'Internal: tracks partitions and children of an altered table, and objects that refer to a renamed one.';
