-- pggit.tree_bucket(identity text) -> integer
--
-- Promises: the commit-tree bucket of an object identity, 1..256: one plus the first
-- byte of sha256 of the identity's UTF-8 bytes,
--     get_byte(sha256(convert_to(identity, 'UTF8')), 0) + 1,
-- so the bucket depends only on the identity text (not on the database, its encoding,
-- OIDs or the object's kind). NULL in, NULL out. Never raises for a text value.
-- STABLE (as convert_to is; its result never changes within a database), PARALLEL
-- SAFE, callable by everyone.
--
-- A commit's tree is 256 content-addressed bucket nodes (pggit.tree_nodes); an
-- object's entry lives in the node of its bucket (see sql/functions/trees/tree_apply.sql).
-- LANGUAGE sql, one expression, no SET/STRICT/SECURITY DEFINER, and no more volatile
-- than its body: the planner inlines it into its callers (declared IMMUTABLE around
-- the STABLE convert_to it was not, and every call ran the SQL-function executor).
-- Only pg_catalog functions and operators, schema-qualified (OPERATOR(pg_catalog.+)):
-- a direct call resolves nothing through the caller's search_path.
CREATE OR REPLACE FUNCTION pggit.tree_bucket(identity text)
RETURNS integer
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT pg_catalog.get_byte(pg_catalog.sha256(pg_catalog.convert_to(identity, 'UTF8')), 0) OPERATOR(pg_catalog.+) 1
$function$;

COMMENT ON FUNCTION pggit.tree_bucket(text) IS
    'Commit-tree bucket (1..256) of an object identity: 1 + first byte of sha256(UTF-8 identity).';
