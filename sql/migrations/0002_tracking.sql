-- pggit-sql level 2: tracking.
--
-- DDL capture (event triggers), the object registry with semantic versions, schema
-- hashes, the change history, and commit trees (content-addressed blobs, bucket
-- nodes, a Merkle root per commit).
-- Every name is schema-qualified: yoyo runs migrations with search_path set to its
-- bookkeeping schema. The last statement, exactly
--     COMMENT ON SCHEMA pggit IS 'pggit-sql level 2';
-- sets the level the catalog claims.
-- Rollback (0002_tracking.rollback.sql): drops the event triggers, level 2's
-- functions and tables, restores level 1's functions, and never touches a user object.

-- ===========================================================================
-- BEGIN tracking tables (owner: capture)
-- ===========================================================================

-- The registry: one row per tracked object incarnation (schemas, tables incl.
-- partitioned, partitions and foreign tables, views, materialized views, sequences,
-- functions, procedures, types, domains). Parts of a table or view (columns,
-- constraints, indexes, triggers, rules, policies) are described in its row. A dropped
-- object keeps its row (dropped_at set, objid NULL); re-creating the name makes a new
-- row at 1.0.0. Written only by pggit's event triggers and functions.
--   classid, objid   catalog address (pg_class / pg_type / pg_proc / pg_namespace, OID)
--   identity         pg_identify_object(classid, objid, 0).identity, e.g. public.t
--   structure        what version bumps are decided on (see pggit.classify_change)
--   definition       canonical text of the object (no OIDs; a table's leaves out its
--                    own name and schema); hash = sha256 hex of it, stored in blobs
--   partition_parent the parent table's OID while the object is a partition
CREATE TABLE pggit.objects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    schema_name text NOT NULL,
    object_name text NOT NULL,
    identity text NOT NULL,
    classid oid NOT NULL,
    objid oid,
    major integer NOT NULL DEFAULT 1,
    minor integer NOT NULL DEFAULT 0,
    patch integer NOT NULL DEFAULT 0,
    structure json NOT NULL,
    definition text NOT NULL,
    hash text COLLATE "C" NOT NULL,
    partition_parent oid,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    dropped_at timestamptz,
    CONSTRAINT objects_kind_check CHECK (kind IN ('schema', 'table', 'view', 'materialized view', 'sequence',
                                                  'function', 'procedure', 'type', 'domain')),
    CONSTRAINT objects_version_check CHECK (major >= 0 AND minor >= 0 AND patch >= 0),
    CONSTRAINT objects_live_check CHECK ((dropped_at IS NULL) = (objid IS NOT NULL))
) WITH (fillfactor = 50);
-- fillfactor 50: a version bump rewrites the row (structure and definition) on every
-- tracked statement; room on the page keeps those updates HOT (no index maintenance).

-- objid first: exact lookups and objid = ANY(...) of the sql_drop trigger.
CREATE UNIQUE INDEX objects_live_oid_key ON pggit.objects (objid, classid) WHERE dropped_at IS NULL;
CREATE INDEX objects_live_schema_idx ON pggit.objects (schema_name) WHERE dropped_at IS NULL;
CREATE INDEX objects_partition_parent_idx ON pggit.objects (partition_parent)
    WHERE partition_parent IS NOT NULL AND dropped_at IS NULL;

COMMENT ON TABLE pggit.objects IS
    'Registry of tracked objects: kind, identity, semantic version, structure, canonical definition and its hash.';

-- Which registered table or materialized view an index belongs to, by index OID: the
-- sql_drop row of a dropped index does not name its table. Kept by track_object;
-- rows of dropped indexes are deleted by the sql_drop trigger.
CREATE TABLE pggit.object_indexes (
    index_oid oid PRIMARY KEY,
    object_id bigint NOT NULL
);

COMMENT ON TABLE pggit.object_indexes IS
    'Index OID -> pggit.objects id of its table, to find the owner of a dropped index.';

-- The history: one row per captured change per object per statement.
--   change    create, major, minor, patch, none (a statement on the object that
--             changed nothing in its definition), drop, register (seen first by other
--             means than its CREATE: at install, on resume, after a pause), pause,
--             resume, untracked (DDL while tracking was paused, or tracking failed:
--             see note)
--   role      the effective role (SET ROLE's, else the session user)
--   branch    the session's branch (GUC pggit.branch, default main)
--   commit_hash  the commit that included the change, NULL while pending
CREATE TABLE pggit.history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    object_id bigint,
    object_kind text,
    object_identity text,
    old_identity text,
    subobject_identity text,
    command_tag text NOT NULL,
    change text NOT NULL,
    statement text,
    old_version text,
    new_version text,
    old_hash text COLLATE "C",
    new_hash text COLLATE "C",
    role text NOT NULL,
    txid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    changed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    branch text NOT NULL,
    commit_hash text COLLATE "C" REFERENCES pggit.commits (hash),
    note text,
    CONSTRAINT history_change_check CHECK (change IN (
        'create', 'major', 'minor', 'patch', 'none', 'drop', 'register', 'pause', 'resume', 'untracked'))
);
-- history.object_id references pggit.objects (id) and history.new_hash / old_hash
-- reference pggit.blobs by value (the blob is written with or before the history row).
-- Not foreign keys: only pggit's own functions write these tables, and a foreign-key
-- check on every tracked statement is measurable.

CREATE INDEX history_pending_idx ON pggit.history (branch, id) WHERE commit_hash IS NULL;
CREATE INDEX history_object_idx ON pggit.history (object_id);
CREATE INDEX history_commit_idx ON pggit.history (commit_hash) WHERE commit_hash IS NOT NULL;

COMMENT ON TABLE pggit.history IS
    'Every captured schema change: object, command tag, statement, old/new version and hash, role, transaction, time, branch, commit.';

-- Content-addressed blobs: each distinct canonical definition stored once.
CREATE TABLE pggit.blobs (
    hash text COLLATE "C" PRIMARY KEY,
    definition text NOT NULL,
    CONSTRAINT blobs_hash_check CHECK (hash ~ '^[0-9a-f]{64}$')
);

COMMENT ON TABLE pggit.blobs IS
    'Canonical object definitions by their sha256 (hex), each stored once.';

-- One row per tracked live table.
CREATE VIEW pggit.table_versions AS
SELECT o.object_name AS table_name,
       o.schema_name,
       o.major,
       o.minor,
       o.patch,
       o.major || '.' || o.minor || '.' || o.patch AS version,
       o.hash,
       o.identity,
       o.id AS object_id,
       o.created_at,
       o.updated_at
  FROM pggit.objects AS o
 WHERE o.kind = 'table' AND o.dropped_at IS NULL;

COMMENT ON VIEW pggit.table_versions IS
    'Semantic version and structure hash of every tracked live table.';

-- Read-only for ordinary roles: written by the SECURITY DEFINER event triggers and API.
REVOKE ALL ON TABLE pggit.objects, pggit.object_indexes, pggit.history, pggit.blobs, pggit.table_versions
    FROM PUBLIC;
GRANT SELECT ON TABLE pggit.objects, pggit.object_indexes, pggit.history, pggit.blobs, pggit.table_versions
    TO PUBLIC;

-- ===========================================================================
-- END tracking tables
-- ===========================================================================

-- ===========================================================================
-- BEGIN commit tree tables (owner: trees)
-- ===========================================================================

-- Commit trees (sql/functions/trees/tree_apply.sql describes the layout).
-- A bucket node: the entries of one of the 256 buckets, content-addressed by the
-- sha256 of their canonical text; stored once, shared by every tree that has it.
CREATE TABLE pggit.tree_nodes (
    hash text COLLATE "C" NOT NULL,
    entries jsonb NOT NULL,
    CONSTRAINT tree_nodes_pkey PRIMARY KEY (hash),
    CONSTRAINT tree_nodes_hash_check CHECK (hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT tree_nodes_entries_check CHECK (pg_catalog.jsonb_typeof(entries) = 'array')
);

COMMENT ON TABLE pggit.tree_nodes IS
    'Commit-tree bucket nodes: hash = sha256 of the canonical entry lines; entries = [[kind, identity, blob_hash], ...].';

-- The empty bucket: sha256 of the empty text.
INSERT INTO pggit.tree_nodes (hash, entries)
VALUES ('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '[]');

-- A tree: its 256 bucket node hashes (bucket 1 first), content-addressed by the
-- Merkle root, sha256 of the 256 hex hashes concatenated (checked). Stored once:
-- commits with the same schema share it.
CREATE TABLE pggit.trees (
    hash text COLLATE "C" NOT NULL,
    buckets text[] COLLATE "C" NOT NULL,
    CONSTRAINT trees_pkey PRIMARY KEY (hash),
    CONSTRAINT trees_buckets_check CHECK (
        pg_catalog.cardinality(buckets) = 256 AND pg_catalog.array_position(buckets, NULL) IS NULL),
    CONSTRAINT trees_hash_check CHECK (
        hash = pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
                   pg_catalog.array_to_string(buckets, ''), 'UTF8')), 'hex'))
);

COMMENT ON TABLE pggit.trees IS
    'Commit trees: hash = Merkle root = sha256 of the 256 bucket node hashes concatenated; buckets = those hashes.';

REVOKE ALL ON TABLE pggit.tree_nodes, pggit.trees FROM PUBLIC;
GRANT SELECT ON TABLE pggit.tree_nodes, pggit.trees TO PUBLIC;

-- A commit's schema: the root of its tree. NULL for commits made before level 2.
ALTER TABLE pggit.commits
    ADD COLUMN schema_hash text COLLATE "C",
    ADD CONSTRAINT commits_schema_hash_fkey FOREIGN KEY (schema_hash) REFERENCES pggit.trees (hash);

COMMENT ON COLUMN pggit.commits.schema_hash IS
    'Merkle root of the commit''s schema tree (pggit.trees.hash); NULL for commits made before level 2.';

-- ===========================================================================
-- END commit tree tables
-- ===========================================================================

-- ===========================================================================
-- BEGIN tracking functions (owner: capture) — verbatim copies of sql/functions files
-- ===========================================================================

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/is_tracked_schema.sql
-- ---------------------------------------------------------------------------
-- pggit.is_tracked_schema(nspname name) -> boolean
--
-- Promises: false for the schemas pggit never tracks — the system schemas (every
-- name starting pg_: pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N, and the
-- pg_temp alias), information_schema, pggit's own schema pggit and every pggit_*
-- schema (pggit_meta and the bookkeeping schemas of users' own migrations folders
-- included); true for every other schema; NULL for NULL. Never raises. IMMUTABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it.
CREATE OR REPLACE FUNCTION pggit.is_tracked_schema(nspname name)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT NOT (nspname::text LIKE 'pg\_%' OR nspname::text = 'information_schema'
            OR nspname::text = 'pggit' OR nspname::text LIKE 'pggit\_%')
$function$;

COMMENT ON FUNCTION pggit.is_tracked_schema(name) IS
    'False for schemas pggit does not track (pg_*, information_schema, pggit, pggit_*), true otherwise.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/current_branch.sql
-- ---------------------------------------------------------------------------
-- pggit.current_branch() -> text
--
-- Promises: the session's branch: the value of the GUC pggit.branch (set by
-- pggit.checkout, or directly with SET pggit.branch = ...), or 'main' when it is unset
-- or empty. Never raises; does not check that the branch exists. STABLE,
-- PARALLEL SAFE, callable by everyone. Every history row records it.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it.
CREATE OR REPLACE FUNCTION pggit.current_branch()
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT coalesce(nullif(pg_catalog.current_setting('pggit.branch', true), ''), 'main')
$function$;

COMMENT ON FUNCTION pggit.current_branch() IS
    'The session''s branch: GUC pggit.branch, or main when unset.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/tracking_paused.sql
-- ---------------------------------------------------------------------------
-- pggit.tracking_paused() -> boolean
--
-- Promises: true when the GUC pggit.tracking is set to off (also false, no, 0, f, n;
-- any letter case, surrounding blanks ignored) in this session or transaction, false
-- otherwise (unset, empty, on, or any other value). Never raises. STABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- While it is true, pggit's event triggers write one cheap 'untracked' history row per
-- DDL statement instead of tracking it. Set it with pggit.pause_tracking() /
-- pggit.resume_tracking() (which record the pause and bring the registry up to date
-- again), or directly: SET pggit.tracking = off.
--
-- A single SQL expression without SET or STRICT, so the planner inlines it.
CREATE OR REPLACE FUNCTION pggit.tracking_paused()
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT coalesce(pg_catalog.lower(pg_catalog.btrim(pg_catalog.current_setting('pggit.tracking', true)))
                IN ('off', 'false', 'no', '0', 'f', 'n'), false)
$function$;

COMMENT ON FUNCTION pggit.tracking_paused() IS
    'True when GUC pggit.tracking is off in this session: DDL is then recorded only as untracked.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/tracked_owner.sql
-- ---------------------------------------------------------------------------
-- pggit.tracked_owner(classid oid, objid oid) -> (owner_classid oid, owner_objid oid)
--
-- Promises: the catalog address of the tracked object that (classid, objid) is, or is
-- part of; two NULLs when there is none (a missing object, or one of a kind pggit
-- does not track). Never raises. Does not decide whether the owner's schema is
-- tracked (see pggit.describe_object). STABLE, PARALLEL SAFE, callable by everyone.
--
--   object                                  owner
--   table, partition, partitioned or        itself (pg_class)
--     foreign table, view, materialized view
--   sequence                                itself; an identity column's sequence
--                                           (internal dependency): its table
--   index (plain or partitioned)            its table or materialized view
--   composite type (pg_class relkind c)     its type (pg_type)
--   enum, range, composite type, domain     itself (pg_type)
--   function, window function, procedure    itself (pg_proc); aggregates and
--                                           functions internal to another object
--                                           (range constructors): none
--   schema                                  itself (pg_namespace)
--   constraint                              its table's owner, or its domain
--   column default (pg_attrdef), trigger,   the owner of its relation (none for pggit's
--   rule (pg_rewrite), policy                own triggers, whose functions live in
--                                           pggit's schemas)
--   anything else (toast tables, row and    none
--     array types, casts, operators, ...)
CREATE OR REPLACE FUNCTION pggit.tracked_owner(
    classid oid,
    objid oid,
    OUT owner_classid oid,
    OUT owner_objid oid)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    relid oid;
    kind "char";
    reltyp oid;
BEGIN
    IF classid = 'pg_class'::regclass THEN
        relid := objid;
    ELSIF classid = 'pg_type'::regclass THEN
        IF EXISTS (SELECT FROM pg_type AS t
                    WHERE t.oid = objid
                      AND (t.typtype IN ('e', 'r', 'd')
                           OR (t.typtype = 'c' AND EXISTS (SELECT FROM pg_class AS c
                                                            WHERE c.oid = t.typrelid AND c.relkind = 'c')))) THEN
            owner_classid := classid;
            owner_objid := objid;
        END IF;
        RETURN;
    ELSIF classid = 'pg_proc'::regclass THEN
        IF EXISTS (SELECT FROM pg_proc AS p WHERE p.oid = objid AND p.prokind IN ('f', 'p', 'w'))
           AND NOT EXISTS (SELECT FROM pg_depend AS d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = tracked_owner.objid
                              AND d.deptype = 'i') THEN
            owner_classid := classid;
            owner_objid := objid;
        END IF;
        RETURN;
    ELSIF classid = 'pg_namespace'::regclass THEN
        IF EXISTS (SELECT FROM pg_namespace AS n WHERE n.oid = objid) THEN
            owner_classid := classid;
            owner_objid := objid;
        END IF;
        RETURN;
    ELSIF classid = 'pg_constraint'::regclass THEN
        SELECT nullif(c.conrelid, 0), nullif(c.contypid, 0) INTO relid, reltyp
          FROM pg_constraint AS c WHERE c.oid = objid;
        IF reltyp IS NOT NULL THEN
            owner_classid := 'pg_type'::regclass;
            owner_objid := reltyp;
            RETURN;
        END IF;
    ELSIF classid = 'pg_attrdef'::regclass THEN
        SELECT d.adrelid INTO relid FROM pg_attrdef AS d WHERE d.oid = objid;
    ELSIF classid = 'pg_trigger'::regclass THEN
        -- pggit's own triggers (functions in pggit's schemas) belong to no tracked object
        SELECT t.tgrelid INTO relid
          FROM pg_trigger AS t
          JOIN pg_proc AS tp ON tp.oid = t.tgfoid
          JOIN pg_namespace AS tn ON tn.oid = tp.pronamespace
         WHERE t.oid = objid AND tn.nspname <> 'pggit' AND NOT starts_with(tn.nspname, 'pggit_');
    ELSIF classid = 'pg_rewrite'::regclass THEN
        SELECT r.ev_class INTO relid FROM pg_rewrite AS r WHERE r.oid = objid;
    ELSIF classid = 'pg_policy'::regclass THEN
        SELECT p.polrelid INTO relid FROM pg_policy AS p WHERE p.oid = objid;
    ELSE
        RETURN;
    END IF;

    SELECT c.relkind, c.reltype INTO kind, reltyp FROM pg_class AS c WHERE c.oid = relid;
    IF kind IN ('i', 'I') THEN
        SELECT x.indrelid INTO relid FROM pg_index AS x WHERE x.indexrelid = relid;
        SELECT c.relkind INTO kind FROM pg_class AS c WHERE c.oid = relid;
    ELSIF kind = 'S' THEN
        -- An identity column's sequence belongs to its table.
        SELECT d.refobjid INTO reltyp
          FROM pg_depend AS d
         WHERE d.classid = 'pg_class'::regclass AND d.objid = relid
           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i';
        IF FOUND THEN
            relid := reltyp;
            kind := 'r';
        END IF;
    END IF;
    IF kind IN ('r', 'p', 'f', 'v', 'm', 'S') THEN
        owner_classid := 'pg_class'::regclass;
        owner_objid := relid;
    ELSIF kind = 'c' THEN
        owner_classid := 'pg_type'::regclass;
        owner_objid := reltyp;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.tracked_owner(oid, oid) IS
    'The tracked object (classid, objid) that a catalog object is or belongs to (a table for its index, ...); NULLs if none.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/describe_triggers.sql
