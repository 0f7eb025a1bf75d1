-- pggit.settled_version(object text) -> record
--     (major integer, minor integer, patch integer, version text, kind text, identity text,
--      hash text, updated_at timestamptz)
--
-- Level 9: settles the calling transaction's pending DDL (pggit.settle_pending), then
-- returns the registry row of the live tracked object `object` names (resolved like
-- PostgreSQL does: pggit.resolve_object), NULL when there is none. VOLATILE: its own
-- snapshot sees what the settling wrote. Used by pggit.version_in_transaction; callable
-- by everyone (it settles only the caller's own transaction).
CREATE OR REPLACE FUNCTION pggit.settled_version(
    object text,
    OUT major integer, OUT minor integer, OUT patch integer, OUT version text, OUT kind text,
    OUT identity text, OUT hash text, OUT updated_at timestamptz)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
AS $function$
BEGIN
    PERFORM pggit.settle_pending();
    SELECT o.major, o.minor, o.patch,
           o.major::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
           o.minor::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) o.patch::pg_catalog.text,
           o.kind, o.identity, o.hash, o.updated_at
      INTO settled_version.major, settled_version.minor, settled_version.patch, settled_version.version,
           settled_version.kind, settled_version.identity, settled_version.hash, settled_version.updated_at
      FROM pggit.resolve_object(settled_version.object) AS r
     CROSS JOIN LATERAL pg_catalog.pg_identify_object(r.classid, r.objid, 0) AS i
      JOIN pggit.objects AS o
        ON o.identity OPERATOR(pg_catalog.=) i.identity AND o.classid OPERATOR(pg_catalog.=) r.classid
     WHERE o.dropped_at IS NULL;
END
$function$;

COMMENT ON FUNCTION pggit.settled_version(text) IS
    'Settles the transaction''s pending DDL, then returns the registry version row of the named live object (NULLs if none).';
