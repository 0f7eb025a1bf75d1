-- pggit.commit_generation() -> trigger
--
-- Promises: the BEFORE INSERT OR UPDATE trigger `commits_generation` of pggit.commits
-- (created by level 4's migration) keeps the commit DAG's generation numbers:
--   * INSERT: NEW.generation := 1 + the greatest generation of its parents
--     (parent_hash, merge_parent_hash); 1 for a root. Whatever the inserter gave is
--     overwritten, so level 1's commit_changes, which does not know the column, and a
--     later merge get the same rule. A parent that does not exist is left to the
--     foreign keys (23503).
--   * UPDATE: parent_hash, merge_parent_hash and generation never change: 55000
--     object_not_in_prerequisite_state 'commit "<hash>": parents and generation are
--     immutable'. Other columns (the owner repairing a message or tree) are let through.
-- Hence for every commit c and each parent p: generation(c) > generation(p), which is
-- what lets pggit.dag_merge_base stop walking at a generation.
-- Cost: at most two primary-key lookups per inserted commit.
-- A row a backup replays (pggit.restoring(): a data-only restore's COPY, in which a
-- commit may come before its parents) keeps the generation it was dumped with.
CREATE OR REPLACE FUNCTION pggit.commit_generation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.generation IS NOT NULL AND pggit.restoring() THEN
        RETURN NEW;  -- a restore replays dumped rows: their generation is already right
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.parent_hash IS DISTINCT FROM OLD.parent_hash
           OR NEW.merge_parent_hash IS DISTINCT FROM OLD.merge_parent_hash
           OR NEW.generation IS DISTINCT FROM OLD.generation THEN
            RAISE EXCEPTION 'commit "%": parents and generation are immutable', OLD.hash
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RETURN NEW;
    END IF;
    NEW.generation := 1 + GREATEST(
        coalesce((SELECT c.generation FROM pggit.commits AS c WHERE c.hash = NEW.parent_hash), 0),
        coalesce((SELECT c.generation FROM pggit.commits AS c WHERE c.hash = NEW.merge_parent_hash), 0));
    RETURN NEW;
END
$function$;

COMMENT ON FUNCTION pggit.commit_generation() IS
    'Trigger of pggit.commits: generation = 1 + max(parents'' generations) on INSERT; parents and generation immutable.';
