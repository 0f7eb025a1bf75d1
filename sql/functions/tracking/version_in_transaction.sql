-- pggit.version_in_transaction(object text)
--     -> TABLE(major, minor, patch, version, kind, identity, hash, updated_at)
--
-- Level 9: pggit.get_version's answer in a transaction that has written something: the
-- transaction's pending DDL is settled first (pggit.settle_pending), then the registry
-- row of the live object `object` names (resolved like PostgreSQL does) is returned, so a
-- version read right after DDL in the same transaction is exact. No row when the name
-- resolves to nothing tracked. Never raises beyond what settle_pending raises.
-- Declared STABLE so that get_version stays an inlinable STABLE SQL function: within one
-- statement it returns the same row for the same name (after the first call nothing is
-- left to settle). The row is read by a VOLATILE helper (pggit.settled_version), whose
-- fresh snapshot sees what the settling wrote. Callable by everyone.
CREATE OR REPLACE FUNCTION pggit.version_in_transaction(object text)
RETURNS TABLE(major integer, minor integer, patch integer, version text, kind text, identity text, hash text,
              updated_at timestamptz)
LANGUAGE sql
STABLE
PARALLEL UNSAFE
AS $function$
SELECT (v.r).major, (v.r).minor, (v.r).patch, (v.r).version, (v.r).kind, (v.r).identity, (v.r).hash,
       (v.r).updated_at
  FROM (SELECT pggit.settled_version(version_in_transaction.object) AS r) AS v
 WHERE v.r IS NOT NULL
$function$;

COMMENT ON FUNCTION pggit.version_in_transaction(text) IS
    'get_version within a transaction that wrote something: settles its pending DDL, then reads the registry row.';
