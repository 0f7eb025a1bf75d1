-- pggit.foreign_key_parts(definition text) -> text[]
--
-- Promises: for a foreign key as pg_get_constraintdef prints it ("FOREIGN KEY (a, b)
-- REFERENCES s.t(x, y) ..."), the array [the text up to and including "REFERENCES ",
-- the referenced table as printed (s.t, names quoted where PostgreSQL quotes them),
-- the referenced column list as printed (x, y), the rest after its ")"]; so that
-- parts[1] || parts[2] || '(' || parts[3] || ')' || parts[4] is the definition again.
-- Quoted names are read whole (a name may hold "(", ")" or " REFERENCES "). NULL for
-- anything else (NULL, another kind of constraint). Never raises.
-- IMMUTABLE, callable by everyone: it reads only its argument.
CREATE OR REPLACE FUNCTION pggit.foreign_key_parts(definition text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN regexp_match(definition,
    '^(FOREIGN KEY \((?:"(?:[^"]|"")*"|[^")])*\) REFERENCES )'
    || '((?:"(?:[^"]|"")*"|[^".(]+)(?:[.](?:"(?:[^"]|"")*"|[^".(]+))?)'
    || '\(((?:"(?:[^"]|"")*"|[^")])*)\)(.*)$');

COMMENT ON FUNCTION pggit.foreign_key_parts(text) IS
    'A foreign key definition cut into [text up to REFERENCES, referenced table, referenced columns, rest]; NULL for anything else.';
