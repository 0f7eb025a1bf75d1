-- pggit.calculate_schema_hash("table" text) -> text
--
-- Promises: the 64-hex-digit SHA-256 of the canonical description of a table's
-- structure (pggit.describe_table: columns in order with type incl. typmod, collation
-- when not the type's default, nullability, default, identity, generation expression;
-- constraints by type and definition, not by name; indexes by method, uniqueness,
-- keys, opclasses and predicate, not by name; partition key and bound; and the rest
-- listed there), taken over its UTF-8 text. Independent of the table's own name and
-- schema and of OIDs: two tables of the same structure hash equal, under any names.
-- Data never changes it. The same value as pggit.objects.hash of a tracked table.
-- NULL for NULL, a missing table, a name that is not a table (views, sequences...)
-- and a malformed name. `table` is resolved like PostgreSQL resolves a relation name
-- (the caller's search_path, quoting). Sees the calling transaction's uncommitted
-- DDL. Reads pg_catalog only. STABLE, PARALLEL SAFE, callable by everyone.
--
-- Without SET search_path so that the name is resolved with the caller's; the
-- description itself is built by pggit.describe_table under a pinned search_path.
CREATE OR REPLACE FUNCTION pggit.calculate_schema_hash("table" text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
AS $function$
DECLARE
    r record;
    description text;
BEGIN
    SELECT x.classid, x.objid INTO r FROM pggit.resolve_object(calculate_schema_hash."table") AS x;
    IF r.objid IS NULL OR r.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_class'::pg_catalog.regclass THEN
        RETURN NULL;
    END IF;
    SELECT d.definition INTO description FROM pggit.describe_table(r.objid) AS d;
    RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(description, 'UTF8')), 'hex');
END
$function$;

COMMENT ON FUNCTION pggit.calculate_schema_hash(text) IS
    'SHA-256 (hex) of the canonical structure of a table, independent of its name, schema and OIDs; NULL if no such table.';
