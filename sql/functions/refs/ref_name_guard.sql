-- pggit.ref_name_guard() -> trigger
--
-- Promises: the BEFORE INSERT OR UPDATE OF name trigger refs_name_guard of pggit.tags
-- and of pggit.branches (level 5): tags and branches share one name space, so no
-- plain ref name is ever both (issue 11: a writer made `main` ambiguous for everyone
-- by tagging it). A new tag may not take the name of a branch (live or deleted: the
-- names of deleted branches stay taken), a new branch may not take the name of a tag:
-- 42710 duplicate_object, the message naming both. Every writer of either table goes
-- through it (tag, create_branch, commit_changes creating a branch, create_data_branch).
-- Concurrent creators of one name as a tag and as a branch: a transaction-scoped
-- advisory lock on the name (class 1885827700, key hashtext(name)) makes them serial,
-- and the check after it reads the rows committed before (READ COMMITTED: a new
-- snapshot per statement), so exactly one of them succeeds.
-- Writes nothing; evaluates nothing a user wrote. Cost: one lock and one index probe
-- per tag or branch created.
CREATE OR REPLACE FUNCTION pggit.ref_name_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.name = OLD.name THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(1885827700, hashtext(NEW.name));
    IF TG_TABLE_NAME = 'tags' THEN
        IF EXISTS (SELECT FROM pggit.branches AS b WHERE b.name = NEW.name) THEN
            RAISE EXCEPTION 'cannot create tag "%": branch "%" exists', NEW.name, NEW.name
                USING ERRCODE = 'duplicate_object',
                      DETAIL = 'Tags and branches share one name space: a plain ref name is never both.',
                      HINT = 'Choose another tag name.';
        END IF;
    ELSIF EXISTS (SELECT FROM pggit.tags AS t WHERE t.name = NEW.name) THEN
        RAISE EXCEPTION 'cannot create branch "%": tag "%" exists', NEW.name, NEW.name
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'Tags and branches share one name space: a plain ref name is never both.',
                  HINT = 'Choose another branch name.';
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION pggit.ref_name_guard() FROM PUBLIC;

COMMENT ON FUNCTION pggit.ref_name_guard() IS
    'Trigger of pggit.tags and pggit.branches: a tag may not take a branch''s name, nor a branch a tag''s (42710).';
