-- pggit.pool_stamp() -> text
--
-- Promises: NULL on a session that serves one client (pggit.pool_mode unset, '' or
-- 'session', in any letter case, blanks ignored); behind a transaction pooler
-- (pggit.pool_mode 'transaction' or 'statement') the running transaction's stamp: its
-- start time in microseconds since the epoch, as text. The one definition of both, for
-- pggit.set_scoped_setting (which stamps what it sets) and pggit.scoped_setting (which
-- reads only what carries the running transaction's stamp). Never raises. STABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it; every
-- function and operator is schema-qualified.
CREATE OR REPLACE FUNCTION pggit.pool_stamp()
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT CASE WHEN pg_catalog.lower(pg_catalog.btrim(pg_catalog.current_setting('pggit.pool_mode', true)))
                 OPERATOR(pg_catalog.=) ANY ('{transaction,statement}'::pg_catalog.text[])
            THEN ((EXTRACT(EPOCH FROM pg_catalog.transaction_timestamp()) OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8)::pg_catalog.text
       END
$function$;

COMMENT ON FUNCTION pggit.pool_stamp() IS
    'Behind a transaction pooler (pggit.pool_mode transaction or statement): this transaction''s stamp (start time in microseconds); else NULL.';
