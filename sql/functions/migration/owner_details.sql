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
-- the catalog). Cost: one index scan, aclexplode only for a non-default ACL.
CREATE OR REPLACE FUNCTION pggit.owner_details(classid oid, objid oid)
RETURNS jsonb
LANGUAGE sql
STABLE
PARALLEL SAFE
RETURN (
    SELECT pg_catalog.jsonb_build_object(
               'o', pg_catalog.pg_get_userbyid(x.owner),
               'a', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
                                g.grantee, g.privs, coalesce(g.gprivs, '')) ORDER BY g.grantee COLLATE pg_catalog."C")
                       FROM (SELECT CASE WHEN e.grantee OPERATOR(pg_catalog.=) 0::oid THEN ''
                                         ELSE pg_catalog.pg_get_userbyid(e.grantee)::text END AS grantee,
                                    pg_catalog.string_agg(e.privilege_type, ',' ORDER BY e.privilege_type COLLATE pg_catalog."C")
                                        AS privs,
                                    pg_catalog.string_agg(e.privilege_type, ',' ORDER BY e.privilege_type COLLATE pg_catalog."C")
                                        FILTER (WHERE e.is_grantable) AS gprivs
                               FROM pg_catalog.aclexplode(x.acl) AS e
                              GROUP BY e.grantee) AS g))
      FROM (SELECT c.relowner AS owner, c.relacl AS acl
              FROM pg_catalog.pg_class AS c
             WHERE owner_details.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass::oid
               AND c.oid OPERATOR(pg_catalog.=) owner_details.objid
            UNION ALL
            SELECT p.proowner, p.proacl
              FROM pg_catalog.pg_proc AS p
             WHERE owner_details.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass::oid
               AND p.oid OPERATOR(pg_catalog.=) owner_details.objid
            UNION ALL
            SELECT t.typowner, t.typacl
              FROM pg_catalog.pg_type AS t
             WHERE owner_details.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass::oid
               AND t.oid OPERATOR(pg_catalog.=) owner_details.objid
            UNION ALL
            SELECT n.nspowner, n.nspacl
              FROM pg_catalog.pg_namespace AS n
             WHERE owner_details.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass::oid
               AND n.oid OPERATOR(pg_catalog.=) owner_details.objid) AS x);

COMMENT ON FUNCTION pggit.owner_details(oid, oid) IS
    'Owner name and privileges (by role name) of a live schema, relation, routine or type, as jsonb {"o", "a"}.';
