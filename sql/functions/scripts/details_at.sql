-- pggit.details_at(identity text, blob_hash text, at timestamptz) -> jsonb
--
-- Promises: the details (pggit.object_details: names of constraints and indexes,
-- columns, owner, ...) recorded for the object state (identity, blob hash) as they
-- were at time `at` (a commit's committed_at): the details that stopped being current
-- first after `at` (pggit.object_details_log), else the current ones. `at` NULL: the
-- current ones. NULL when nothing is recorded (a state committed before level 4).
-- Never raises. STABLE, callable by everyone (both tables are readable by PUBLIC).
-- Cost: two index scans.
CREATE OR REPLACE FUNCTION pggit.details_at(identity text, blob_hash text, at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    -- PL/pgSQL: its table comes with the level the function is part of (level 7)
    RETURN coalesce((SELECT l.details FROM pggit.object_details_log AS l
                  WHERE l.identity = details_at.identity AND l.blob_hash = details_at.blob_hash
                    AND l.valid_until > details_at.at
                  ORDER BY l.valid_until LIMIT 1),
                (SELECT od.details FROM pggit.object_details AS od
                  WHERE od.identity = details_at.identity AND od.blob_hash = details_at.blob_hash));
END
$function$;

COMMENT ON FUNCTION pggit.details_at(text, text, timestamptz) IS
    'The recorded details of an object state as they were at a given time (a commit''s), else the current ones.';
