-- pggit.rule_steps(old_identity text, tbl text, old_items text[], new_items text[],
--                  dropped_calls text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for a table's rules, by name: RULE
-- <pg_get_ruledef, ending with ';'> [DISABLED | ENABLE REPLICA | ENABLE ALWAYS] items of
-- its definition at each side (`old_items`, `new_items`: pggit.definition_items; '{}'
-- when the script creates the table), on the table's name `old_identity` before the
-- renames and `tbl` after. `dropped_calls`: '<schema>.<name>(' of each function or
-- procedure the script drops. A rule added, removed or changed, or whose old text calls
-- a dropped function: DROP RULE (phase 5, before functions are dropped; sort key
-- `old_identity` || ' rule ' || name) and CREATE RULE (phase 185); ALTER TABLE ..
-- ENABLE [REPLICA | ALWAYS] / DISABLE RULE for its state (185; sort key `tbl` || ' 5
-- rule ' || name || ' 1' / ' 2'). In name order (COLLATE "C"). Never raises. STABLE,
-- SECURITY INVOKER, callable by everyone: the piece of table_extra_steps (itself
-- callable by everyone) for rules.
CREATE OR REPLACE FUNCTION pggit.rule_steps(old_identity text, tbl text, old_items text[], new_items text[], dropped_calls text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_name text := '("(?:[^"]|"")*"|[^ "]+)';
    c record;
    v_re boolean;
BEGIN
    FOR c IN WITH t AS (
                 SELECT s.side, (regexp_match(s.x, '^RULE CREATE RULE ' || v_name || '\s+AS\s'))[1] AS name,
                        substr(coalesce(substring(s.x FROM '^(.*;) (?:DISABLED|ENABLE REPLICA|ENABLE ALWAYS)$'), s.x), 6) AS def,
                        coalesce(substring(s.x FROM ';( DISABLED| ENABLE REPLICA| ENABLE ALWAYS)$'), '') AS state
                   FROM (SELECT 'o' AS side, x FROM unnest(old_items) AS x WHERE starts_with(x, 'RULE ')
                         UNION ALL
                         SELECT 'n', x FROM unnest(new_items) AS x WHERE starts_with(x, 'RULE ')) AS s)
             SELECT coalesce(n.name, o.name) AS name, o.def AS odef, n.def AS ndef, o.state AS ostate, n.state AS nstate
               FROM (SELECT * FROM t WHERE side = 'o') AS o
               FULL JOIN (SELECT * FROM t WHERE side = 'n') AS n ON n.name = o.name
              ORDER BY coalesce(n.name, o.name) COLLATE "C" LOOP
        warning := NULL;
        -- dropped and created again when it changes, or when it uses a function the script drops
        v_re := c.odef IS DISTINCT FROM c.ndef
                OR EXISTS (SELECT FROM unnest(dropped_calls) AS f WHERE strpos(c.odef, f) > 0);
        IF c.odef IS NOT NULL AND v_re THEN
            phase := 5; sort_key := old_identity || ' rule ' || c.name;
            statement := format('DROP RULE %s ON %s;', c.name, old_identity);
            RETURN NEXT;
        END IF;
        CONTINUE WHEN c.ndef IS NULL;
        IF v_re THEN
            phase := 185; sort_key := tbl || ' 5 rule ' || c.name || ' 1';
            statement := overlay(c.ndef PLACING ' TO ' || tbl || ' ' FROM strpos(c.ndef, ' TO <self> ') FOR 11);
            RETURN NEXT;
        END IF;
        IF c.nstate IS DISTINCT FROM (CASE WHEN v_re THEN '' ELSE c.ostate END) THEN
            phase := 185; sort_key := tbl || ' 5 rule ' || c.name || ' 2';
            statement := format('ALTER TABLE %s %s RULE %s;', tbl,
                                CASE c.nstate WHEN '' THEN 'ENABLE' WHEN ' DISABLED' THEN 'DISABLE' ELSE ltrim(c.nstate) END,
                                c.name);
            RETURN NEXT;
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.rule_steps(text, text, text[], text[], text[]) IS
    'The steps of table_extra_steps for a table''s rules (drop, create, state).';
