-- pggit.merge_migration(from_commit text, to_commit text) -> text
--
-- Promises: pggit.generate_migration(from_commit, to_commit) as one script: the
-- statements in step order, one per line, each warning written on the line before its
-- statement as `-- WARNING: <warning>`, every line of it commented (a warning names
-- objects, and a name may hold a line break: pggit.comment_lines); '' when there is
-- nothing to do. Internal:
-- the `migration` column of pggit.merge and pggit.merge_continue. Errors: diff's.
CREATE OR REPLACE FUNCTION pggit.merge_migration(from_commit text, to_commit text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- plpgsql, not sql: the body is not resolved when the file is loaded (before migration/).
    RETURN (SELECT coalesce(pg_catalog.string_agg(
                       CASE WHEN g.warning IS NOT NULL THEN pggit.comment_lines('-- WARNING: ' || g.warning) || E'\n' ELSE '' END
                       || g.statement, E'\n' ORDER BY g.step), '')
              FROM pggit.generate_migration(merge_migration.from_commit, merge_migration.to_commit) AS g);
END
$function$;

-- Level 5: executable by PUBLIC, since pggit.merge (SECURITY INVOKER) calls it as the
-- caller; it is an invoker function reading pggit.blobs, so it shows nothing the caller
-- could not read with generate_migration.
REVOKE ALL ON FUNCTION pggit.merge_migration(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.merge_migration(text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.merge_migration(text, text) IS
    'generate_migration(from, to) as one script, warnings as comment lines before their statements.';
