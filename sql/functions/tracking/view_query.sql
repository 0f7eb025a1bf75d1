-- pggit.view_query(relid oid) -> text
--
-- Promises: the query of a view or materialized view as PostgreSQL 16 and later print
-- it (pg_get_viewdef under the caller's search_path, which pggit's describe functions
-- pin to pg_catalog, pggit, pg_temp), on every major, so that one view hashes alike on
-- 15 and on 18. NULL for NULL, a missing relation and anything that is not a view
-- (pg_get_viewdef's own answer). Never raises for a missing object. STABLE, PARALLEL
-- SAFE; internal to pggit.describe_view, callable by everyone.
--
-- Why: up to 15 a view's range table carried the OLD and NEW entries, so the deparser
-- qualified every column of the view's top-level query (`SELECT t.id FROM app.t`);
-- 16 dropped them and prints a query over a single FROM item unqualified
-- (`SELECT id FROM app.t`). Subqueries, sublinks, CTE bodies, set operations and
-- joins print alike on every major. On 16 and later this function is pg_get_viewdef.
-- On 15 it removes the `<ref>.` qualifier of the top-level query's column references
-- when that query has exactly one FROM item (a relation, possibly ONLY or TABLESAMPLE,
-- a subquery, a CTE, a function, ROWS FROM, WITH ORDINALITY), `<ref>` being that item's
-- name (its alias, else the relation's, CTE's or function's name), outside the FROM
-- clause, the bodies of subqueries and CTEs, string literals, quoted names, type names
-- after `::` and `COLLATE`, and schema-qualified function calls. The deparser prints
-- keywords in upper case and unquoted names as [a-z_][a-z0-9_$]*, so keywords are matched
-- case-sensitively. Any shape it does not recognise (a FROM item without a name) is
-- returned as 15 printed it: such a view hashes as on 15 (differently from 16+), and
-- the text is valid SQL either way. Several FROM items, joins and set operations print
-- qualified on every major and are returned unchanged.
CREATE OR REPLACE FUNCTION pggit.view_query(relid oid)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    def text := pg_get_viewdef(relid);
    tok text[];
    n integer;
    i integer;
    j integer;
    up text;
    stack boolean[] := '{}';
    depth integer[];      -- paren depth of each token (an opening paren: the depth outside it)
    insub boolean[];      -- inside the body of a subquery, sublink or CTE
    subs integer := 0;
    from_start integer;
    from_end integer;
    ref text;
    prev text;
    nxt text;
    keep boolean[];
    out text := '';
BEGIN
    IF def IS NULL OR current_setting('server_version_num')::integer >= 160000 THEN
        RETURN def;
    END IF;

    SELECT array_agg(m[1] ORDER BY o) INTO tok
      FROM regexp_matches(def,
               '([Ee]''(?:[^''\\]|\\.|'''')*''|''(?:[^'']|'''')*''|"(?:[^"]|"")*"'
               || '|[[:alpha:]_][[:alnum:]_$]*|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|::|\s+|.)',
               'g') WITH ORDINALITY AS r(m, o);
    IF tok IS NULL OR array_to_string(tok, '') IS DISTINCT FROM def THEN
        RETURN def;  -- not tokenised faithfully: leave it as printed
    END IF;
    n := cardinality(tok);
    depth := array_fill(0, ARRAY[n]);
    insub := array_fill(false, ARRAY[n]);

    -- structure: paren depth, and which tokens lie inside a subquery's parentheses
    FOR i IN 1 .. n LOOP
        depth[i] := cardinality(stack);
        insub[i] := subs > 0;
        IF tok[i] = '(' THEN
            j := i + 1;
            WHILE j <= n AND tok[j] ~ '^\s+$' LOOP
                j := j + 1;
            END LOOP;
            stack := stack || (j <= n AND tok[j] IN ('SELECT', 'WITH', 'VALUES', 'TABLE'));
            IF stack[cardinality(stack)] THEN
                subs := subs + 1;
            END IF;
        ELSIF tok[i] = ')' AND cardinality(stack) > 0 THEN
            IF stack[cardinality(stack)] THEN
                subs := subs - 1;
            END IF;
            stack := stack[1:cardinality(stack) - 1];
            depth[i] := cardinality(stack);
        END IF;
    END LOOP;

    -- the top-level query: no set operation, one FROM item
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN depth[i] > 0 OR insub[i];
        up := tok[i];
        IF up IN ('UNION', 'INTERSECT', 'EXCEPT') THEN
            RETURN def;
        ELSIF from_start IS NULL AND up = 'FROM' THEN
            from_start := i;
        ELSIF from_start IS NOT NULL AND from_end IS NULL
              AND (up IN ('WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'FETCH', 'FOR')
                   OR up = ';') THEN
            from_end := i - 1;
        END IF;
    END LOOP;
    IF from_start IS NULL THEN
        RETURN def;
    END IF;
    from_end := coalesce(from_end, n);
    FOR i IN from_start + 1 .. from_end LOOP
        CONTINUE WHEN depth[i] > 0;
        up := tok[i];
        IF up = ',' OR up IN ('JOIN', 'LATERAL', 'NATURAL', 'CROSS') THEN
            RETURN def;
        ELSIF up = 'TABLESAMPLE' THEN
            EXIT;  -- the method and its arguments follow the item's name
        ELSIF up = '(' AND ref IS NULL AND NOT coalesce(insub[i + 1], false)
              AND NOT EXISTS (SELECT 1 FROM generate_subscripts(tok, 1) AS k
                               WHERE k > from_start AND k < i AND tok[k] !~ '^\s+$') THEN
            RETURN def;  -- a parenthesised join
        ELSIF up IN ('ONLY', 'ROWS', 'FROM', 'WITH', 'ORDINALITY', 'AS') THEN
            CONTINUE;
        ELSIF up ~ '^[a-z_]' OR up ~ '^"' THEN  -- unquoted names: [a-z_][a-z0-9_$]* (quote_ident)
            ref := up;
        END IF;
    END LOOP;
    IF ref IS NULL THEN
        RETURN def;
    END IF;

    -- drop `<ref>.` before a column name, at the top level, outside the FROM clause
    keep := array_fill(true, ARRAY[n]);
    prev := NULL;
    FOR i IN 1 .. n LOOP
        IF tok[i] = ref AND NOT insub[i] AND (i < from_start OR i > from_end) AND i + 2 <= n
           AND tok[i + 1] = '.' AND (tok[i + 2] ~ '^[[:alpha:]_]' OR tok[i + 2] ~ '^"')
           AND (prev IS NULL OR prev NOT IN ('::', '.', 'COLLATE')) THEN
            j := i + 3;
            WHILE j <= n AND tok[j] ~ '^\s+$' LOOP
                j := j + 1;
            END LOOP;
            nxt := CASE WHEN j <= n THEN tok[j] END;
            IF nxt IS NULL OR nxt NOT IN ('(', '.') THEN
                keep[i] := false;
                keep[i + 1] := false;
            END IF;
        END IF;
        IF tok[i] !~ '^\s+$' THEN
            prev := tok[i];
        END IF;
    END LOOP;
    FOR i IN 1 .. n LOOP
        IF keep[i] THEN
            out := out || tok[i];
        END IF;
    END LOOP;
    RETURN out;
END
$function$;

COMMENT ON FUNCTION pggit.view_query(oid) IS
    'A view''s query as PostgreSQL 16+ prints it, on every major (15: top-level qualifiers of a single FROM item removed).';
