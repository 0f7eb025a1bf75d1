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
