-- pggit.table_partition_steps(old_identity text, tbl text, old_partition text[], new_partition text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for a table that the script does not create
-- and whose partition line (PARTITION OF <parent> <bound>) changes: `old_partition` and
-- `new_partition` are {parent, bound} of each side (NULL: not a partition there; the
-- parent quoted as pg_identify_object quotes it), the table's name `old_identity`
-- before the renames and `tbl` after. ALTER TABLE <old parent> DETACH PARTITION (phase
-- 25, before anything of the parent changes; sort key `old_identity`) when it stops
-- being one or changes parent or bound, and ALTER TABLE <new parent> ATTACH PARTITION ..
-- <bound> (phase 165, after its own and its parent's constraints and indexes; sort key
-- `tbl` || ' 0') when it becomes one. Never raises. STABLE, SECURITY INVOKER, callable by
-- everyone: the piece of table_extra_steps (itself callable by everyone) for
-- partitions.
CREATE OR REPLACE FUNCTION pggit.table_partition_steps(old_identity text, tbl text, old_partition text[],
                                                       new_partition text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    IF old_partition IS NOT NULL THEN
        phase := 25; sort_key := old_identity;
        statement := format('ALTER TABLE %s DETACH PARTITION %s;', old_partition[1], old_identity);
        warning := NULL;
        RETURN NEXT;
    END IF;
    IF new_partition IS NOT NULL THEN
        phase := 165; sort_key := tbl || ' 0';
        statement := format('ALTER TABLE %s ATTACH PARTITION %s %s;', new_partition[1], tbl, new_partition[2]);
        warning := NULL;
        RETURN NEXT;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.table_partition_steps(text, text, text[], text[]) IS
    'The steps of table_extra_steps for a table whose partition line changes (DETACH / ATTACH PARTITION).';
