-- pggit.type_details(typid oid) -> jsonb
--
-- Promises: for a domain what its canonical definition (pggit.describe_type) leaves
-- out and a DDL generator needs: the names of its constraints, as jsonb; NULL for
-- anything else (NULL, missing, not a domain). Never raises for a missing object.
-- Sees the calling transaction's DDL.
--   {"cons": [{"n": constraint name, "d": pg_get_constraintdef, "m": comment or null},
--             ...]   sorted by name}
-- (NOT NULL of a domain is no constraint in PostgreSQL 15.) Kept by level 4's trigger
-- objects_record_type_details (pggit.record_type_details) in pggit.object_details
-- under the domain's (identity, blob hash), out of every tree hash, for
-- pggit.type_steps. STABLE, callable by everyone (reads pg_catalog only).
-- Cost: two index scans.
CREATE OR REPLACE FUNCTION pggit.type_details(typid oid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- PL/pgSQL, not SQL: a SQL function with SET is planned again at every call (in the
    -- trigger, once per tracked statement); PL/pgSQL keeps the plan for the session.
    RETURN (SELECT jsonb_build_object(
    'cons', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'n', k.conname, 'd', pg_get_constraintdef(k.oid),
                   'm', (SELECT ds.description FROM pg_description AS ds
                          WHERE ds.objoid = k.oid AND ds.classoid = 'pg_constraint'::regclass AND ds.objsubid = 0))
                 ORDER BY k.conname COLLATE "C")
          FROM pg_constraint AS k
         WHERE k.contypid = t.oid
           AND k.contype <> 'n'), '[]'::jsonb))  -- a domain's NOT NULL: a row on 17+, typnotnull everywhere
  FROM pg_type AS t
 WHERE t.oid = type_details.typid AND t.typtype = 'd');
END
$function$;

COMMENT ON FUNCTION pggit.type_details(oid) IS
    'Names a domain''s canonical definition leaves out (its constraints with their names), as jsonb; NULL otherwise.';