-- ---------------------------------------------------------------------------
-- pggit.describe_triggers(relid oid, self text) -> text
--
-- Promises: the TRIGGER lines of the canonical description of a table, view or
-- materialized view (pggit.describe_table, pggit.describe_view), sorted with
-- COLLATE "C", one per line:
--   TRIGGER <pg_get_triggerdef, the relation itself as <self>>
--           [ DISABLED | ENABLE REPLICA | ENABLE ALWAYS] [ COMMENT '<comment>']
-- `self` is how pg_get_triggerdef prints the relation under the pinned search_path
-- (schema-qualified, quoted like quote_ident). Left out: internal triggers (foreign
-- keys' own) and pggit's own triggers, whose functions live in pggit's schemas (a data
-- branch's capture and write triggers are not the user's structure: creating a data
-- branch changes no version or hash). NULL when there is no such trigger. STABLE,
-- PARALLEL SAFE; internal to the describe functions, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.describe_triggers(relid oid, self text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    lines text;
BEGIN
    SELECT string_agg(g.line, E'\n' ORDER BY g.line COLLATE "C")
      INTO lines
      FROM (SELECT 'TRIGGER ' || replace(pg_get_triggerdef(tg.oid), ' ON ' || self || ' ', ' ON <self> ')
                   || CASE tg.tgenabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLE REPLICA'
                                        WHEN 'A' THEN ' ENABLE ALWAYS' ELSE '' END
                   || coalesce(' COMMENT ' || quote_literal(ds.description), '') AS line
              FROM pg_trigger AS tg
              LEFT JOIN pg_description AS ds
                     ON ds.objoid = tg.oid AND ds.classoid = 'pg_trigger'::regclass AND ds.objsubid = 0
             WHERE tg.tgrelid = relid AND NOT tg.tgisinternal
               AND NOT EXISTS (SELECT FROM pg_proc AS tp JOIN pg_namespace AS tn ON tn.oid = tp.pronamespace
                                WHERE tp.oid = tg.tgfoid
                                  AND (tn.nspname = 'pggit' OR starts_with(tn.nspname, 'pggit_')))) AS g;
    RETURN lines;
END
$function$;

COMMENT ON FUNCTION pggit.describe_triggers(oid, text) IS
    'TRIGGER lines of a relation''s canonical description (not internal triggers, not pggit''s own).';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/describe_rules.sql
-- ---------------------------------------------------------------------------
-- pggit.describe_rules(relid oid, self text) -> text
--
-- Promises: the RULE lines of the canonical description of a table, view or
-- materialized view (pggit.describe_table, pggit.describe_view), sorted with
-- COLLATE "C", one per line:
--   RULE <pg_get_ruledef, the relation itself as <self>>
--        [ DISABLED | ENABLE REPLICA | ENABLE ALWAYS]
-- `self` is how pg_get_ruledef prints the relation under the pinned search_path
-- (schema-qualified, quoted like quote_ident). A view's own _RETURN rule is left out
-- (its query is described as such). NULL when there is no such rule. STABLE,
-- PARALLEL SAFE; internal to the describe functions, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.describe_rules(relid oid, self text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    lines text;
BEGIN
    SELECT string_agg(r.line, E'\n' ORDER BY r.line COLLATE "C")
      INTO lines
      FROM (SELECT 'RULE ' || replace(pg_get_ruledef(rw.oid), ' TO ' || self || ' ', ' TO <self> ')
                   || CASE rw.ev_enabled WHEN 'D' THEN ' DISABLED' WHEN 'R' THEN ' ENABLE REPLICA'
                                         WHEN 'A' THEN ' ENABLE ALWAYS' ELSE '' END AS line
              FROM pg_rewrite AS rw
             WHERE rw.ev_class = relid AND rw.rulename <> '_RETURN') AS r;
    RETURN lines;
END
$function$;

COMMENT ON FUNCTION pggit.describe_rules(oid, text) IS
    'RULE lines of a relation''s canonical description (not a view''s own _RETURN rule).';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/describe_table.sql
-- ---------------------------------------------------------------------------
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

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/describe_view.sql
-- ---------------------------------------------------------------------------
-- pggit.describe_view(relid oid) -> (structure json, definition text)
--
-- Promises: for a view (relkind v) or materialized view (m) its canonical description;
-- for anything else (NULL, missing, a table...) two NULLs. Never raises for a missing
-- object. Reads pg_catalog only, sees the calling transaction's uncommitted DDL.
-- STABLE, PARALLEL SAFE, callable by everyone.
--
-- `definition`, one item per line:
--   VIEW | MATERIALIZED VIEW
--   COLUMN <name> <type> [COLLATE ..] [DEFAULT ..] [COMMENT '..']   in column order
--   WITH (<reloptions, sorted>)                 security_barrier, check_option, ...
--   AS <pg_get_viewdef>                         deparsed with the pinned search_path
--   INDEX ..., TRIGGER ..., RULE ... lines as in pggit.describe_table
--   USING <access method> (materialized views), COMMENT '..'
-- It leaves out the view's own name and schema, OIDs, owner, grants, tablespace and
-- whether a materialized view is populated (data).
--
-- `structure`: {"t": "view" | "materialized view",
--               "c": [[attnum, name, type, collation or null], ...],
--               "i": {index name: INDEX line, ...}}   (indexes: materialized views)
-- Classification (pggit.classify_change): a column removed, renamed or retyped is
-- major, a column added minor, an index added minor, anything else patch.
CREATE OR REPLACE FUNCTION pggit.describe_view(
    relid oid,
    OUT structure json,
    OUT definition text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
AS $function$
DECLARE
    rel record;
    self text;
    cols json;
    col_lines text;
    idx json;
    idx_lines text;
    trg_lines text;
    rule_lines text;
BEGIN
    SELECT c.relkind, c.reloptions, c.relam, c.relhastriggers, c.relhasrules, n.nspname, c.relname
      INTO rel
      FROM pg_class AS c
      JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE c.oid = relid;
    IF NOT FOUND OR rel.relkind NOT IN ('v', 'm') THEN
        RETURN;
    END IF;
    self := format('%I.%I', rel.nspname, rel.relname);

    SELECT json_agg(ARRAY[a.attnum::text, a.attname::text, x.typ, x.coll]
                     ORDER BY a.attnum),
           string_agg(concat_ws(' ', 'COLUMN', quote_ident(a.attname), x.typ, 'COLLATE ' || x.coll,
                                'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                                'COMMENT ' || quote_literal(ds.description)),
                      E'\n' ORDER BY a.attnum)
      INTO cols, col_lines
      FROM pg_attribute AS a
      JOIN pg_type AS t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_description AS ds
             ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
      CROSS JOIN LATERAL (
          SELECT format_type(a.atttypid, a.atttypmod) AS typ,
                 CASE WHEN a.attcollation <> t.typcollation THEN (
                      SELECT format('%I.%I', cn.nspname, co.collname)
                        FROM pg_collation AS co JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
                       WHERE co.oid = a.attcollation) END AS coll
              OFFSET 0) AS x
     WHERE a.attrelid = relid AND a.attnum > 0 AND NOT a.attisdropped;

    IF rel.relkind = 'm' THEN
        SELECT json_object_agg(i.name, i.line),
               string_agg('INDEX ' || i.line || coalesce(' COMMENT ' || quote_literal(i.dsc), ''),
                          E'\n' ORDER BY i.line COLLATE "C", i.dsc COLLATE "C")
          INTO idx, idx_lines
          FROM (SELECT ic.relname AS name,
                       (SELECT ds.description FROM pg_description AS ds
                         WHERE ds.objoid = ic.oid AND ds.classoid = 'pg_class'::regclass
                           AND ds.objsubid = 0) AS dsc,
                       CASE WHEN starts_with(f.def, f.head || self || ' USING ')
                            THEN f.uniq || substr(f.def, length(f.head || self || ' USING ') + 1)
                            ELSE f.def END AS line
                  FROM pg_index AS x
                  JOIN pg_class AS ic ON ic.oid = x.indexrelid
                  CROSS JOIN LATERAL (
                      SELECT pg_get_indexdef(x.indexrelid) AS def,
                             CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END AS uniq,
                             format('CREATE %sINDEX %I ON ', CASE WHEN x.indisunique THEN 'UNIQUE ' ELSE '' END,
                                    ic.relname) AS head
                  OFFSET 0) AS f
                 WHERE x.indrelid = relid AND x.indisvalid) AS i;
    END IF;

    IF rel.relhastriggers THEN
        trg_lines := pggit.describe_triggers(relid, self);
    END IF;

    IF rel.relhasrules THEN
        rule_lines := pggit.describe_rules(relid, self);
    END IF;

    structure := json_build_object(
        't', CASE rel.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
        'c', coalesce(cols, '[]'::json),
        'i', coalesce(idx, '{}'::json));
    definition := concat_ws(E'\n',
        CASE rel.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END,
        col_lines,
        'WITH (' || (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(rel.reloptions) AS o) || ')',
        'AS ' || pg_get_viewdef(relid),
        idx_lines, trg_lines, rule_lines,
        (SELECT 'USING ' || quote_ident(am.amname) FROM pg_am AS am WHERE am.oid = rel.relam),
        (SELECT 'COMMENT ' || quote_literal(ds.description) FROM pg_description AS ds
          WHERE ds.objoid = relid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0));
END
$function$;

COMMENT ON FUNCTION pggit.describe_view(oid) IS
    'Canonical description of a view or materialized view (structure json, definition text); NULLs otherwise.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/describe_type.sql
-- ---------------------------------------------------------------------------
-- pggit.describe_type(typid oid) -> (structure json, definition text)
--
-- Promises: for an enum, a composite type (CREATE TYPE .. AS (..), not a table's row
-- type), a range type or a domain, its canonical description; for anything else
-- (NULL, missing, base, array, multirange or row types) two NULLs. Never raises for
-- a missing object. Reads pg_catalog only, sees the calling transaction's
-- uncommitted DDL. STABLE, PARALLEL SAFE, callable by everyone.
--
-- `definition`, one item per line:
--   ENUM ('<label>', ...)                              labels in sort order
--   COMPOSITE TYPE / ATTRIBUTE <name> <type> [COLLATE ..] [COMMENT '..'] ...
--   RANGE SUBTYPE <type> [SUBTYPE_OPCLASS ..] [COLLATION ..] [CANONICAL ..]
--         [SUBTYPE_DIFF ..] MULTIRANGE_TYPE_NAME <name>
--   DOMAIN <base type> [COLLATE ..] [NOT NULL] [DEFAULT ..]
--          then CONSTRAINT <pg_get_constraintdef> lines, sorted, without their names
--   COMMENT '..'
-- Names of other objects are schema-qualified (pinned search_path); the type's own
-- name, schema, OIDs, owner and grants are left out.
--
-- `structure` (for pggit.classify_change):
--   enum:      {"t": "enum", "l": [labels in order]}
--   composite: {"t": "composite", "c": [[attnum, name, type, collation or null], ...]}
--   range:     {"t": "range"}
--   domain:    {"t": "domain", "nn": not null, "k": ["<contype> <definition>", ...]}
CREATE OR REPLACE FUNCTION pggit.describe_type(
    typid oid,
    OUT structure json,
    OUT definition text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
AS $function$
DECLARE
    typ record;
    body text;
    lines text;
    items json;
    dsc text;
BEGIN
    SELECT t.typtype, t.typrelid, t.typbasetype, t.typtypmod, t.typnotnull, t.typcollation,
           t.typdefaultbin, (SELECT c.relkind FROM pg_class AS c WHERE c.oid = t.typrelid) AS relkind
      INTO typ
      FROM pg_type AS t
     WHERE t.oid = typid;
    IF NOT FOUND OR NOT (typ.typtype IN ('e', 'r', 'd') OR (typ.typtype = 'c' AND typ.relkind = 'c')) THEN
        RETURN;
    END IF;
    SELECT ds.description INTO dsc
      FROM pg_description AS ds
     WHERE ds.objoid = typid AND ds.classoid = 'pg_type'::regclass AND ds.objsubid = 0;

    IF typ.typtype = 'e' THEN
        SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder),
               string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
          INTO items, lines
          FROM pg_enum AS e
         WHERE e.enumtypid = typid;
        structure := json_build_object('t', 'enum', 'l', coalesce(items, '[]'::json));
        body := 'ENUM (' || coalesce(lines, '') || ')';
    ELSIF typ.typtype = 'c' THEN
        SELECT json_agg(ARRAY[a.attnum::text, a.attname::text, x.typ, x.coll]
                         ORDER BY a.attnum),
               string_agg(concat_ws(' ', 'ATTRIBUTE', quote_ident(a.attname), x.typ, 'COLLATE ' || x.coll,
                                    'COMMENT ' || quote_literal(ds.description)),
                          E'\n' ORDER BY a.attnum)
          INTO items, lines
          FROM pg_attribute AS a
          JOIN pg_type AS t ON t.oid = a.atttypid
          LEFT JOIN pg_description AS ds
                 ON ds.objoid = a.attrelid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = a.attnum
          CROSS JOIN LATERAL (
              SELECT format_type(a.atttypid, a.atttypmod) AS typ,
                     CASE WHEN a.attcollation <> t.typcollation THEN (
                          SELECT format('%I.%I', cn.nspname, co.collname)
                            FROM pg_collation AS co JOIN pg_namespace AS cn ON cn.oid = co.collnamespace
                           WHERE co.oid = a.attcollation) END AS coll
              OFFSET 0) AS x
         WHERE a.attrelid = typ.typrelid AND a.attnum > 0 AND NOT a.attisdropped;
        structure := json_build_object('t', 'composite', 'c', coalesce(items, '[]'::json));
        body := concat_ws(E'\n', 'COMPOSITE TYPE', lines);
    ELSIF typ.typtype = 'r' THEN
        SELECT concat_ws(' ', 'RANGE SUBTYPE ' || format_type(r.rngsubtype, NULL),
                   (SELECT format('SUBTYPE_OPCLASS %I.%I', n.nspname, oc.opcname)
                      FROM pg_opclass AS oc JOIN pg_namespace AS n ON n.oid = oc.opcnamespace
                     WHERE oc.oid = r.rngsubopc),
                   (SELECT format('COLLATION %I.%I', n.nspname, co.collname)
                      FROM pg_collation AS co JOIN pg_namespace AS n ON n.oid = co.collnamespace
                     WHERE co.oid = r.rngcollation),
                   CASE WHEN r.rngcanonical <> 0 THEN 'CANONICAL ' || r.rngcanonical::regproc::text END,
                   CASE WHEN r.rngsubdiff <> 0 THEN 'SUBTYPE_DIFF ' || r.rngsubdiff::regproc::text END,
                   'MULTIRANGE_TYPE_NAME ' || format_type(r.rngmultitypid, NULL))
          INTO body
          FROM pg_range AS r
         WHERE r.rngtypid = typid;
        structure := json_build_object('t', 'range');
    ELSE
        SELECT json_agg(k.contype::text || ' ' || k.def ORDER BY k.contype, k.def COLLATE "C"),
               string_agg('CONSTRAINT ' || k.def || coalesce(' COMMENT ' || quote_literal(k.dsc), ''),
                          E'\n' ORDER BY k.def COLLATE "C", k.dsc COLLATE "C")
          INTO items, lines
          FROM (SELECT c.contype, pg_get_constraintdef(c.oid) AS def,
                       (SELECT ds.description FROM pg_description AS ds
                         WHERE ds.objoid = c.oid AND ds.classoid = 'pg_constraint'::regclass
                           AND ds.objsubid = 0) AS dsc
                  FROM pg_constraint AS c
                 WHERE c.contypid = typid) AS k;
        structure := json_build_object('t', 'domain', 'nn', typ.typnotnull, 'k', coalesce(items, '[]'::json));
        body := concat_ws(E'\n',
            concat_ws(' ', 'DOMAIN ' || format_type(typ.typbasetype, typ.typtypmod),
                      CASE WHEN typ.typcollation <> (SELECT b.typcollation FROM pg_type AS b
                                                      WHERE b.oid = typ.typbasetype) THEN (
                           SELECT format('COLLATE %I.%I', n.nspname, co.collname)
                             FROM pg_collation AS co JOIN pg_namespace AS n ON n.oid = co.collnamespace
                            WHERE co.oid = typ.typcollation) END,
                      CASE WHEN typ.typnotnull THEN 'NOT NULL' END,
                      'DEFAULT ' || pg_get_expr(typ.typdefaultbin, 0)),
            lines);
    END IF;
    definition := concat_ws(E'\n', body, 'COMMENT ' || quote_literal(dsc));
END
$function$;

COMMENT ON FUNCTION pggit.describe_type(oid) IS
    'Canonical description of an enum, composite, range type or domain (structure json, definition text); NULLs otherwise.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/describe_object.sql
-- ---------------------------------------------------------------------------
-- pggit.describe_object(classid oid, objid oid)
--     -> (kind text, schema_name text, object_name text, identity text,
--         structure json, definition text, partition_parent oid)
--
-- Promises: for a trackable object, addressed as pggit.tracked_owner returns it, one
-- row describing it; for anything else a row of NULLs (kind IS NULL). Never raises
-- for a missing object. Sees the calling transaction's uncommitted DDL. STABLE,
-- PARALLEL SAFE, callable by everyone.
--
-- Trackable: an object of one of the kinds below whose schema passes
-- pggit.is_tracked_schema (so not pggit's own schemas, not temporary or system
-- schemas) and that is not a member of an extension (pg_depend deptype 'e').
--
--   kind                 catalog                       definition from
--   table                pg_class r, p, f              pggit.describe_table
--   view                 pg_class v                    pggit.describe_view
--   materialized view    pg_class m                    pggit.describe_view
--   sequence             pg_class S, not an identity   SEQUENCE AS <type> START ..
--                        column's                      INCREMENT .. MINVALUE .. MAXVALUE
--                                                      .. CACHE .. [CYCLE], OWNED BY
--                                                      <table.column>, COMMENT
--   function, procedure  pg_proc f, w / p              pg_get_functiondef + COMMENT
--   type                 pg_type e, r, c (CREATE TYPE) pggit.describe_type
--   domain               pg_type d                     pggit.describe_type
--   schema               pg_namespace                  SCHEMA + COMMENT
--
-- identity is pg_identify_object(classid, objid, 0).identity (public.t, "My S"."T",
-- public.f(integer), s); schema_name and object_name are the raw names (for a
-- schema both are its name; for a routine object_name is its name without
-- arguments). partition_parent is the parent table's OID for a partition, else
-- NULL. Definitions are deparsed under the pinned search_path, so other objects
-- always appear schema-qualified.
CREATE OR REPLACE FUNCTION pggit.describe_object(
    classid oid,
    objid oid,
    OUT kind text,
    OUT schema_name text,
    OUT object_name text,
    OUT identity text,
    OUT structure json,
    OUT definition text,
    OUT partition_parent oid)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    relkind "char";
    ispartition boolean;
    persistence "char";
    dsc text;
    excluded boolean;
BEGIN
    IF classid = 'pg_class'::regclass THEN
        SELECT c.relkind, c.relispartition, c.relpersistence, n.nspname, c.relname,
               CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'f' THEN 'table'
                              WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' END,
               -- an extension's member, or an identity column's sequence (part of its table)
               EXISTS (SELECT FROM pg_depend AS d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND (d.deptype = 'e' OR (d.deptype = 'i' AND c.relkind = 'S'
                                                   AND d.refclassid = 'pg_class'::regclass)))
          INTO relkind, ispartition, persistence, schema_name, object_name, kind, excluded
          FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE c.oid = objid;
        IF excluded OR NOT pggit.is_tracked_schema(schema_name) THEN
            kind := NULL;
        END IF;
    ELSIF classid = 'pg_type'::regclass THEN
        SELECT CASE WHEN t.typtype = 'd' THEN 'domain' WHEN t.typtype IN ('e', 'r', 'c') THEN 'type' END,
               n.nspname, t.typname
          INTO kind, schema_name, object_name
          FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
         WHERE t.oid = objid;
    ELSIF classid = 'pg_proc'::regclass THEN
        SELECT CASE p.prokind WHEN 'f' THEN 'function' WHEN 'w' THEN 'function' WHEN 'p' THEN 'procedure' END,
               n.nspname, p.proname
          INTO kind, schema_name, object_name
          FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
         WHERE p.oid = objid;
    ELSIF classid = 'pg_namespace'::regclass THEN
        SELECT 'schema', n.nspname, n.nspname INTO kind, schema_name, object_name
          FROM pg_namespace AS n WHERE n.oid = objid;
    END IF;

    IF kind IS NULL
       OR (classid <> 'pg_class'::regclass
           AND (NOT pggit.is_tracked_schema(schema_name)
                OR EXISTS (SELECT FROM pg_depend AS d
                            WHERE d.classid = describe_object.classid AND d.objid = describe_object.objid
                              AND (d.deptype = 'e' OR (d.deptype = 'i' AND d.classid = 'pg_proc'::regclass))))) THEN
        kind := NULL;
        schema_name := NULL;
        object_name := NULL;
        RETURN;
    END IF;

    IF kind = 'table' THEN
        SELECT d.structure, d.definition INTO structure, definition FROM pggit.describe_table(objid) AS d;
        IF ispartition THEN
            SELECT ih.inhparent INTO partition_parent FROM pg_inherits AS ih WHERE ih.inhrelid = objid;
        END IF;
    ELSIF kind IN ('view', 'materialized view') THEN
        SELECT d.structure, d.definition INTO structure, definition FROM pggit.describe_view(objid) AS d;
    ELSIF kind IN ('type', 'domain') THEN
        SELECT d.structure, d.definition INTO structure, definition FROM pggit.describe_type(objid) AS d;
    ELSE
        SELECT ds.description INTO dsc
          FROM pg_description AS ds
         WHERE ds.objoid = objid AND ds.classoid = classid AND ds.objsubid = 0;
        structure := json_build_object('t', kind);
        IF kind = 'sequence' THEN
            SELECT concat_ws(E'\n',
                       concat_ws(' ', CASE WHEN persistence = 'u' THEN 'UNLOGGED' END,
                                 'SEQUENCE AS ' || format_type(s.seqtypid, NULL), 'START ' || s.seqstart,
                                 'INCREMENT ' || s.seqincrement, 'MINVALUE ' || s.seqmin,
                                 'MAXVALUE ' || s.seqmax, 'CACHE ' || s.seqcache,
                                 CASE WHEN s.seqcycle THEN 'CYCLE' END),
                       (SELECT format('OWNED BY %I.%I.%I', n.nspname, c.relname, a.attname)
                          FROM pg_depend AS d
                          JOIN pg_class AS c ON c.oid = d.refobjid
                          JOIN pg_namespace AS n ON n.oid = c.relnamespace
                          JOIN pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = describe_object.objid
                           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
                         LIMIT 1),
                       'COMMENT ' || quote_literal(dsc))
              INTO definition
              FROM pg_sequence AS s
             WHERE s.seqrelid = objid;
        ELSIF kind IN ('function', 'procedure') THEN
            definition := concat_ws(E'\n', pg_get_functiondef(objid), 'COMMENT ' || quote_literal(dsc));
        ELSE
            definition := concat_ws(E'\n', 'SCHEMA', 'COMMENT ' || quote_literal(dsc));
        END IF;
    END IF;

    IF definition IS NULL THEN
        -- gone meanwhile, or a type describe_type does not cover (base, row, array)
        kind := NULL;
        schema_name := NULL;
        object_name := NULL;
        structure := NULL;
        RETURN;
    END IF;
    -- pg_identify_object prints a relation as quote_ident(schema).quote_ident(name)
    identity := CASE WHEN classid = 'pg_class'::regclass THEN format('%I.%I', schema_name, object_name)
                     ELSE (pg_identify_object(classid, objid, 0)).identity END;
END
$function$;

COMMENT ON FUNCTION pggit.describe_object(oid, oid) IS
    'Kind, names, identity, structure and canonical definition of a trackable object; NULLs if it is not trackable.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/classify_change.sql
-- ---------------------------------------------------------------------------
-- pggit.classify_change(old json, new json) -> (change text, renamed boolean)
--
-- Promises: the semantic-version bump that the difference between two structures
-- (as pggit.describe_table / describe_view / describe_type build them, before and
-- after one statement) calls for by pggit's rules: change is 'major', 'minor', or NULL
-- when no rule below applies (the caller then bumps patch if the canonical
-- definition differs at all, else records 'none'). renamed is true when a column,
-- attribute or enum label was renamed (things that refer to the object may print
-- differently now). Pure: IMMUTABLE, PARALLEL SAFE; never raises for well-formed
-- structures (NULL or mismatched kinds give NULL, false).
--
-- Columns are matched by attribute number, so a rename is not a drop plus an add.
--   table ("t": "table")
--     major  a column dropped, renamed or retyped (type incl. typmod, or collation);
--            NOT NULL set on a column; a NOT NULL column without default, identity or
--            generation expression added; a unique, check, foreign-key, primary-key or
--            exclusion constraint added (or its definition changed, which is a drop plus
--            an add: e.g. VALIDATE CONSTRAINT); a partition bound set or changed (ATTACH)
--     minor  a column added (nullable or defaulted); an index added (a new index name
--            whose definition is now more frequent than before: renaming an index or
--            changing its storage options is not an addition); a constraint dropped;
--            NOT NULL dropped; a partition bound removed (DETACH)
--   view, materialized view, composite type
--     major  a column (attribute) removed, renamed or retyped
--     minor  a column added; an index added (materialized views)
--   enum     minor: labels added, none lost; major: a label renamed (or lost)
--   domain   major: a constraint added or NOT NULL set;
--            minor: a constraint dropped or NOT NULL dropped
-- Everything else (defaults, comments, storage, options, dropped indexes, triggers,
-- policies, rules, view queries, ranges, sequences, functions, schemas) is left to
-- the caller's patch-or-none decision.
CREATE OR REPLACE FUNCTION pggit.classify_change(
    old json,
    new json,
    OUT change text,
    OUT renamed boolean)
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_old jsonb := old::jsonb;  -- json operators parse the whole text at every use: convert once
    v_new jsonb := new::jsonb;
    kind text := v_new ->> 't';
    is_major boolean := false;
    is_minor boolean := false;
BEGIN
    renamed := false;
    IF kind IS NULL OR kind IS DISTINCT FROM v_old ->> 't' THEN
        RETURN;
    END IF;

    IF kind IN ('table', 'view', 'materialized view', 'composite') THEN
        -- Each part is compared only when it differs at all (most statements change one).
        IF (v_new -> 'c') IS DISTINCT FROM (v_old -> 'c') THEN
            -- columns matched by attribute number
            SELECT coalesce(bool_or(oc.n IS NOT NULL AND (
                               nc.n IS NULL OR oc.name IS DISTINCT FROM nc.name OR oc.type IS DISTINCT FROM nc.type
                               OR oc.coll IS DISTINCT FROM nc.coll
                               OR (NOT coalesce(oc.nn, false) AND coalesce(nc.nn, false))))
                           OR bool_or(oc.n IS NULL AND coalesce(nc.nn, false) AND NOT coalesce(nc.def, false)),
                           false),
                   coalesce(bool_or(oc.n IS NULL) OR bool_or(coalesce(oc.nn, false) AND NOT coalesce(nc.nn, false)),
                            false),
                   coalesce(bool_or(oc.n IS NOT NULL AND nc.n IS NOT NULL AND oc.name IS DISTINCT FROM nc.name), false)
              INTO is_major, is_minor, renamed
              FROM (SELECT (e ->> 0)::integer AS n, e ->> 1 AS name, e ->> 2 AS type, e ->> 3 AS coll,
                           (e ->> 4)::boolean AS nn, (e ->> 5)::boolean AS def
                      FROM jsonb_array_elements(v_old -> 'c') AS e) AS oc
              FULL JOIN (SELECT (e ->> 0)::integer AS n, e ->> 1 AS name, e ->> 2 AS type, e ->> 3 AS coll,
                                (e ->> 4)::boolean AS nn, (e ->> 5)::boolean AS def
                           FROM jsonb_array_elements(v_new -> 'c') AS e) AS nc
                ON oc.n = nc.n;
        END IF;
        IF (v_new -> 'k') IS DISTINCT FROM (v_old -> 'k') THEN
            -- constraints as a multiset of "<contype> <definition>"
            SELECT is_major OR EXISTS (SELECT FROM (SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e
                                                    EXCEPT ALL
                                                    SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e) AS a
                                        WHERE left(a.e, 1) IN ('u', 'c', 'f', 'p', 'x')),
                   is_minor OR EXISTS (SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e
                                       EXCEPT ALL
                                       SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e)
              INTO is_major, is_minor;
        END IF;
        IF NOT is_minor AND (v_new -> 'i') IS DISTINCT FROM (v_old -> 'i') THEN
            -- an index is added when a new name comes and its definition is now more
            -- frequent than before (renaming an index, or changing its options under the
            -- same name, adds none; a duplicate index does)
            SELECT EXISTS (SELECT FROM jsonb_each_text(v_new -> 'i') AS ni
                            WHERE NOT (v_old -> 'i') ? ni.key
                              AND (SELECT count(*) FROM jsonb_each_text(v_new -> 'i') AS x WHERE x.value = ni.value)
                                  > (SELECT count(*) FROM jsonb_each_text(v_old -> 'i') AS x WHERE x.value = ni.value))
              INTO is_minor;
        END IF;
        IF v_new ->> 'b' IS NOT NULL AND v_new ->> 'b' IS DISTINCT FROM v_old ->> 'b' THEN
            is_major := true;  -- a partition bound set or changed (ATTACH PARTITION)
        ELSIF v_old ->> 'b' IS NOT NULL AND v_new ->> 'b' IS NULL THEN
            is_minor := true;  -- DETACH PARTITION
        END IF;
    ELSIF kind = 'domain' THEN
        SELECT EXISTS (SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e
                       EXCEPT ALL
                       SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e)
                   OR (coalesce((v_new ->> 'nn')::boolean, false)
                       AND NOT coalesce((v_old ->> 'nn')::boolean, false)),
               EXISTS (SELECT e FROM jsonb_array_elements_text(v_old -> 'k') AS e
                       EXCEPT ALL
                       SELECT e FROM jsonb_array_elements_text(v_new -> 'k') AS e)
                   OR (coalesce((v_old ->> 'nn')::boolean, false)
                       AND NOT coalesce((v_new ->> 'nn')::boolean, false))
          INTO is_major, is_minor;
    ELSIF kind = 'enum' THEN
        -- minor: labels added, none lost; major: a label renamed (or lost)
        SELECT NOT EXISTS (SELECT e FROM jsonb_array_elements_text(v_old -> 'l') AS e
                           EXCEPT
                           SELECT e FROM jsonb_array_elements_text(v_new -> 'l') AS e),
               jsonb_array_length(v_new -> 'l') > jsonb_array_length(v_old -> 'l')
          INTO is_minor, is_major;
        IF NOT is_minor THEN
            is_major := true;
            renamed := true;
        ELSE
            is_minor := is_major;
            is_major := false;
        END IF;
    END IF;

    change := CASE WHEN is_major THEN 'major' WHEN is_minor THEN 'minor' END;
END
$function$;

COMMENT ON FUNCTION pggit.classify_change(json, json) IS
    'major / minor / NULL for the difference between two object structures by pggit''s versioning rules, and whether something was renamed.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/track_object.sql
-- ---------------------------------------------------------------------------
-- pggit.track_object(classid oid, objid oid, command_tag text, subobject text DEFAULT NULL,
--                    mode text DEFAULT 'direct')
--     -> (change text, renamed boolean, object_id bigint, old_schema_name text)
--
-- Promises: brings the registry row of one tracked object (addressed as
-- pggit.tracked_owner returns it) in line with the catalog as the calling transaction
-- sees it, and records the change in pggit.history:
--   * not registered and trackable (pggit.describe_object): a new pggit.objects row at
--     1.0.0 and a history row with change 'create' (mode 'create') or 'register'
--     (any other mode: an object seen for the first time by other means);
--   * registered and still trackable: the change is decided by comparing the stored
--     structure and definition with the catalog now: its identity changed (renamed,
--     moved to another schema) -> 'major'; the canonical definition unchanged ->
--     'none'; else pggit.classify_change's major/minor, or 'patch'. In mode
--     'dependent' (the object only prints differently because something it refers to
--     was renamed) the rules are not applied: 'patch' if the definition changed.
--     The version is bumped (major resets minor and patch, minor resets patch), and a
--     history row is written — for 'none' too in modes 'direct' and 'create'; in
--     modes 'propagated', 'dependent' and 'reconcile' only when something changed;
--   * registered but gone or no longer trackable (moved into an untracked schema,
--     added to an extension): marked dropped (dropped_at set, objid NULL) with a
--     'drop' history row.
-- Every new canonical definition is written to pggit.blobs (ON CONFLICT DO NOTHING)
-- before the history row naming its hash. The history row carries command_tag,
-- subobject (e.g. the index a CREATE INDEX made), the statement (current_query()),
-- old and new identity, version and hash, the effective role (SET ROLE's role, else
-- session_user), the transaction, the time and the session's branch
-- (pggit.current_branch()); commit_hash stays NULL until a commit includes it.
-- The registry row is locked (FOR UPDATE) before it is compared, so concurrent
-- statements on one object bump it one after the other, none lost. The blob, the
-- registry update and the history row are written by one statement.
-- Returns the change recorded (NULL when nothing was done), whether something was
-- renamed (identity, column, attribute or enum label: objects referring to it may
-- print differently), the registry id, and the schema name stored before (for a
-- renamed schema: the name its objects are still registered under).
--
-- Errors: 22023 for an unknown mode; otherwise none of its own. Internal: called by
-- pggit's event triggers and pggit.reconcile; EXECUTE is not granted to PUBLIC (it
-- writes the history ordinary roles may only read).
CREATE OR REPLACE FUNCTION pggit.track_object(
    classid oid,
    objid oid,
    command_tag text,
    subobject text DEFAULT NULL,
    mode text DEFAULT 'direct',
    OUT change text,
    OUT renamed boolean,
    OUT object_id bigint,
    OUT old_schema_name text)
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    reg pggit.objects;
    d record;
    cls record;
    v_hash text;
    v_major integer;
    v_minor integer;
    v_patch integer;
    v_now timestamptz := clock_timestamp();
    v_role text := CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END;
BEGIN
    IF mode IS NULL OR mode NOT IN ('direct', 'create', 'propagated', 'dependent', 'reconcile') THEN
        RAISE EXCEPTION 'invalid tracking mode "%": expected direct, create, propagated, dependent or reconcile',
                mode
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    renamed := false;

    SELECT o.* INTO reg
      FROM pggit.objects AS o
     WHERE o.objid = track_object.objid AND o.classid = track_object.classid AND o.dropped_at IS NULL
       FOR UPDATE;

    SELECT x.* INTO d FROM pggit.describe_object(track_object.classid, track_object.objid) AS x;

    IF d.kind IS NULL THEN
        IF reg.id IS NOT NULL THEN
            WITH gone AS (
                UPDATE pggit.objects AS o
                   SET dropped_at = v_now, objid = NULL, updated_at = v_now
                 WHERE o.id = reg.id
            )
            INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                       command_tag, change, statement, old_version, new_version, old_hash,
                                       new_hash, role, branch)
            VALUES (reg.id, reg.kind, reg.identity, reg.identity, subobject, track_object.command_tag, 'drop',
                    current_query(), reg.major || '.' || reg.minor || '.' || reg.patch, NULL, reg.hash, NULL,
                    v_role, pggit.current_branch());
            change := 'drop';
            object_id := reg.id;
            old_schema_name := reg.schema_name;
        END IF;
        RETURN;
    END IF;

    v_hash := encode(sha256(convert_to(d.definition, 'UTF8')), 'hex');

    IF reg.id IS NULL THEN
        change := CASE WHEN mode = 'create' THEN 'create' ELSE 'register' END;
        WITH blob AS (
            INSERT INTO pggit.blobs (hash, definition) VALUES (v_hash, d.definition) ON CONFLICT (hash) DO NOTHING
        ), obj AS (
            INSERT INTO pggit.objects AS o (kind, schema_name, object_name, identity, classid, objid, structure,
                                            definition, hash, partition_parent, created_at, updated_at)
            VALUES (d.kind, d.schema_name, d.object_name, d.identity, track_object.classid, track_object.objid,
                    d.structure, d.definition, v_hash, d.partition_parent, v_now, v_now)
            RETURNING o.id
        )
        INSERT INTO pggit.history AS h (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                        command_tag, change, statement, old_version, new_version, old_hash,
                                        new_hash, role, branch)
        SELECT obj.id, d.kind, d.identity, NULL, subobject, track_object.command_tag, change,
               current_query(), NULL, '1.0.0', NULL, v_hash, v_role, pggit.current_branch()
          FROM obj
        RETURNING h.object_id INTO object_id;
        IF (d.structure -> 'i')::text <> '{}' THEN
            INSERT INTO pggit.object_indexes AS m (index_oid, object_id)
            SELECT x.indexrelid, track_object.object_id FROM pg_index AS x WHERE x.indrelid = track_object.objid
            ON CONFLICT (index_oid) DO UPDATE SET object_id = excluded.object_id;
        END IF;
        RETURN;
    END IF;

    object_id := reg.id;
    old_schema_name := reg.schema_name;
    IF reg.identity IS DISTINCT FROM d.identity THEN
        change := 'major';
        renamed := true;
    ELSIF reg.hash = v_hash THEN
        change := 'none';
    ELSIF mode = 'dependent' THEN
        change := 'patch';
    ELSE
        SELECT c.change, c.renamed INTO cls FROM pggit.classify_change(reg.structure, d.structure) AS c;
        change := coalesce(cls.change, 'patch');
        renamed := cls.renamed;
    END IF;

    IF change = 'none' AND mode NOT IN ('direct', 'create') THEN
        -- Nothing to record. Keep the stored structure in step (e.g. an index renamed).
        IF reg.structure::text IS DISTINCT FROM d.structure::text THEN
            UPDATE pggit.objects AS o SET structure = d.structure WHERE o.id = reg.id;
        END IF;
        change := NULL;
    ELSE
        v_major := reg.major;
        v_minor := reg.minor;
        v_patch := reg.patch;
        IF change = 'major' THEN
            v_major := v_major + 1;
            v_minor := 0;
            v_patch := 0;
        ELSIF change = 'minor' THEN
            v_minor := v_minor + 1;
            v_patch := 0;
        ELSIF change = 'patch' THEN
            v_patch := v_patch + 1;
        END IF;
        IF change = 'none' AND reg.structure::text IS NOT DISTINCT FROM d.structure::text THEN
            INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                       command_tag, change, statement, old_version, new_version, old_hash,
                                       new_hash, role, branch)
            VALUES (reg.id, d.kind, d.identity, reg.identity, subobject, track_object.command_tag, change,
                    current_query(), reg.major || '.' || reg.minor || '.' || reg.patch,
                    v_major || '.' || v_minor || '.' || v_patch, reg.hash, v_hash, v_role, pggit.current_branch());
        ELSE
            WITH blob AS (
                INSERT INTO pggit.blobs (hash, definition)
                SELECT v_hash, d.definition WHERE v_hash <> reg.hash
                ON CONFLICT (hash) DO NOTHING
            ), obj AS (
                UPDATE pggit.objects AS o
                   SET kind = d.kind, schema_name = d.schema_name, object_name = d.object_name,
                       identity = d.identity, major = v_major, minor = v_minor, patch = v_patch,
                       structure = d.structure, definition = d.definition, hash = v_hash,
                       partition_parent = d.partition_parent,
                       updated_at = CASE WHEN change = 'none' THEN o.updated_at ELSE v_now END
                 WHERE o.id = reg.id
            )
            INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, subobject_identity,
                                       command_tag, change, statement, old_version, new_version, old_hash,
                                       new_hash, role, branch)
            VALUES (reg.id, d.kind, d.identity, reg.identity, subobject, track_object.command_tag, change,
                    current_query(), reg.major || '.' || reg.minor || '.' || reg.patch,
                    v_major || '.' || v_minor || '.' || v_patch, reg.hash, v_hash, v_role, pggit.current_branch());
        END IF;
    END IF;

    IF (reg.structure -> 'i')::text IS DISTINCT FROM (d.structure -> 'i')::text
       AND (d.structure -> 'i')::text <> '{}' THEN
        INSERT INTO pggit.object_indexes AS m (index_oid, object_id)
        SELECT x.indexrelid, reg.id FROM pg_index AS x WHERE x.indrelid = track_object.objid
        ON CONFLICT (index_oid) DO UPDATE SET object_id = excluded.object_id
            WHERE m.object_id IS DISTINCT FROM excluded.object_id;
    END IF;
