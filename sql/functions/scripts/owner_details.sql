-- pggit.owner_details(classid oid, objid oid) -> jsonb
--
-- Promises: the owner and the privileges of a live schema, relation (table, view,
-- materialized view, sequence), function or procedure, type or domain, by role NAME,
-- never by OID (an OID means nothing in another transaction after the role is
-- dropped and made again, nor in a restored dump):
--     {"o": owner name,
--      "a": null (the default privileges: no GRANT or REVOKE was ever run on it) or
--           [[grantee name ('' = PUBLIC), privileges, privileges with grant option], ...]
--           sorted by grantee, privileges as comma-separated keywords (SELECT,UPDATE)}
-- NULL for anything else (NULL, missing, another catalog). A grantee whose role was
-- dropped cannot be in an ACL (PostgreSQL removes it). Level 5's trigger
-- objects_record_details keeps it as the key "own" of pggit.object_details for every
-- tracked object state; generate_migration gives every object it creates its recorded
-- owner and privileges back with it (ALTER .. OWNER TO, REVOKE, GRANT).
-- STABLE, callable by everyone (reads pg_catalog only; owners and ACLs are public in
-- the catalog). Cost: one index scan (a cached plan), aclexplode only for a non-default
-- ACL: about 20 us.
CREATE OR REPLACE FUNCTION pggit.owner_details(classid oid, objid oid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_owner oid;
    v_acl aclitem[];
BEGIN
    -- PL/pgSQL, one cached plan per catalog: a SQL function over the four catalogs took about
    -- 1 ms per call where it was not inlined (in the triggers, once per tracked statement)
    IF classid = 'pg_class'::regclass THEN
        SELECT c.relowner, c.relacl INTO v_owner, v_acl FROM pg_class AS c WHERE c.oid = owner_details.objid;
    ELSIF classid = 'pg_proc'::regclass THEN
        SELECT p.proowner, p.proacl INTO v_owner, v_acl FROM pg_proc AS p WHERE p.oid = owner_details.objid;
    ELSIF classid = 'pg_type'::regclass THEN
        SELECT t.typowner, t.typacl INTO v_owner, v_acl FROM pg_type AS t WHERE t.oid = owner_details.objid;
    ELSIF classid = 'pg_namespace'::regclass THEN
        SELECT n.nspowner, n.nspacl INTO v_owner, v_acl FROM pg_namespace AS n WHERE n.oid = owner_details.objid;
    END IF;
    IF v_owner IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN jsonb_build_object(
        'o', pg_get_userbyid(v_owner),
        'a', CASE WHEN v_acl IS NOT NULL THEN
                 (SELECT jsonb_agg(jsonb_build_array(g.grantee, g.privs, coalesce(g.gprivs, ''))
                                   ORDER BY g.grantee COLLATE "C")
                    FROM (SELECT CASE WHEN e.grantee = 0 THEN '' ELSE pg_get_userbyid(e.grantee)::text END AS grantee,
                                 string_agg(e.privilege_type, ',' ORDER BY e.privilege_type COLLATE "C") AS privs,
                                 string_agg(e.privilege_type, ',' ORDER BY e.privilege_type COLLATE "C")
                                     FILTER (WHERE e.is_grantable) AS gprivs
                            FROM aclexplode(v_acl) AS e
                           GROUP BY e.grantee) AS g) END);
END
$function$;

COMMENT ON FUNCTION pggit.owner_details(oid, oid) IS
    'Owner name and privileges (by role name) of a live schema, relation, routine or type, as jsonb {"o", "a"}.';
