-- pggit.merge_three_way(base text, ours text, theirs text)
--   -> TABLE(object_kind text, object_identity text, base_blob text, ours_blob text,
--            theirs_blob text, merged_blob text, conflict text, detail text)
--
-- Promises: the three-way merge of the schema trees of three commits, per object
-- (kind, identity), by blob hash (the canonical definition). One row per object whose
-- blob is not the same in all three trees (objects equal everywhere are left out):
--   * ours = theirs (both sides made the same change, or neither): merged = ours;
--   * ours = base: merged = theirs (only theirs changed it); theirs = base: merged = ours;
--   * else a conflict, merged = ours (a placeholder: the caller resolves):
--     'modify_delete' when one side removed it, else 'both_changed' (also two different
--     additions of one identity).
--   * 'dependency' (a heuristic, on definitions' text): a view, materialized view,
--     function or procedure that one side added or changed and whose definition names,
--     as whole words, both a table and a column of it that the other side dropped
--     (the column is in the base's object_details of the table and not in that side's,
--     or the side dropped the table). A textual match: a false match only asks the user
--     more; a dependency through another name (a synonym-like view, dynamic SQL) is not
--     seen. Tables whose base or side state has no object_details (recorded before
--     level 4) are not checked. detail names the table, column and side.
--   Renames are not followed: a renamed object is a removal and an addition (so a
--   rename on one side of an object the other side modified is a modify_delete).
-- Only buckets whose node differs between ours and theirs are read (a bucket equal on
-- both sides merges to itself), so the cost is O(entries of the differing buckets).
-- Internal (no EXECUTE for PUBLIC). Errors: 22004 NULL; commit_tree's 42704 / 55000.
CREATE OR REPLACE FUNCTION pggit.merge_three_way(base text, ours text, theirs text)
RETURNS TABLE(object_kind text, object_identity text, base_blob text, ours_blob text, theirs_blob text,
              merged_blob text, conflict text, detail text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_base text[];
    v_ours text[];
    v_theirs text[];
    v_ref text;
    v_tree text[];
BEGIN
    IF merge_three_way.base IS NULL OR merge_three_way.ours IS NULL OR merge_three_way.theirs IS NULL THEN
        RAISE EXCEPTION 'merge_three_way: no argument may be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOREACH v_ref IN ARRAY ARRAY[merge_three_way.base, merge_three_way.ours, merge_three_way.theirs] LOOP
        SELECT t.buckets INTO v_tree
          FROM pggit.commits AS c
          LEFT JOIN pggit.trees AS t ON t.hash = c.schema_hash
         WHERE c.hash = v_ref;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'commit "%" does not exist', v_ref
                USING ERRCODE = 'undefined_object';
        END IF;
        IF v_tree IS NULL THEN
            RAISE EXCEPTION 'commit "%" has no tree: it was made before level 2 (tracking) was installed', v_ref
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF v_base IS NULL THEN
            v_base := v_tree;
        ELSIF v_ours IS NULL THEN
            v_ours := v_tree;
        ELSE
            v_theirs := v_tree;
        END IF;
    END LOOP;

    RETURN QUERY
    WITH trees AS (
        SELECT 'b'::text AS side, s.hash, s.bucket::integer AS bucket
          FROM pg_catalog.unnest(v_base) WITH ORDINALITY AS s (hash, bucket)
        UNION ALL
        SELECT 'o', s.hash, s.bucket::integer FROM pg_catalog.unnest(v_ours) WITH ORDINALITY AS s (hash, bucket)
        UNION ALL
        SELECT 't', s.hash, s.bucket::integer FROM pg_catalog.unnest(v_theirs) WITH ORDINALITY AS s (hash, bucket)
    ), differing AS (
        SELECT o.bucket
          FROM trees AS o
          JOIN trees AS t ON t.bucket = o.bucket AND t.side = 't'
         WHERE o.side = 'o' AND o.hash <> t.hash
    ), entries AS (
        SELECT s.side, e.v ->> 0 AS kind, e.v ->> 1 AS identity, e.v ->> 2 AS blob
          FROM differing AS d
          JOIN trees AS s ON s.bucket = d.bucket
          JOIN pggit.tree_nodes AS n ON n.hash = s.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
    ), three AS (
        SELECT e.kind, e.identity,
               pg_catalog.max(e.blob) FILTER (WHERE e.side = 'b') AS b,
               pg_catalog.max(e.blob) FILTER (WHERE e.side = 'o') AS o,
               pg_catalog.max(e.blob) FILTER (WHERE e.side = 't') AS t
          FROM entries AS e
         GROUP BY e.kind, e.identity
    ), changed AS (
        SELECT x.kind, x.identity, x.b, x.o, x.t,
               CASE WHEN x.o IS NOT DISTINCT FROM x.t THEN x.o
                    WHEN x.o IS NOT DISTINCT FROM x.b THEN x.t
                    ELSE x.o END AS merged,
               CASE WHEN x.o IS NOT DISTINCT FROM x.t OR x.o IS NOT DISTINCT FROM x.b
                         OR x.t IS NOT DISTINCT FROM x.b THEN NULL
                    WHEN x.o IS NULL OR x.t IS NULL THEN 'modify_delete'
                    ELSE 'both_changed' END AS conflict
          FROM three AS x
         WHERE NOT (x.o IS NOT DISTINCT FROM x.b AND x.t IS NOT DISTINCT FROM x.b)
    ), side_tables AS (
        SELECT 'ours'::text AS side, c.identity, c.b, c.o AS blob FROM changed AS c
         WHERE c.kind = 'table' AND c.b IS NOT NULL AND c.o IS DISTINCT FROM c.b
        UNION ALL
        SELECT 'theirs', c.identity, c.b, c.t FROM changed AS c
         WHERE c.kind = 'table' AND c.b IS NOT NULL AND c.t IS DISTINCT FROM c.b
    ), dropped AS (
        SELECT st.side, st.identity AS tbl, bc.v ->> 'n' AS col,
               pg_catalog.regexp_replace(
                   pg_catalog.regexp_replace(st.identity, '^("([^"]|"")*"|[^."]*)\.', ''),
                   '^"(.*)"$', '\1') AS tbl_name
          FROM side_tables AS st
          JOIN pggit.object_details AS bd ON bd.identity = st.identity AND bd.blob_hash = st.b
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(bd.details -> 'cols') AS bc (v)
         WHERE (st.blob IS NULL
                OR EXISTS (SELECT FROM pggit.object_details AS sd
                            WHERE sd.identity = st.identity AND sd.blob_hash = st.blob))
           AND NOT EXISTS (SELECT FROM pggit.object_details AS sd
                           CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(sd.details -> 'cols') AS sc (v)
                            WHERE sd.identity = st.identity AND sd.blob_hash = st.blob
                              AND sc.v ->> 'n' = bc.v ->> 'n')
    ), users AS (
        SELECT 'theirs'::text AS side, c.kind, c.identity, c.t AS blob FROM changed AS c
         WHERE c.kind IN ('view', 'materialized view', 'function', 'procedure')
           AND c.t IS NOT NULL AND c.t IS DISTINCT FROM c.b
        UNION ALL
        SELECT 'ours', c.kind, c.identity, c.o FROM changed AS c
         WHERE c.kind IN ('view', 'materialized view', 'function', 'procedure')
           AND c.o IS NOT NULL AND c.o IS DISTINCT FROM c.b
    ), dependency AS (
        SELECT DISTINCT ON (u.kind, u.identity) u.kind, u.identity,
               pg_catalog.format('uses column %s of %s, dropped on %s', d.col, d.tbl, d.side) AS detail
          FROM users AS u
          JOIN pggit.blobs AS bl ON bl.hash = u.blob
          JOIN dropped AS d ON d.side <> u.side
         WHERE bl.definition ~* ('\m' || pg_catalog.regexp_replace(d.tbl_name, '([^[:alnum:]_])', '\\\1', 'g') || '\M')
           AND bl.definition ~* ('\m' || pg_catalog.regexp_replace(d.col, '([^[:alnum:]_])', '\\\1', 'g') || '\M')
         ORDER BY u.kind, u.identity, d.tbl, d.col
    )
    SELECT c.kind, c.identity, c.b, c.o, c.t, c.merged,
           coalesce(c.conflict, CASE WHEN dp.identity IS NOT NULL THEN 'dependency' END),
           CASE WHEN c.conflict IS NULL THEN dp.detail END
      FROM changed AS c
      LEFT JOIN dependency AS dp ON dp.kind = c.kind AND dp.identity = c.identity
     ORDER BY pg_catalog.convert_to(c.identity, 'UTF8'), pg_catalog.convert_to(c.kind, 'UTF8');
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_three_way(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.merge_three_way(text, text, text) IS
    'Internal: per-object three-way merge of three commits'' trees (changed objects only), with conflict kinds.';
