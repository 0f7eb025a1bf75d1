-- pggit.resolve_object(object text) -> (classid oid, objid oid)
--
-- Promises: the catalog address of the object `object` names, resolved the way
-- PostgreSQL resolves names, with the caller's search_path and quoting rules, trying
-- in this order:
--   a name with parentheses          to_regprocedure   a routine with those argument types
--   otherwise                        to_regclass       a relation (table, view, sequence, ...)
--                                    to_regtype        a type or domain
--                                    to_regproc        a routine, when the name is unambiguous
--                                    to_regnamespace   a schema
-- and two NULLs when nothing matches, for NULL, and for text that is no valid name
-- (the to_reg* functions of PostgreSQL 15 raise on some malformed names; here they
-- never do). STABLE, PARALLEL SAFE, callable by everyone.
--
-- Deliberately without SET search_path (it must see the caller's) and written with
-- pg_catalog-qualified functions and operators. Fast path for the common case, a
-- plain or quoted one- or two-part name of a relation: one regular-expression test
-- and to_regclass, no subtransaction; the other cases run inside an exception block.
CREATE OR REPLACE FUNCTION pggit.resolve_object(
    object text,
    OUT classid oid,
    OUT objid oid)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
AS $function$
BEGIN
    IF object IS NULL THEN
        RETURN;
    END IF;
    IF object OPERATOR(pg_catalog.~) '^\s*("([^"]|"")+"|[^\s".()]+)(\s*\.\s*("([^"]|"")+"|[^\s".()]+))?\s*$' THEN
        objid := pg_catalog.to_regclass(object);
        IF objid IS NOT NULL THEN
            classid := 'pg_catalog.pg_class'::pg_catalog.regclass;
            RETURN;
        END IF;
    END IF;
    BEGIN
        IF pg_catalog.strpos(object, '(') OPERATOR(pg_catalog.>) 0 THEN
            objid := pg_catalog.to_regprocedure(object);
            classid := 'pg_catalog.pg_proc'::pg_catalog.regclass;
        ELSE
            objid := pg_catalog.to_regclass(object);
            classid := 'pg_catalog.pg_class'::pg_catalog.regclass;
            IF objid IS NULL THEN
                objid := pg_catalog.to_regtype(object);
                classid := 'pg_catalog.pg_type'::pg_catalog.regclass;
            END IF;
            IF objid IS NULL THEN
                objid := pg_catalog.to_regproc(object);
                classid := 'pg_catalog.pg_proc'::pg_catalog.regclass;
            END IF;
            IF objid IS NULL AND object OPERATOR(pg_catalog.!~) '^\s*([^".\s]+|"([^"]|"")+")\s*$' THEN
                RETURN;  -- to_regnamespace raises for anything but one identifier
            END IF;
            IF objid IS NULL THEN
                objid := pg_catalog.to_regnamespace(object);
                classid := 'pg_catalog.pg_namespace'::pg_catalog.regclass;
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        objid := NULL;
    END;
    IF objid IS NULL THEN
        classid := NULL;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.resolve_object(text) IS
    'Catalog address (classid, objid) of the relation, type, routine or schema a name denotes, resolved like PostgreSQL does; NULLs if none.';

-- pggit.get_version(object text)
--     -> TABLE(major integer, minor integer, patch integer, version text, kind text,
--              identity text, hash text, updated_at timestamptz)
--
-- Promises: one row for a tracked live object, zero rows otherwise (untracked,
-- dropped, missing, malformed name, NULL). `object` is a bare or schema-qualified
-- name resolved the way PostgreSQL resolves it (the caller's search_path, quoting,
-- case folding; see pggit.resolve_object): 'orders', 'public.orders', '"My S"."T"',
-- 'public.f(integer)', 'f' (when unambiguous), 'mood', 'sales' (a schema).
-- version is 'major.minor.patch' of the same registry row (never torn: one row read
-- from one snapshot); kind is table, view, materialized view, sequence, function,
-- procedure, type, domain or schema; identity as pg_identify_object prints it; hash
-- the sha256 of the object's canonical definition; updated_at the time of its last
-- version change. The registry row is found by the object's identity (level 6), never
-- by a stored OID, so it is found after a pg_dump / pg_restore or pg_upgrade as well,
-- before anything re-bound pggit's OIDs. Never raises. STABLE, PARALLEL SAFE, callable by everyone.
-- Level 9: in a transaction that has written something (it has a transaction id), the
-- row comes from pggit.version_in_transaction, which settles the transaction's pending
-- DDL first: the version is exact within the transaction too. Otherwise (the usual read)
-- the registry is read directly, inlined as before.
--
-- LANGUAGE sql without SET or STRICT so that the planner inlines it into the
-- caller's query: one call costs the name resolution plus one index lookup.
CREATE OR REPLACE FUNCTION pggit.get_version(object text)
RETURNS TABLE(major integer, minor integer, patch integer, version text, kind text, identity text, hash text,
              updated_at timestamptz)
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT o.major, o.minor, o.patch,
       o.major::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
       o.minor::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) o.patch::pg_catalog.text,
       o.kind, o.identity, o.hash, o.updated_at
  FROM pggit.resolve_object(get_version.object) AS r
 CROSS JOIN LATERAL pg_catalog.pg_identify_object(r.classid, r.objid, 0) AS i
  JOIN pggit.objects AS o
    ON o.identity OPERATOR(pg_catalog.=) i.identity AND o.classid OPERATOR(pg_catalog.=) r.classid
 WHERE o.dropped_at IS NULL AND pg_catalog.pg_current_xact_id_if_assigned() IS NULL
UNION ALL
SELECT v.major, v.minor, v.patch, v.version, v.kind, v.identity, v.hash, v.updated_at
  FROM pggit.version_in_transaction(get_version.object) AS v
 WHERE pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL
$function$;

COMMENT ON FUNCTION pggit.get_version(text) IS
    'Semantic version (major, minor, patch, version) and more of a tracked live object named as PostgreSQL resolves it; no row otherwise.';
