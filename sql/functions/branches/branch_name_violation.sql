-- pggit.branch_name_violation(name text) -> text
--
-- Promises: returns NULL when `name` is a valid pggit branch name, otherwise the
-- text of the first rule it breaks (checked in the order below). NULL in, NULL out.
-- Never raises. IMMUTABLE, PARALLEL SAFE, callable by everyone.
--
-- The rules are git's check-ref-format rules for a branch name plus pggit's length
-- limit. pggit_sql/refname.py implements the same rules, in the same order, with the
-- same texts; tests/property/test_branch_names.py holds the two to agreement.
--
--   rule                                    text returned
--   empty                                   must not be empty
--   more than 255 bytes (octet_length:      must be at most 255 bytes
--     UTF-8 bytes in a UTF-8 database)
--   ASCII control character 0x01-0x1F, 0x7F must not contain control characters
--     (0x00 cannot occur in a PostgreSQL text value)
--   a space                                 must not contain a space
--   any of ~ ^ : ? * [ \                    must not contain any of ~ ^ : ? * [ \
--   ..                                      must not contain ".."
--   @{                                      must not contain "@{"
--   the single name @                       must not be "@"
--   leading -                               must not begin with "-"
--   leading /                               must not begin with "/"
--   trailing /                              must not end with "/"
--   // (an empty path component)            must not contain "//"
--   a /-separated component starting with . no path component may begin with "."
--   a component ending with .lock           no path component may end with ".lock"
--   trailing .                              must not end with "."
--
-- Non-ASCII letters are allowed. Self-contained (builtins only), so it can be
-- created before or after any other pggit function.
--
-- Deliberately a single CASE expression in LANGUAGE sql without STRICT or SET, so
-- that the planner inlines it into its callers, whose plans are cached for the
-- session: is_valid_branch_name (called by the CHECK constraint on
-- pggit.branches.name, which PostgreSQL evaluates on every UPDATE of a branch row,
-- i.e. on every commit) and assert_valid_branch_name. A SQL function that is not
-- inlined is parsed and planned again in every transaction, which cost each
-- commit_changes call over 100 us. Without SET it is resolved with the caller's
-- search_path (a direct call: the session's), so every function and operator in it is
-- schema-qualified (OPERATOR(pg_catalog.=), pg_catalog.strpos): an operator or function
-- planted in a schema on a privileged caller's search_path is never called
-- (tests/security/test_definer_audit.py). NULL in: every WHEN is NULL, so NULL out.
CREATE OR REPLACE FUNCTION pggit.branch_name_violation(name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT CASE
    WHEN name OPERATOR(pg_catalog.=) '' THEN 'must not be empty'
    WHEN pg_catalog.octet_length(name) OPERATOR(pg_catalog.>) 255 THEN 'must be at most 255 bytes'
    WHEN name OPERATOR(pg_catalog.~) '[\x01-\x1f\x7f]' THEN 'must not contain control characters'
    WHEN pg_catalog.strpos(name, ' ') OPERATOR(pg_catalog.>) 0 THEN 'must not contain a space'
    WHEN name OPERATOR(pg_catalog.~) '[~^:?*[\\]' THEN 'must not contain any of ~ ^ : ? * [ \'
    WHEN pg_catalog.strpos(name, '..') OPERATOR(pg_catalog.>) 0 THEN 'must not contain ".."'
    WHEN pg_catalog.strpos(name, '@{') OPERATOR(pg_catalog.>) 0 THEN 'must not contain "@{"'
    WHEN name OPERATOR(pg_catalog.=) '@' THEN 'must not be "@"'
    WHEN pg_catalog.left(name, 1) OPERATOR(pg_catalog.=) '-' THEN 'must not begin with "-"'
    WHEN pg_catalog.left(name, 1) OPERATOR(pg_catalog.=) '/' THEN 'must not begin with "/"'
    WHEN pg_catalog.right(name, 1) OPERATOR(pg_catalog.=) '/' THEN 'must not end with "/"'
    WHEN pg_catalog.strpos(name, '//') OPERATOR(pg_catalog.>) 0 THEN 'must not contain "//"'
    WHEN name OPERATOR(pg_catalog.~) '(^|/)\.' THEN 'no path component may begin with "."'
    WHEN name OPERATOR(pg_catalog.~) '\.lock(/|$)' THEN 'no path component may end with ".lock"'
    WHEN pg_catalog.right(name, 1) OPERATOR(pg_catalog.=) '.' THEN 'must not end with "."'
END
$function$;

COMMENT ON FUNCTION pggit.branch_name_violation(text) IS
    'The first branch-name rule that name breaks, or NULL when it is a valid branch name.';
