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
