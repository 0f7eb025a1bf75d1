-- pggit.diff(from_ref text, to_ref text)
--     -> TABLE(object_identity text, object_kind text, change text, old_definition text,
--              new_definition text, old_identity text)
--
-- Promises: one row per tracked object that differs between the schema at from_ref
-- and the schema at to_ref (pggit.schema_at: a commit's tree, or WORKING = the live
-- registry); objects are (kind, identity) pairs compared by their definition's hash.
--   change      'added'     only in to_ref     old_identity NULL, old_definition NULL
--               'removed'   only in from_ref   old_identity = object_identity,
--                                              new_definition NULL
--               'modified'  in both, definitions differ   old_identity = object_identity
--               'renamed'   old_identity in from_ref became object_identity in to_ref;
--                           both definitions given (they may differ too)
--   object_identity  the identity in to_ref (in from_ref for 'removed')
--   old_identity     the identity in from_ref (NULL for 'added')
-- Rows are ordered by object_identity, then object_kind (UTF-8 byte order).
-- Laws (tests/merge): diff(x, x) is empty; diff(b, a) mirrors diff(a, b) (added <->
-- removed, definitions and identities swapped).
--
-- Renames. A removed (kind, X) and an added (kind, Y) are reported as one 'renamed'
-- row when the history recorded that object's identity going from X to Y between the
-- two refs: pggit.history rows (same object_id, with at least one row whose
-- old_identity <> object_identity) attached to the commits of pggit.dag_path(from,
-- to), the commits reachable from exactly one side. Rows on the to-side are replayed
-- forward from the merge base, rows on the from-side backward, so chains (a -> b ->
-- c), schema renames (every object of the schema is recorded renamed) and renames on
-- both sides of a fork are followed. For WORKING the side's commit is the head of the
-- session's branch (pggit.current_branch()) and the pending (uncommitted) history rows
-- count on WORKING's side. A pairing that is not one to one (two objects claiming X or
-- Y) is not reported as a rename.
--
-- Column renames. A table reported 'modified' or 'renamed' also gets one row per column
-- the history renamed between the two refs: object_kind 'column', change 'renamed',
-- object_identity <table at to_ref>.<new column name>, old_identity <table at
-- from_ref>.<old column name> (each part quoted as pg_identify_object quotes it),
-- old_definition / new_definition the column's COLUMN line of the table's canonical
-- definition on each side. The evidence is pggit.column_changes (level 4): the columns
-- each tracked statement added, dropped or renamed, by attribute number (never reused
-- within a table), followed per table object and attribute number along the same
-- history rows as table renames (forward on the to-side, backward on the from-side).
-- A column dropped and another added is never a rename (two attribute numbers); a
-- column is reported only when its old name is a column of the table at from_ref and
-- its new name one at to_ref, one to one per table. Statements recorded before level 4
-- left no column changes: no column rename is claimed across them. A rename that
-- leaves the table's definition unchanged (a swap of two columns of one type) changes
-- nothing diff compares and is not reported.
--
-- Cost. Two commits: the two trees' 256 bucket hashes are compared and only the
-- nodes of buckets whose hash differs are read, so the work follows the difference,
-- not the schema; equal roots return at once. With WORKING on a side: O(schema) (the
-- registry has no buckets). Renames are looked for only when an added and a removed
-- object share a kind, column renames only when a table differs on both sides and
-- pggit.column_changes holds a rename of a table object that had one of their
-- identities (O(history rows of the objects that ever renamed a column)); then the
-- path's history rows are read (O(commits between the refs and their rows)).
-- Errors: those of pggit.resolve_ref (22004, 42704, 42P09, 55000) for either ref, and
--   55000 object_not_in_prerequisite_state  a commit without a tree (made before level 2)
-- VOLATILE (level 9: it settles the transaction's pending DDL first), SECURITY INVOKER, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.diff(from_ref text, to_ref text)
RETURNS TABLE(object_identity text, object_kind text, change text, old_definition text,
              new_definition text, old_identity text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_from text := pggit.resolve_ref(diff.from_ref);
    v_to text := pggit.resolve_ref(diff.to_ref);
    v_from_tree text[];
    v_to_tree text[];
    v_raw jsonb;
    v_renames boolean;
    v_columns boolean;
    v_head text;
    v_pending_side integer;
BEGIN
    -- Level 9: the calling transaction's tracked DDL is described first (pggit.settle_pending),
    -- so what this reads is exact within the transaction too.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL THEN
        PERFORM pggit.settle_pending();
    END IF;
    IF v_from IS NULL AND v_to IS NULL THEN
        RETURN;
    END IF;
    IF v_from IS NOT NULL THEN
        v_from_tree := pggit.commit_buckets(v_from);
    END IF;
    IF v_to IS NOT NULL THEN
        v_to_tree := pggit.commit_buckets(v_to);
    END IF;
    IF v_from_tree = v_to_tree THEN
        RETURN;  -- same tree, same objects: nothing to report, whatever the history
    END IF;

    -- The differing entries: [kind, identity, old blob, new blob] (a NULL blob: absent).
    WITH ft AS (
        SELECT f.hash, f.bucket::integer AS bucket
          FROM pg_catalog.unnest(v_from_tree) WITH ORDINALITY AS f (hash, bucket)
    ), tt AS (
        SELECT f.hash, f.bucket::integer AS bucket
          FROM pg_catalog.unnest(v_to_tree) WITH ORDINALITY AS f (hash, bucket)
    ), buckets AS (
        -- every bucket when a side is WORKING (its tree is NULL)
        SELECT g.bucket, ft.hash AS from_node, tt.hash AS to_node
          FROM pg_catalog.generate_series(1, 256) AS g (bucket)
          LEFT JOIN ft ON ft.bucket = g.bucket
          LEFT JOIN tt ON tt.bucket = g.bucket
         WHERE ft.hash IS DISTINCT FROM tt.hash
    ), live AS (
        SELECT DISTINCT ON (o.kind, o.identity) o.kind, o.identity, o.hash::text AS blob
          FROM pggit.objects AS o
         WHERE o.dropped_at IS NULL AND (v_from IS NULL OR v_to IS NULL)
         ORDER BY o.kind, o.identity, o.id DESC
    ), fe AS (
        SELECT e.v ->> 0 AS kind, e.v ->> 1 AS identity, e.v ->> 2 AS blob
          FROM buckets AS b
          JOIN pggit.tree_nodes AS n ON n.hash = b.from_node
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
        UNION ALL
        SELECT l.kind, l.identity, l.blob FROM live AS l WHERE v_from IS NULL
    ), te AS (
        SELECT e.v ->> 0 AS kind, e.v ->> 1 AS identity, e.v ->> 2 AS blob
          FROM buckets AS b
          JOIN pggit.tree_nodes AS n ON n.hash = b.to_node
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
        UNION ALL
        SELECT l.kind, l.identity, l.blob FROM live AS l WHERE v_to IS NULL
    )
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
               coalesce(fe.kind, te.kind), coalesce(fe.identity, te.identity), fe.blob, te.blob))
      INTO v_raw
      FROM fe
      FULL JOIN te ON te.kind = fe.kind AND te.identity = fe.identity
     WHERE fe.blob IS DISTINCT FROM te.blob;

    IF v_raw IS NULL THEN
        RETURN;
    END IF;

    SELECT coalesce(pg_catalog.bool_or(k.removed AND k.added), false),
           coalesce(pg_catalog.bool_or(k.kind = 'table' AND (k.modified OR k.removed AND k.added)), false)
      INTO v_renames, v_columns
      FROM (SELECT r.v ->> 0 AS kind,
                   pg_catalog.bool_or(r.v -> 3 = 'null'::jsonb) AS removed,
                   pg_catalog.bool_or(r.v -> 2 = 'null'::jsonb) AS added,
                   pg_catalog.bool_or(r.v -> 2 <> 'null'::jsonb AND r.v -> 3 <> 'null'::jsonb) AS modified
              FROM pg_catalog.jsonb_array_elements(v_raw) AS r (v)
             GROUP BY r.v ->> 0) AS k;
    -- column renames only when some table object renamed a column at some time and is
    -- one of the tables here (every identity an object had is some history row's
    -- object_identity); with renamed objects the path is read anyway
    v_columns := v_columns AND (v_renames OR EXISTS (
        SELECT FROM pggit.column_changes AS cc
          JOIN pggit.history AS h ON h.id = cc.history_id
          JOIN pggit.history AS h2 ON h2.object_id = h.object_id
         WHERE cc.old_name IS NOT NULL AND cc.new_name IS NOT NULL
           AND h2.object_identity IN (SELECT r.v ->> 1 FROM pg_catalog.jsonb_array_elements(v_raw) AS r (v)
                                       WHERE r.v ->> 0 = 'table' AND r.v -> 2 <> 'null'::jsonb
                                         AND r.v -> 3 <> 'null'::jsonb)));

    IF NOT (v_renames OR v_columns) THEN
        -- no rename to look for: the differing entries as they are
        RETURN QUERY
        SELECT r.v ->> 1, r.v ->> 0,
               CASE WHEN r.v -> 2 = 'null'::jsonb THEN 'added' WHEN r.v -> 3 = 'null'::jsonb THEN 'removed'
                    ELSE 'modified' END,
               ob.definition, nb.definition,
               CASE WHEN r.v -> 2 = 'null'::jsonb THEN NULL ELSE r.v ->> 1 END
          FROM pg_catalog.jsonb_array_elements(v_raw) AS r (v)
          LEFT JOIN pggit.blobs AS ob ON ob.hash = r.v ->> 2
          LEFT JOIN pggit.blobs AS nb ON nb.hash = r.v ->> 3
         ORDER BY pg_catalog.convert_to(r.v ->> 1, 'UTF8'), pg_catalog.convert_to(r.v ->> 0, 'UTF8');
        RETURN;
    END IF;

    IF v_from IS NULL OR v_to IS NULL THEN
        SELECT b.head_commit_hash INTO v_head FROM pggit.branches AS b WHERE b.name = pggit.current_branch();
        v_pending_side := CASE WHEN v_from IS NULL THEN 1 ELSE 2 END;
    END IF;

    RETURN QUERY
    WITH raw AS (
        SELECT r.v ->> 0 AS kind, r.v ->> 1 AS identity, r.v ->> 2 AS old_blob, r.v ->> 3 AS new_blob
          FROM pg_catalog.jsonb_array_elements(v_raw) AS r (v)
    ), path AS (
        SELECT p.hash, p.side
          FROM pggit.dag_path(coalesce(v_from, v_head), coalesce(v_to, v_head)) AS p
         WHERE v_renames OR v_columns
    ), steps AS (
        -- history rows between the refs: side 1 = from's side (replayed backward), 2 = to's
        SELECT h.id, h.object_id, h.object_kind, h.object_identity, h.old_identity, h.change, p.side
          FROM path AS p
          JOIN pggit.history AS h ON h.commit_hash = p.hash
         WHERE h.object_id IS NOT NULL
        UNION ALL
        SELECT h.id, h.object_id, h.object_kind, h.object_identity, h.old_identity, h.change, v_pending_side
          FROM pggit.history AS h
         WHERE (v_renames OR v_columns) AND v_pending_side IS NOT NULL AND h.commit_hash IS NULL
           AND h.object_id IS NOT NULL
    ), moved AS (
        SELECT DISTINCT s.object_id FROM steps AS s WHERE v_renames AND s.old_identity <> s.object_identity
    ), per_side AS (
        -- per object and side: identity before its first row and after its last row
        SELECT DISTINCT s.object_id, s.side, s.object_kind,
               pg_catalog.first_value(s.old_identity) OVER w AS before,
               pg_catalog.last_value(CASE WHEN s.change = 'drop' THEN NULL ELSE s.object_identity END) OVER w AS after
          FROM steps AS s
          JOIN moved AS m ON m.object_id = s.object_id
        WINDOW w AS (PARTITION BY s.object_id, s.side ORDER BY s.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ), objects_moved AS (
        SELECT o.object_id, o.kind,
               CASE WHEN bs.object_id IS NOT NULL THEN bs.after ELSE coalesce(fs.before, bs.before) END AS at_from,
               CASE WHEN fs.object_id IS NOT NULL THEN fs.after ELSE coalesce(fs.before, bs.before) END AS at_to
          FROM (SELECT DISTINCT ps.object_id, ps.object_kind AS kind FROM per_side AS ps) AS o
          LEFT JOIN per_side AS bs ON bs.object_id = o.object_id AND bs.side = 1
          LEFT JOIN per_side AS fs ON fs.object_id = o.object_id AND fs.side = 2
    ), candidates AS (
        SELECT om.kind, om.at_from, om.at_to
          FROM objects_moved AS om
          JOIN raw AS r ON r.kind = om.kind AND r.identity = om.at_from AND r.new_blob IS NULL
          JOIN raw AS a ON a.kind = om.kind AND a.identity = om.at_to AND a.old_blob IS NULL
         WHERE om.at_from <> om.at_to
    ), pairs AS (
        -- one to one only: an identity claimed twice on a side pairs with nothing
        SELECT c.kind, c.at_from, c.at_to
          FROM candidates AS c
         WHERE (SELECT pg_catalog.count(*) FROM candidates AS x WHERE x.kind = c.kind AND x.at_from = c.at_from) = 1
           AND (SELECT pg_catalog.count(*) FROM candidates AS x WHERE x.kind = c.kind AND x.at_to = c.at_to) = 1
    ), rows_out AS (
        SELECT p.at_to AS identity, p.kind, 'renamed'::text AS change,
               r.old_blob, a.new_blob, p.at_from AS old_identity
          FROM pairs AS p
          JOIN raw AS r ON r.kind = p.kind AND r.identity = p.at_from
          JOIN raw AS a ON a.kind = p.kind AND a.identity = p.at_to
        UNION ALL
        SELECT r.identity, r.kind,
               CASE WHEN r.old_blob IS NULL THEN 'added' WHEN r.new_blob IS NULL THEN 'removed' ELSE 'modified' END,
               r.old_blob, r.new_blob,
               CASE WHEN r.old_blob IS NULL THEN NULL ELSE r.identity END
          FROM raw AS r
         WHERE NOT EXISTS (SELECT FROM pairs AS p
                            WHERE p.kind = r.kind AND (p.at_from = r.identity AND r.new_blob IS NULL
                                                       OR p.at_to = r.identity AND r.old_blob IS NULL))
    ), objects_out AS (
        SELECT o.identity, o.kind, o.change, ob.definition AS old_def, nb.definition AS new_def, o.old_identity
          FROM rows_out AS o
          LEFT JOIN pggit.blobs AS ob ON ob.hash = o.old_blob
          LEFT JOIN pggit.blobs AS nb ON nb.hash = o.new_blob
    ), col_steps AS (
        -- the column changes of the path's rows, for tables with at least one rename
        SELECT s.id, s.object_id, s.side, cc.attnum, cc.old_name, cc.new_name
          FROM steps AS s
          JOIN pggit.column_changes AS cc ON cc.history_id = s.id
         WHERE v_columns
           AND s.object_id IN (SELECT s2.object_id FROM steps AS s2
                                 JOIN pggit.column_changes AS c2 ON c2.history_id = s2.id
                                WHERE c2.old_name IS NOT NULL AND c2.new_name IS NOT NULL)
    ), col_side AS (
        -- per table object, column and side: name before the first change, after the last
        SELECT DISTINCT c.object_id, c.attnum, c.side,
               pg_catalog.first_value(c.old_name) OVER w AS before,
               pg_catalog.last_value(c.new_name) OVER w AS after
          FROM col_steps AS c
        WINDOW w AS (PARTITION BY c.object_id, c.attnum, c.side ORDER BY c.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ), col_moved AS (
        SELECT o.object_id,
               CASE WHEN bs.attnum IS NOT NULL THEN bs.after ELSE fs.before END AS at_from,
               CASE WHEN fs.attnum IS NOT NULL THEN fs.after ELSE bs.before END AS at_to
          FROM (SELECT DISTINCT cs.object_id, cs.attnum FROM col_side AS cs) AS o
          LEFT JOIN col_side AS bs ON bs.object_id = o.object_id AND bs.attnum = o.attnum AND bs.side = 1
          LEFT JOIN col_side AS fs ON fs.object_id = o.object_id AND fs.attnum = o.attnum AND fs.side = 2
    ), tbl_side AS (
        -- the identity of those tables before and after each side's rows (NULL: absent)
        SELECT DISTINCT s.object_id, s.side,
               pg_catalog.first_value(s.old_identity) OVER w AS before,
               pg_catalog.last_value(CASE WHEN s.change = 'drop' THEN NULL ELSE s.object_identity END) OVER w AS after
          FROM steps AS s
         WHERE s.object_id IN (SELECT c.object_id FROM col_steps AS c)
        WINDOW w AS (PARTITION BY s.object_id, s.side ORDER BY s.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ), col_candidates AS (
        SELECT t.old_identity AS tbl_from, t.identity AS tbl_to, m.at_from, m.at_to, t.old_def, t.new_def
          FROM col_moved AS m
          JOIN (SELECT DISTINCT ts.object_id FROM tbl_side AS ts) AS o ON o.object_id = m.object_id
          LEFT JOIN tbl_side AS bs ON bs.object_id = o.object_id AND bs.side = 1
          LEFT JOIN tbl_side AS fs ON fs.object_id = o.object_id AND fs.side = 2
          JOIN objects_out AS t
            ON t.kind = 'table' AND t.change IN ('modified', 'renamed')
           AND t.old_identity = CASE WHEN bs.object_id IS NOT NULL THEN bs.after ELSE fs.before END
           AND t.identity = CASE WHEN fs.object_id IS NOT NULL THEN fs.after ELSE bs.before END
         WHERE m.at_from <> m.at_to
           -- the old name is a column at from_ref, the new name one at to_ref
           AND pg_catalog.strpos(E'\n' || t.old_def, E'\nCOLUMN ' || pg_catalog.quote_ident(m.at_from) || ' ') > 0
           AND pg_catalog.strpos(E'\n' || t.new_def, E'\nCOLUMN ' || pg_catalog.quote_ident(m.at_to) || ' ') > 0
    ), col_pairs AS (
        SELECT c.*
          FROM col_candidates AS c
         WHERE (SELECT pg_catalog.count(*) FROM col_candidates AS x
                 WHERE x.tbl_from = c.tbl_from AND x.tbl_to = c.tbl_to AND x.at_from = c.at_from) = 1
           AND (SELECT pg_catalog.count(*) FROM col_candidates AS x
                 WHERE x.tbl_from = c.tbl_from AND x.tbl_to = c.tbl_to AND x.at_to = c.at_to) = 1
    ), all_out AS (
        SELECT o.identity, o.kind, o.change, o.old_def, o.new_def, o.old_identity FROM objects_out AS o
        UNION ALL
        SELECT c.tbl_to || '.' || pg_catalog.quote_ident(c.at_to), 'column', 'renamed',
               pg_catalog.split_part(pg_catalog.substr(E'\n' || c.old_def,
                   pg_catalog.strpos(E'\n' || c.old_def, E'\nCOLUMN ' || pg_catalog.quote_ident(c.at_from) || ' ') + 1),
                   E'\n', 1),
               pg_catalog.split_part(pg_catalog.substr(E'\n' || c.new_def,
                   pg_catalog.strpos(E'\n' || c.new_def, E'\nCOLUMN ' || pg_catalog.quote_ident(c.at_to) || ' ') + 1),
                   E'\n', 1),
               c.tbl_from || '.' || pg_catalog.quote_ident(c.at_from)
          FROM col_pairs AS c
    )
    SELECT a.identity, a.kind, a.change, a.old_def, a.new_def, a.old_identity
      FROM all_out AS a
     ORDER BY pg_catalog.convert_to(a.identity, 'UTF8'), pg_catalog.convert_to(a.kind, 'UTF8');
END
$function$;

COMMENT ON FUNCTION pggit.diff(text, text) IS
    'Objects added, removed, modified or renamed between two refs (commits, branches, tags, WORKING).';
