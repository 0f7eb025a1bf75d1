-- pggit.resolve_conflict(conflict_id bigint, resolution text) -> text
--
-- Promises: records how one conflict of a merge with status 'conflicts' is resolved
-- and returns the resolution kind stored: 'ours' (the object as the target has it,
-- under its name there; absent if the target removed it), 'theirs' (as the source has
-- it, under its name there), or 'custom': any other text must be ONE SQL statement
-- that defines the conflicted object, of its kind, under its name (in the target, else
-- in the source, else object_identity), checked before anything is stored:
--   view / materialized view:  CREATE [OR REPLACE] [MATERIALIZED] VIEW <schema>.<name> AS <query>
--                              (stored as its canonical definition: VIEW / MATERIALIZED
--                              VIEW, then AS <query>)
--   function / procedure:      CREATE [OR REPLACE] FUNCTION|PROCEDURE <schema>.<name>(...) ...
--                              (stored as written, like pg_get_functiondef's text)
-- One statement as PostgreSQL's lexer splits it (pggit.split_statements: quotes, dollar
-- quotes, comments, BEGIN ATOMIC), an optional final ';', not ending inside a comment
-- (the generator appends ';'), no carriage return (PostgreSQL ends a -- comment there)
-- and no backslash (psql runs a backslash outside quotes as a meta-command when the
-- generated script is run with psql). Other kinds (tables, types, domains, sequences,
-- schemas) have no SQL statement that gives their canonical definition: only 'ours' or
-- 'theirs'. The statement is never executed here (this function only stores it), nor
-- by merge_continue: it reaches the live schema only through generate_migration's
-- script, run by whoever runs it (checkout with apply: SECURITY INVOKER).
-- Owner: a custom definition is given the object's recorded owner and privileges
-- (ours, else theirs; pggit.object_details) when the resolver (SET ROLE's role, else the
-- session user) is a member of that owner, and is refused (42501) otherwise; with no
-- recorded owner, the resolver owns it (its author). generate_migration gives it that
-- owner when it creates it.
-- Resolving again replaces the earlier choice. pggit.merge_continue(id) then records
-- the merge.
-- Errors: 22004 NULL; 22023 an empty or blank custom definition, or a statement that
-- defines another object (kind or name; DETAIL the conflict's); 42601 not exactly one
-- statement, a carriage return, a backslash, a statement ending in a comment, not a
-- CREATE statement of the conflict's kind; 0A000 a custom resolution of a kind that
-- has none; 42501 the resolver is not a member of the object's owner; 42704 unknown conflict; 55000 its merge is already merged or aborted.
-- Every message names the conflict (id, kind, identity).
-- SECURITY DEFINER with a pinned search_path (it writes pggit.blobs and
-- pggit.merge_conflicts; it evaluates nothing a user wrote); EXECUTE: PUBLIC.
CREATE OR REPLACE FUNCTION pggit.resolve_conflict(conflict_id bigint, resolution text)
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    v_merge bigint;
    v_ours text;
    v_theirs text;
    v_kind text;
    v_blob text;
    v_identity text;
    v_ours_identity text;
    v_theirs_identity text;
    v_object_identity text;
    v_object_kind text;
    v_what text;
    v_count integer;
    v_statement text;
    v_open boolean;
    v_m text[];
    v_name text[];
    v_definition text;
    v_own jsonb;
    v_role text := CASE pg_catalog.current_setting('role') WHEN 'none' THEN SESSION_USER::text
                        ELSE pg_catalog.current_setting('role') END;
    c_name CONSTANT text := '((?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][A-Za-z_0-9$\u0080-\uffff]*)'
                            '\.(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][A-Za-z_0-9$\u0080-\uffff]*))';
BEGIN
    IF resolve_conflict.conflict_id IS NULL OR resolve_conflict.resolution IS NULL THEN
        RAISE EXCEPTION 'resolve_conflict: conflict_id and resolution must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT mc.merge_id, mc.ours_blob, mc.theirs_blob, mc.ours_identity, mc.theirs_identity, mc.object_identity,
           mc.object_kind
      INTO v_merge, v_ours, v_theirs, v_ours_identity, v_theirs_identity, v_object_identity, v_object_kind
      FROM pggit.merge_conflicts AS mc
     WHERE mc.id = resolve_conflict.conflict_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'merge conflict % does not exist', resolve_conflict.conflict_id
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM pggit.merge_lock(v_merge, 'its conflicts cannot change');  -- 55000 when merged or aborted
    IF resolve_conflict.resolution = 'ours' THEN
        v_kind := 'ours';
        v_blob := v_ours;
        v_identity := v_ours_identity;
    ELSIF resolve_conflict.resolution = 'theirs' THEN
        v_kind := 'theirs';
        v_blob := v_theirs;
        v_identity := v_theirs_identity;
    ELSE
        IF pg_catalog.btrim(resolve_conflict.resolution, E' \t\r\n') = '' THEN
            RAISE EXCEPTION 'a custom resolution must be a definition, not blank: use ''ours'', ''theirs'' or the definition'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        v_kind := 'custom';
        v_identity := coalesce(v_ours_identity, v_theirs_identity, v_object_identity);
        v_what := pg_catalog.format('conflict %s (%s %s)', resolve_conflict.conflict_id, v_object_kind, v_identity);
        IF v_object_kind NOT IN ('view', 'materialized view', 'function', 'procedure') THEN
            RAISE EXCEPTION 'cannot resolve % with a custom definition: only views, materialized views, functions '
                            'and procedures take one', v_what
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Resolve it with ''ours'' or ''theirs'', then change the object on the target and commit.';
        END IF;
        IF pg_catalog.strpos(resolve_conflict.resolution, E'\r') > 0
           OR pg_catalog.strpos(resolve_conflict.resolution, E'\\') > 0 THEN
            RAISE EXCEPTION 'cannot resolve % with this text: it holds a %', v_what,
                    CASE WHEN pg_catalog.strpos(resolve_conflict.resolution, E'\r') > 0
                         THEN 'carriage return (PostgreSQL ends a -- comment there: write line ends as \n)'
                         ELSE 'backslash (psql would run one outside quotes as a meta-command)' END
                USING ERRCODE = 'syntax_error';
        END IF;
        SELECT pg_catalog.count(*)::integer, pg_catalog.max(s.statement), pg_catalog.bool_or(s.unterminated)
          INTO v_count, v_statement, v_open
          FROM pggit.split_statements(resolve_conflict.resolution) AS s;
        IF v_count <> 1 OR v_open THEN
            RAISE EXCEPTION 'cannot resolve % with this text: a custom resolution is exactly one SQL statement, '
                            'this is %', v_what,
                    CASE WHEN v_open THEN 'unterminated (it ends inside a quote, comment or body)'
                         ELSE pg_catalog.format('%s statements', v_count) END
                USING ERRCODE = 'syntax_error',
                      HINT = pg_catalog.format('Write one CREATE %s statement for %s.', pg_catalog.upper(v_object_kind),
                                               v_identity);
        END IF;
        -- the generator appends ';' to it: that ';' must end it (no final -- comment)
        IF (SELECT pg_catalog.count(*) FROM pggit.split_statements(v_statement || E';\nSELECT 1')) <> 2 THEN
            RAISE EXCEPTION 'cannot resolve % with this text: it ends in a comment', v_what
                USING ERRCODE = 'syntax_error';
        END IF;
        IF v_object_kind IN ('view', 'materialized view') THEN
            v_m := pg_catalog.regexp_match(v_statement,
                       '^CREATE\s+(?:OR\s+REPLACE\s+)?(MATERIALIZED\s+)?VIEW\s+' || c_name || '\s+AS\s(.*)$', 'i');
        ELSE
            v_m := pg_catalog.regexp_match(v_statement,
                       '^CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+' || c_name || '\s*\(', 'i');
        END IF;
        IF v_m IS NULL THEN
            RAISE EXCEPTION 'cannot resolve % with this text: it is no CREATE % statement naming a schema-qualified %',
                    v_what, pg_catalog.upper(v_object_kind), v_object_kind
                USING ERRCODE = 'syntax_error',
                      HINT = CASE WHEN v_object_kind IN ('view', 'materialized view')
                                  THEN pg_catalog.format('CREATE %s %s AS <query>', pg_catalog.upper(v_object_kind), v_identity)
                                  ELSE pg_catalog.format('CREATE OR REPLACE %s %s ...', pg_catalog.upper(v_object_kind), v_identity) END;
        END IF;
        v_name := pg_catalog.parse_ident(v_m[2]);
        IF (v_object_kind = 'materialized view') IS DISTINCT FROM (v_m[1] IS NOT NULL AND v_object_kind LIKE '%view')
           OR v_object_kind IN ('function', 'procedure') AND pg_catalog.lower(v_m[1]) <> v_object_kind
           OR v_name IS DISTINCT FROM pg_catalog.parse_ident(
                  CASE WHEN v_object_kind IN ('function', 'procedure')
                       THEN (pg_catalog.regexp_match(v_identity, '^' || c_name || '\('))[1] ELSE v_identity END) THEN
            RAISE EXCEPTION 'cannot resolve % with this text: it defines % %, not the conflicted object', v_what,
                    CASE WHEN v_object_kind IN ('function', 'procedure') THEN pg_catalog.lower(v_m[1])
                         WHEN v_m[1] IS NOT NULL THEN 'materialized view' ELSE 'view' END,
                    pggit.clip(pg_catalog.array_to_string(v_name, '.'))
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = pg_catalog.format('The conflict is about %s %s.', v_object_kind, v_identity);
        END IF;
        v_definition := CASE WHEN v_object_kind IN ('view', 'materialized view')
                             THEN pg_catalog.upper(v_object_kind) || E'\nAS ' || v_m[3] || ';'
                             ELSE v_statement END;
        -- its owner: the object's recorded owner (ours, else theirs), of which the resolver must
        -- be a member (PostgreSQL asks as much to replace it); else the resolver: the author
        SELECT od.details -> 'own' INTO v_own
          FROM pggit.object_details AS od
         WHERE (od.identity, od.blob_hash) IN ((v_ours_identity, v_ours), (v_theirs_identity, v_theirs))
           AND od.details ? 'own'
           AND EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = od.details -> 'own' ->> 'o')
         ORDER BY od.identity = v_ours_identity AND od.blob_hash = v_ours DESC
         LIMIT 1;
        IF v_own IS NOT NULL AND NOT pg_catalog.pg_has_role(v_role, v_own ->> 'o', 'MEMBER') THEN
            RAISE EXCEPTION 'cannot resolve % with a custom definition: % is not a member of its owner %',
                    v_what, v_role, v_own ->> 'o'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Resolve it with ''ours'' or ''theirs'', or let a member of its owner write the definition.';
        END IF;
        v_own := coalesce(v_own, pg_catalog.jsonb_build_object('o', v_role, 'a', NULL));
        v_blob := pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(v_definition, 'UTF8')), 'hex');
        INSERT INTO pggit.blobs (hash, definition) VALUES (v_blob, v_definition)
        ON CONFLICT (hash) DO NOTHING;
        INSERT INTO pggit.object_details AS od (identity, blob_hash, details)
        VALUES (v_identity, v_blob, pg_catalog.jsonb_build_object('own', v_own))
        ON CONFLICT (identity, blob_hash) DO UPDATE SET details = od.details || EXCLUDED.details,
                                                        recorded_at = pg_catalog.clock_timestamp();
    END IF;
    UPDATE pggit.merge_conflicts AS mc
       SET resolution = v_kind, resolved_identity = v_identity, resolved_blob = v_blob,
           resolved_at = pg_catalog.clock_timestamp(), resolved_by = SESSION_USER
     WHERE mc.id = resolve_conflict.conflict_id;
    RETURN v_kind;
END
$function$;

REVOKE ALL ON FUNCTION pggit.resolve_conflict(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.resolve_conflict(bigint, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.resolve_conflict(bigint, text) IS
    'Resolves one merge conflict: ''ours'', ''theirs'' or a custom canonical definition; returns the kind stored.';
