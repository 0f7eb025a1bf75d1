-- pggit.resolve_identity(kind text, identity text) -> oid
--
-- Promises: the OID of the live object of registry kind `kind` (schema, table, view,
-- materialized view, sequence, type, domain, function, procedure) whose
-- pg_identify_object identity is exactly `identity`, or NULL when there is none (or
-- the name now denotes an object of another kind). Identities are what pggit stores to
-- find an object again after a backup or an upgrade renumbered every OID. Never raises
-- for identities pg_identify_object printed; NULL for NULL input.
-- STABLE, invoker, pinned search_path (identities are schema-qualified); reads only
-- the catalog, which every role may read. EXECUTE: PUBLIC (generate_migration, an
-- invoker function, calls it).
CREATE OR REPLACE FUNCTION pggit.resolve_identity(kind text, identity text)
RETURNS oid
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_classid oid;
    v_oid oid;
BEGIN
    IF resolve_identity.kind IS NULL OR resolve_identity.identity IS NULL THEN
        RETURN NULL;
    END IF;
    CASE resolve_identity.kind
        WHEN 'schema' THEN
            v_classid := 'pg_catalog.pg_namespace'::regclass;
            v_oid := pg_catalog.to_regnamespace(resolve_identity.identity);
        WHEN 'table', 'view', 'materialized view', 'sequence' THEN
            v_classid := 'pg_catalog.pg_class'::regclass;
            v_oid := pg_catalog.to_regclass(resolve_identity.identity);
        WHEN 'type', 'domain' THEN
            v_classid := 'pg_catalog.pg_type'::regclass;
            v_oid := pg_catalog.to_regtype(resolve_identity.identity);
        WHEN 'function', 'procedure' THEN
            v_classid := 'pg_catalog.pg_proc'::regclass;
            v_oid := pg_catalog.to_regprocedure(resolve_identity.identity);
        ELSE
            RETURN NULL;
    END CASE;
    -- the same printed identity, or it is not the object (to_regtype also accepts a
    -- table's row type, to_regclass an index)
    IF v_oid IS NULL OR (pg_catalog.pg_identify_object(v_classid, v_oid, 0)).identity
                        OPERATOR(pg_catalog.<>) resolve_identity.identity THEN
        RETURN NULL;
    END IF;
    RETURN v_oid;
EXCEPTION WHEN invalid_name OR syntax_error OR invalid_text_representation THEN
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION pggit.resolve_identity(text, text) IS
    'OID of the live object of a registry kind with exactly this pg_identify_object identity, or NULL.';
