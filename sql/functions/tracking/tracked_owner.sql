-- pggit.tracked_owner(classid oid, objid oid) -> (owner_classid oid, owner_objid oid)
--
-- Promises: the catalog address of the tracked object that (classid, objid) is, or is
-- part of; two NULLs when there is none (a missing object, or one of a kind pggit
-- does not track). Never raises. Does not decide whether the owner's schema is
-- tracked (see pggit.describe_object). STABLE, PARALLEL SAFE, callable by everyone.
--
--   object                                  owner
--   table, partition, partitioned or        itself (pg_class)
--     foreign table, view, materialized view
--   sequence                                itself; an identity column's sequence
--                                           (internal dependency): its table
--   index (plain or partitioned)            its table or materialized view
--   composite type (pg_class relkind c)     its type (pg_type)
--   enum, range, composite type, domain     itself (pg_type)
--   function, window function, procedure    itself (pg_proc); aggregates and
--                                           functions internal to another object
--                                           (range constructors): none
--   schema                                  itself (pg_namespace)
--   constraint                              its table's owner, or its domain
--   column default (pg_attrdef), trigger,   the owner of its relation (none for pggit's
--   rule (pg_rewrite), policy                own triggers, whose functions live in
--                                           pggit's schemas)
--   anything else (toast tables, row and    none
--     array types, casts, operators, ...)
CREATE OR REPLACE FUNCTION pggit.tracked_owner(
    classid oid,
    objid oid,
    OUT owner_classid oid,
    OUT owner_objid oid)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    relid oid;
    kind "char";
    reltyp oid;
BEGIN
    IF classid = 'pg_class'::regclass THEN
        relid := objid;
    ELSIF classid = 'pg_type'::regclass THEN
        IF EXISTS (SELECT FROM pg_type AS t
                    WHERE t.oid = objid
                      AND (t.typtype IN ('e', 'r', 'd')
                           OR (t.typtype = 'c' AND EXISTS (SELECT FROM pg_class AS c
                                                            WHERE c.oid = t.typrelid AND c.relkind = 'c')))) THEN
            owner_classid := classid;
            owner_objid := objid;
        END IF;
        RETURN;
    ELSIF classid = 'pg_proc'::regclass THEN
        IF EXISTS (SELECT FROM pg_proc AS p WHERE p.oid = objid AND p.prokind IN ('f', 'p', 'w'))
           AND NOT EXISTS (SELECT FROM pg_depend AS d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = tracked_owner.objid
                              AND d.deptype = 'i') THEN
            owner_classid := classid;
            owner_objid := objid;
        END IF;
        RETURN;
    ELSIF classid = 'pg_namespace'::regclass THEN
        IF EXISTS (SELECT FROM pg_namespace AS n WHERE n.oid = objid) THEN
            owner_classid := classid;
            owner_objid := objid;
        END IF;
        RETURN;
    ELSIF classid = 'pg_constraint'::regclass THEN
        SELECT nullif(c.conrelid, 0), nullif(c.contypid, 0) INTO relid, reltyp
          FROM pg_constraint AS c WHERE c.oid = objid;
        IF reltyp IS NOT NULL THEN
            owner_classid := 'pg_type'::regclass;
            owner_objid := reltyp;
            RETURN;
        END IF;
    ELSIF classid = 'pg_attrdef'::regclass THEN
        SELECT d.adrelid INTO relid FROM pg_attrdef AS d WHERE d.oid = objid;
    ELSIF classid = 'pg_trigger'::regclass THEN
        -- pggit's own triggers (functions in pggit's schemas) belong to no tracked object
        SELECT t.tgrelid INTO relid
          FROM pg_trigger AS t
          JOIN pg_proc AS tp ON tp.oid = t.tgfoid
          JOIN pg_namespace AS tn ON tn.oid = tp.pronamespace
         WHERE t.oid = objid AND tn.nspname NOT IN ('pggit', 'pggit_data');
    ELSIF classid = 'pg_rewrite'::regclass THEN
        SELECT r.ev_class INTO relid FROM pg_rewrite AS r WHERE r.oid = objid;
    ELSIF classid = 'pg_policy'::regclass THEN
        SELECT p.polrelid INTO relid FROM pg_policy AS p WHERE p.oid = objid;
    ELSE
        RETURN;
    END IF;

    SELECT c.relkind, c.reltype INTO kind, reltyp FROM pg_class AS c WHERE c.oid = relid;
    IF kind IN ('i', 'I') THEN
        SELECT x.indrelid INTO relid FROM pg_index AS x WHERE x.indexrelid = relid;
        SELECT c.relkind INTO kind FROM pg_class AS c WHERE c.oid = relid;
    ELSIF kind = 'S' THEN
        -- An identity column's sequence belongs to its table.
        SELECT d.refobjid INTO reltyp
          FROM pg_depend AS d
         WHERE d.classid = 'pg_class'::regclass AND d.objid = relid
           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i';
        IF FOUND THEN
            relid := reltyp;
            kind := 'r';
        END IF;
    END IF;
    IF kind IN ('r', 'p', 'f', 'v', 'm', 'S') THEN
        owner_classid := 'pg_class'::regclass;
        owner_objid := relid;
    ELSIF kind = 'c' THEN
        owner_classid := 'pg_type'::regclass;
        owner_objid := reltyp;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.tracked_owner(oid, oid) IS
    'The tracked object (classid, objid) that a catalog object is or belongs to (a table for its index, ...); NULLs if none.';
