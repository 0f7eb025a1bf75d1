-- pggit.merge_three_way(base text, ours text, theirs text)
--   -> TABLE(object_kind text, object_identity text, ours_identity text, theirs_identity text,
--            merged_identity text, base_blob text, ours_blob text, theirs_blob text,
--            merged_blob text, conflict text, detail text)
--
-- Promises: the three-way merge of the schema trees of three commits, per object. One
-- row per object whose state is not the same in all three trees (objects equal
-- everywhere are left out). An object's state on a side is (identity, blob) or absent.
--   Identity of an object across the sides (renames followed). The renames come from
--   pggit.diff(base, ours) and pggit.diff(base, theirs) (history-based: rows with change
--   'renamed'; rows of kind 'column' are ignored): an object of a side at identity Y
--   renamed there from X is the base's object X. An entry of a side at an identity X
--   that the same side renamed away is a new object (it is not the base's X). A side's
--   object that is neither a rename target nor in the base is an addition; additions of
--   one kind and identity on both sides are one object.
--   object_identity: the base identity of an object of the base, else the identity of the
--   addition. ours_identity / theirs_identity: its identity on that side (NULL: absent).
--   merged_identity / merged_blob: the merged state (NULL: removed).
--   Rule, per object, on states: ours = theirs -> ours; ours = base -> theirs; theirs =
--   base -> ours; else, when one side removed it (a rename is no removal):
--   'modify_delete'; else identity and blob are merged each by the same rule (so a rename
--   on one side and a change on the other give the renamed, changed object) and if
--   either is changed differently on both sides: 'both_changed' (a rename on both sides
--   to different names, detail `renamed to Y on ours, to Z on theirs`; two different
--   additions of one identity). A conflict's merged state is ours (a placeholder: the
--   caller resolves).
--   'both_changed' also marks an object that would end at the same (kind, identity) as
--   another object of the merge (each identity either side could give a conflicting
--   object counts), e.g. a rename on one side onto a name the other side added; detail
--   `another object is named Y after the merge`.
--   'dependency' (an object merged without conflict otherwise): a view, materialized
--   view, function or procedure one side added or changed that uses what the other side
--   took away from a base table: a column it dropped (or renamed: the name is gone; the
--   column is in the base's object_details of the table and not in that side's), the
--   table (dropped), or the table's name (the other side renamed the table, to a name
--   other than the one the user's side gives it). For views whose dependencies were
--   recorded (pggit.record_view_dependencies, from pg_depend when the view was live on
--   its side: the exact columns of the relations its rules reference) the check is exact
--   and follows the renames of the view's side, so a view naming a same-named column of
--   another table is no conflict. Functions and procedures have no dependency records
--   (PL/pgSQL bodies are text), nor do views recorded before level 4: for them it is
--   textual, whole words, case-insensitive: the definition names the dropped column and
--   the table (its base name or its name on the user's side), or, for a renamed table,
--   its base name. A textual false match only asks the user more; a dependency through
--   another name (dynamic SQL, a view of a view) is not seen. Column checks need the
--   tables' object_details (recorded from level 4 on). detail `uses column c of app.w,
--   dropped on ours`, `uses app.w, dropped on theirs`, `uses app.w, renamed to app.x on
--   ours`.
-- Only buckets whose node differs between ours and theirs, and the buckets of renamed
-- identities, are read, so the cost is O(entries of those buckets) plus the two diffs'
-- rename look-ups (which read history only when a side removed and added one kind).
-- jit is off: the planner's estimates of this one statement are far above its work, and
-- compiling it took seconds. Internal (no EXECUTE for PUBLIC). Errors: 22004 NULL; 42704
-- an unknown commit; 55000 a commit without a tree.
CREATE OR REPLACE FUNCTION pggit.merge_three_way(base text, ours text, theirs text)
RETURNS TABLE(object_kind text, object_identity text, ours_identity text, theirs_identity text,
              merged_identity text, base_blob text, ours_blob text, theirs_blob text,
              merged_blob text, conflict text, detail text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET jit = off
AS $function$
DECLARE
    v_base text[];
    v_ours text[];
    v_theirs text[];
    v_ren jsonb;
BEGIN
    IF merge_three_way.base IS NULL OR merge_three_way.ours IS NULL OR merge_three_way.theirs IS NULL THEN
        RAISE EXCEPTION 'merge_three_way: no argument may be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    v_base := pggit.commit_buckets(merge_three_way.base);
    v_ours := pggit.commit_buckets(merge_three_way.ours);
    v_theirs := pggit.commit_buckets(merge_three_way.theirs);

    -- renames of each side since the base: [side, kind, old identity, new identity]
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(s.side, d.object_kind, d.old_identity,
                                                             d.object_identity))
      INTO v_ren
      FROM (VALUES ('o', merge_three_way.ours), ('t', merge_three_way.theirs)) AS s (side, ref)
     CROSS JOIN LATERAL pggit.diff(merge_three_way.base, s.ref) AS d
     WHERE s.ref <> merge_three_way.base AND d.change = 'renamed' AND d.object_kind <> 'column';

    RETURN QUERY
    WITH ren AS (
        SELECT r.v ->> 0 AS side, r.v ->> 1 AS kind, r.v ->> 2 AS old, r.v ->> 3 AS new
          FROM pg_catalog.jsonb_array_elements(coalesce(v_ren, '[]'::jsonb)) AS r (v)
    ), trees AS (
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
        UNION
        SELECT pggit.tree_bucket(x.identity)
          FROM ren AS r
         CROSS JOIN LATERAL (VALUES (r.old), (r.new)) AS x (identity)
    ), entries AS MATERIALIZED (
        SELECT s.side, e.v ->> 0 AS kind, e.v ->> 1 AS identity, e.v ->> 2 AS blob
          FROM differing AS d
          JOIN trees AS s ON s.bucket = d.bucket
          JOIN pggit.tree_nodes AS n ON n.hash = s.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
    ), keyed AS (
        -- key: the base identity of a base object, else the identity; from_base tells which
        SELECT e.side, e.kind, e.identity, e.blob,
               coalesce(r.old, e.identity) AS key,
               (e.side = 'b' OR r.old IS NOT NULL
                OR (NOT EXISTS (SELECT FROM ren AS a
                                 WHERE a.side = e.side AND a.kind = e.kind AND a.old = e.identity)
                    AND EXISTS (SELECT FROM entries AS b
                                 WHERE b.side = 'b' AND b.kind = e.kind AND b.identity = e.identity))) AS from_base
          FROM entries AS e
          LEFT JOIN ren AS r ON e.side <> 'b' AND r.side = e.side AND r.kind = e.kind AND r.new = e.identity
    ), three AS (
        SELECT k.kind, k.key, k.from_base,
               pg_catalog.max(k.blob) FILTER (WHERE k.side = 'b') AS b,
               pg_catalog.max(k.identity) FILTER (WHERE k.side = 'o') AS oi,
               pg_catalog.max(k.blob) FILTER (WHERE k.side = 'o') AS o,
               pg_catalog.max(k.identity) FILTER (WHERE k.side = 't') AS ti,
               pg_catalog.max(k.blob) FILTER (WHERE k.side = 't') AS t
          FROM keyed AS k
         GROUP BY k.kind, k.key, k.from_base
    ), states AS (
        SELECT x.*,
               CASE WHEN x.o IS NULL THEN x.t IS NULL
                    ELSE x.t IS NOT NULL AND x.oi = x.ti AND x.o = x.t END AS ot,
               CASE WHEN x.o IS NULL THEN x.b IS NULL
                    ELSE x.b IS NOT NULL AND x.oi = x.key AND x.o = x.b END AS ob,
               CASE WHEN x.t IS NULL THEN x.b IS NULL
                    ELSE x.b IS NOT NULL AND x.ti = x.key AND x.t = x.b END AS tb,
               CASE WHEN x.oi = x.ti THEN x.oi
                    WHEN x.b IS NOT NULL AND x.oi = x.key THEN x.ti
                    WHEN x.b IS NOT NULL AND x.ti = x.key THEN x.oi END AS mi,
               CASE WHEN x.o = x.t THEN x.o WHEN x.o = x.b THEN x.t WHEN x.t = x.b THEN x.o END AS mb
          FROM three AS x
    ), merged AS (
        SELECT s.kind, s.key, s.from_base, s.b, s.oi, s.o, s.ti, s.t,
               CASE WHEN s.ot OR s.tb THEN s.oi WHEN s.ob THEN s.ti
                    WHEN s.o IS NULL OR s.t IS NULL OR s.mi IS NULL OR s.mb IS NULL THEN s.oi
                    ELSE s.mi END AS mi,
               CASE WHEN s.ot OR s.tb THEN s.o WHEN s.ob THEN s.t
                    WHEN s.o IS NULL OR s.t IS NULL OR s.mi IS NULL OR s.mb IS NULL THEN s.o
                    ELSE s.mb END AS mb,
               CASE WHEN s.ot OR s.ob OR s.tb THEN NULL
                    WHEN s.o IS NULL OR s.t IS NULL THEN 'modify_delete'
                    WHEN s.mi IS NULL OR s.mb IS NULL THEN 'both_changed' END AS conflict,
               CASE WHEN s.ot OR s.ob OR s.tb OR s.o IS NULL OR s.t IS NULL THEN NULL
                    WHEN s.mi IS NULL THEN pg_catalog.format('renamed to %s on ours, to %s on theirs', s.oi, s.ti)
               END AS detail
          FROM states AS s
         WHERE NOT (s.ob AND s.tb)
    ), claims AS (
        -- the identities each object may end at: its merged one, or either side's if in conflict
        SELECT m.kind, m.key, m.from_base, x.identity
          FROM merged AS m
         CROSS JOIN LATERAL (VALUES (CASE WHEN m.conflict IS NULL THEN m.mi END),
                                    (CASE WHEN m.conflict IS NOT NULL THEN m.oi END),
                                    (CASE WHEN m.conflict IS NOT NULL THEN m.ti END)) AS x (identity)
         WHERE x.identity IS NOT NULL
    ), clash AS (
        SELECT DISTINCT ON (c.kind, c.key, c.from_base) c.kind, c.key, c.from_base, c.identity
          FROM claims AS c
         WHERE EXISTS (SELECT FROM claims AS d
                        WHERE d.kind = c.kind AND d.identity = c.identity
                          AND (d.key <> c.key OR d.from_base <> c.from_base))
         ORDER BY c.kind, c.key, c.from_base, pg_catalog.convert_to(c.identity, 'UTF8')
    ), changed AS (
        SELECT m.kind, m.key, m.from_base, m.b, m.oi, m.o, m.ti, m.t, m.mi, m.mb,
               coalesce(m.conflict, CASE WHEN cl.key IS NOT NULL THEN 'both_changed' END) AS conflict,
               CASE WHEN m.conflict IS NOT NULL THEN m.detail
                    WHEN cl.key IS NOT NULL
                    THEN pg_catalog.format('another object is named %s after the merge', cl.identity) END AS detail
          FROM merged AS m
          LEFT JOIN clash AS cl ON cl.kind = m.kind AND cl.key = m.key AND cl.from_base = m.from_base
    ), gone AS (
        -- per side, what of a base table that side took away: a column (col; renamed_to
        -- NULL), the table itself (col and renamed_to NULL), or its name (renamed_to)
        SELECT s.side, c.key AS tbl, bc.v ->> 'n' AS col, NULL::text AS renamed_to
          FROM changed AS c
         CROSS JOIN LATERAL (VALUES ('ours'::text, c.oi, c.o), ('theirs', c.ti, c.t)) AS s (side, sid, sblob)
          JOIN pggit.object_details AS bd ON bd.identity = c.key AND bd.blob_hash = c.b
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(bd.details -> 'cols') AS bc (v)
         WHERE c.kind = 'table' AND c.from_base AND s.sblob IS DISTINCT FROM c.b
           AND (s.sblob IS NULL
                OR EXISTS (SELECT FROM pggit.object_details AS sd
                            WHERE sd.identity = s.sid AND sd.blob_hash = s.sblob))
           AND NOT EXISTS (SELECT FROM pggit.object_details AS sd
                           CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(sd.details -> 'cols') AS sc (v)
                            WHERE sd.identity = s.sid AND sd.blob_hash = s.sblob
                              AND sc.v ->> 'n' = bc.v ->> 'n')
        UNION ALL
        SELECT s.side, c.key, NULL, s.sid
          FROM changed AS c
         CROSS JOIN LATERAL (VALUES ('ours'::text, c.oi, c.o), ('theirs', c.ti, c.t)) AS s (side, sid, sblob)
         WHERE c.kind = 'table' AND c.from_base AND (s.sblob IS NULL OR s.sid <> c.key)
    ), users AS (
        SELECT s.side, c.kind, c.key, c.from_base, s.sid, s.sblob
          FROM changed AS c
         CROSS JOIN LATERAL (VALUES ('ours'::text, c.oi, c.o), ('theirs', c.ti, c.t)) AS s (side, sid, sblob)
         WHERE c.kind IN ('view', 'materialized view', 'function', 'procedure') AND c.conflict IS NULL
           AND s.sblob IS NOT NULL AND s.sblob IS DISTINCT FROM c.b
           AND EXISTS (SELECT FROM gone AS g WHERE g.side <> s.side)
    ), recorded AS (
        SELECT u.side, u.kind, u.key, u.from_base, od.details -> 'deps' AS deps
          FROM users AS u
          JOIN pggit.object_details AS od ON od.identity = u.sid AND od.blob_hash = u.sblob
         WHERE u.kind IN ('view', 'materialized view') AND od.details ? 'deps'
    ), textual AS (
        -- users without records, with the tables the other side took something of
        SELECT u.kind, u.key, u.from_base, bl.definition, g.tbl, g.col, g.renamed_to, g.side, n.own,
               -- whole-word patterns (\m \M) of the column and of the table's names without schema
               '\m' || pg_catalog.regexp_replace(g.col, '([^[:alnum:]_])', '\\\1', 'g') || '\M' AS col_re,
               '\m' || pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(
                   g.tbl, '^("([^"]|"")*"|[^."]*)\.', ''), '^"(.*)"$', '\1'), '([^[:alnum:]_])', '\\\1', 'g')
               || '\M' AS tbl_re,
               '\m' || pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(
                   n.own, '^("([^"]|"")*"|[^."]*)\.', ''), '^"(.*)"$', '\1'), '([^[:alnum:]_])', '\\\1', 'g')
               || '\M' AS own_re
          FROM users AS u
          JOIN pggit.blobs AS bl ON bl.hash = u.sblob
          JOIN gone AS g ON g.side <> u.side
         CROSS JOIN LATERAL (
             SELECT coalesce((SELECT rn.new FROM ren AS rn
                               WHERE rn.side = left(u.side, 1) AND rn.kind = 'table' AND rn.old = g.tbl),
                             g.tbl) AS own) AS n
         WHERE NOT EXISTS (SELECT FROM recorded AS r
                            WHERE r.side = u.side AND r.kind = u.kind AND r.key = u.key
                              AND r.from_base = u.from_base)
    ), dependency AS (
        SELECT DISTINCT ON (x.kind, x.key, x.from_base) x.kind, x.key, x.from_base, x.detail
          FROM (
            -- recorded dependencies: exact, through the renames of the user's side
            SELECT r.kind, r.key, r.from_base, g.tbl, g.col,
                   CASE WHEN g.col IS NOT NULL
                        THEN pg_catalog.format('uses column %s of %s, dropped on %s', g.col, g.tbl, g.side)
                        WHEN g.renamed_to IS NULL THEN pg_catalog.format('uses %s, dropped on %s', g.tbl, g.side)
                        ELSE pg_catalog.format('uses %s, renamed to %s on %s', g.tbl, g.renamed_to, g.side)
                   END AS detail
              FROM recorded AS r
             CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(r.deps) AS dp (v)
              JOIN gone AS g
                ON g.side <> r.side
               AND g.tbl = coalesce((SELECT rn.old FROM ren AS rn
                                      WHERE rn.side = left(r.side, 1) AND rn.kind = 'table'
                                        AND rn.new = dp.v ->> 0), dp.v ->> 0)
               AND (g.col = dp.v ->> 1
                    OR g.col IS NULL AND g.renamed_to IS NULL
                    OR g.renamed_to <> dp.v ->> 0)
            UNION ALL
            -- no records: the definition names, as whole words, the table (by its base name
            -- or its name on the user's side) and the dropped column; or the table by the
            -- name the other side gave up
            SELECT x.kind, x.key, x.from_base, x.tbl, x.col,
                   CASE WHEN x.col IS NOT NULL
                        THEN pg_catalog.format('uses column %s of %s, dropped on %s', x.col, x.tbl, x.side)
                        ELSE pg_catalog.format('uses %s, renamed to %s on %s', x.tbl, x.renamed_to, x.side)
                   END
              FROM textual AS x
             WHERE CASE WHEN x.col IS NOT NULL
                        THEN x.definition ~* x.col_re AND (x.definition ~* x.tbl_re OR x.definition ~* x.own_re)
                        ELSE x.renamed_to IS NOT NULL AND x.renamed_to <> x.own AND x.definition ~* x.tbl_re
                   END
          ) AS x
         ORDER BY x.kind, x.key, x.from_base, pg_catalog.convert_to(x.tbl, 'UTF8'),
                  pg_catalog.convert_to(coalesce(x.col, ''), 'UTF8')
    )
    SELECT c.kind, c.key, c.oi, c.ti, c.mi, c.b, c.o, c.t, c.mb,
           coalesce(c.conflict, CASE WHEN dp.key IS NOT NULL THEN 'dependency' END),
           CASE WHEN c.conflict IS NULL THEN dp.detail ELSE c.detail END
      FROM changed AS c
      LEFT JOIN dependency AS dp ON dp.kind = c.kind AND dp.key = c.key AND dp.from_base = c.from_base
     ORDER BY pg_catalog.convert_to(c.key, 'UTF8'), pg_catalog.convert_to(c.kind, 'UTF8'), c.from_base DESC;
END
$function$;

REVOKE ALL ON FUNCTION pggit.merge_three_way(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.merge_three_way(text, text, text) IS
    'Internal: per-object three-way merge of three commits'' trees (renames followed, changed objects only), with conflict kinds.';
