-- pggit.data_branch_unmerged(data_branch_id bigint) -> boolean
--
-- Promises: true when data branch `data_branch_id` holds writes made on it (rows
-- inserted, updated or deleted through its relation) since it was created or last
-- merged; false when it holds none; NULL for an unknown id. One index-less EXISTS on
-- the branch's delta table (stops at the first branch write).
CREATE OR REPLACE FUNCTION pggit.data_branch_unmerged(data_branch_id bigint)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_result boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pggit.data_branches AS db WHERE db.id = data_branch_id) THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM pggit_data.%I AS d WHERE d._pggit_state IN (''w'', ''d''))',
                              'd' || data_branch_id)
       INTO v_result;
    RETURN v_result;
END
$function$;

COMMENT ON FUNCTION pggit.data_branch_unmerged(bigint) IS
    'True when a data branch holds writes not yet merged (made since its creation or last merge).';
