-- pggit.trigger_steps(old_identity text, tbl text, old_items text[], new_items text[],
--                     inherited_old text[], inherited_new text[], dropped_calls text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for a table's triggers, by name: TRIGGER
-- <CREATE [CONSTRAINT] TRIGGER ..> [DISABLED | ENABLE REPLICA | ENABLE ALWAYS] [COMMENT
-- '..'] items of its definition at each side (`old_items`, `new_items`:
-- pggit.definition_items; '{}' when the script creates the table), less those a
-- partition clones from its parent's (`inherited_old`, `inherited_new`: the parent's
-- TRIGGER items at each side, left to the parent), on the table's name `old_identity`
-- before the renames and `tbl` after. `dropped_calls`: '<schema>.<name>(' of each
-- function or procedure the script drops. A trigger added, removed or changed, or whose
-- old text calls a dropped function: DROP TRIGGER (phase 5, before functions are
-- dropped; sort key `old_identity` || ' trigger ' || name) and CREATE TRIGGER (phase
-- 185, after functions are created); ALTER TABLE .. ENABLE [REPLICA | ALWAYS] / DISABLE
-- TRIGGER for its state, COMMENT ON TRIGGER (phase 185, sort key `tbl` || ' 3 trigger '
-- || name || ' 1' .. ' 3'). In name order (COLLATE "C"). Never raises. STABLE,
-- SECURITY INVOKER, callable by everyone: the piece of table_extra_steps (itself
-- callable by everyone) for triggers.
CREATE OR REPLACE FUNCTION pggit.trigger_steps(old_identity text, tbl text, old_items text[], new_items text[],
                                               inherited_old text[], inherited_new text[], dropped_calls text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_lit text := '(''(?:[^'']|'''')*'')';
    v_name text := '("(?:[^"]|"")*"|[^ "]+)';
    c record;
    v_re boolean;
BEGIN
    FOR c IN WITH t AS (
                 SELECT s.side, s.x, (regexp_match(s.x, '^TRIGGER CREATE (?:CONSTRAINT )?TRIGGER ' || v_name || ' '))[1] AS name,
                        substring(s.x FROM ' COMMENT ' || v_lit || '$') AS cmt,
                        regexp_replace(s.x, ' COMMENT ' || v_lit || '$', '') AS body
                   FROM (SELECT 'o' AS side, x FROM unnest(old_items) AS x
                          WHERE starts_with(x, 'TRIGGER ') AND NOT x = ANY (inherited_old)
                         UNION ALL
                         SELECT 'n', x FROM unnest(new_items) AS x
                          WHERE starts_with(x, 'TRIGGER ') AND NOT x = ANY (inherited_new)) AS s),
             t2 AS (
                 SELECT t.side, t.name, t.cmt,
                        substr(coalesce(substring(t.body FROM '^(.*) (?:DISABLED|ENABLE REPLICA|ENABLE ALWAYS)$'), t.body), 9) AS def,
                        coalesce(substring(t.body FROM ' (DISABLED|ENABLE REPLICA|ENABLE ALWAYS)$'), '') AS state
                   FROM t)
             SELECT coalesce(n.name, o.name) AS name, o.def AS odef, n.def AS ndef, o.state AS ostate, n.state AS nstate,
                    o.cmt AS ocmt, n.cmt AS ncmt
               FROM (SELECT * FROM t2 WHERE side = 'o') AS o
               FULL JOIN (SELECT * FROM t2 WHERE side = 'n') AS n ON n.name = o.name
              ORDER BY coalesce(n.name, o.name) COLLATE "C" LOOP
        warning := NULL;
        -- dropped and created again when it changes, or when it uses a function the script drops
        v_re := c.odef IS DISTINCT FROM c.ndef
                OR EXISTS (SELECT FROM unnest(dropped_calls) AS f WHERE strpos(c.odef, f) > 0);
        IF c.odef IS NOT NULL AND v_re THEN
            phase := 5; sort_key := old_identity || ' trigger ' || c.name;
            statement := format('DROP TRIGGER %s ON %s;', c.name, old_identity);
            RETURN NEXT;
        END IF;
        CONTINUE WHEN c.ndef IS NULL;
        IF v_re THEN
            phase := 185; sort_key := tbl || ' 3 trigger ' || c.name || ' 1';
            statement := overlay(c.ndef PLACING ' ON ' || tbl || ' ' FROM strpos(c.ndef, ' ON <self> ') FOR 11) || ';';
            RETURN NEXT;
        END IF;
        IF c.nstate IS DISTINCT FROM (CASE WHEN v_re THEN '' ELSE c.ostate END) THEN
            phase := 185; sort_key := tbl || ' 3 trigger ' || c.name || ' 2';
            statement := format('ALTER TABLE %s %s TRIGGER %s;', tbl,
                                CASE c.nstate WHEN '' THEN 'ENABLE' WHEN 'DISABLED' THEN 'DISABLE' ELSE c.nstate END,
                                c.name);
            RETURN NEXT;
        END IF;
        IF c.ncmt IS DISTINCT FROM (CASE WHEN v_re THEN NULL ELSE c.ocmt END) THEN
            phase := 185; sort_key := tbl || ' 3 trigger ' || c.name || ' 3';
            statement := format('COMMENT ON TRIGGER %s ON %s IS %s;', c.name, tbl, coalesce(c.ncmt, 'NULL'));
            RETURN NEXT;
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.trigger_steps(text, text, text[], text[], text[], text[], text[]) IS
    'The steps of table_extra_steps for a table''s triggers (drop, create, state, comment).';
