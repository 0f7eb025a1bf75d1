-- pggit.statement_text(command_tag text) -> text
--
-- Promises: the statement text a history row keeps for a change made by the command
-- with tag `command_tag` in the current query: current_query() itself when it holds a
-- single statement (cheap check: no ";" before its trailing blanks and semicolons),
-- else pggit.command_statements(current_query(), command_tag): only the statements of
-- that command, NULL when none can be identified. So the rest of a query string sent
-- as one (ALTER ROLE victim PASSWORD '...'; CREATE TABLE t ...) never reaches
-- pggit.history.statement (issue 11, item 6). Never raises. VOLATILE (it reads the
-- current query), callable by pggit's tracking functions only.
--
-- Level 9: while pggit.settle_pending completes a transaction's pending rows (at COMMIT,
-- where current_query() is the COMMIT), the statement of the row being settled, which it
-- puts in the transaction-local setting pggit.settling_statement, is the text of any
-- history row written meanwhile (rows of related objects).
-- A single SQL expression without SET, so the planner inlines it into the tracking
-- functions (the cheap check costs one scan of the query string); every function and
-- operator is schema-qualified.
CREATE OR REPLACE FUNCTION pggit.statement_text(command_tag text)
RETURNS text
LANGUAGE sql
VOLATILE
AS $function$
SELECT CASE WHEN pg_catalog.current_setting('pggit.settling_statement', true) OPERATOR(pg_catalog.<>) ''
            THEN pg_catalog.current_setting('pggit.settling_statement', true)
            WHEN pg_catalog.strpos(pg_catalog.rtrim(pg_catalog.current_query(), E' \t\r\n\f\x0b;'), ';')
                 OPERATOR(pg_catalog.=) 0
            THEN pg_catalog.current_query()
            ELSE pggit.command_statements(pg_catalog.current_query(), command_tag) END
$function$;

REVOKE ALL ON FUNCTION pggit.statement_text(text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.statement_text(text) IS
    'The text history keeps of the current query for a command: the query when it is one statement, else only that command''s statements (NULL if none).';
