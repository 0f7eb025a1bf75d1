-- pggit.name_renames(from_details jsonb, to_details jsonb) -> jsonb
--
-- Promises: the constraints and indexes of one table (pggit.table_details at both
-- sides, their text already read with the target's column and table names) that keep
-- their definition and change only their name, as {"cons": [[old, new], ...], "idx":
-- [[old, new], ...]}, ordered by old name: generate_migration renames them (ALTER
-- TABLE .. RENAME CONSTRAINT, ALTER INDEX .. RENAME TO), never drops and makes them
-- again. Several with the same definition are paired in name order. Not a rename: one
-- whose new name is the old name of another of the table's constraints or indexes (a
-- swap or a chain: dropped and made again instead). Empty lists for NULL input.
-- IMMUTABLE, callable by everyone: it reads only its arguments.
CREATE OR REPLACE FUNCTION pggit.name_renames(from_details jsonb, to_details jsonb)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
RETURN (SELECT jsonb_object_agg(p.part, coalesce((
                   SELECT jsonb_agg(jsonb_build_array(a.n, b.n) ORDER BY a.n COLLATE "C")
                     FROM (SELECT f.value ->> 'n' AS n, f.value - 'n' AS def,
                                  row_number() OVER (PARTITION BY f.value - 'n'
                                                     ORDER BY f.value ->> 'n' COLLATE "C") AS k
                             FROM jsonb_array_elements(coalesce(from_details -> p.part, '[]')) AS f
                            WHERE f.value ->> 'd' IS NOT NULL
                              AND NOT coalesce(to_details -> p.part, '[]') @> jsonb_build_array(f.value)) AS a
                     JOIN (SELECT t.value ->> 'n' AS n, t.value - 'n' AS def,
                                  row_number() OVER (PARTITION BY t.value - 'n'
                                                     ORDER BY t.value ->> 'n' COLLATE "C") AS k
                             FROM jsonb_array_elements(coalesce(to_details -> p.part, '[]')) AS t
                            WHERE NOT coalesce(from_details -> p.part, '[]') @> jsonb_build_array(t.value)) AS b
                       ON b.def = a.def AND b.k = a.k
                    WHERE NOT EXISTS (SELECT FROM jsonb_array_elements(coalesce(from_details -> 'cons', '[]')
                                                                       || coalesce(from_details -> 'idx', '[]')) AS o
                                       WHERE o.value ->> 'n' = b.n)), '[]'))
          FROM (VALUES ('cons'), ('idx')) AS p (part));

COMMENT ON FUNCTION pggit.name_renames(jsonb, jsonb) IS
    'Constraints and indexes of a table that change only their name, as {"cons": [[old, new], ..], "idx": [..]}.';
