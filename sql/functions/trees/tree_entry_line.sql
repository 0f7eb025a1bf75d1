-- pggit.tree_entry_line(kind text, identity text, blob_hash text) -> text
--
-- Promises: the canonical text of one commit-tree entry, one line:
--     esc(kind) TAB esc(identity) TAB blob_hash LF
-- where esc() writes a backslash as \\, a TAB as \t and a LF as \n (two characters
-- each) and leaves every other character as it is, so a line can be split back
-- unambiguously whatever characters a quoted identifier holds. NULL if any argument
-- is NULL. Never raises. IMMUTABLE, PARALLEL SAFE, callable by everyone.
--
-- A bucket node's hash is sha256 of the UTF-8 bytes of its entries' lines
-- concatenated in entry order: identities ascending by their UTF-8 bytes, then kinds
-- likewise (the empty bucket is the empty text, whose sha256 is e3b0c442...b855).
-- tests/trees recompute this in Python. LANGUAGE sql, one expression, no
-- SET/STRICT/SECURITY DEFINER: inlined into its callers. Every function and operator
-- is schema-qualified (OPERATOR(pg_catalog.||)): a direct call resolves nothing
-- through the caller's search_path.
CREATE OR REPLACE FUNCTION pggit.tree_entry_line(kind text, identity text, blob_hash text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(kind, E'\\', E'\\\\'), E'\t', E'\\t'), E'\n', E'\\n')
    OPERATOR(pg_catalog.||) E'\t'
    OPERATOR(pg_catalog.||) pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(identity, E'\\', E'\\\\'), E'\t', E'\\t'), E'\n', E'\\n')
    OPERATOR(pg_catalog.||) E'\t'
    OPERATOR(pg_catalog.||) blob_hash
    OPERATOR(pg_catalog.||) E'\n'
$function$;

COMMENT ON FUNCTION pggit.tree_entry_line(text, text, text) IS
    'Canonical line of a commit-tree entry: esc(kind) TAB esc(identity) TAB blob_hash LF (esc: \\ \t \n).';
