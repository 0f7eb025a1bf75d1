-- pggit.policy_steps(old_identity text, tbl text, old_items text[], new_items text[],
--                    dropped_calls text[])
--     -> TABLE(phase integer, sort_key text, statement text, warning text)
--
-- Promises: pggit.table_extra_steps' steps for a table's row security policies, by name
-- (POLICY items of its definition at each side, `old_items`, `new_items`:
-- pggit.definition_items; '{}' when the script creates the table; read by
-- pggit.policy_parts), on the table's name `old_identity` before the renames and `tbl`
-- after. `dropped_calls`: '<schema>.<name>(' of each function or procedure the script
-- drops. CREATE POLICY (phase 185), DROP POLICY (phase 5, before functions are dropped;
-- sort key `old_identity` || ' policy ' || name), ALTER POLICY (185) when only its roles
-- or expressions change (dropped and created again when its command or kind changes, an
-- expression goes or its old text calls a dropped function); a policy that cannot be
-- read: a commented note with a warning. Sort key at 185: `tbl` || ' 4 policy ' ||
-- name. In name order (COLLATE "C"). Never raises. STABLE, SECURITY INVOKER, callable by
-- everyone: the piece of table_extra_steps (itself callable by everyone) for policies.
CREATE OR REPLACE FUNCTION pggit.policy_steps(old_identity text, tbl text, old_items text[], new_items text[], dropped_calls text[])
RETURNS TABLE(phase integer, sort_key text, statement text, warning text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT coalesce(n.p[1], o.p[1]) AS name, o.x AS ox, n.x AS nx, o.p AS op, n.p AS np
               FROM (SELECT x, pggit.policy_parts(x) AS p FROM unnest(old_items) AS x WHERE starts_with(x, 'POLICY ')) AS o
               FULL JOIN (SELECT x, pggit.policy_parts(x) AS p FROM unnest(new_items) AS x WHERE starts_with(x, 'POLICY ')) AS n
                      ON n.p[1] = o.p[1]
              WHERE o.x IS DISTINCT FROM n.x OR EXISTS (SELECT FROM unnest(dropped_calls) AS f WHERE strpos(o.x, f) > 0)
              ORDER BY coalesce(n.p[1], o.p[1], n.x, o.x) COLLATE "C" LOOP
        warning := NULL;
        IF c.nx IS NOT NULL AND c.np IS NULL OR c.ox IS NOT NULL AND c.op IS NULL THEN
            phase := 185; sort_key := tbl || ' 4 policy ' || coalesce(c.name, '');
            statement := format('-- table %s: a policy not generated', tbl);
            warning := format('table %s: policy %s (to %s) cannot be read: not generated', tbl,
                              quote_literal(coalesce(c.ox, '-')), quote_literal(coalesce(c.nx, '-')));
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF c.op IS NOT NULL AND c.np IS NOT NULL AND c.op[2] = c.np[2] AND c.ox IS DISTINCT FROM c.nx
           AND NOT EXISTS (SELECT FROM unnest(dropped_calls) AS f WHERE strpos(c.ox, f) > 0)
           AND (c.op[4] IS NULL OR c.np[4] IS NOT NULL) AND (c.op[5] IS NULL OR c.np[5] IS NOT NULL) THEN
            phase := 185; sort_key := tbl || ' 4 policy ' || c.name;
            statement := concat_ws(' ', format('ALTER POLICY %s ON %s TO %s', c.name, tbl, c.np[3]),
                                   'USING ' || c.np[4], 'WITH CHECK ' || c.np[5]) || ';';
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF c.op IS NOT NULL THEN
            phase := 5; sort_key := old_identity || ' policy ' || c.name;
            statement := format('DROP POLICY %s ON %s;', c.name, old_identity);
            RETURN NEXT;
        END IF;
        IF c.np IS NOT NULL THEN
            phase := 185; sort_key := tbl || ' 4 policy ' || c.name;
            statement := concat_ws(' ', format('CREATE POLICY %s ON %s %s TO %s', c.name, tbl, c.np[2], c.np[3]),
                                   'USING ' || c.np[4], 'WITH CHECK ' || c.np[5]) || ';';
            RETURN NEXT;
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION pggit.policy_steps(text, text, text[], text[], text[]) IS
    'The steps of table_extra_steps for a table''s row security policies (create, alter, drop).';
