-- pggit roles: administering, writing and reading pggit (documented grants, not a level).
--
-- Run it once per database, as a superuser (or a role with CREATEROLE that owns pggit's
-- objects), after `pggit-sql migrate`:
--     psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/grants/roles.sql
-- It is idempotent and works at every level: a function the database's level does not
-- have is skipped. Roles are cluster-wide: they are created only when missing.
-- A level's migration creates its new functions executable by PUBLIC (and a level that
-- re-creates a function from its file re-grants PUBLIC), so `pggit-sql migrate` and
-- `pggit-sql rollback` run this script again, right after, in every database where it
-- was run (pggit_reader holds USAGE on schema pggit). Running it by hand after a
-- migration made some other way is the same.
--
-- What it does
--   pggit_reader  SELECT on every table and view of schema pggit; EXECUTE on
--                 diff_data_branch (which also needs SELECT on the table). The other
--                 read-only functions (log, show, status, get_version, ...) stay
--                 executable by PUBLIC and need only SELECT on pggit's tables. From
--                 level 9 they first settle the caller's own transaction's pending DDL
--                 (settle_pending, PUBLIC too: it touches nothing else). Level 10:
--                 set_scoped_setting (how checkout, pause_tracking and resume_tracking
--                 set pggit.branch / pggit.tracking; it sets only the caller's own
--                 settings, as SET would) stays PUBLIC as well.
--   pggit_writer  pggit_reader, plus EXECUTE on the functions that append history or
--                 change the schema for pggit: commit_changes, create_branch,
--                 delete_branch, checkout (level 2's and level 4's overload),
--                 generate_trinity_id, create/merge/drop_data_branch (these also require
--                 owning the table); level 4: tag, merge, resolve_conflict,
--                 merge_continue, merge_abort, apply_migration, revert, settle_checkout;
--                 level 5: merge_run, merge_continue_run (the bookkeeping halves of merge
--                 and merge_continue);
--                 level 5: data_act_as_owner, data_branch_merge_begin/record and
--                 data_table_sync (so ALTER TABLE of a table that has data branches needs
--                 pggit_writer too, like creating them); level 9:
--                 data_branch_merge_capture (merge_data_branch's capture pause).
--   pggit_admin   pggit_writer, plus pause_tracking / resume_tracking.
--   PUBLIC        loses EXECUTE on the writing and admin functions (at install, PUBLIC
--                 has it: level 1's contract lets every role commit). Up to level 4,
--                 SELECT on pggit's tables stays with PUBLIC unless you also run the
--                 optional REVOKE at the end. From level 5 the level itself keeps
--                 statement text, definitions and row values from PUBLIC (history.
--                 statement and note, objects.definition and structure, checkouts.
--                 statements, blobs, object_details, merge_conflicts, data_conflicts:
--                 pggit_reader only) and creates the three roles when missing; the
--                 metadata (commits, branches, tags, versions...) stays readable by all.
-- No role, not even pggit_admin, gets INSERT, UPDATE, DELETE or TRUNCATE on pggit's
-- tables: history is written only through the SECURITY DEFINER functions, and only
-- appended. Rewriting history needs the owner of pggit's objects (the superuser that
-- installed it).
--
-- Grant a login role its rights with e.g.:  GRANT pggit_writer TO alice;
-- After this script, `pggit-sql verify` reports the changed function ACLs as
-- differences from the level's snapshot: that is expected.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pggit_reader') THEN
        CREATE ROLE pggit_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pggit_writer') THEN
        CREATE ROLE pggit_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pggit_admin') THEN
        CREATE ROLE pggit_admin NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another database of the cluster created them at the same moment
END
$roles$;

GRANT pggit_reader TO pggit_writer;
GRANT pggit_writer TO pggit_admin;

GRANT USAGE ON SCHEMA pggit TO pggit_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA pggit TO pggit_reader;

-- Writing and administering: from PUBLIC to the roles (only functions of the installed level).
DO $grants$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::pg_catalog.regprocedure AS fn,
               CASE WHEN p.proname IN ('pause_tracking', 'resume_tracking') THEN 'pggit_admin'
                    WHEN p.proname IN ('diff_data_branch', 'data_branch_diff') THEN 'pggit_reader'
                    ELSE 'pggit_writer' END AS grantee
          FROM pg_catalog.pg_proc AS p
         WHERE p.pronamespace = 'pggit'::pg_catalog.regnamespace
           AND p.proname IN ('commit_changes', 'create_branch', 'delete_branch', 'checkout', 'tag',
                             'create_data_branch', 'data_branch_create', 'diff_data_branch',
                             'data_branch_diff', 'merge_data_branch', 'data_branch_merge',
                             'drop_data_branch', 'data_branch_drop', 'generate_trinity_id',
                             'pause_tracking', 'resume_tracking',
                             -- level 4
                             'merge', 'merge_run', 'resolve_conflict', 'merge_continue', 'merge_continue_run', 'merge_abort',
                             'apply_migration', 'revert', 'settle_checkout',
                             -- level 5: helpers merge_data_branch and ALTER TABLE of a
                             -- branched table call with the caller's rights
                             'data_act_as_owner', 'data_branch_merge_begin',
                             'data_branch_merge_record', 'data_table_sync',
                             -- level 9: the capture pause of merge_data_branch
                             'data_branch_merge_capture')
    LOOP
        EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f.fn);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', f.fn, f.grantee);
    END LOOP;
END
$grants$;

-- Optional: reading only for pggit_reader members (uncomment to apply).
-- REVOKE SELECT ON ALL TABLES IN SCHEMA pggit FROM PUBLIC;
