-- pggit.describe_table(relid oid) -> (structure json, definition text)
--
-- Promises: for a table (pg_class.relkind r = plain or partition, p = partitioned,
-- f = foreign) the canonical description pggit versions and hashes it by; for any
-- other relid (NULL, missing, a view, an index...) a row of two NULLs. Never raises
-- for a missing object. Reads pg_catalog only and sees the calling transaction's
-- uncommitted DDL. STABLE, PARALLEL SAFE, callable by everyone.
--
-- `definition` is text, one item per line, in this order:
--   [UNLOGGED ]TABLE | PARTITIONED TABLE | FOREIGN TABLE
--   OF <type>                                   typed table
--   COLUMN <name> <type incl. typmod> [COLLATE <collation, when not the type's>]
--          [NOT NULL] [DEFAULT <expr> | GENERATED ALWAYS AS (<expr>) STORED]
--          [GENERATED ALWAYS|BY DEFAULT AS IDENTITY (<sequence options>)]
--          [STORAGE ..] [COMPRESSION ..] [STATISTICS n] [OPTIONS (..)]
--          [FDW OPTIONS (..)] [COMMENT '..']       one per live column, in column order
--          (column options in the order PostgreSQL keeps them)
--   CONSTRAINT <pg_get_constraintdef> [COMMENT '..']      sorted
--   INDEX [UNIQUE ]<method> (<keys>) [INCLUDE ..] [WITH (..)] [WHERE ..] [COMMENT '..']  sorted
--   TRIGGER <pg_get_triggerdef, own table as <self>> [DISABLED|ENABLE REPLICA|ENABLE ALWAYS]  sorted
--          (pggit.describe_triggers: not pggit's own triggers)
--   POLICY <name> AS <PERMISSIVE|RESTRICTIVE> FOR <cmd> TO <roles> [USING (..)] [WITH CHECK (..)]  sorted
--   RULE <pg_get_ruledef, own table as <self>>            sorted
--   PARTITION BY <key> | PARTITION OF <parent> <bound> | INHERITS <parents in order>
--   SERVER <server> [OPTIONS (..)]               foreign tables
--   USING <access method>, WITH (<reloptions, sorted>), ROW LEVEL SECURITY,
--   FORCE ROW LEVEL SECURITY, REPLICA IDENTITY <FULL|NOTHING|USING INDEX ..>, COMMENT '..'
-- It leaves out the table's own name and schema (a self-referencing foreign key reads
-- REFERENCES <self>(..); a serial column's default reads nextval(<owned sequence>)),
-- the names of constraints and indexes, OIDs, attribute numbers (dropped columns leave
-- no trace), tablespaces, owner, grants, statistics and data: two tables of the same
-- structure describe (and hash) equally, and data never changes the description.
-- Expressions are deparsed with the pinned search_path, so other objects appear
-- schema-qualified whatever the caller's search_path; lists are sorted with COLLATE
-- "C", so the text does not depend on the database's collation.
--
-- `structure` is what pggit.classify_change compares (names and attribute numbers
-- kept, so renames and drops are recognised):
--   {"t": "table",
--    "c": [[attnum, name, type, collation or null, not null, has a default, identity or
--           generation expression], ...]   in column order, every item a json string,
--    "k": ["<contype> <constraint definition>", ...]      sorted,
--    "i": {"<index name>": "<its INDEX line without INDEX and the comment>", ...},
--    "b": "PARTITION OF <parent> <bound>" or null}
-- pggit's sql_drop trigger finds the table of a dropped index by the index names in "i".
-- json rather than jsonb: building jsonb costs several times as much, and this runs
-- on every tracked statement.
--
-- Cost: index scans only (the function pins enable_seqscan, enable_hashjoin and
-- enable_mergejoin off and generic plans: small catalogs would otherwise get
-- sequential scans and hash joins that grow with the schema), and only the queries
-- the table needs (triggers, rules, policies, indexes, partitioning only when there
-- are any). Measured: 0.25 ms (0.4 ms as the first call in a transaction) for a
-- 12-column table; 0.7 ms for 50 columns with 30 defaults and 5 indexes.
CREATE OR REPLACE FUNCTION pggit.describe_table(
    relid oid,
    OUT structure json,
    OUT definition text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    rel record;
    self text;
    seq_cols smallint[];
    seq_oids oid[];
    cols json;
    col_lines text;
    cons json;
    con_lines text;
    idx json;
    idx_lines text;
    trg_lines text;
    pol_lines text;
    rule_lines text;
    bound text;
    server text;
    options text;
    replident text;
BEGIN
    -- One query for the table's own row and the small lookups every table needs (each
    -- plpgsql query costs a plan check and an executor start of its own): its comment,
    -- access method, whether it has policies, and the sequences serial and identity
    -- columns own (column number -> sequence: a serial column's default names its
    -- sequence, whose name follows the table's).
    SELECT c.relkind, c.relpersistence, c.reloptions, c.relrowsecurity, c.relforcerowsecurity,
           c.relreplident, c.reloftype, c.relispartition, c.relam, c.relpartbound, c.relhastriggers,
           c.relhasrules, c.relhasindex,
           -- how pg_get_constraintdef / triggerdef / ruledef / indexdef print this table
           -- under the pinned search_path: always qualified, quoted like quote_ident
           format('%I.%I', n.nspname, c.relname) AS self,
           ds.description AS comment,
           am.amname,
           po.haspolicy,
           sq.cols AS seq_cols, sq.oids AS seq_oids
      INTO rel
      FROM pg_class AS c
      JOIN pg_namespace AS n ON n.oid = c.relnamespace
      LEFT JOIN pg_description AS ds
             ON ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0
      LEFT JOIN pg_am AS am ON am.oid = c.relam
      CROSS JOIN LATERAL (SELECT EXISTS (SELECT FROM pg_policy AS p WHERE p.polrelid = c.oid) AS haspolicy) AS po
      CROSS JOIN LATERAL (SELECT array_agg(dp.refobjsubid) AS cols, array_agg(dp.objid) AS oids
                            FROM pg_depend AS dp
                            JOIN pg_class AS sc ON sc.oid = dp.objid AND sc.relkind = 'S'
                           WHERE dp.refclassid = 'pg_class'::regclass AND dp.refobjid = c.oid
                             AND dp.classid = 'pg_class'::regclass AND dp.deptype IN ('a', 'i')) AS sq
     WHERE c.oid = relid;
    IF NOT FOUND OR rel.relkind NOT IN ('r', 'p', 'f') THEN
        RETURN;
    END IF;
    self := rel.self;
    seq_cols := rel.seq_cols;
    seq_oids := rel.seq_oids;

    SELECT json_agg(ARRAY[a.attnum::text, a.attname::text, a.typ, a.coll, a.attnotnull::text,
                          (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '')::text]
                    ORDER BY a.attnum),
           string_agg(concat_ws(' ',
               'COLUMN', quote_ident(a.attname), a.typ,
               'COLLATE ' || a.coll,
               CASE WHEN a.attnotnull THEN 'NOT NULL' END,
               CASE WHEN a.attgenerated = 's' THEN 'GENERATED ALWAYS AS (' || a.expr || ') STORED'
                    WHEN a.atthasdef THEN 'DEFAULT ' || a.expr END,
               CASE a.attidentity
                    WHEN 'a' THEN 'GENERATED ALWAYS AS IDENTITY ' || a.seq
                    WHEN 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY ' || a.seq END,
               CASE WHEN a.attstorage <> a.typstorage THEN 'STORAGE ' || CASE a.attstorage
                    WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END END,
               CASE a.attcompression WHEN 'p' THEN 'COMPRESSION pglz' WHEN 'l' THEN 'COMPRESSION lz4' END,
               CASE WHEN a.attstattarget >= 0 THEN 'STATISTICS ' || a.attstattarget END,
               'OPTIONS (' || a.opts || ')',
               'FDW OPTIONS (' || a.fdwopts || ')',
               'COMMENT ' || quote_literal(a.description)),
               E'\n' ORDER BY a.attnum)
      INTO cols, col_lines
      FROM (SELECT a.attnum, a.attname, a.attnotnull, a.atthasdef, a.attidentity, a.attgenerated,
                   a.attstorage, a.attcompression, a.attstattarget, t.typstorage,
                   format_type(a.atttypid, a.atttypmod) AS typ,
                   -- (no subqueries in this query: every subquery's plan is initialised
                   -- at each execution, whether a row needs it or not)
                   CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END AS coll,
                   -- A default cannot refer to columns: deparsed without the table
                   -- (pg_get_expr with a relation costs O(columns) per call); a
                   -- generation expression can, and is deparsed with it.
                   CASE WHEN NOT a.atthasdef THEN NULL
                        WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid)
                        WHEN seq_oids IS NULL OR NOT a.attnum = ANY (seq_cols) THEN pg_get_expr(d.adbin, 0)
                        ELSE replace(pg_get_expr(d.adbin, 0),
                                     '''' || replace(seq_oids[array_position(seq_cols, a.attnum)]::regclass::text,
                                                     '''', '''''') || '''::regclass',
                                     '<owned sequence>') END AS expr,
                   CASE WHEN q.seqrelid IS NOT NULL THEN
                        format('(AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s%s)',
                               format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax,
                               q.seqcache, CASE WHEN q.seqcycle THEN ' CYCLE' ELSE '' END) END AS seq,
                   array_to_string(a.attoptions, ', ') AS opts,
                   array_to_string(a.attfdwoptions, ', ') AS fdwopts,
                   ds.description
              FROM pg_attribute AS a
              JOIN pg_type AS t ON t.oid = a.atttypid
              LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              LEFT JOIN pg_description AS ds
                     ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
              -- an identity column's sequence options
              LEFT JOIN pg_sequence AS q
                     ON a.attidentity <> '' AND q.seqrelid = seq_oids[array_position(seq_cols, a.attnum)]
             WHERE a.attrelid = relid AND a.attnum > 0 AND NOT a.attisdropped
            OFFSET 0) AS a;

    SELECT json_agg(k.contype::text || ' ' || k.def ORDER BY k.contype, k.def COLLATE "C"),
           string_agg('CONSTRAINT ' || k.def || coalesce(' COMMENT ' || quote_literal(k.dsc), ''),
                      E'\n' ORDER BY k.def COLLATE "C", k.dsc COLLATE "C")
      INTO cons, con_lines
      FROM (SELECT c.contype,
                   CASE WHEN c.confrelid = relid
                        THEN replace(pg_get_constraintdef(c.oid), ' REFERENCES ' || self || '(', ' REFERENCES <self>(')
                        ELSE pg_get_constraintdef(c.oid) END AS def,
                   ds.description AS dsc
              FROM pg_constraint AS c
              LEFT JOIN pg_description AS ds
                     ON ds.objoid = c.oid AND ds.classoid = 'pg_constraint'::regclass AND ds.objsubid = 0
             WHERE c.conrelid = relid
               -- a plain column NOT NULL is a constraint row only on 18: attnotnull says it on every major
               AND NOT (c.contype = 'n' AND c.convalidated AND NOT c.connoinherit)
            OFFSET 0) AS k;

    IF rel.relhasindex OR rel.relkind = 'p' THEN
        SELECT json_object_agg(i.name, i.line),
               string_agg('INDEX ' || i.line || coalesce(' COMMENT ' || quote_literal(i.dsc), ''),
                          E'\n' ORDER BY i.line COLLATE "C", i.dsc COLLATE "C")
          INTO idx, idx_lines
          FROM (SELECT f.name, f.dsc,
                       -- pg_get_indexdef: CREATE [UNIQUE ]INDEX <name> ON [ONLY ]<table> USING ...:
                       -- keep [UNIQUE ]<method> (...) and the rest, without the two names
                       CASE WHEN starts_with(f.def, f.head || 'ONLY ' || self || ' USING ')
                            THEN f.uniq || substr(f.def, length(f.head || 'ONLY ' || self || ' USING ') + 1)
                            WHEN starts_with(f.def, f.head || self || ' USING ')
                            THEN f.uniq || substr(f.def, length(f.head || self || ' USING ') + 1)
                            ELSE f.def END AS line
                  FROM (SELECT ic.relname AS name, ds.description AS dsc, pg_get_indexdef(x.indexrelid) AS def,
                               CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END AS uniq,
                               format('CREATE %sINDEX %I ON ', CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END,
                                      ic.relname) AS head
                          FROM pg_index AS x
                          JOIN pg_class AS ic ON ic.oid = x.indexrelid
                          LEFT JOIN pg_description AS ds
                                 ON ds.objoid = x.indexrelid AND ds.classoid = 'pg_class'::regclass
                                    AND ds.objsubid = 0
                         WHERE x.indrelid = relid AND x.indisvalid
                        OFFSET 0) AS f) AS i;
    END IF;

    IF rel.relhastriggers THEN
        trg_lines := pggit.describe_triggers(relid, self);
    END IF;

    IF rel.haspolicy THEN
        SELECT string_agg(p.line, E'\n' ORDER BY p.line COLLATE "C")
          INTO pol_lines
          FROM (SELECT concat_ws(' ', 'POLICY', quote_ident(po.polname),
                           CASE WHEN po.polpermissive THEN 'AS PERMISSIVE' ELSE 'AS RESTRICTIVE' END,
                           'FOR ' || CASE po.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                                        WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                           'TO ' || (SELECT string_agg(rn.name, ', ' ORDER BY rn.name COLLATE "C")
                                       FROM (SELECT CASE WHEN r = 0 THEN 'PUBLIC'
                                                         ELSE quote_ident(pg_get_userbyid(r)) END AS name
                                               FROM unnest(po.polroles) AS r) AS rn),
                           'USING (' || pg_get_expr(po.polqual, po.polrelid) || ')',
                           'WITH CHECK (' || pg_get_expr(po.polwithcheck, po.polrelid) || ')') AS line
                  FROM pg_policy AS po
                 WHERE po.polrelid = relid) AS p;
    END IF;

    IF rel.relhasrules THEN
        rule_lines := pggit.describe_rules(relid, self);
    END IF;

    IF rel.relispartition THEN
        SELECT format('PARTITION OF %I.%I %s', pn.nspname, pc.relname, pg_get_expr(rel.relpartbound, relid))
          INTO bound
          FROM pg_inherits AS ih
          JOIN pg_class AS pc ON pc.oid = ih.inhparent
          JOIN pg_namespace AS pn ON pn.oid = pc.relnamespace
         WHERE ih.inhrelid = relid;
    ELSE
        -- legacy inheritance: INHERITS <parents in order>, NULL when there are none
        SELECT 'INHERITS ' || string_agg(format('%I.%I', pn.nspname, pc.relname), ', ' ORDER BY ih.inhseqno)
          INTO bound
          FROM pg_inherits AS ih
          JOIN pg_class AS pc ON pc.oid = ih.inhparent
          JOIN pg_namespace AS pn ON pn.oid = pc.relnamespace
         WHERE ih.inhrelid = relid;
    END IF;

    IF rel.relkind = 'f' THEN
        SELECT concat_ws(' ', format('SERVER %I', fs.srvname),
                         'OPTIONS (' || (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C")
                                           FROM unnest(ft.ftoptions) AS o) || ')')
          INTO server
          FROM pg_foreign_table AS ft
          JOIN pg_foreign_server AS fs ON fs.oid = ft.ftserver
         WHERE ft.ftrelid = relid;
    END IF;

    -- (no subqueries in the definition expression below: it is then evaluated without
    -- an executor start)
    IF rel.reloptions IS NOT NULL THEN
        SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") INTO options FROM unnest(rel.reloptions) AS o;
    END IF;
    IF rel.relreplident = 'i' THEN
        SELECT 'REPLICA IDENTITY USING INDEX ' || (idx ->> ic.relname)
          INTO replident
          FROM pg_index AS x JOIN pg_class AS ic ON ic.oid = x.indexrelid
         WHERE x.indrelid = relid AND x.indisreplident;
    END IF;

    structure := json_build_object('t', 'table', 'c', coalesce(cols, '[]'::json), 'k', coalesce(cons, '[]'::json),
                                   'i', coalesce(idx, '{}'::json),
                                   'b', CASE WHEN rel.relispartition THEN bound END);
    definition := concat_ws(E'\n',
        CASE WHEN rel.relpersistence = 'u' THEN 'UNLOGGED ' ELSE '' END
            || CASE rel.relkind WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
        CASE WHEN rel.reloftype <> 0 THEN 'OF ' || format_type(rel.reloftype, NULL) END,
        col_lines, con_lines, idx_lines, trg_lines, pol_lines, rule_lines,
        CASE WHEN rel.relkind = 'p' THEN 'PARTITION BY ' || pg_get_partkeydef(relid) END,
        bound, server,
        'USING ' || quote_ident(rel.amname),
        'WITH (' || options || ')',
        CASE WHEN rel.relrowsecurity THEN 'ROW LEVEL SECURITY' END,
        CASE WHEN rel.relforcerowsecurity THEN 'FORCE ROW LEVEL SECURITY' END,
        CASE rel.relreplident
             WHEN 'f' THEN 'REPLICA IDENTITY FULL'
             WHEN 'n' THEN 'REPLICA IDENTITY NOTHING'
             WHEN 'i' THEN replident END,
        'COMMENT ' || quote_literal(rel.comment));
END
$function$;

COMMENT ON FUNCTION pggit.describe_table(oid) IS
    'Canonical description of a table (structure json for versioning, definition text for hashing); NULLs for a non-table.';
