-- pggit.foreign_key_renamed(definition text, table_renames jsonb, column_renames jsonb) -> text
--
-- Promises: a foreign key definition (as pg_get_constraintdef prints it) as PostgreSQL
-- prints it again once the tables it references are renamed (`table_renames`:
-- {old identity: new identity}, identities as pggit records them: schema.table,
-- quoted where PostgreSQL quotes) and their columns are renamed (`column_renames`:
-- {new table identity: {new column name: old column name}}, the names unquoted). A
-- rename keeps a foreign key (it follows its table and columns), so the definition at
-- the target is this text, and the key needs no step of its own. Quoted names are
-- read whole. Anything that is not a foreign key comes back unchanged; NULL for NULL.
-- IMMUTABLE, callable by everyone: it reads only its arguments. (A quoted body, not
-- RETURN: a standard body would make it depend on foreign_key_parts, which a rollback
-- of the level drops in name order.)
CREATE OR REPLACE FUNCTION pggit.foreign_key_renamed(definition text, table_renames jsonb, column_renames jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
    SELECT CASE WHEN p.parts IS NULL THEN definition
                    ELSE p.parts[1] || p.target || '('
                         || array_to_string(ARRAY(
                                SELECT coalesce((SELECT quote_ident(e.key)
                                                   FROM jsonb_each_text(column_renames -> p.target) AS e
                                                  WHERE quote_ident(e.value) = m.col[1]
                                                  LIMIT 1), m.col[1])
                                  FROM regexp_matches(p.parts[3], '("(?:[^"]|"")*"|[^", ]+)', 'g')
                                       WITH ORDINALITY AS m (col, o)
                                 ORDER BY m.o), ', ')
                         || ')' || p.parts[4] END
          FROM (SELECT f.parts, coalesce(table_renames ->> f.parts[2], f.parts[2]) AS target
                  FROM (SELECT pggit.foreign_key_parts(definition) AS parts) AS f) AS p
$function$;

COMMENT ON FUNCTION pggit.foreign_key_renamed(text, jsonb, jsonb) IS
    'A foreign key definition as PostgreSQL prints it once the tables and columns it references are renamed.';
