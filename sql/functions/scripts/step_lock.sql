-- pggit.step_lock(statement text) -> text
--
-- Promises: for one step of pggit.migration_plan / generate_migration, the strongest
-- lock it takes on an existing table (or view, index, type) and what that lock means
-- for the sessions using it, as "<MODE> on <object>: <effect>", MODE one of
-- PostgreSQL's table lock modes in SQL spelling (ACCESS EXCLUSIVE, SHARE ROW EXCLUSIVE,
-- SHARE, SHARE UPDATE EXCLUSIVE, ROW EXCLUSIVE, ACCESS SHARE), or "none: <why>" for a
-- step that locks nothing that exists (a new object, a note that never runs). The
-- effect names a scan or a rewrite of the table when the step does one, and "brief"
-- when it only changes the catalog. A commented step is read as it runs once
-- uncommented. Read from the step's text, as the generator writes it (names quoted as
-- format('%I') quotes them); what the tests check against pg_locks. Never raises;
-- NULL for NULL. STABLE (pggit.default_is_volatile reads pg_proc), callable by everyone.
CREATE OR REPLACE FUNCTION pggit.step_lock(statement text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    -- a possibly qualified name, quoted or not
    q constant text := '((?:"(?:[^"]|"")*"|[^".\s(]+)(?:[.](?:"(?:[^"]|"")*"|[^".\s(]+))?)';
    s text := statement;
    m text[];
    v_rest text;
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    IF starts_with(s, '-- ') THEN
        IF right(rtrim(s), 1) <> ';' THEN
            RETURN 'none: a note, never run';
        END IF;
        s := pggit.uncomment_lines(s);
    END IF;
    IF s ~ '^CREATE (UNIQUE )?INDEX CONCURRENTLY ' THEN
        m := regexp_match(s, '^CREATE (?:UNIQUE )?INDEX CONCURRENTLY (?:"(?:[^"]|"")*"|[^".\s(]+) ON (?:ONLY )?' || q);
        RETURN format('SHARE UPDATE EXCLUSIVE on %s: the index is built while reads and writes go on '
                      '(outside a transaction block; two scans of the table)', m[1]);
    ELSIF s ~ '^CREATE (UNIQUE )?INDEX ' THEN
        m := regexp_match(s, '^CREATE (?:UNIQUE )?INDEX (?:"(?:[^"]|"")*"|[^".\s(]+) ON (?:ONLY )?' || q);
        RETURN format('SHARE on %s: blocks writes while the index is built (a scan of the table)', m[1]);
    ELSIF s ~ '^DROP INDEX CONCURRENTLY ' THEN
        m := regexp_match(s, '^DROP INDEX CONCURRENTLY ' || q);
        RETURN format('SHARE UPDATE EXCLUSIVE on the table of %s: reads and writes go on '
                      '(outside a transaction block)', m[1]);
    ELSIF s ~ '^DROP INDEX ' THEN
        m := regexp_match(s, '^DROP INDEX ' || q);
        RETURN format('ACCESS EXCLUSIVE on the table of %s: brief', m[1]);
    ELSIF s ~ '^ALTER INDEX ' THEN
        m := regexp_match(s, '^ALTER INDEX ' || q);
        RETURN format('SHARE UPDATE EXCLUSIVE on %s: brief', m[1]);
    ELSIF s ~ '^(CREATE|COMMENT|GRANT|REVOKE) ' AND s !~ '^CREATE (OR REPLACE )?(TRIGGER|RULE|POLICY) '
          AND s !~ '^CREATE TABLE [^\n]* PARTITION OF ' THEN
        RETURN CASE WHEN s ~ '^COMMENT ON (TABLE|COLUMN) '
                    THEN 'SHARE UPDATE EXCLUSIVE on the table: brief'
                    WHEN s ~ '^(GRANT|REVOKE) ' THEN 'none: privileges change in the catalog only'
                    ELSE 'none: a new object' END;
    ELSIF s ~ '^CREATE (OR REPLACE )?(TRIGGER|RULE|POLICY) ' OR s ~ '^CREATE TABLE [^\n]* PARTITION OF ' THEN
        RETURN 'ACCESS EXCLUSIVE on the table it is for: brief';
    ELSIF s ~ '^UPDATE ' THEN
        m := regexp_match(s, '^UPDATE (?:ONLY )?' || q);
        RETURN format('ROW EXCLUSIVE on %s: every row it fills is written and stays locked until the step commits; '
                      'other rows stay readable and writable', m[1]);
    ELSIF s ~ '^REFRESH MATERIALIZED VIEW ' THEN
        m := regexp_match(s, '^REFRESH MATERIALIZED VIEW ' || q);
        RETURN format('ACCESS EXCLUSIVE on %s: blocks reads of it while its query runs', m[1]);
    ELSIF s ~ '^DROP (TABLE|VIEW|MATERIALIZED VIEW|SEQUENCE|TYPE|DOMAIN|FUNCTION|PROCEDURE|SCHEMA|TRIGGER|RULE|POLICY) ' THEN
        RETURN 'ACCESS EXCLUSIVE on what is dropped: brief';
    ELSIF s ~ '^ALTER TABLE ' THEN
        m := regexp_match(s, '^ALTER TABLE (?:ONLY )?' || q || ' (.*)$');
        v_rest := m[2];
        IF v_rest ~ '^ADD CONSTRAINT (?:"(?:[^"]|"")*"|[^".\s(]+) FOREIGN KEY ' THEN
            RETURN format('SHARE ROW EXCLUSIVE on %s and on the table it references: %s', m[1],
                          CASE WHEN v_rest ~ ' NOT VALID;$' THEN 'brief (existing rows are not checked)'
                               ELSE 'blocks writes while every row is checked (a scan of the table)' END);
        ELSIF v_rest ~ '^VALIDATE CONSTRAINT ' THEN
            RETURN format('SHARE UPDATE EXCLUSIVE on %s: every row is checked while reads and writes go on',
                          m[1]);
        ELSIF v_rest ~ '^ADD CONSTRAINT (?:"(?:[^"]|"")*"|[^".\s(]+) (UNIQUE|PRIMARY KEY) USING INDEX ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: brief (the index exists)', m[1]);
        ELSIF v_rest ~ '^ADD CONSTRAINT (?:"(?:[^"]|"")*"|[^".\s(]+) (UNIQUE|PRIMARY KEY|EXCLUDE) ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: blocks reads and writes while the index is built '
                          '(a scan of the table)', m[1]);
        ELSIF v_rest ~ '^ADD CONSTRAINT ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: %s', m[1],
                          CASE WHEN v_rest ~ ' NOT VALID;$' THEN 'brief (existing rows are not checked)'
                               ELSE 'blocks reads and writes while every row is checked (a scan of the table)' END);
        ELSIF v_rest ~ '^ALTER COLUMN (?:"(?:[^"]|"")*"|[^".\s(]+) (SET DATA )?TYPE ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: blocks reads and writes while the table and its indexes '
                          'are rewritten (brief when the old type is binary coercible to the new one)', m[1]);
        ELSIF v_rest ~ '^ALTER COLUMN (?:"(?:[^"]|"")*"|[^".\s(]+) SET NOT NULL;$' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: brief after a validated CHECK (column IS NOT NULL) (the online '
                          'form); without one, reads and writes wait until every row is checked', m[1]);
        ELSIF v_rest ~ '^ALTER COLUMN (?:"(?:[^"]|"")*"|[^".\s(]+) SET EXPRESSION ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: blocks reads and writes while the table is rewritten', m[1]);
        ELSIF v_rest ~ '^ALTER COLUMN (?:"(?:[^"]|"")*"|[^".\s(]+) ADD GENERATED ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: brief', m[1]);
        ELSIF v_rest ~ '^ADD COLUMN ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: %s', m[1],
                          CASE WHEN v_rest ~ ' GENERATED ALWAYS AS \(.*\) STORED' OR v_rest ~ ' AS IDENTITY'
                                    OR pggit.default_is_volatile((regexp_match(v_rest,
                                           '^ADD COLUMN (?:"(?:[^"]|"")*"|[^".\s(]+) .*? DEFAULT (.*?)( NOT NULL)?;$'))[1])
                               THEN 'blocks reads and writes while the table is rewritten'
                               ELSE 'brief (its default, if any, is computed once: no rewrite)' END);
        ELSIF v_rest ~ '^SET (LOGGED|UNLOGGED|TABLESPACE|ACCESS METHOD)' THEN
            RETURN format('ACCESS EXCLUSIVE on %s: blocks reads and writes while the table is rewritten', m[1]);
        ELSIF v_rest ~ '^(SET|RESET) \(' OR v_rest ~ '^(ENABLE|DISABLE) (ALWAYS |REPLICA )?TRIGGER' THEN
            RETURN format('SHARE UPDATE EXCLUSIVE on %s: brief', m[1]);
        ELSIF v_rest ~ '^ATTACH PARTITION ' THEN
            RETURN format('SHARE UPDATE EXCLUSIVE on %s, ACCESS EXCLUSIVE on the partition: the partition is '
                          'scanned unless a validated CHECK implies its bound', m[1]);
        ELSIF v_rest ~ '^DETACH PARTITION ' THEN
            RETURN format('ACCESS EXCLUSIVE on %s and the partition: brief', m[1]);
        END IF;
        RETURN format('ACCESS EXCLUSIVE on %s: brief', m[1]);
    ELSIF s ~ '^ALTER (VIEW|MATERIALIZED VIEW|SEQUENCE) ' THEN
        RETURN 'ACCESS EXCLUSIVE on it: brief';
    ELSIF s ~ '^ALTER TYPE [^\n]* ADD VALUE ' THEN
        RETURN 'none on tables: the enum gains a label (brief)';
    ELSIF s ~ '^ALTER (TYPE|DOMAIN) ' THEN
        RETURN CASE WHEN s ~ ' (ADD CONSTRAINT|VALIDATE CONSTRAINT) ' OR s ~ ' SET NOT NULL;$'
                    THEN 'SHARE on the tables using it: every value in them is checked'
                    ELSE 'none on tables: brief' END;
    END IF;
    RETURN 'ACCESS EXCLUSIVE on what it changes: brief';
END
$function$;

COMMENT ON FUNCTION pggit.step_lock(text) IS
    'The strongest lock one generated migration step takes on an existing object, and what it means, as text.';
