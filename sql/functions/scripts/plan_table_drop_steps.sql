-- pggit.plan_table_drop_steps(diff jsonb, gone_seqs jsonb, from_working boolean, from_at timestamptz)
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: the steps of pggit.migration_plan for the tables `diff` removes (the rows
-- of pggit.diff as a jsonb array of objects), in identity order; `gone_seqs` is
-- pggit.plan_gone_sequences(diff); the tables' details (names of constraints and
-- columns' defaults) are those at from_ref: pggit.details_at as of `from_at`, its
-- commit time, or for WORKING (`from_working`) the live catalog. Each table is dropped
-- commented out with a warning (its rows go): `-- DROP TABLE` (phase 50), in
-- foreign-key order (a table before the removed tables its foreign keys reference;
-- sort key the rank, then the identity; a removed partition before its removed
-- parent); a foreign key that a cycle of removed tables leaves out of order is dropped
-- just before, commented with a warning (phase 48); a column whose default uses a
-- sequence another drop takes along loses the default first (phase 43).
-- Errors: 22023 when `diff` is not an array of objects or an identity is no valid
-- name. PL/pgSQL, STABLE, SECURITY INVOKER with a pinned search_path; callable by
-- everyone, like migration_plan.
CREATE OR REPLACE FUNCTION pggit.plan_table_drop_steps(diff jsonb, gone_seqs jsonb, from_working boolean,
                                                      from_at timestamptz)
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    c record;
    v_fd jsonb;
    v_grew boolean;
    v_drop_fks jsonb := '{}';   -- removed tables: {identity: [[foreign key, removed table it references], ...]}
    v_drop_rank jsonb := '{}';  -- removed tables: {identity: drop order}
    ph integer[] := '{}';       -- the steps: phase, sort key, statement, warning
    ks text[] := '{}';
    sts text[] := '{}';
    wns text[] := '{}';