END
$function$;

REVOKE ALL ON FUNCTION pggit.track_object(oid, oid, text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.track_object(oid, oid, text, text, text) IS
    'Internal: registers, versions or marks dropped one tracked object and writes its history row.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/track_related.sql
-- ---------------------------------------------------------------------------
-- pggit.track_related(classid oid, objid oid, command_tag text, renamed boolean,
--                     old_schema_name text, INOUT done text[])
--
-- Promises: tracks the objects a statement changed without PostgreSQL reporting them,
-- after the statement's own objects were tracked (pggit.track_object). `done` holds
-- 'classid/objid' of every object already tracked for this statement; each object
-- is tracked at most once per statement, and `done` is returned with the additions.
--   * partitions and inheritance children: when (classid, objid) is a partitioned
--     table or has inheritance children, every descendant (pg_inherits, recursively)
--     and every table still registered as its partition (a DETACH leaves no
--     pg_inherits row) is tracked in mode 'propagated' (ALTER TABLE, CREATE INDEX
--     and ATTACH/DETACH PARTITION on the parent change them too; PostgreSQL reports
--     only the parent);
--   * renames (renamed true): for a schema, every object still registered under
--     old_schema_name is tracked in mode 'propagated' (its identity changed: major);
--     then, for the object and each of those, every tracked object that refers to it
--     (pg_depend: views, foreign keys and defaults of other tables, triggers,
--     sequences owned by its columns, routines and columns using a renamed type) is
--     tracked in mode 'dependent' (patch when its definition now reads differently,
--     major when its own identity changed).
-- History rows are written only for objects that actually changed. Cost: nothing
-- beyond one catalog lookup unless the object has children or was renamed.
-- Internal (called by the ddl_command_end trigger); EXECUTE is not granted to PUBLIC.
CREATE OR REPLACE FUNCTION pggit.track_related(
    classid oid,
    objid oid,
    command_tag text,
    renamed boolean,
    old_schema_name text,
    INOUT done text[])
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    r record;
    res record;
    renamed_objects text[] := '{}';
    item text;
    v_classid oid;
    v_objid oid;
BEGIN
    IF classid = 'pg_class'::regclass
       AND EXISTS (SELECT FROM pg_class AS c
                    WHERE c.oid = track_related.objid AND (c.relkind = 'p' OR c.relhassubclass)) THEN
        FOR r IN
            WITH RECURSIVE tree AS (
                SELECT ih.inhrelid AS relid FROM pg_inherits AS ih WHERE ih.inhparent = track_related.objid
                UNION
                SELECT ih.inhrelid FROM pg_inherits AS ih JOIN tree ON ih.inhparent = tree.relid
            )
            SELECT tree.relid FROM tree
            UNION
            SELECT o.objid FROM pggit.objects AS o
             WHERE o.partition_parent = track_related.objid AND o.dropped_at IS NULL
        LOOP
            IF NOT ('pg_class'::regclass::oid || '/' || r.relid) = ANY (done) THEN
                done := done || ('pg_class'::regclass::oid || '/' || r.relid);
                PERFORM pggit.track_object('pg_class'::regclass, r.relid, command_tag, NULL, 'propagated');
            END IF;
        END LOOP;
    END IF;

    IF NOT renamed THEN
        RETURN;
    END IF;
    renamed_objects := ARRAY[classid || '/' || objid];

    IF classid = 'pg_namespace'::regclass THEN
        FOR r IN
            SELECT o.classid, o.objid
              FROM pggit.objects AS o
             WHERE o.schema_name = old_schema_name AND o.dropped_at IS NULL AND o.kind <> 'schema'
             ORDER BY o.id
        LOOP
            IF NOT (r.classid || '/' || r.objid) = ANY (done) THEN
                done := done || (r.classid || '/' || r.objid);
                SELECT x.* INTO res FROM pggit.track_object(r.classid, r.objid, command_tag, NULL, 'propagated') AS x;
                IF res.renamed THEN
                    renamed_objects := renamed_objects || (r.classid || '/' || r.objid);
                END IF;
            END IF;
        END LOOP;
    END IF;

    FOREACH item IN ARRAY renamed_objects LOOP
        v_classid := split_part(item, '/', 1)::oid;
        v_objid := split_part(item, '/', 2)::oid;
        FOR r IN
            SELECT DISTINCT w.owner_classid, w.owner_objid
              FROM (SELECT v_classid AS refclassid, v_objid AS refobjid
                    UNION ALL  -- a relation's row type and its array type
                    SELECT 'pg_type'::regclass, t.oid
                      FROM pg_class AS c JOIN pg_type AS t ON t.oid IN (c.reltype, (SELECT e.typarray FROM pg_type AS e
                                                                                      WHERE e.oid = c.reltype))
                     WHERE v_classid = 'pg_class'::regclass AND c.oid = v_objid
                    UNION ALL  -- a type's array type
                    SELECT 'pg_type'::regclass, t.typarray
                      FROM pg_type AS t
                     WHERE v_classid = 'pg_type'::regclass AND t.oid = v_objid AND t.typarray <> 0) AS ref
              JOIN pg_depend AS dp ON dp.refclassid = ref.refclassid AND dp.refobjid = ref.refobjid
              CROSS JOIN LATERAL pggit.tracked_owner(dp.classid, dp.objid) AS w
             WHERE dp.deptype IN ('n', 'a') AND w.owner_objid IS NOT NULL
        LOOP
            IF NOT (r.owner_classid || '/' || r.owner_objid) = ANY (done) THEN
                done := done || (r.owner_classid || '/' || r.owner_objid);
                PERFORM pggit.track_object(r.owner_classid, r.owner_objid, command_tag, NULL, 'dependent');
            END IF;
        END LOOP;
    END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION pggit.track_related(oid, oid, text, boolean, text, text[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.track_related(oid, oid, text, boolean, text, text[]) IS
    'Internal: tracks partitions and children of an altered table, and objects that refer to a renamed one.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/reconcile.sql
-- ---------------------------------------------------------------------------
-- pggit.reconcile(command_tag text) -> integer
--
-- Promises: brings the whole registry in line with the catalog and returns the
-- number of objects whose registry row changed:
--   * every live registry row is re-described (pggit.track_object, mode
--     'reconcile'): objects changed since they were last tracked get their version
--     bump and history row, objects gone or no longer trackable are marked dropped;
--   * every trackable object of the database that is not registered yet (schemas,
--     tables, views, materialized views, sequences, types, domains, functions and
--     procedures outside pggit's own, temporary and system schemas, extension members
--     left out; see pggit.describe_object) is registered at 1.0.0 with a 'register'
--     history row;
-- all history rows carry `command_tag` and the session's branch. Level 2's install
-- runs it as pggit.reconcile('PGGIT REGISTER') (on branch main) so that the next
-- commit on main holds the whole schema; pggit.resume_tracking() runs it as
-- 'PGGIT RESUME' to catch up with what happened while tracking was paused.
-- Cost: one describe per object of the database (about 0.1-0.5 ms each).
-- Errors: none of its own. Internal; EXECUTE is not granted to PUBLIC.
CREATE OR REPLACE FUNCTION pggit.reconcile(command_tag text)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    r record;
    res record;
    changed integer := 0;
BEGIN
    FOR r IN
        SELECT o.classid, o.objid FROM pggit.objects AS o WHERE o.dropped_at IS NULL ORDER BY o.id
    LOOP
        SELECT x.* INTO res FROM pggit.track_object(r.classid, r.objid, command_tag, NULL, 'reconcile') AS x;
        IF res.change IS NOT NULL THEN
            changed := changed + 1;
        END IF;
    END LOOP;

    FOR r IN
        SELECT c.classid, c.objid
          FROM (SELECT 1 AS rank, 'pg_namespace'::regclass::oid AS classid, n.oid AS objid,
                       n.nspname AS schema_name, n.nspname AS name
                  FROM pg_namespace AS n
                 WHERE pggit.is_tracked_schema(n.nspname)
                UNION ALL
                SELECT 2, 'pg_type'::regclass, t.oid, n.nspname, t.typname
                  FROM pg_type AS t JOIN pg_namespace AS n ON n.oid = t.typnamespace
                 WHERE pggit.is_tracked_schema(n.nspname)
                   AND (t.typtype IN ('e', 'r', 'd')
                        OR (t.typtype = 'c' AND EXISTS (SELECT FROM pg_class AS k
                                                         WHERE k.oid = t.typrelid AND k.relkind = 'c')))
                UNION ALL
                SELECT 3, 'pg_class'::regclass, k.oid, n.nspname, k.relname
                  FROM pg_class AS k JOIN pg_namespace AS n ON n.oid = k.relnamespace
                 WHERE pggit.is_tracked_schema(n.nspname) AND k.relkind IN ('S', 'r', 'p', 'f', 'v', 'm')
                UNION ALL
                SELECT 4, 'pg_proc'::regclass, p.oid, n.nspname, p.proname
                  FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                 WHERE pggit.is_tracked_schema(n.nspname) AND p.prokind IN ('f', 'p', 'w')) AS c
         WHERE NOT EXISTS (SELECT FROM pggit.objects AS o
                            WHERE o.objid = c.objid AND o.classid = c.classid AND o.dropped_at IS NULL)
         ORDER BY c.rank, c.schema_name COLLATE "C", c.name COLLATE "C", c.objid
    LOOP
        SELECT x.* INTO res FROM pggit.track_object(r.classid, r.objid, command_tag, NULL, 'reconcile') AS x;
        IF res.change IS NOT NULL THEN
            changed := changed + 1;
        END IF;
    END LOOP;
    RETURN changed;
END
$function$;

REVOKE ALL ON FUNCTION pggit.reconcile(text) FROM PUBLIC;

COMMENT ON FUNCTION pggit.reconcile(text) IS
    'Internal: re-describes every registered object and registers every unregistered trackable one.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/on_sql_drop.sql
-- ---------------------------------------------------------------------------
-- pggit.on_sql_drop() -> event_trigger
--
-- The function of event trigger pggit_sql_drop (ON sql_drop), which PostgreSQL fires
-- once per statement that dropped objects, just before ddl_command_end.
-- Promises:
--   * every tracked object the statement dropped (pg_event_trigger_dropped_objects(),
--     whole objects only) is marked dropped in pggit.objects (dropped_at set, objid
--     NULL; the row and its history stay) with a 'drop' history row (old version and
--     hash, no new ones). DROP ... CASCADE and DROP SCHEMA ... CASCADE mark every
--     tracked object they take with them;
--   * a dropped part of a surviving tracked object — a column, column default,
--     constraint, index, trigger, rule or policy of a table or view, a domain's
--     constraint, a composite type's attribute — is handed to the ddl_command_end
--     trigger (transaction-local GUC pggit.dropped_parts, a jsonb list), which
--     versions the owner once for the whole statement (not a dropped trigger that the
--     owner's registered definition does not show: one of pggit's own). The dropped_objects row of an
--     index does not name its table: the owner is found through pggit.object_indexes
--     (index OID -> registry row, kept by pggit.track_object), else by the index
--     name among the index names stored in the structures of the live tables and
--     materialized views of the index's schema (index names are unique per schema);
--   * temporary objects, objects of untracked schemas and objects pggit never
--     registered (extension members, toast tables, row and array types) are ignored;
--   * while tracking is paused (pggit.tracking_paused()) it only remembers the first
--     dropped object's identity for the 'untracked' row of ddl_command_end.
-- Never makes the DDL fail: any error other than a serialization failure or deadlock
-- (class 40), lock timeout (55P03), or shortage (class 53) is turned into a WARNING
-- and the statement runs on; set pggit.strict = on to have such errors raised instead
-- (for tests). SECURITY DEFINER with a pinned search_path: it writes pggit's history,
-- which ordinary roles may only read, for whoever runs the DDL.
CREATE OR REPLACE FUNCTION pggit.on_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    r record;
    v_now timestamptz := clock_timestamp();
    v_oids oid[];
    v_keys text[];
    v_index_oids oid[];
    v_parts jsonb := '[]'::jsonb;
    v_owner_classid oid;
    v_owner_objid oid;
    v_relid oid;
    v_state text;
    v_message text;
BEGIN
    BEGIN
        IF pggit.tracking_paused() THEN
            PERFORM set_config('pggit.untracked_identity', coalesce((
                SELECT d.object_identity
                  FROM pg_event_trigger_dropped_objects() AS d
                 WHERE d.original AND NOT d.is_temporary
                   AND pggit.is_tracked_schema(coalesce(d.schema_name, d.object_name))
                 LIMIT 1), ''), true);
            RETURN;
        END IF;

        SELECT array_agg(d.objid), array_agg(d.classid || '/' || d.objid),
               array_agg(d.objid) FILTER (WHERE d.object_type = 'index')
          INTO v_oids, v_keys, v_index_oids
          FROM pg_event_trigger_dropped_objects() AS d
         WHERE d.objsubid = 0 AND NOT d.is_temporary;

        -- Whole tracked objects: marked dropped, one 'drop' row each.
        WITH gone AS (
            UPDATE pggit.objects AS o
               SET dropped_at = v_now, objid = NULL, updated_at = v_now
             WHERE o.dropped_at IS NULL AND o.objid = ANY (v_oids)
               AND (o.classid || '/' || o.objid) = ANY (v_keys)
            RETURNING o.id, o.kind, o.identity, o.major, o.minor, o.patch, o.hash
        )
        INSERT INTO pggit.history (object_id, object_kind, object_identity, old_identity, command_tag, change,
                                   statement, old_version, new_version, old_hash, new_hash, role, branch)
        SELECT g.id, g.kind, g.identity, g.identity, TG_TAG, 'drop', current_query(),
               g.major || '.' || g.minor || '.' || g.patch, NULL, g.hash, NULL,
               CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
               pggit.current_branch()
          FROM gone AS g
         ORDER BY g.id;

        -- Parts of surviving objects: find their owners for ddl_command_end.
        FOR r IN
            SELECT d.classid, d.objid, d.objsubid, d.object_type, d.schema_name, d.object_name,
                   d.object_identity, d.address_names
              FROM pg_event_trigger_dropped_objects() AS d
             WHERE NOT d.is_temporary
               -- internal triggers (of foreign keys) go with their constraint
               AND NOT (d.classid = 'pg_trigger'::regclass AND NOT d.original AND NOT d.normal)
               AND (d.objsubid <> 0
                    OR d.object_type = 'index'
                    OR d.classid IN ('pg_constraint'::regclass, 'pg_attrdef'::regclass, 'pg_trigger'::regclass,
                                     'pg_rewrite'::regclass, 'pg_policy'::regclass))
        LOOP
            v_owner_classid := NULL;
            v_owner_objid := NULL;
            IF r.classid = 'pg_class'::regclass AND r.objsubid <> 0 THEN
                SELECT w.owner_classid, w.owner_objid INTO v_owner_classid, v_owner_objid
                  FROM pggit.tracked_owner(r.classid, r.objid) AS w;
            ELSIF r.object_type = 'index' THEN
                -- objid NULL when the owner was dropped too (by this statement)
                SELECT o.classid, o.objid INTO v_owner_classid, v_owner_objid
                  FROM pggit.object_indexes AS m
                  JOIN pggit.objects AS o ON o.id = m.object_id
                 WHERE m.index_oid = r.objid;
                IF NOT FOUND AND pggit.is_tracked_schema(r.schema_name) THEN
                    SELECT o.classid, o.objid INTO v_owner_classid, v_owner_objid
                      FROM pggit.objects AS o
                     WHERE o.schema_name = r.schema_name AND o.dropped_at IS NULL
                       AND o.kind IN ('table', 'materialized view')
                       AND (o.structure -> 'i' -> r.object_name) IS NOT NULL
                     LIMIT 1;
                END IF;
            ELSIF r.object_type = 'domain constraint' THEN
                v_owner_classid := 'pg_type'::regclass;
                v_owner_objid := to_regtype(r.address_names[1]);
            ELSIF array_length(r.address_names, 1) >= 2 THEN
                SELECT c.oid INTO v_relid
                  FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                 WHERE n.nspname = r.address_names[1] AND c.relname = r.address_names[2];
                IF FOUND THEN
                    SELECT w.owner_classid, w.owner_objid INTO v_owner_classid, v_owner_objid
                      FROM pggit.tracked_owner('pg_class'::regclass, v_relid) AS w;
                END IF;
            END IF;
            -- a dropped trigger the owner's registered definition does not show was one of
            -- pggit's own (descriptions leave those out): nothing changed for the user
            IF v_owner_objid IS NOT NULL AND r.classid = 'pg_trigger'::regclass
               AND EXISTS (SELECT FROM pggit.objects AS o
                            WHERE o.objid = v_owner_objid AND o.classid = v_owner_classid AND o.dropped_at IS NULL
                              AND strpos(o.definition, E'\nTRIGGER CREATE TRIGGER '
                                                       || quote_ident(r.address_names[3]) || ' ') = 0
                              AND strpos(o.definition, E'\nTRIGGER CREATE CONSTRAINT TRIGGER '
                                                       || quote_ident(r.address_names[3]) || ' ') = 0) THEN
                v_owner_objid := NULL;
            END IF;
            IF v_owner_objid IS NOT NULL THEN
                v_parts := v_parts || jsonb_build_object('c', v_owner_classid, 'o', v_owner_objid,
                                                         's', r.object_identity);
            END IF;
        END LOOP;

        IF v_index_oids IS NOT NULL THEN
            DELETE FROM pggit.object_indexes AS m WHERE m.index_oid = ANY (v_index_oids);
        END IF;

        IF v_parts <> '[]'::jsonb THEN
            PERFORM set_config('pggit.dropped_parts',
                               (coalesce(nullif(current_setting('pggit.dropped_parts', true), ''), '[]')::jsonb
                                || v_parts)::text,
                               true);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_state LIKE '40%' OR v_state LIKE '53%' OR v_state = '55P03'
           OR lower(coalesce(current_setting('pggit.strict', true), '')) IN ('on', 'true', '1') THEN
            RAISE;
        END IF;
        RAISE WARNING 'pggit: could not track the objects % dropped (SQLSTATE %): %', TG_TAG, v_state, v_message
            USING HINT = 'The statement goes on; pggit.resume_tracking() brings the registry up to date.';
    END;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_sql_drop() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_sql_drop() IS
    'Event trigger pggit_sql_drop: marks dropped tracked objects, hands dropped parts to ddl_command_end.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/on_ddl_command_end.sql
-- ---------------------------------------------------------------------------
-- pggit.on_ddl_command_end() -> event_trigger
--
-- The function of event trigger pggit_ddl_command_end (ON ddl_command_end), which
-- PostgreSQL fires at the end of every DDL statement, inside its transaction (a
-- rolled-back statement leaves no trace), including statements run by functions,
-- procedures and DO blocks (each statement inside is one event).
-- Promises:
--   * the objects the statement created or changed — pg_event_trigger_ddl_commands()
--     and the parts of surviving objects the sql_drop trigger handed over — are mapped
--     to their tracked owners (pggit.tracked_owner: an index, constraint, trigger,
--     rule, policy, default or column counts for its table or view) and each owner is
--     tracked once for the statement by pggit.track_object, at its highest change:
--     mode 'create' when the statement created it (CREATE ..., CREATE TABLE AS,
--     SELECT INTO), else 'direct' (a history row even when nothing changed: 'none').
--     The command tag is the one of the owner's own command row, else the first; the
--     subobject identity names the parts involved when the owner itself was not;
--   * then pggit.track_related tracks what PostgreSQL does not report: the partitions
--     and inheritance children of an altered table (ADD COLUMN, CREATE INDEX, ATTACH /
--     DETACH PARTITION), the objects of a renamed schema, and the objects referring to
--     a renamed object;
--   * skipped: commands without an object (GRANT, REVOKE, ALTER DEFAULT PRIVILEGES),
--     REFRESH MATERIALIZED VIEW (data, not structure), commands inside CREATE / ALTER
--     EXTENSION, objects of pggit's own schemas, temporary and system schemas;
--   * while tracking is paused (pggit.tracking_paused()): one cheap history row with
--     change 'untracked' (command tag, statement, first object identity; no version
--     change) for a statement touching objects of tracked schemas, nothing else.
-- Never makes the DDL fail: errors other than class 40 (serialization failure,
-- deadlock), class 53 and 55P03 (lock timeout) become a WARNING plus an 'untracked'
-- row whose note carries the error; pggit.strict = on raises them instead (tests).
--
-- Not tracked, because PostgreSQL gives event triggers nothing to work with: DDL on
-- shared objects (databases, roles, tablespaces) and on event triggers; sessions with
-- session_replication_role = replica (event triggers do not fire there); indirect
-- effects PostgreSQL records no dependency for (a PL/pgSQL body naming a renamed
-- table still reads the old name: only BEGIN ATOMIC bodies, views, defaults,
-- constraints, triggers and policies are re-described after a rename). Not tracked by
-- choice: kinds outside the registry (aggregates, operators, casts, collations, text
-- search objects, extended statistics, foreign servers, publications...), GRANT /
-- REVOKE and ownership (no structural change: OWNER TO records 'none'), data.
-- Changes made while tracking is paused are recorded by pggit.resume_tracking(), or
-- folded into the next tracked change of the object.
-- Isolation: tracking locks the object's registry row; under REPEATABLE READ or
-- SERIALIZABLE, DDL on an object another transaction changed since the snapshot can
-- fail with 40001 (retryable), as can creating identical definitions concurrently
-- (blobs ON CONFLICT). READ COMMITTED never fails for this.
-- SECURITY DEFINER with a pinned search_path: it writes pggit's history, which
-- ordinary roles may only read, for whoever runs the DDL.
CREATE OR REPLACE FUNCTION pggit.on_ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    r record;
    t record;
    v_owner_classid oid;
    v_owner_objid oid;
    v_parts text := current_setting('pggit.dropped_parts', true);
    -- the statement's tracked owners, in order of first mention
    v_classids oid[] := '{}';
    v_objids oid[] := '{}';
    v_tags text[] := '{}';
    v_created boolean[] := '{}';
    v_self boolean[] := '{}';
    v_subs text[] := '{}';
    v_pos integer;
    v_is_self boolean;
    v_done text[] := '{}';
    v_related text[] := '{}';
    v_state text;
    v_message text;
BEGIN
    BEGIN
        IF v_parts <> '' THEN
            PERFORM set_config('pggit.dropped_parts', '', true);
        END IF;

        IF pggit.tracking_paused() THEN
            INSERT INTO pggit.history (object_identity, command_tag, change, statement, role, branch)
            SELECT x.identity, TG_TAG, 'untracked', current_query(),
                   CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
                   pggit.current_branch()
              FROM (SELECT coalesce((SELECT c.object_identity
                                       FROM pg_event_trigger_ddl_commands() AS c
                                      WHERE NOT c.in_extension AND c.objid IS NOT NULL
                                        AND pggit.is_tracked_schema(coalesce(c.schema_name, c.object_identity))
                                      LIMIT 1),
                                    nullif(current_setting('pggit.untracked_identity', true), '')) AS identity) AS x
             WHERE x.identity IS NOT NULL;
            IF current_setting('pggit.untracked_identity', true) <> '' THEN
                PERFORM set_config('pggit.untracked_identity', '', true);
            END IF;
            RETURN;
        END IF;

        -- The statement's commands and the parts sql_drop handed over, mapped to their
        -- tracked owners; each owner once, with the tag of its own command row if any.
        FOR r IN
            SELECT c.classid, c.objid, c.objsubid, c.command_tag, c.object_identity, c.object_type
              FROM pg_event_trigger_ddl_commands() AS c
             WHERE c.objid IS NOT NULL AND NOT c.in_extension AND c.command_tag <> 'REFRESH MATERIALIZED VIEW'
               AND (c.schema_name IS NULL OR pggit.is_tracked_schema(c.schema_name))
            UNION ALL
            SELECT (e ->> 'c')::oid, (e ->> 'o')::oid, -1, TG_TAG, e ->> 's', NULL
              FROM json_array_elements(CASE WHEN v_parts <> '' THEN v_parts::json END) AS e
        LOOP
            IF r.objsubid = -1 THEN
                v_owner_classid := r.classid;
                v_owner_objid := r.objid;
                v_is_self := false;
            ELSE
                SELECT x.owner_classid, x.owner_objid INTO v_owner_classid, v_owner_objid
                  FROM pggit.tracked_owner(r.classid, r.objid) AS x;
                CONTINUE WHEN v_owner_objid IS NULL;
                -- a composite type's command may name its pg_class row: the type itself
                v_is_self := r.objsubid = 0 AND ((r.classid = v_owner_classid AND r.objid = v_owner_objid)
                                                 OR r.object_type = 'composite type');
            END IF;
            v_pos := array_position(v_objids, v_owner_objid);
            WHILE v_pos IS NOT NULL AND v_classids[v_pos] <> v_owner_classid LOOP
                v_pos := array_position(v_objids, v_owner_objid, v_pos + 1);
            END LOOP;
            IF v_pos IS NULL THEN
                v_classids := v_classids || v_owner_classid;
                v_objids := v_objids || v_owner_objid;
                v_tags := v_tags || r.command_tag;
                v_created := v_created || (v_is_self AND (r.command_tag LIKE 'CREATE %' OR r.command_tag = 'SELECT INTO'));
                v_self := v_self || v_is_self;
                v_subs := v_subs || CASE WHEN v_is_self THEN NULL ELSE r.object_identity END;
            ELSIF v_is_self THEN
                IF NOT v_self[v_pos] THEN
                    v_tags[v_pos] := r.command_tag;
                    v_self[v_pos] := true;
                    v_subs[v_pos] := NULL;
                END IF;
                v_created[v_pos] := v_created[v_pos]
                                    OR r.command_tag LIKE 'CREATE %' OR r.command_tag = 'SELECT INTO';
            ELSIF NOT v_self[v_pos] AND r.object_identity IS NOT NULL
                  AND NOT coalesce(r.object_identity = ANY (string_to_array(v_subs[v_pos], ', ')), false) THEN
                v_subs[v_pos] := concat_ws(', ', v_subs[v_pos], r.object_identity);
            END IF;
        END LOOP;

        FOR i IN 1 .. coalesce(array_length(v_objids, 1), 0) LOOP
            v_done := v_done || (v_classids[i] || '/' || v_objids[i]);
            SELECT x.change, x.renamed, x.old_schema_name INTO t
              FROM pggit.track_object(v_classids[i], v_objids[i], v_tags[i], v_subs[i],
                                      CASE WHEN v_created[i] THEN 'create' ELSE 'direct' END) AS x;
            -- what PostgreSQL does not report: partitions and children of an altered
            -- table, objects of a renamed schema, objects referring to a renamed object
            -- (after all of the statement's own objects: those are tracked as such)
            IF t.renamed
               OR (v_classids[i] = 'pg_class'::regclass AND NOT v_created[i]
                   AND EXISTS (SELECT FROM pg_class AS c
                                WHERE c.oid = v_objids[i] AND (c.relkind = 'p' OR c.relhassubclass))) THEN
                v_related := v_related || ARRAY[v_classids[i]::text, v_objids[i]::text, v_tags[i],
                                                coalesce(t.renamed, false)::text, t.old_schema_name];
            END IF;
        END LOOP;
        FOR i IN 0 .. coalesce(array_length(v_related, 1), 0) / 5 - 1 LOOP
            v_done := pggit.track_related(v_related[5 * i + 1]::oid, v_related[5 * i + 2]::oid, v_related[5 * i + 3],
                                          v_related[5 * i + 4]::boolean, v_related[5 * i + 5], v_done);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_state LIKE '40%' OR v_state LIKE '53%' OR v_state = '55P03'
           OR lower(coalesce(current_setting('pggit.strict', true), '')) IN ('on', 'true', '1') THEN
            RAISE;
        END IF;
        RAISE WARNING 'pggit: could not track % (SQLSTATE %): %', TG_TAG, v_state, v_message
            USING HINT = 'The statement goes on; pggit.resume_tracking() brings the registry up to date.';
        BEGIN
            INSERT INTO pggit.history (command_tag, change, statement, role, branch, note)
            VALUES (TG_TAG, 'untracked', current_query(),
                    CASE current_setting('role') WHEN 'none' THEN session_user::text
                                                 ELSE current_setting('role') END,
                    coalesce(nullif(current_setting('pggit.branch', true), ''), 'main'),
                    format('tracking failed (SQLSTATE %s): %s', v_state, v_message));
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END;
END
$function$;

REVOKE ALL ON FUNCTION pggit.on_ddl_command_end() FROM PUBLIC;

COMMENT ON FUNCTION pggit.on_ddl_command_end() IS
    'Event trigger pggit_ddl_command_end: versions and records every tracked object a DDL statement changed.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/pause_tracking.sql
-- ---------------------------------------------------------------------------
-- pggit.pause_tracking(reason text DEFAULT NULL) -> void
--
-- Promises: pauses DDL tracking for the rest of the session: sets the GUC
-- pggit.tracking to 'off' at session level (as SET would; a rollback of the calling
-- transaction undoes it, as it undoes the history row) and writes one history row
-- with change 'pause', command tag 'PGGIT PAUSE', the statement, role, branch and
-- `reason` in its note. While paused, each DDL statement on tracked objects leaves
-- one 'untracked' history row (statement and first object identity, no version
-- change), so the gap is visible in the audit trail even when the GUC was set
-- directly (SET pggit.tracking = off). Other sessions are tracked as usual.
-- Calling it while already paused writes another 'pause' row. Errors: none of its
-- own. SECURITY DEFINER with a pinned search_path (ordinary roles may only read the
-- history); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.pause_tracking(reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
BEGIN
    PERFORM set_config('pggit.tracking', 'off', false);
    INSERT INTO pggit.history (command_tag, change, statement, role, branch, note)
    VALUES ('PGGIT PAUSE', 'pause', current_query(),
            CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
            pggit.current_branch(), reason);
END
$function$;

REVOKE ALL ON FUNCTION pggit.pause_tracking(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.pause_tracking(text) TO PUBLIC;

COMMENT ON FUNCTION pggit.pause_tracking(text) IS
    'Pauses DDL tracking for this session (GUC pggit.tracking = off) and records the pause with its reason.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/resume_tracking.sql
-- ---------------------------------------------------------------------------
-- pggit.resume_tracking() -> integer
--
-- Promises: resumes DDL tracking for the session: sets the GUC pggit.tracking to 'on'
-- at session level, writes one history row with change 'resume' and command tag
-- 'PGGIT RESUME', then brings the registry up to date with whatever happened while
-- tracking was paused (pggit.reconcile('PGGIT RESUME')): objects changed meanwhile
-- get their version bump and a history row, objects dropped meanwhile are marked
-- dropped, objects created meanwhile are registered at 1.0.0 ('register'). Returns
-- the number of objects whose registry row changed. Works whether or not tracking
-- was paused. Cost: one describe per object of the database. Errors: none of its
-- own. SECURITY DEFINER with a pinned search_path; EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.resume_tracking()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $function$
BEGIN
    PERFORM set_config('pggit.tracking', 'on', false);
    INSERT INTO pggit.history (command_tag, change, statement, role, branch)
    VALUES ('PGGIT RESUME', 'resume', current_query(),
            CASE current_setting('role') WHEN 'none' THEN session_user::text ELSE current_setting('role') END,
            pggit.current_branch());
    RETURN pggit.reconcile('PGGIT RESUME');
END
$function$;

REVOKE ALL ON FUNCTION pggit.resume_tracking() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.resume_tracking() TO PUBLIC;

COMMENT ON FUNCTION pggit.resume_tracking() IS
    'Resumes DDL tracking for this session, records it, and catches the registry up with changes made meanwhile.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/get_version.sql
-- ---------------------------------------------------------------------------
-- pggit.resolve_object(object text) -> (classid oid, objid oid)
--
-- Promises: the catalog address of the object `object` names, resolved the way
-- PostgreSQL resolves names, with the caller's search_path and quoting rules, trying
-- in this order:
--   a name with parentheses          to_regprocedure   a routine with those argument types
--   otherwise                        to_regclass       a relation (table, view, sequence, ...)
--                                    to_regtype        a type or domain
--                                    to_regproc        a routine, when the name is unambiguous
--                                    to_regnamespace   a schema
-- and two NULLs when nothing matches, for NULL, and for text that is no valid name
-- (the to_reg* functions of PostgreSQL 15 raise on some malformed names; here they
-- never do). STABLE, PARALLEL SAFE, callable by everyone.
--
-- Deliberately without SET search_path (it must see the caller's) and written with
-- pg_catalog-qualified functions and operators. Fast path for the common case, a
-- plain or quoted one- or two-part name of a relation: one regular-expression test
-- and to_regclass, no subtransaction; the other cases run inside an exception block.
CREATE OR REPLACE FUNCTION pggit.resolve_object(
    object text,
    OUT classid oid,
    OUT objid oid)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
AS $function$
BEGIN
    IF object IS NULL THEN
        RETURN;
    END IF;
    IF object OPERATOR(pg_catalog.~) '^\s*("([^"]|"")+"|[^\s".()]+)(\s*\.\s*("([^"]|"")+"|[^\s".()]+))?\s*$' THEN
        objid := pg_catalog.to_regclass(object);
        IF objid IS NOT NULL THEN
            classid := 'pg_catalog.pg_class'::pg_catalog.regclass;
            RETURN;
        END IF;
    END IF;
    BEGIN
        IF pg_catalog.strpos(object, '(') OPERATOR(pg_catalog.>) 0 THEN
            objid := pg_catalog.to_regprocedure(object);
            classid := 'pg_catalog.pg_proc'::pg_catalog.regclass;
        ELSE
            objid := pg_catalog.to_regclass(object);
            classid := 'pg_catalog.pg_class'::pg_catalog.regclass;
            IF objid IS NULL THEN
                objid := pg_catalog.to_regtype(object);
                classid := 'pg_catalog.pg_type'::pg_catalog.regclass;
            END IF;
            IF objid IS NULL THEN
                objid := pg_catalog.to_regproc(object);
                classid := 'pg_catalog.pg_proc'::pg_catalog.regclass;
            END IF;
            IF objid IS NULL AND object OPERATOR(pg_catalog.!~) '^\s*([^".\s]+|"([^"]|"")+")\s*$' THEN
                RETURN;  -- to_regnamespace raises for anything but one identifier
            END IF;
            IF objid IS NULL THEN
                objid := pg_catalog.to_regnamespace(object);
                classid := 'pg_catalog.pg_namespace'::pg_catalog.regclass;
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        objid := NULL;
    END;
    IF objid IS NULL THEN
        classid := NULL;
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.resolve_object(text) IS
    'Catalog address (classid, objid) of the relation, type, routine or schema a name denotes, resolved like PostgreSQL does; NULLs if none.';

-- pggit.get_version(object text)
--     -> TABLE(major integer, minor integer, patch integer, version text, kind text,
--              identity text, hash text, updated_at timestamptz)
--
-- Promises: one row for a tracked live object, zero rows otherwise (untracked,
-- dropped, missing, malformed name, NULL). `object` is a bare or schema-qualified
-- name resolved the way PostgreSQL resolves it (the caller's search_path, quoting,
-- case folding; see pggit.resolve_object): 'orders', 'public.orders', '"My S"."T"',
-- 'public.f(integer)', 'f' (when unambiguous), 'mood', 'sales' (a schema).
-- version is 'major.minor.patch' of the same registry row (never torn: one row read
-- from one snapshot); kind is table, view, materialized view, sequence, function,
-- procedure, type, domain or schema; identity as pg_identify_object prints it; hash
-- the sha256 of the object's canonical definition; updated_at the time of its last
-- version change. Never raises. STABLE, PARALLEL SAFE, callable by everyone.
--
-- LANGUAGE sql without SET or STRICT so that the planner inlines it into the
-- caller's query: one call costs the name resolution plus one index lookup.
CREATE OR REPLACE FUNCTION pggit.get_version(object text)
RETURNS TABLE(major integer, minor integer, patch integer, version text, kind text, identity text, hash text,
              updated_at timestamptz)
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT o.major, o.minor, o.patch,
       o.major::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
       o.minor::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) o.patch::pg_catalog.text,
       o.kind, o.identity, o.hash, o.updated_at
  FROM pggit.resolve_object(get_version.object) AS r
  JOIN pggit.objects AS o
    ON o.objid OPERATOR(pg_catalog.=) r.objid AND o.classid OPERATOR(pg_catalog.=) r.classid
 WHERE o.dropped_at IS NULL
$function$;

COMMENT ON FUNCTION pggit.get_version(text) IS
    'Semantic version (major, minor, patch, version) and more of a tracked live object named as PostgreSQL resolves it; no row otherwise.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/calculate_schema_hash.sql
-- ---------------------------------------------------------------------------
-- pggit.calculate_schema_hash("table" text) -> text
--
-- Promises: the 64-hex-digit SHA-256 of the canonical description of a table's
-- structure (pggit.describe_table: columns in order with type incl. typmod, collation
-- when not the type's default, nullability, default, identity, generation expression;
-- constraints by type and definition, not by name; indexes by method, uniqueness,
-- keys, opclasses and predicate, not by name; partition key and bound; and the rest
-- listed there), taken over its UTF-8 text. Independent of the table's own name and
-- schema and of OIDs: two tables of the same structure hash equal, under any names.
-- Data never changes it. The same value as pggit.objects.hash of a tracked table.
-- NULL for NULL, a missing table, a name that is not a table (views, sequences...)
-- and a malformed name. `table` is resolved like PostgreSQL resolves a relation name
-- (the caller's search_path, quoting). Sees the calling transaction's uncommitted
-- DDL. Reads pg_catalog only. STABLE, PARALLEL SAFE, callable by everyone.
--
-- Without SET search_path so that the name is resolved with the caller's; the
-- description itself is built by pggit.describe_table under a pinned search_path.
CREATE OR REPLACE FUNCTION pggit.calculate_schema_hash("table" text)
RETURNS text
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET plan_cache_mode = force_generic_plan
AS $function$
DECLARE
    r record;
    description text;
BEGIN
    SELECT x.classid, x.objid INTO r FROM pggit.resolve_object(calculate_schema_hash."table") AS x;
    IF r.objid IS NULL OR r.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_class'::pg_catalog.regclass THEN
        RETURN NULL;
    END IF;
    SELECT d.definition INTO description FROM pggit.describe_table(r.objid) AS d;
    RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(description, 'UTF8')), 'hex');
END
$function$;

COMMENT ON FUNCTION pggit.calculate_schema_hash(text) IS
    'SHA-256 (hex) of the canonical structure of a table, independent of its name, schema and OIDs; NULL if no such table.';

-- ---------------------------------------------------------------------------
-- sql/functions/tracking/checkout.sql
-- ---------------------------------------------------------------------------
-- pggit.checkout(branch text) -> text
--
-- Promises: makes `branch` the session's branch and returns its name: sets the GUC
-- pggit.branch at session level (set_config(..., false): like SET, undone if the
-- calling transaction rolls back), which every history row of the session records
-- from then on (pggit.current_branch()). Level 4 extends this; the signature stays.
-- Errors, checked in this order:
--   22004 null_value_not_allowed   branch is NULL
--   22023 invalid_parameter_value  not a valid branch name ('invalid branch name
--                                  "<name>": <rule>', see branch_name_violation)
--   42704 undefined_object         no such branch: 'branch "<name>" does not exist'
--   55000 object_not_in_prerequisite_state  the branch was deleted
-- VOLATILE; runs with the caller's rights (reads pggit.branches, which everyone may
-- read); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.checkout(branch text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_status text;
BEGIN
    PERFORM pggit.assert_valid_branch_name(checkout.branch);
    SELECT b.status INTO v_status FROM pggit.branches AS b WHERE b.name = checkout.branch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', checkout.branch
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create it with a first commit: pggit.commit_changes(branch, message).';
    END IF;
    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot check out deleted branch "%"', checkout.branch
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM set_config('pggit.branch', checkout.branch, false);
    RETURN checkout.branch;
END
$function$;

COMMENT ON FUNCTION pggit.checkout(text) IS
    'Makes branch the session''s branch (GUC pggit.branch) and returns it; the branch must exist and not be deleted.';

-- ===========================================================================
-- END tracking functions
-- ===========================================================================

-- ===========================================================================
-- BEGIN commit tree functions (owner: trees) — verbatim copies of sql/functions files
-- ===========================================================================

-- ---------------------------------------------------------------------------
-- sql/functions/trees/tree_bucket.sql
-- ---------------------------------------------------------------------------
-- pggit.tree_bucket(identity text) -> integer
--
-- Promises: the commit-tree bucket of an object identity, 1..256: one plus the first
-- byte of sha256 of the identity's UTF-8 bytes,
--     get_byte(sha256(convert_to(identity, 'UTF8')), 0) + 1,
-- so the bucket depends only on the identity text (not on the database, its encoding,
-- OIDs or the object's kind). NULL in, NULL out. Never raises for a text value.
-- STABLE (as convert_to is; its result never changes within a database), PARALLEL
-- SAFE, callable by everyone.
--
-- A commit's tree is 256 content-addressed bucket nodes (pggit.tree_nodes); an
-- object's entry lives in the node of its bucket (see sql/functions/trees/tree_apply.sql).
-- LANGUAGE sql, one expression, no SET/STRICT/SECURITY DEFINER, and no more volatile
-- than its body: the planner inlines it into its callers (declared IMMUTABLE around
-- the STABLE convert_to it was not, and every call ran the SQL-function executor).
-- Only pg_catalog functions, schema-qualified.
CREATE OR REPLACE FUNCTION pggit.tree_bucket(identity text)
RETURNS integer
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $function$
SELECT pg_catalog.get_byte(pg_catalog.sha256(pg_catalog.convert_to(identity, 'UTF8')), 0) + 1
$function$;

COMMENT ON FUNCTION pggit.tree_bucket(text) IS
    'Commit-tree bucket (1..256) of an object identity: 1 + first byte of sha256(UTF-8 identity).';

-- ---------------------------------------------------------------------------
-- sql/functions/trees/tree_entry_line.sql
-- ---------------------------------------------------------------------------
-- pggit.tree_entry_line(kind text, identity text, blob_hash text) -> text
--
-- Promises: the canonical text of one commit-tree entry, one line:
--     esc(kind) TAB esc(identity) TAB blob_hash LF
-- where esc() writes a backslash as \\, a TAB as \t and a LF as \n (two characters
-- each) and leaves every other character as it is, so a line can be split back
-- unambiguously whatever characters a quoted identifier holds. NULL if any argument
-- is NULL. Never raises. IMMUTABLE, PARALLEL SAFE, callable by everyone.
--
-- A bucket node's hash is sha256 of the UTF-8 bytes of its entries' lines
-- concatenated in entry order: identities ascending by their UTF-8 bytes, then kinds
-- likewise (the empty bucket is the empty text, whose sha256 is e3b0c442...b855).
-- tests/trees recompute this in Python. LANGUAGE sql, one expression, no
-- SET/STRICT/SECURITY DEFINER: inlined into its callers.
CREATE OR REPLACE FUNCTION pggit.tree_entry_line(kind text, identity text, blob_hash text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(kind, E'\\', E'\\\\'), E'\t', E'\\t'), E'\n', E'\\n')
    || E'\t'
    || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(identity, E'\\', E'\\\\'), E'\t', E'\\t'), E'\n', E'\\n')
    || E'\t'
    || blob_hash
    || E'\n'
$function$;

COMMENT ON FUNCTION pggit.tree_entry_line(text, text, text) IS
    'Canonical line of a commit-tree entry: esc(kind) TAB esc(identity) TAB blob_hash LF (esc: \\ \t \n).';

-- ---------------------------------------------------------------------------
-- sql/functions/trees/tree_apply.sql
-- ---------------------------------------------------------------------------
-- pggit.tree_apply(parent_tree text[], history_ids bigint[]) -> text[]
--
-- Promises: the commit tree (256 bucket-node hashes, bucket 1 first) obtained from
-- `parent_tree` by applying the history rows `history_ids`, with every node it needs
-- stored in pggit.tree_nodes. Internal: called by pggit.commit_changes, which passes
-- the pending rows it attaches to the new commit.
--
-- The tree. An entry is (object kind, object identity) -> blob hash (the sha256 of
-- the object's canonical definition in pggit.blobs). Entries live in 256 buckets by
-- pggit.tree_bucket(identity). A bucket node is content-addressed: its hash is
-- sha256 of its entries' canonical lines (pggit.tree_entry_line) in entry order
-- (identity, then kind, by UTF-8 bytes), its row in pggit.tree_nodes holds the same
-- entries as a jsonb array of [kind, identity, blob_hash] in that order. The empty
-- bucket's hash is sha256 of the empty text (the node exists from install on). A
-- tree is the 256 node hashes in bucket order, stored once in pggit.trees under its
-- Merkle root = sha256 of the 256 hex hashes concatenated, which is the schema_hash
-- of every commit with that tree. Everything hashed is UTF-8 bytes of text, so the
-- root depends only on the (kind, identity, blob hash) set, never on OIDs, history,
-- time or the database.
--
-- Applying the rows (pause, resume and untracked rows and rows without an object
-- change nothing):
--   * every (kind, identity) an applied row names, as object_identity or
--     old_identity (a rename), is removed;
--   * then, for each object, its last row (highest id) decides: unless it is a
--     'drop' (or has no new_hash), (kind, object_identity) -> new_hash is added. If
--     two objects end on the same (kind, identity), the later row wins.
-- Only the buckets these keys fall in are read and rewritten; the others keep the
-- parent's node hash. Cost: O(rows applied + entries of the touched buckets).
--
-- parent_tree NULL (the parent is a level-1 commit, or there is no parent): the base
-- is every live registry object (pggit.objects, dropped_at IS NULL) at its current
-- hash, and all 256 buckets are built: O(schema), once per line of history.
--
-- New nodes are inserted in one statement in hash order (ON CONFLICT DO NOTHING), so
-- concurrent committers writing the same nodes wait for each other but never
-- deadlock on them.
-- Errors: 22004 when history_ids is NULL; 22023 when parent_tree is not NULL and not
-- 256 hashes, or a touched bucket's node does not exist in pggit.tree_nodes.
-- VOLATILE (writes pggit.tree_nodes). Not SECURITY DEFINER and no EXECUTE for
-- PUBLIC: only its owner (through commit_changes) writes trees.
CREATE OR REPLACE FUNCTION pggit.tree_apply(parent_tree text[], history_ids bigint[])
RETURNS text[]
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_tree text[];
    v_missing integer;
BEGIN
    IF tree_apply.history_ids IS NULL THEN
        RAISE EXCEPTION 'history_ids must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF tree_apply.parent_tree IS NOT NULL THEN
        IF pg_catalog.cardinality(tree_apply.parent_tree) <> 256
           OR pg_catalog.array_position(tree_apply.parent_tree, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'invalid commit tree: expected 256 bucket hashes, got %',
                    pg_catalog.cardinality(tree_apply.parent_tree)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    WITH parent AS (
        -- unnested once: subscripting a (toasted) array parameter per bucket costs far more
        SELECT p.hash, p.bucket::integer AS bucket
          FROM pg_catalog.unnest(tree_apply.parent_tree) WITH ORDINALITY AS p (hash, bucket)
    ), pend AS (
        SELECT h.id, h.object_id, h.object_kind AS kind, h.object_identity AS identity,
               h.old_identity, h.change, h.new_hash
          FROM pggit.history AS h
         WHERE h.id = ANY (tree_apply.history_ids)
           AND h.object_id IS NOT NULL
           AND h.object_kind IS NOT NULL
           AND h.change NOT IN ('pause', 'resume', 'untracked')
    ), removed AS (
        SELECT DISTINCT p.kind, r.identity
          FROM pend AS p
         CROSS JOIN LATERAL (VALUES (p.identity), (p.old_identity)) AS r (identity)
         WHERE r.identity IS NOT NULL
    ), last_row AS (
        SELECT DISTINCT ON (p.object_id) p.id, p.kind, p.identity, p.change, p.new_hash
          FROM pend AS p
         ORDER BY p.object_id, p.id DESC
    ), added AS (
        SELECT DISTINCT ON (l.kind, l.identity) l.kind, l.identity, l.new_hash AS blob
          FROM last_row AS l
         WHERE l.change <> 'drop' AND l.identity IS NOT NULL AND l.new_hash IS NOT NULL
         ORDER BY l.kind, l.identity, l.id DESC
    ), touched AS (
        SELECT g.bucket
          FROM pg_catalog.generate_series(1, 256) AS g (bucket)
         WHERE tree_apply.parent_tree IS NULL
        UNION
        SELECT pggit.tree_bucket(r.identity) FROM removed AS r WHERE tree_apply.parent_tree IS NOT NULL
        UNION
        SELECT pggit.tree_bucket(a.identity) FROM added AS a WHERE tree_apply.parent_tree IS NOT NULL
    ), base AS (
        SELECT t.bucket, e.v ->> 0 AS kind, e.v ->> 1 AS identity, e.v ->> 2 AS blob
          FROM touched AS t
          JOIN parent AS p ON p.bucket = t.bucket
          JOIN pggit.tree_nodes AS n ON n.hash = p.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
        UNION ALL
        SELECT pggit.tree_bucket(r.identity), r.kind, r.identity, r.hash
          FROM (SELECT DISTINCT ON (o.kind, o.identity) o.kind, o.identity, o.hash
                  FROM pggit.objects AS o
                 WHERE tree_apply.parent_tree IS NULL AND o.dropped_at IS NULL
                 ORDER BY o.kind, o.identity, o.id DESC) AS r
    ), entries AS (
        SELECT b.bucket, b.kind, b.identity, b.blob
          FROM base AS b
         WHERE NOT EXISTS (SELECT FROM removed AS r WHERE r.kind = b.kind AND r.identity = b.identity)
           AND NOT EXISTS (SELECT FROM added AS a WHERE a.kind = b.kind AND a.identity = b.identity)
        UNION ALL
        SELECT pggit.tree_bucket(a.identity), a.kind, a.identity, a.blob
          FROM added AS a
    ), nodes AS (
        SELECT t.bucket,
               pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(coalesce(
                   pg_catalog.string_agg(pggit.tree_entry_line(e.kind, e.identity, e.blob), ''
                       ORDER BY pg_catalog.convert_to(e.identity, 'UTF8'), pg_catalog.convert_to(e.kind, 'UTF8')),
                   ''), 'UTF8')), 'hex') AS hash,
               coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(e.kind, e.identity, e.blob)
                       ORDER BY pg_catalog.convert_to(e.identity, 'UTF8'), pg_catalog.convert_to(e.kind, 'UTF8'))
                   FILTER (WHERE e.kind IS NOT NULL), '[]'::jsonb) AS entries
          FROM touched AS t
          LEFT JOIN entries AS e ON e.bucket = t.bucket
         GROUP BY t.bucket
    ), stored AS (
        INSERT INTO pggit.tree_nodes AS tn (hash, entries)
        SELECT DISTINCT ON (n.hash) n.hash, n.entries
          FROM nodes AS n
         ORDER BY n.hash
        ON CONFLICT (hash) DO NOTHING
    )
    SELECT pg_catalog.array_agg(coalesce(n.hash, p.hash) ORDER BY g.bucket),
           -- a touched bucket whose parent node is missing would silently lose its entries
           (SELECT pg_catalog.count(*)::integer
              FROM touched AS t
              JOIN parent AS tp ON tp.bucket = t.bucket
             WHERE NOT EXISTS (SELECT FROM pggit.tree_nodes AS tn WHERE tn.hash = tp.hash))
      INTO v_tree, v_missing
      FROM pg_catalog.generate_series(1, 256) AS g (bucket)
      LEFT JOIN parent AS p ON p.bucket = g.bucket
      LEFT JOIN nodes AS n ON n.bucket = g.bucket;

    IF v_missing > 0 THEN
        RAISE EXCEPTION 'invalid commit tree: % bucket node(s) missing from pggit.tree_nodes', v_missing
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v_tree;
END
$function$;

REVOKE ALL ON FUNCTION pggit.tree_apply(text[], bigint[]) FROM PUBLIC;

COMMENT ON FUNCTION pggit.tree_apply(text[], bigint[]) IS
    'Internal: the commit tree after applying history rows to parent_tree (NULL: the live registry); stores new nodes.';

-- ---------------------------------------------------------------------------
-- sql/functions/commits/commit_changes.sql
-- ---------------------------------------------------------------------------
-- pggit.commit_changes(branch text, message text DEFAULT '', trinity_id text DEFAULT NULL) -> text
--
-- Level 2: level 1's function (same signature, every promise and error below kept)
-- plus the commit's changes and schema tree.
--
-- Promises: records one commit on `branch` and returns its Trinity ID.
--   * The commit's parent is the branch head, read under a row lock on the branch
--     (SELECT ... FOR NO KEY UPDATE, the lock the head UPDATE takes anyway), and the
--     head then moves to the new commit. Concurrent committers to one branch queue
--     on that lock, so any number of them produce one linear chain (no fork, no lost
--     commit); the UNIQUE NULLS NOT DISTINCT (branch_id, parent_hash) constraint on
--     pggit.commits backs this up.
--   * A branch that does not exist yet is created if its name is valid: parent
--     branch main, head = main's head (NULL if main has no commit), so its first
--     commit's parent is main's head. Created with INSERT ... ON CONFLICT (name) DO
--     NOTHING and read again, so concurrent first commits all land on one branch.
--   * trinity_id NULL: a new pggit.generate_trinity_id(). Given: validated by
--     pggit.is_valid_trinity_id and used as is.
--   * message is stored exactly as given ('' by default; any text, 1 MB is fine).
--   * author = session_user, committed_at = clock_timestamp().
--   * Changes: the branch's pending history rows (pggit.history with branch = this
--     branch's name and commit_hash IS NULL) that the function sees once it holds
--     the branch lock are attached to the new commit (commit_hash := its ID), each
--     to exactly this commit. Rows of other branches are left alone; rows of other
--     transactions committed after that moment stay pending for the next commit.
--   * Tree: the commit's schema tree is stored (pggit.trees, once per distinct tree)
--     and its Merkle root is the commit's schema_hash. It is built from the parent
--     commit's tree by applying exactly the attached rows, see
--     sql/functions/trees/tree_apply.sql: for each object its last attached row
--     decides (a drop removes its entry, anything else sets identity -> new_hash, a
--     rename also removes the old identity's entry); pause, resume and untracked
--     rows change nothing. A commit without changes has its parent's root and costs
--     no tree work at all.
--     When the parent has no tree (a level-1 commit, or no parent) the base is every
--     live registry object at its current hash: the first tree-bearing commit of a
--     line costs O(schema), every later one O(changes).
--   * Transactional: everything happens in the caller's transaction; a rollback
--     leaves no commit, no new branch, no head move, no tree or node and no row
--     attached.
-- Errors:
--   22004 null_value_not_allowed   branch or message is NULL
--   22023 invalid_parameter_value  invalid branch name: 'invalid branch name
--                                  "<name>": <rule>' (see branch_name_violation);
--                                  malformed trinity_id: 'invalid Trinity ID "<id>":
--                                  expected YYYYMMDDHHMMSSffffff-ssssss-rrrrrrrr ...'
--   55000 object_not_in_prerequisite_state  the branch has status 'deleted'
--                                  ('cannot commit to deleted branch "<name>"'), or
--                                  it is missing and so is main
--   23505 unique_violation         a given trinity_id already exists:
--                                  'commit "<id>" already exists'
--   40001 / 40P01 from the lock or the insert propagate unchanged (retryable). Under
--   REPEATABLE READ or SERIALIZABLE, committing to a branch another transaction has
--   committed to since the snapshot fails with 40001.
-- SECURITY DEFINER with a pinned search_path: this function is how ordinary roles
-- (which only have SELECT on pggit's tables) append history. EXECUTE: PUBLIC.
--
-- Cost: one indexed lookup with row lock, an index scan of the branch's pending
-- rows; when there are some: the parent's tree (256 hashes), the rewrite of the
-- buckets the changes touch (pggit.tree_apply) and one INSERT ... ON CONFLICT DO
-- NOTHING of the tree, and one UPDATE of the attached rows; then one INSERT and one
-- UPDATE of the branch. No subtransaction unless a trinity_id is
-- given (then one, to turn a primary-key violation into the message above).
CREATE OR REPLACE FUNCTION pggit.commit_changes(
    branch text,
    message text DEFAULT '',
    trinity_id text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch_id bigint;
    v_head text;
    v_status text;
    v_id text;
    v_constraint text;
    v_pending bigint[];
    v_parent_root text;
    v_parent_tree text[];
    v_tree text[];
    v_schema_hash text;
BEGIN
    IF commit_changes.branch IS NULL THEN
        RAISE EXCEPTION 'branch must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF commit_changes.message IS NULL THEN
        RAISE EXCEPTION 'commit message must not be NULL (use '''' for an empty message)'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF commit_changes.trinity_id IS NOT NULL
       AND NOT pggit.is_valid_trinity_id(commit_changes.trinity_id) THEN
        RAISE EXCEPTION 'invalid Trinity ID "%": expected YYYYMMDDHHMMSSffffff-ssssss-rrrrrrrr '
                        '(a real UTC date and time, 6 lowercase base-36 digits, 8 lowercase hex digits)',
                commit_changes.trinity_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT b.id, b.head_commit_hash, b.status
      INTO v_branch_id, v_head, v_status
      FROM pggit.branches AS b
     WHERE b.name = commit_changes.branch
       FOR NO KEY UPDATE;

    IF NOT FOUND THEN
        -- Existing rows always have valid names (CHECK), so validate only here.
        PERFORM pggit.assert_valid_branch_name(commit_changes.branch);
        INSERT INTO pggit.branches AS b (name, head_commit_hash, parent_branch_id)
        SELECT commit_changes.branch, m.head_commit_hash, m.id
          FROM pggit.branches AS m
         WHERE m.name = 'main'
        ON CONFLICT (name) DO NOTHING
        RETURNING b.id, b.head_commit_hash, b.status
             INTO v_branch_id, v_head, v_status;
        IF NOT FOUND THEN
            -- Another transaction created it first (or main is missing): read it again.
            SELECT b.id, b.head_commit_hash, b.status
              INTO v_branch_id, v_head, v_status
              FROM pggit.branches AS b
             WHERE b.name = commit_changes.branch
               FOR NO KEY UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'cannot create branch "%": branch "main" does not exist',
                        commit_changes.branch
                    USING ERRCODE = 'object_not_in_prerequisite_state';
            END IF;
        END IF;
    END IF;

    IF v_status = 'deleted' THEN
        RAISE EXCEPTION 'cannot commit to deleted branch "%"', commit_changes.branch
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- Under the branch lock: the pending rows this commit attaches, and its tree.
    SELECT pg_catalog.array_agg(h.id ORDER BY h.id)
      INTO v_pending
      FROM pggit.history AS h
     WHERE h.branch = commit_changes.branch
       AND h.commit_hash IS NULL;
    IF v_head IS NOT NULL THEN
        SELECT c.schema_hash INTO v_parent_root FROM pggit.commits AS c WHERE c.hash = v_head;
    END IF;
    IF v_parent_root IS NOT NULL AND v_pending IS NULL THEN
        v_schema_hash := v_parent_root;
    ELSE
        IF v_parent_root IS NOT NULL THEN
            SELECT t.buckets INTO v_parent_tree FROM pggit.trees AS t WHERE t.hash = v_parent_root;
        END IF;
        v_tree := pggit.tree_apply(v_parent_tree, coalesce(v_pending, '{}'::bigint[]));
        v_schema_hash := pg_catalog.encode(
            pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.array_to_string(v_tree, ''), 'UTF8')), 'hex');
        INSERT INTO pggit.trees (hash, buckets)
        VALUES (v_schema_hash, v_tree)
        ON CONFLICT (hash) DO NOTHING;
    END IF;

    IF commit_changes.trinity_id IS NULL THEN
        v_id := pggit.generate_trinity_id();
        INSERT INTO pggit.commits (hash, branch_id, parent_hash, message, schema_hash)
        VALUES (v_id, v_branch_id, v_head, commit_changes.message, v_schema_hash);
    ELSE
        v_id := commit_changes.trinity_id;
        BEGIN
            INSERT INTO pggit.commits (hash, branch_id, parent_hash, message, schema_hash)
            VALUES (v_id, v_branch_id, v_head, commit_changes.message, v_schema_hash);
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
            IF v_constraint IS DISTINCT FROM 'commits_pkey' THEN
                RAISE;
            END IF;
            RAISE EXCEPTION 'commit "%" already exists', v_id
                USING ERRCODE = 'unique_violation',
                      CONSTRAINT = 'commits_pkey',
                      TABLE = 'commits',
                      SCHEMA = 'pggit';
        END;
    END IF;

    IF v_pending IS NOT NULL THEN
        UPDATE pggit.history AS h
           SET commit_hash = v_id
         WHERE h.id = ANY (v_pending);
    END IF;

    UPDATE pggit.branches AS b
       SET head_commit_hash = v_id
     WHERE b.id = v_branch_id;

    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.commit_changes(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.commit_changes(text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.commit_changes(text, text, text) IS
    'Records a commit on branch (created from main''s head if missing) with its pending changes and schema tree; returns its Trinity ID.';

-- ---------------------------------------------------------------------------
-- sql/functions/trees/commit_tree.sql
-- ---------------------------------------------------------------------------
-- pggit.commit_tree(commit text) -> TABLE(object_kind text, object_identity text, blob_hash text)
--
-- Promises: the schema tree of a commit, one row per tracked object: its kind, its
-- identity and the hash of its canonical definition (the blob in pggit.blobs),
-- ordered by identity then kind (UTF-8 byte order, the order inside the bucket
-- nodes). `commit` is a commit's full Trinity ID. A commit whose schema was empty
-- gives zero rows.
-- Errors:
--   22004 null_value_not_allowed        commit is NULL: 'commit must not be NULL'
--   42704 undefined_object              'commit "<commit>" does not exist'
--   55000 object_not_in_prerequisite_state  'commit "<commit>" has no tree: it was
--                                       made before level 2 (tracking) was installed'
-- STABLE, SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: O(objects in the tree).
CREATE OR REPLACE FUNCTION pggit.commit_tree(commit text)
RETURNS TABLE(object_kind text, object_identity text, blob_hash text)
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_tree text[];
BEGIN
    IF commit_tree.commit IS NULL THEN
        RAISE EXCEPTION 'commit must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT t.buckets INTO v_tree
      FROM pggit.commits AS c
      LEFT JOIN pggit.trees AS t ON t.hash = c.schema_hash
     WHERE c.hash = commit_tree.commit;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'commit "%" does not exist', commit_tree.commit
            USING ERRCODE = 'undefined_object';
    END IF;
    IF v_tree IS NULL THEN
        RAISE EXCEPTION 'commit "%" has no tree: it was made before level 2 (tracking) was installed',
                commit_tree.commit
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN QUERY
        SELECT e.v ->> 0, e.v ->> 1, e.v ->> 2
          FROM pg_catalog.unnest(v_tree) WITH ORDINALITY AS t (hash, bucket)
          JOIN pggit.tree_nodes AS n ON n.hash = t.hash
         CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(n.entries) AS e (v)
         ORDER BY pg_catalog.convert_to(e.v ->> 1, 'UTF8'), pg_catalog.convert_to(e.v ->> 0, 'UTF8');
END
$function$;

COMMENT ON FUNCTION pggit.commit_tree(text) IS
    'The schema tree of a commit: (object_kind, object_identity, blob_hash) per tracked object, by identity.';

-- ---------------------------------------------------------------------------
-- sql/functions/history/log.sql
-- ---------------------------------------------------------------------------
-- pggit.log(branch text DEFAULT 'main', max_count integer DEFAULT 50)
--     -> TABLE(hash text, parent_hash text, branch text, message text, author text,
--              committed_at timestamptz, schema_hash text, changes integer)
--
-- Promises: the history of `branch`, newest first, like git log: the branch head,
-- its parent, the parent's parent, ... following pggit.commits.parent_hash, at most
-- max_count commits. The chain is followed across branches: a branch created from
-- main continues into main's commits before the branch point, and the column
-- `branch` names the branch each commit was made on. changes = the number of history
-- rows attached to the commit; schema_hash = its Merkle root (NULL for commits made
-- before level 2). A branch without commits, or max_count 0, gives zero rows.
--
-- Declared with OUT hash, OUT parent_hash, INOUT branch, max_count, OUT ... rather
-- than RETURNS TABLE: the result columns are exactly those above, and the arguments
-- keep their names (branch => ..., max_count => ...), which RETURNS TABLE would
-- forbid (its column `branch` would clash with the argument).
-- Errors:
--   22004 null_value_not_allowed   branch or max_count is NULL
--   22023 invalid_parameter_value  invalid branch name ('invalid branch name
--                                  "<name>": <rule>'); max_count negative
--   42704 undefined_object         'branch "<name>" does not exist'
-- STABLE, SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: O(max_count) index lookups.
CREATE OR REPLACE FUNCTION pggit.log(
    OUT hash text,
    OUT parent_hash text,
    INOUT branch text DEFAULT 'main',
    max_count integer DEFAULT 50,
    OUT message text,
    OUT author text,
    OUT committed_at timestamptz,
    OUT schema_hash text,
    OUT changes integer)
RETURNS SETOF record
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_head text;
BEGIN
    IF log.max_count IS NULL THEN
        RAISE EXCEPTION 'max_count must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF log.max_count < 0 THEN
        RAISE EXCEPTION 'invalid max_count %: must not be negative', log.max_count
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pggit.assert_valid_branch_name(log.branch);
    SELECT b.head_commit_hash INTO v_head FROM pggit.branches AS b WHERE b.name = log.branch;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'branch "%" does not exist', log.branch
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN QUERY
        WITH RECURSIVE walk (hash, depth) AS (
            SELECT v_head COLLATE "C", 1
             WHERE v_head IS NOT NULL AND log.max_count > 0
            UNION ALL
            SELECT c.parent_hash, w.depth + 1
              FROM walk AS w
              JOIN pggit.commits AS c ON c.hash = w.hash
             WHERE c.parent_hash IS NOT NULL AND w.depth < log.max_count
        )
        SELECT c.hash::text, c.parent_hash::text, b.name, c.message, c.author, c.committed_at,
               c.schema_hash::text,
               (SELECT pg_catalog.count(*)::integer FROM pggit.history AS h WHERE h.commit_hash = c.hash)
          FROM walk AS w
          JOIN pggit.commits AS c ON c.hash = w.hash
          JOIN pggit.branches AS b ON b.id = c.branch_id
         ORDER BY w.depth;
END
$function$;

COMMENT ON FUNCTION pggit.log(text, integer) IS
    'History of a branch, newest first, following parents across branches: hash, parent_hash, branch, message, author, committed_at, schema_hash, changes.';

-- ---------------------------------------------------------------------------
-- sql/functions/history/show.sql
-- ---------------------------------------------------------------------------
-- pggit.show(commit text) -> jsonb
--
-- Promises: one jsonb document describing a commit (usable from psql with
-- jsonb_pretty, and as a dict from Python):
--   {"commit":  {"hash", "parent_hash", "branch", "message", "author",
--                "committed_at", "schema_hash"},
--    "changes": [{"id", "object_id", "object_kind", "object_identity",
--                 "old_identity", "subobject_identity", "command_tag", "change",
--                 "statement", "old_version", "new_version", "old_hash", "new_hash",
--                 "role", "txid", "changed_at", "branch"}, ...]   (oldest first),
--    "tree":    [{"object_kind", "object_identity", "blob_hash"}, ...] (as
--                pggit.commit_tree orders them), or null for a commit made before
--                level 2}
-- "branch" in "commit" is the name of the branch the commit was made on; txid is
-- text (an xid8); times are timestamptz rendered by jsonb (ISO 8601 with offset).
-- Errors:
--   22004 null_value_not_allowed   commit is NULL: 'commit must not be NULL'
--   42704 undefined_object         'commit "<commit>" does not exist'
-- STABLE, SECURITY INVOKER, callable by everyone. Cost: O(changes + tree size).
CREATE OR REPLACE FUNCTION pggit.show(commit text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_commit jsonb;
    v_has_tree boolean;
    v_changes jsonb;
    v_tree jsonb;
BEGIN
    IF show.commit IS NULL THEN
        RAISE EXCEPTION 'commit must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT pg_catalog.jsonb_build_object(
               'hash', c.hash, 'parent_hash', c.parent_hash, 'branch', b.name,
               'message', c.message, 'author', c.author, 'committed_at', c.committed_at,
               'schema_hash', c.schema_hash),
           c.schema_hash IS NOT NULL
      INTO v_commit, v_has_tree
      FROM pggit.commits AS c
      JOIN pggit.branches AS b ON b.id = c.branch_id
     WHERE c.hash = show.commit;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'commit "%" does not exist', show.commit
            USING ERRCODE = 'undefined_object';
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'id', h.id, 'object_id', h.object_id, 'object_kind', h.object_kind,
               'object_identity', h.object_identity, 'old_identity', h.old_identity,
               'subobject_identity', h.subobject_identity, 'command_tag', h.command_tag,
               'change', h.change, 'statement', h.statement, 'old_version', h.old_version,
               'new_version', h.new_version, 'old_hash', h.old_hash, 'new_hash', h.new_hash,
               'role', h.role, 'txid', h.txid::text, 'changed_at', h.changed_at,
               'branch', h.branch) ORDER BY h.id), '[]'::jsonb)
      INTO v_changes
      FROM pggit.history AS h
     WHERE h.commit_hash = show.commit;
    IF v_has_tree THEN
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'object_kind', t.object_kind, 'object_identity', t.object_identity,
                   'blob_hash', t.blob_hash) ORDER BY t.n), '[]'::jsonb)
          INTO v_tree
          FROM pggit.commit_tree(show.commit) WITH ORDINALITY AS t (object_kind, object_identity, blob_hash, n);
    END IF;
    RETURN pg_catalog.jsonb_build_object('commit', v_commit, 'changes', v_changes, 'tree', v_tree);
END
$function$;

COMMENT ON FUNCTION pggit.show(text) IS
    'A commit as jsonb: {"commit": {...}, "changes": [history rows], "tree": [(object_kind, object_identity, blob_hash)] or null}.';

-- ---------------------------------------------------------------------------
-- sql/functions/history/status.sql
-- ---------------------------------------------------------------------------
-- pggit.status(branch text DEFAULT NULL)
--     -> TABLE(id bigint, branch text, object_kind text, object_identity text,
--              old_identity text, subobject_identity text, command_tag text,
--              change text, old_version text, new_version text, statement text,
--              role text, changed_at timestamptz)
--
-- Promises: the tracked changes not yet committed on a branch, oldest first (by
-- history id): the pggit.history rows with that branch and commit_hash IS NULL that
-- the caller can see (its own transaction's included, other sessions' uncommitted
-- ones not). `branch` NULL (the default, so pggit.status() works) means the
-- session's branch, pggit.current_branch(): the setting pggit.branch (pggit.checkout
-- sets it), 'main' when unset or empty; the branch history rows record. A branch that has no commit yet is fine (its first commit_changes
-- creates it): there is no "unknown branch" error here.
-- Declared with OUT id, INOUT branch, OUT ...: see pggit.log for why.
-- Errors:
--   22023 invalid_parameter_value  invalid branch name, given or from the setting
--                                  ('invalid branch name "<name>": <rule>')
-- STABLE, SECURITY INVOKER (pggit's tables are readable by everyone), callable by
-- everyone. Cost: one scan of the partial index on pending rows.
CREATE OR REPLACE FUNCTION pggit.status(
    OUT id bigint,
    INOUT branch text DEFAULT NULL,
    OUT object_kind text,
    OUT object_identity text,
    OUT old_identity text,
    OUT subobject_identity text,
    OUT command_tag text,
    OUT change text,
    OUT old_version text,
    OUT new_version text,
    OUT statement text,
    OUT role text,
    OUT changed_at timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_branch text := coalesce(status.branch, pggit.current_branch());
BEGIN
    PERFORM pggit.assert_valid_branch_name(v_branch);
    RETURN QUERY
        SELECT h.id, h.branch, h.object_kind, h.object_identity, h.old_identity,
               h.subobject_identity, h.command_tag, h.change, h.old_version, h.new_version,
               h.statement, h.role, h.changed_at
          FROM pggit.history AS h
         WHERE h.branch = v_branch
           AND h.commit_hash IS NULL
         ORDER BY h.id;
END
$function$;

COMMENT ON FUNCTION pggit.status(text) IS
    'Tracked changes not yet committed on branch (default: the session''s branch, setting pggit.branch, else main), oldest first.';

-- ===========================================================================
-- END commit tree functions
-- ===========================================================================

-- ===========================================================================
-- BEGIN event triggers and registration of existing objects (owner: capture)
-- ===========================================================================

-- DDL capture: from here on every DDL statement outside pggit's own, temporary and
-- system schemas is tracked (see sql/functions/tracking/on_ddl_command_end.sql).
CREATE EVENT TRIGGER pggit_sql_drop ON sql_drop
    EXECUTE FUNCTION pggit.on_sql_drop();

CREATE EVENT TRIGGER pggit_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION pggit.on_ddl_command_end();

COMMENT ON EVENT TRIGGER pggit_sql_drop IS
    'pggit: marks dropped tracked objects and hands dropped parts to pggit_ddl_command_end.';
COMMENT ON EVENT TRIGGER pggit_ddl_command_end IS
    'pggit: versions and records every tracked object a DDL statement created or changed.';

-- Register every existing user object at 1.0.0 ('register' history rows on branch
-- main, pending), so that the next commit on main holds the whole schema.
DO $register$
BEGIN
    PERFORM pg_catalog.set_config('pggit.branch', 'main', true);
    PERFORM pggit.reconcile('PGGIT REGISTER');
END
$register$;

-- ===========================================================================
-- END event triggers and registration
-- ===========================================================================

COMMENT ON SCHEMA pggit IS 'pggit-sql level 2';
