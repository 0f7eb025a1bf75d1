-- pggit.data_act_as_owner(relid oid) -> text
--
-- Promises: makes the rest of the calling transaction's statements run as the owner of
-- table `relid` (SET LOCAL ROLE) when the current role is not that owner, and returns
-- the previous setting of `role` to hand back to pg_catalog.set_config('role', x, true)
-- afterwards; returns NULL when nothing was switched. pggit's data-branch work on a
-- user's table (merge, carrying ADD COLUMN over to the storage) thus runs with the
-- table owner's rights, never more: a privileged caller does not lend its rights to the
-- triggers, defaults, checks and index expressions the owner put on the table (as
-- PostgreSQL's VACUUM, ANALYZE and CREATE INDEX do since CVE-2022-1552).
-- Errors: 42501 the current role is neither the owner nor a member of the owner role.
-- SECURITY INVOKER (SET ROLE is refused in SECURITY DEFINER functions); when the caller
-- runs inside one, the role cannot change and the work goes on as the current role,
-- which then already has the owner's rights (it passed the membership check).
CREATE OR REPLACE FUNCTION pggit.data_act_as_owner(relid oid)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_owner oid;
    v_previous text := pg_catalog.current_setting('role');
BEGIN
    SELECT c.relowner INTO v_owner FROM pg_catalog.pg_class AS c WHERE c.oid = data_act_as_owner.relid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', relid USING ERRCODE = 'undefined_table';
    END IF;
    IF v_owner = (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        RETURN NULL;
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, v_owner, 'MEMBER') THEN
        RAISE EXCEPTION 'must be owner of table %', relid::pg_catalog.regclass USING ERRCODE = 'insufficient_privilege';
    END IF;
    BEGIN
        PERFORM pg_catalog.set_config('role', pg_catalog.pg_get_userbyid(v_owner), true);
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN NULL;  -- inside a SECURITY DEFINER function: stays the current role
    END;
    RETURN v_previous;
END
$function$;

COMMENT ON FUNCTION pggit.data_act_as_owner(oid) IS
    'Internal: SET LOCAL ROLE to a table''s owner for pggit''s work on the table; returns the role to restore.';
