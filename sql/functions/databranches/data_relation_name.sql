-- pggit.data_relation_name(table_name text, branch text) -> text
--
-- Promises: the name of the relation of data branch `branch` of a table named
-- `table_name`: table_name || '__' || branch when that fits an identifier (at most 63
-- bytes of UTF-8). Otherwise, deterministically, the longest prefix of it (whole
-- characters) that leaves room for '_' and the first 8 hex digits of the md5 of the
-- full name, followed by those: e.g. 'a_very_long…_name__feat_1f0c2a9b', exactly 63
-- bytes or fewer. Two different long names share a shortened name only if their md5
-- prefixes collide (create_data_branch then refuses with 42P07). NULL in, NULL out.
-- IMMUTABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION pggit.data_relation_name(table_name text, branch text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_full text := table_name || '__' || branch;
    v_prefix text;
BEGIN
    IF pg_catalog.octet_length(v_full) <= 63 THEN
        RETURN v_full;
    END IF;
    v_prefix := pg_catalog.left(v_full, 54);
    WHILE pg_catalog.octet_length(v_prefix) > 54 LOOP
        v_prefix := pg_catalog.left(v_prefix, -1);
    END LOOP;
    RETURN v_prefix || '_' || pg_catalog.left(pg_catalog.md5(v_full), 8);
END
$function$;

COMMENT ON FUNCTION pggit.data_relation_name(text, text) IS
    'Relation name of a data branch: <table>__<branch>, shortened deterministically (prefix + md5) past 63 bytes.';