BEGIN
    -- Removed tables are dropped in foreign-key order: a table before the removed tables
    -- its foreign keys reference (rank 0: no removed table references it; else 1 + the
    -- greatest rank of those that do). Foreign keys that a cycle leaves out of order are
    -- dropped first (phase 48, commented like the drop of their table).
    SELECT coalesce(jsonb_object_agg(x.ident, x.fks), '{}') INTO v_drop_fks
      FROM (SELECT d.value ->> 'object_identity' AS ident,
                   coalesce((SELECT jsonb_agg(jsonb_build_array(f.value ->> 'n',
                                                                (pggit.foreign_key_parts(f.value ->> 'd'))[2]))
                               FROM jsonb_array_elements(coalesce(
                                        pggit.details_at(d.value ->> 'object_identity', encode(sha256(convert_to(d.value ->> 'old_definition',
                                                                                        'UTF8')), 'hex'), from_at),
                                        CASE WHEN from_working
                                             THEN pggit.table_details(to_regclass(d.value ->> 'object_identity')) END)
                                        -> 'cons') AS f
                              WHERE f.value ->> 't' = 'f'
                                AND (pggit.foreign_key_parts(f.value ->> 'd'))[2] <> d.value ->> 'object_identity'
                                AND EXISTS (SELECT FROM jsonb_array_elements(diff) AS e
                                             WHERE e.value ->> 'object_kind' = 'table' AND e.value ->> 'change' = 'removed'
                                               AND e.value ->> 'object_identity'
                                                   = (pggit.foreign_key_parts(f.value ->> 'd'))[2])), '[]')
                   -- a removed partition of a removed parent goes first: the parent's drop takes it along
                   || coalesce((SELECT jsonb_build_array(jsonb_build_array(NULL::text, e.value ->> 'object_identity'))
                                  FROM jsonb_array_elements(diff) AS e
                                 WHERE e.value ->> 'object_kind' = 'table' AND e.value ->> 'change' = 'removed'
                                   AND strpos(d.value ->> 'old_definition',
                                              E'\nPARTITION OF ' || (e.value ->> 'object_identity') || ' ') > 0
                                 LIMIT 1), '[]') AS fks
              FROM jsonb_array_elements(diff) AS d
             WHERE d.value ->> 'object_kind' = 'table' AND d.value ->> 'change' = 'removed') AS x;
    SELECT coalesce(jsonb_object_agg(k, 0), '{}') INTO v_drop_rank FROM jsonb_object_keys(v_drop_fks) AS k;
    FOR i IN 1 .. (SELECT count(*) FROM jsonb_object_keys(v_drop_fks)) LOOP
        v_grew := false;
        FOR c IN SELECT e.key AS ident, f.value ->> 1 AS ref
                   FROM jsonb_each(v_drop_fks) AS e CROSS JOIN LATERAL jsonb_array_elements(e.value) AS f LOOP
            IF (v_drop_rank ->> c.ref)::integer < (v_drop_rank ->> c.ident)::integer + 1 THEN
                v_drop_rank := v_drop_rank || jsonb_build_object(c.ref, (v_drop_rank ->> c.ident)::integer + 1);
                v_grew := true;
            END IF;
        END LOOP;
        EXIT WHEN NOT v_grew;
    END LOOP;

    FOR r IN SELECT * FROM jsonb_to_recordset(diff) AS d (object_identity text, object_kind text, change text, old_definition text, new_definition text, old_identity text)
              WHERE d.object_kind = 'table' AND d.change = 'removed'
              ORDER BY d.object_identity COLLATE "C" LOOP
        -- its columns whose default uses a sequence that another table's or
        -- column's drop takes along lose the default first (phase 43)
        IF gone_seqs <> '{}' THEN
            v_fd := coalesce(pggit.details_at(r.old_identity, encode(sha256(convert_to(r.old_definition, 'UTF8')), 'hex'), from_at),
                             CASE WHEN from_working THEN pggit.table_details(to_regclass(r.old_identity)) END);
            FOR c IN SELECT f.value ->> 'n' AS n
                       FROM jsonb_array_elements(v_fd -> 'cols') AS f
                      WHERE EXISTS (SELECT FROM jsonb_each(gone_seqs) AS g
                                     WHERE strpos(f.value ->> 'd', quote_literal(g.key) || '::regclass') > 0
                                       AND (jsonb_typeof(g.value) <> 'array'
                                            OR ARRAY[g.value ->> 0, g.value ->> 1] <> parse_ident(r.old_identity)))
            LOOP
                ph := ph || 43; ks := ks || r.old_identity;
                sts := sts || format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT;', r.old_identity, c.n);
                wns := wns || NULL::text;
            END LOOP;
        END IF;
        -- a foreign key to another removed table that a cycle leaves out of order
        FOR c IN SELECT f.value ->> 0 AS n, f.value ->> 1 AS ref
                   FROM jsonb_array_elements(v_drop_fks -> r.old_identity) AS f
                  WHERE (v_drop_rank ->> (f.value ->> 1))::integer <= (v_drop_rank ->> r.old_identity)::integer
                    AND f.value ->> 0 IS NOT NULL
                  ORDER BY (f.value ->> 0) COLLATE "C" LOOP
            ph := ph || 48; ks := ks || r.old_identity;
            sts := sts || format('-- ALTER TABLE %s DROP CONSTRAINT %I;', r.old_identity, c.n);
            wns := wns || format('foreign key %I of table %s goes before the table is dropped with its rows '
                                 '(table %s, which it references, is dropped too)', c.n, r.old_identity, c.ref);
        END LOOP;
        ph := ph || 50; ks := ks || (lpad(coalesce(v_drop_rank ->> r.old_identity, '0'), 6, '0') || r.old_identity);
        sts := sts || format('-- DROP TABLE %s;', r.old_identity);
        wns := wns || format('table %s is dropped with its rows', r.old_identity);
    END LOOP;
    RETURN QUERY SELECT u.p, u.k, u.s, u.w FROM unnest(ph, ks, sts, wns) WITH ORDINALITY AS u (p, k, s, w, o) ORDER BY u.o;
END
$function$;

COMMENT ON FUNCTION pggit.plan_table_drop_steps(jsonb, jsonb, boolean, timestamp with time zone) IS
    'Internal: steps dropping the tables a pggit.diff removes (commented, in foreign-key order), for migration_plan.';
