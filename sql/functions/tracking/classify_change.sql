-- pggit.classify_change(old json, new json) -> (change text, renamed boolean)
--
-- Promises: the semantic-version bump that the difference between two structures
-- (as pggit.describe_table / describe_view / describe_type build them, before and
-- after one statement) calls for by pggit's rules: change is 'major', 'minor', or NULL
-- when no rule below applies (the caller then bumps patch if the canonical
-- definition differs at all, else records 'none'). renamed is true when a column,
-- attribute or enum label was renamed (things that refer to the object may print
-- differently now). Pure: IMMUTABLE, PARALLEL SAFE; never raises for well-formed
-- structures (NULL or mismatched kinds give NULL, false).
--
-- Columns are matched by attribute number, so a rename is not a drop plus an add.
--   table ("t": "table")
--     major  a column dropped, renamed or retyped (type incl. typmod, or collation);
--            NOT NULL set on a column; a NOT NULL column without default, identity or
--            generation expression added; a unique, check, foreign-key, primary-key or
--            exclusion constraint added (or its definition changed, which is a drop plus
--            an add: e.g. VALIDATE CONSTRAINT); a partition bound set or changed (ATTACH)
--     minor  a column added (nullable or defaulted); an index added (a new index name
--            whose definition is now more frequent than before: renaming an index or
--            changing its storage options is not an addition); a constraint dropped;
--            NOT NULL dropped; a partition bound removed (DETACH)
--   view, materialized view, composite type
--     major  a column (attribute) removed, renamed or retyped
--     minor  a column added; an index added (materialized views)
--   enum     minor: labels added, none lost; major: a label renamed (or lost)
--   domain   major: a constraint added or NOT NULL set;
--            minor: a constraint dropped or NOT NULL dropped
-- Everything else (defaults, comments, storage, options, dropped indexes, triggers,
-- policies, rules, view queries, ranges, sequences, functions, schemas) is left to
-- the caller's patch-or-none decision.
CREATE OR REPLACE FUNCTION pggit.classify_change(
    old json,
    new json,
    OUT change text,
    OUT renamed boolean)
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_old jsonb := old::jsonb;  -- json operators parse the whole text at every use: convert once
    v_new jsonb := new::jsonb;
    kind text := v_new ->> 't';
    is_major boolean := false;
    is_minor boolean := false;
BEGIN
    renamed := false;
    IF kind IS NULL OR kind IS DISTINCT FROM v_old ->> 't' THEN
        RETURN;
    END IF;

    IF kind IN ('table', 'view', 'materialized view', 'composite') THEN
        -- Each part is compared only when it differs at all (most statements change one).
        IF (v_new -> 'c') IS DISTINCT FROM (v_old -> 'c') THEN
            -- columns matched by attribute number
            SELECT coalesce(bool_or(oc.n IS NOT NULL AND (
                               nc.n IS NULL OR oc.name IS DISTINCT FROM nc.name OR oc.type IS DISTINCT FROM nc.type
                               OR oc.coll IS DISTINCT FROM nc.coll
                               OR (NOT coalesce(oc.nn, false) AND coalesce(nc.nn, false))))
                           OR bool_or(oc.n IS NULL AND coalesce(nc.nn, false) AND NOT coalesce(nc.def, false)),
                           false),
                   coalesce(bool_or(oc.n IS NULL) OR bool_or(coalesce(oc.nn, false) AND NOT coalesce(nc.nn, false)),
                            false),
                   coalesce(bool_or(oc.n IS NOT NULL AND nc.n IS NOT NULL AND oc.name IS DISTINCT FROM nc.name), false)
              INTO is_major, is_minor, renamed
              FROM (SELECT (e ->> 0)::integer AS n, e ->> 1 AS name, e ->> 2 AS type, e ->> 3 AS coll,
                           (e ->> 4)::boolean AS nn, (e ->> 5)::boolean AS def
                      FROM jsonb_array_elements(v_old -> 'c') AS e) AS oc
              FULL JOIN (SELECT (e ->> 0)::integer AS n, e ->> 1 AS name, e ->> 2 AS type, e ->> 3 AS coll,
                                (e ->> 4)::boolean AS nn, (e ->> 5)::boolean AS def
                           FROM jsonb_array_elements(v_new -> 'c') AS e) AS nc
                ON oc.n = nc.n;
        END IF;
        IF (v_new -> 'k') IS DISTINCT FROM (v_old -> 'k') THEN
            -- constraints as a multiset of "<contype> <definition>"
            SELECT is_major OR EXISTS (SELECT FROM (SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e
                                                    EXCEPT ALL
                                                    SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e) AS a
                                        WHERE left(a.e, 1) IN ('u', 'c', 'f', 'p', 'x')),
                   is_minor OR EXISTS (SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e
                                       EXCEPT ALL
                                       SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e)
              INTO is_major, is_minor;
        END IF;
        IF NOT is_minor AND (v_new -> 'i') IS DISTINCT FROM (v_old -> 'i') THEN
            -- an index is added when a new name comes and its definition is now more
            -- frequent than before (renaming an index, or changing its options under the
            -- same name, adds none; a duplicate index does)
            SELECT EXISTS (SELECT FROM jsonb_each_text(v_new -> 'i') AS ni
                            WHERE NOT (v_old -> 'i') ? ni.key
                              AND (SELECT count(*) FROM jsonb_each_text(v_new -> 'i') AS x WHERE x.value = ni.value)
                                  > (SELECT count(*) FROM jsonb_each_text(v_old -> 'i') AS x WHERE x.value = ni.value))
              INTO is_minor;
        END IF;
        IF v_new ->> 'b' IS NOT NULL AND v_new ->> 'b' IS DISTINCT FROM v_old ->> 'b' THEN
            is_major := true;  -- a partition bound set or changed (ATTACH PARTITION)
        ELSIF v_old ->> 'b' IS NOT NULL AND v_new ->> 'b' IS NULL THEN
            is_minor := true;  -- DETACH PARTITION
        END IF;
    ELSIF kind = 'domain' THEN
        SELECT EXISTS (SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e
                       EXCEPT ALL
                       SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e)
                   OR (coalesce((v_new ->> 'nn')::boolean, false)
                       AND NOT coalesce((v_old ->> 'nn')::boolean, false)),
               EXISTS (SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e
                       EXCEPT ALL
                       SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e)
                   OR (coalesce((v_old ->> 'nn')::boolean, false)
                       AND NOT coalesce((v_new ->> 'nn')::boolean, false))
          INTO is_major, is_minor;
    ELSIF kind = 'enum' THEN
        -- minor: labels added, none lost; major: a label renamed (or lost)
        SELECT NOT EXISTS (SELECT e FROM jsonb_array_elements_text(v_old -> 'l') AS e
                           EXCEPT
                           SELECT e FROM jsonb_array_elements_text(v_new -> 'l') AS e),
               jsonb_array_length(v_new -> 'l') > jsonb_array_length(v_old -> 'l')
          INTO is_minor, is_major;
        IF NOT is_minor THEN
            is_major := true;
            renamed := true;
        ELSE
            is_minor := is_major;
            is_major := false;
        END IF;
    END IF;

    change := CASE WHEN is_major THEN 'major' WHEN is_minor THEN 'minor' END;
END
$function$;

COMMENT ON FUNCTION pggit.classify_change(json, json) IS
    'major / minor / NULL for the difference between two object structures by pggit''s versioning rules, and whether something was renamed.';
