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
-- Level 8: a new name (INSERT, or UPDATE changing the name) that
-- pggit.reserved_ref_name reserves (HEAD, WORKING, refs/...) is refused first:
-- 42939 reserved_name, 'cannot create branch "HEAD": HEAD is git's name for the
-- checked-out commit' (tag / rename alike: 'cannot rename branch "a" to "HEAD": ...').
-- Rows made before level 8 keep their names: an UPDATE that leaves the name alone
-- (moving a branch head, deleting it) is never checked, nor an INSERT of a name the
-- table already holds (create_data_branch's INSERT .. ON CONFLICT DO NOTHING onto an
-- existing branch): the unique constraint answers that one.
-- Names in messages go through pggit.clip.
-- Writes nothing; evaluates nothing a user wrote. Cost: one lock and one index probe
-- per tag or branch created.
CREATE OR REPLACE FUNCTION pggit.ref_name_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_kind text := CASE TG_TABLE_NAME WHEN 'tags' THEN 'tag' ELSE 'branch' END;
    v_reserved text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.name = OLD.name THEN
        RETURN NEW;
    END IF;
    v_reserved := pggit.reserved_ref_name(NEW.name);
    -- an INSERT of a name its table already holds (a ref kept from before level 8,
    -- reached by INSERT .. ON CONFLICT DO NOTHING) is left to the unique constraint
    IF v_reserved IS NOT NULL AND TG_OP = 'INSERT' THEN
        IF v_kind = 'tag' AND EXISTS (SELECT FROM pggit.tags AS t WHERE t.name = NEW.name)
           OR v_kind = 'branch' AND EXISTS (SELECT FROM pggit.branches AS b WHERE b.name = NEW.name) THEN
            v_reserved := NULL;
        END IF;
    END IF;
    IF v_reserved IS NOT NULL THEN
        RAISE EXCEPTION '%: %',
                CASE TG_OP WHEN 'UPDATE'
                     THEN format('cannot rename %s "%s" to "%s"', v_kind, pggit.clip(OLD.name), pggit.clip(NEW.name))
                     ELSE format('cannot create %s "%s"', v_kind, pggit.clip(NEW.name)) END,
                v_reserved
            USING ERRCODE = 'reserved_name',
                  DETAIL = 'HEAD, WORKING and names beginning with refs/ are reserved for refs.',
                  HINT = format('Choose another %s name.', v_kind);
    END IF;
    PERFORM pg_advisory_xact_lock(1885827700, hashtext(NEW.name));
    IF TG_TABLE_NAME = 'tags' THEN
        IF EXISTS (SELECT FROM pggit.branches AS b WHERE b.name = NEW.name) THEN
            RAISE EXCEPTION 'cannot create tag "%": branch "%" exists', pggit.clip(NEW.name), pggit.clip(NEW.name)
                USING ERRCODE = 'duplicate_object',
                      DETAIL = 'Tags and branches share one name space: a plain ref name is never both.',
                      HINT = 'Choose another tag name.';
        END IF;
    ELSIF EXISTS (SELECT FROM pggit.tags AS t WHERE t.name = NEW.name) THEN
        RAISE EXCEPTION 'cannot create branch "%": tag "%" exists', pggit.clip(NEW.name), pggit.clip(NEW.name)
            USING ERRCODE = 'duplicate_object',
                  DETAIL = 'Tags and branches share one name space: a plain ref name is never both.',
                  HINT = 'Choose another branch name.';
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION pggit.ref_name_guard() FROM PUBLIC;

COMMENT ON FUNCTION pggit.ref_name_guard() IS
    'Trigger of pggit.tags and pggit.branches: reserved names are refused (42939); a tag may not take a branch''s name, nor a branch a tag''s (42710).';
