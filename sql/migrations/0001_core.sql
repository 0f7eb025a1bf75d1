-- pggit-sql level 1: core.
--
-- Creates schema pggit with branches, commits and Trinity IDs:
--   * pggit.branches, pggit.commits (append-only history; SELECT for everyone,
--     written only through the SECURITY DEFINER API functions), sequence
--     pggit.trinity_seq, and the branch main;
--   * the functions of sql/functions/ as of level 1, each copied verbatim in a
--     section headed by its file name.
-- Every name is schema-qualified: yoyo runs migrations with search_path set to its
-- bookkeeping schema. The last statement, exactly
--     COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';
-- (no comment lines before it, so yoyo's last step is exactly that), sets the
-- schema comment from which the migration manager reads the level the catalog
-- claims.
-- Rollback (0001_core.rollback.sql): DROP SCHEMA pggit CASCADE.

CREATE SCHEMA pggit;

GRANT USAGE ON SCHEMA pggit TO PUBLIC;

-- Trinity ID sequence: 0 .. 36^6-1, six base-36 digits, wraps after 36^6 values.
CREATE SEQUENCE pggit.trinity_seq
    AS bigint
    MINVALUE 0
    MAXVALUE 2176782335
    START WITH 0
    CYCLE;

REVOKE ALL ON SEQUENCE pggit.trinity_seq FROM PUBLIC;

COMMENT ON SEQUENCE pggit.trinity_seq IS
    'Sequence part of Trinity IDs: 0 .. 36^6-1, written as 6 base-36 digits; cycles.';

-- The CHECK constraint on pggit.branches.name calls these two.
-- ---------------------------------------------------------------------------
-- sql/functions/branches/branch_name_violation.sql
-- ---------------------------------------------------------------------------
-- pggit.branch_name_violation(name text) -> text
--
-- Promises: returns NULL when `name` is a valid pggit branch name, otherwise the
-- text of the first rule it breaks (checked in the order below). NULL in, NULL out.
-- Never raises. IMMUTABLE, PARALLEL SAFE, callable by everyone.
--
-- The rules are git's check-ref-format rules for a branch name plus pggit's length
-- limit. pggit_sql/refname.py implements the same rules, in the same order, with the
-- same texts; tests/property/test_branch_names.py holds the two to agreement.
--
--   rule                                    text returned
--   empty                                   must not be empty
--   more than 255 bytes (octet_length:      must be at most 255 bytes
--     UTF-8 bytes in a UTF-8 database)
--   ASCII control character 0x01-0x1F, 0x7F must not contain control characters
--     (0x00 cannot occur in a PostgreSQL text value)
--   a space                                 must not contain a space
--   any of ~ ^ : ? * [ \                    must not contain any of ~ ^ : ? * [ \
--   ..                                      must not contain ".."
--   @{                                      must not contain "@{"
--   the single name @                       must not be "@"
--   leading -                               must not begin with "-"
--   leading /                               must not begin with "/"
--   trailing /                              must not end with "/"
--   // (an empty path component)            must not contain "//"
--   a /-separated component starting with . no path component may begin with "."
--   a component ending with .lock           no path component may end with ".lock"
--   trailing .                              must not end with "."
--
-- Non-ASCII letters are allowed. Self-contained (builtins only), so it can be
-- created before or after any other pggit function.
--
-- Deliberately a single CASE expression in LANGUAGE sql without STRICT or SET, so
-- that the planner inlines it into its callers, whose plans are cached for the
-- session: is_valid_branch_name (called by the CHECK constraint on
-- pggit.branches.name, which PostgreSQL evaluates on every UPDATE of a branch row,
-- i.e. on every commit) and assert_valid_branch_name. A SQL function that is not
-- inlined is parsed and planned again in every transaction, which cost each
-- commit_changes call over 100 us. Inlined, it is resolved with the caller's
-- search_path, which those callers pin; not being SECURITY DEFINER, it runs with the
-- caller's rights anyway. NULL in: every WHEN is NULL, so NULL out.
CREATE OR REPLACE FUNCTION pggit.branch_name_violation(name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT CASE
    WHEN name = '' THEN 'must not be empty'
    WHEN pg_catalog.octet_length(name) > 255 THEN 'must be at most 255 bytes'
    WHEN name ~ '[\x01-\x1f\x7f]' THEN 'must not contain control characters'
    WHEN pg_catalog.strpos(name, ' ') > 0 THEN 'must not contain a space'
    WHEN name ~ '[~^:?*[\\]' THEN 'must not contain any of ~ ^ : ? * [ \'
    WHEN pg_catalog.strpos(name, '..') > 0 THEN 'must not contain ".."'
    WHEN pg_catalog.strpos(name, '@{') > 0 THEN 'must not contain "@{"'
    WHEN name = '@' THEN 'must not be "@"'
    WHEN pg_catalog.left(name, 1) = '-' THEN 'must not begin with "-"'
    WHEN pg_catalog.left(name, 1) = '/' THEN 'must not begin with "/"'
    WHEN pg_catalog.right(name, 1) = '/' THEN 'must not end with "/"'
    WHEN pg_catalog.strpos(name, '//') > 0 THEN 'must not contain "//"'
    WHEN name ~ '(^|/)\.' THEN 'no path component may begin with "."'
    WHEN name ~ '\.lock(/|$)' THEN 'no path component may end with ".lock"'
    WHEN pg_catalog.right(name, 1) = '.' THEN 'must not end with "."'
END
$function$;

COMMENT ON FUNCTION pggit.branch_name_violation(text) IS
    'The first branch-name rule that name breaks, or NULL when it is a valid branch name.';

-- ---------------------------------------------------------------------------
-- sql/functions/branches/is_valid_branch_name.sql
-- ---------------------------------------------------------------------------
-- pggit.is_valid_branch_name(name text) -> boolean
--
-- Promises: true when `name` follows every branch-name rule (see
-- sql/functions/branches/branch_name_violation.sql for the list: git's
-- check-ref-format rules for a branch, at most 255 bytes), false otherwise;
-- NULL for NULL. Never raises. IMMUTABLE, PARALLEL SAFE, callable by everyone.
-- Used by the CHECK constraint on pggit.branches.name.
--
-- PL/pgSQL (not SQL) so that it can be created before pggit.branch_name_violation:
-- the body is resolved at first call, not at CREATE time.
CREATE OR REPLACE FUNCTION pggit.is_valid_branch_name(name text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN pggit.branch_name_violation(name) IS NULL;
END
$function$;

COMMENT ON FUNCTION pggit.is_valid_branch_name(text) IS
    'True when name is a valid pggit branch name (git ref-name rules, at most 255 bytes); NULL for NULL.';

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

CREATE TABLE pggit.branches (
    id bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL,
    head_commit_hash text COLLATE "C",
    parent_branch_id bigint,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by text NOT NULL DEFAULT SESSION_USER,
    status text NOT NULL DEFAULT 'active',
    CONSTRAINT branches_pkey PRIMARY KEY (id),
    CONSTRAINT branches_name_key UNIQUE (name),
    CONSTRAINT branches_name_check CHECK (pggit.is_valid_branch_name(name)),
    CONSTRAINT branches_status_check CHECK (status IN ('active', 'merged', 'deleted')),
    CONSTRAINT branches_parent_branch_id_fkey
        FOREIGN KEY (parent_branch_id) REFERENCES pggit.branches (id)
);

COMMENT ON TABLE pggit.branches IS
    'Branches: name, head commit (NULL before the first commit), the branch it was created from, status.';

-- Commit hashes (Trinity IDs) are compared bytewise (COLLATE "C"): byte order is
-- creation order, whatever the database's collation, and comparisons are cheaper.
CREATE TABLE pggit.commits (
    hash text COLLATE "C" NOT NULL,
    branch_id bigint NOT NULL,
    parent_hash text COLLATE "C",
    message text NOT NULL,
    author text NOT NULL DEFAULT SESSION_USER,
    committed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    CONSTRAINT commits_pkey PRIMARY KEY (hash),
    CONSTRAINT commits_hash_check CHECK (hash ~ '^[0-9]{20}-[0-9a-z]{6}-[0-9a-f]{8}$'),
    CONSTRAINT commits_branch_id_fkey
        FOREIGN KEY (branch_id) REFERENCES pggit.branches (id),
    CONSTRAINT commits_parent_hash_fkey
        FOREIGN KEY (parent_hash) REFERENCES pggit.commits (hash),
    -- One child per parent on a branch, one root per branch: a branch never forks.
    CONSTRAINT commits_branch_id_parent_hash_key
        UNIQUE NULLS NOT DISTINCT (branch_id, parent_hash)
);

-- Walking history forwards (the children of a commit, across branches).
CREATE INDEX commits_parent_hash_idx ON pggit.commits (parent_hash);

COMMENT ON TABLE pggit.commits IS
    'Commits: Trinity ID (hash), branch, parent commit, message, author, time. Append-only.';

ALTER TABLE pggit.branches
    ADD CONSTRAINT branches_head_commit_hash_fkey
    FOREIGN KEY (head_commit_hash) REFERENCES pggit.commits (hash);

-- Read-only for ordinary roles: history is appended through the API functions.
REVOKE ALL ON TABLE pggit.branches, pggit.commits FROM PUBLIC;
GRANT SELECT ON TABLE pggit.branches, pggit.commits TO PUBLIC;

INSERT INTO pggit.branches (name) VALUES ('main');

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- sql/functions/branches/assert_valid_branch_name.sql
-- ---------------------------------------------------------------------------
-- pggit.assert_valid_branch_name(name text) -> void
--
-- Promises: returns normally when `name` is a valid branch name (rules in
-- sql/functions/branches/branch_name_violation.sql). Otherwise raises:
--   22004 null_value_not_allowed       name is NULL: 'branch name must not be NULL'
--   22023 invalid_parameter_value      'invalid branch name "<name>": <rule>', the
--                                      first rule broken, with the same text as
--                                      pggit.branch_name_violation and refname.py
-- IMMUTABLE, PARALLEL SAFE, callable by everyone.
CREATE OR REPLACE FUNCTION pggit.assert_valid_branch_name(name text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    violation text;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'branch name must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    violation := pggit.branch_name_violation(name);
    IF violation IS NOT NULL THEN
        RAISE EXCEPTION 'invalid branch name "%": %', name, violation
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$function$;

COMMENT ON FUNCTION pggit.assert_valid_branch_name(text) IS
    'Raises 22004 for NULL and 22023 ''invalid branch name "<name>": <rule>'' unless name is a valid branch name.';

-- ---------------------------------------------------------------------------
-- sql/functions/ids/base36_pairs.sql
-- ---------------------------------------------------------------------------
-- pggit.base36_pairs() -> bytea
--
-- Promises: the 1296 two-digit lowercase base-36 numerals '00', '01', ..., '0z',
-- '10', ..., 'zz' concatenated as one 2592-byte bytea: numeral n (0 <= n < 1296)
-- is substring(pggit.base36_pairs(), 2 * n + 1, 2). Never raises.
--
-- A lookup table for pggit.generate_trinity_id, which turns its sequence value into
-- six base-36 digits with three O(1) bytea lookups instead of six text substr()
-- calls. IMMUTABLE LANGUAGE sql without SET/STRICT/SECURITY DEFINER so that the
-- planner inlines it and folds it to a constant once per cached plan: calling it
-- costs nothing at run time. It references no other object, so it can be created in
-- any order.
CREATE OR REPLACE FUNCTION pggit.base36_pairs()
RETURNS bytea
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $function$
SELECT
    '000102030405060708090a0b0c0d0e0f0g0h0i0j0k0l0m0n0o0p0q0r0s0t0u0v0w0x0y0z'
    '101112131415161718191a1b1c1d1e1f1g1h1i1j1k1l1m1n1o1p1q1r1s1t1u1v1w1x1y1z'
    '202122232425262728292a2b2c2d2e2f2g2h2i2j2k2l2m2n2o2p2q2r2s2t2u2v2w2x2y2z'
    '303132333435363738393a3b3c3d3e3f3g3h3i3j3k3l3m3n3o3p3q3r3s3t3u3v3w3x3y3z'
    '404142434445464748494a4b4c4d4e4f4g4h4i4j4k4l4m4n4o4p4q4r4s4t4u4v4w4x4y4z'
    '505152535455565758595a5b5c5d5e5f5g5h5i5j5k5l5m5n5o5p5q5r5s5t5u5v5w5x5y5z'
    '606162636465666768696a6b6c6d6e6f6g6h6i6j6k6l6m6n6o6p6q6r6s6t6u6v6w6x6y6z'
    '707172737475767778797a7b7c7d7e7f7g7h7i7j7k7l7m7n7o7p7q7r7s7t7u7v7w7x7y7z'
    '808182838485868788898a8b8c8d8e8f8g8h8i8j8k8l8m8n8o8p8q8r8s8t8u8v8w8x8y8z'
    '909192939495969798999a9b9c9d9e9f9g9h9i9j9k9l9m9n9o9p9q9r9s9t9u9v9w9x9y9z'
    'a0a1a2a3a4a5a6a7a8a9aaabacadaeafagahaiajakalamanaoapaqarasatauavawaxayaz'
    'b0b1b2b3b4b5b6b7b8b9babbbcbdbebfbgbhbibjbkblbmbnbobpbqbrbsbtbubvbwbxbybz'
    'c0c1c2c3c4c5c6c7c8c9cacbcccdcecfcgchcicjckclcmcncocpcqcrcsctcucvcwcxcycz'
    'd0d1d2d3d4d5d6d7d8d9dadbdcdddedfdgdhdidjdkdldmdndodpdqdrdsdtdudvdwdxdydz'
    'e0e1e2e3e4e5e6e7e8e9eaebecedeeefegeheiejekelemeneoepeqereseteuevewexeyez'
    'f0f1f2f3f4f5f6f7f8f9fafbfcfdfefffgfhfifjfkflfmfnfofpfqfrfsftfufvfwfxfyfz'
    'g0g1g2g3g4g5g6g7g8g9gagbgcgdgegfggghgigjgkglgmgngogpgqgrgsgtgugvgwgxgygz'
    'h0h1h2h3h4h5h6h7h8h9hahbhchdhehfhghhhihjhkhlhmhnhohphqhrhshthuhvhwhxhyhz'
    'i0i1i2i3i4i5i6i7i8i9iaibicidieifigihiiijikiliminioipiqirisitiuiviwixiyiz'
    'j0j1j2j3j4j5j6j7j8j9jajbjcjdjejfjgjhjijjjkjljmjnjojpjqjrjsjtjujvjwjxjyjz'
    'k0k1k2k3k4k5k6k7k8k9kakbkckdkekfkgkhkikjkkklkmknkokpkqkrksktkukvkwkxkykz'
    'l0l1l2l3l4l5l6l7l8l9lalblcldlelflglhliljlklllmlnlolplqlrlsltlulvlwlxlylz'
    'm0m1m2m3m4m5m6m7m8m9mambmcmdmemfmgmhmimjmkmlmmmnmompmqmrmsmtmumvmwmxmymz'
    'n0n1n2n3n4n5n6n7n8n9nanbncndnenfngnhninjnknlnmnnnonpnqnrnsntnunvnwnxnynz'
    'o0o1o2o3o4o5o6o7o8o9oaobocodoeofogohoiojokolomonooopoqorosotouovowoxoyoz'
    'p0p1p2p3p4p5p6p7p8p9papbpcpdpepfpgphpipjpkplpmpnpopppqprpsptpupvpwpxpypz'
    'q0q1q2q3q4q5q6q7q8q9qaqbqcqdqeqfqgqhqiqjqkqlqmqnqoqpqqqrqsqtquqvqwqxqyqz'
    'r0r1r2r3r4r5r6r7r8r9rarbrcrdrerfrgrhrirjrkrlrmrnrorprqrrrsrtrurvrwrxryrz'
    's0s1s2s3s4s5s6s7s8s9sasbscsdsesfsgshsisjskslsmsnsospsqsrssstsusvswsxsysz'
    't0t1t2t3t4t5t6t7t8t9tatbtctdtetftgthtitjtktltmtntotptqtrtstttutvtwtxtytz'
    'u0u1u2u3u4u5u6u7u8u9uaubucudueufuguhuiujukulumunuoupuqurusutuuuvuwuxuyuz'
    'v0v1v2v3v4v5v6v7v8v9vavbvcvdvevfvgvhvivjvkvlvmvnvovpvqvrvsvtvuvvvwvxvyvz'
    'w0w1w2w3w4w5w6w7w8w9wawbwcwdwewfwgwhwiwjwkwlwmwnwowpwqwrwswtwuwvwwwxwywz'
    'x0x1x2x3x4x5x6x7x8x9xaxbxcxdxexfxgxhxixjxkxlxmxnxoxpxqxrxsxtxuxvxwxxxyxz'
    'y0y1y2y3y4y5y6y7y8y9yaybycydyeyfygyhyiyjykylymynyoypyqyrysytyuyvywyxyyyz'
    'z0z1z2z3z4z5z6z7z8z9zazbzczdzezfzgzhzizjzkzlzmznzozpzqzrzsztzuzvzwzxzyzz'::pg_catalog.bytea
$function$;

COMMENT ON FUNCTION pggit.base36_pairs() IS
    'Lookup table: the two-digit base-36 numerals 00..zz as one bytea; numeral n is at byte 2n+1.';

-- ---------------------------------------------------------------------------
-- sql/functions/ids/is_valid_trinity_id.sql
-- ---------------------------------------------------------------------------
-- pggit.is_valid_trinity_id(id text) -> boolean
--
-- Promises: true when `id` is a well-formed Trinity ID, false otherwise, NULL for
-- NULL. Never raises. Well-formed means:
--   * it matches ^[0-9]{20}-[0-9a-z]{6}-[0-9a-f]{8}$ (36 characters, lowercase), and
--   * its first 20 digits are a real UTC date and time YYYYMMDDHHMMSSffffff: year
--     0001-9999, month 01-12, a day that exists in that month (leap years
--     included), hour 00-23, minute 00-59, second 00-59 (no leap second and no
--     24:00, which PostgreSQL's own input functions would accept).
-- IMMUTABLE, PARALLEL SAFE, callable by everyone. pggit.commit_changes uses it to
-- validate a caller-supplied ID; pggit.generate_trinity_id only makes valid ones.
CREATE OR REPLACE FUNCTION pggit.is_valid_trinity_id(id text)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    y integer;
    mo integer;
    d integer;
BEGIN
    IF id !~ '^[0-9]{20}-[0-9a-z]{6}-[0-9a-f]{8}$' THEN
        RETURN false;
    END IF;
    y := pg_catalog.substr(id, 1, 4)::integer;
    mo := pg_catalog.substr(id, 5, 2)::integer;
    d := pg_catalog.substr(id, 7, 2)::integer;
    IF y < 1 OR mo NOT BETWEEN 1 AND 12 OR d < 1
       OR pg_catalog.substr(id, 9, 2)::integer > 23
       OR pg_catalog.substr(id, 11, 2)::integer > 59
       OR pg_catalog.substr(id, 13, 2)::integer > 59 THEN
        RETURN false;
    END IF;
    -- The last day of the month: the first of the next month minus one day.
    RETURN d <= pg_catalog.date_part('day',
        pg_catalog.make_date(y, mo, 1) + pg_catalog.make_interval(months => 1, days => -1));
END
$function$;

COMMENT ON FUNCTION pggit.is_valid_trinity_id(text) IS
    'True when id is a well-formed Trinity ID (layout and a real UTC date and time); NULL for NULL.';

-- ---------------------------------------------------------------------------
-- sql/functions/ids/generate_trinity_id.sql
-- ---------------------------------------------------------------------------
-- pggit.generate_trinity_id() -> text
--
-- Promises: a Trinity ID, exactly 36 characters, YYYYMMDDHHMMSSffffff-SSSSSS-RRRRRRRR:
--   * 20 digits: clock_timestamp() in UTC to the microsecond
--     (to_char(... AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS'));
--   * 6 characters: nextval('pggit.trinity_seq') in zero-padded lowercase base 36
--     (0-9a-z). The sequence runs 0 .. 36^6-1 = 2176782335 and CYCLEs, so the value
--     always fits in 6 digits and is never truncated; it wraps to 000000 only after
--     36^6 IDs;
--   * 8 lowercase hex digits from random() (PostgreSQL 15 seeds it per backend
--     from the strong random source).
-- Unique within a database (time + sequence), practically unique across databases
-- (+ 32 random bits), and sorted by creation time (then by sequence value within a
-- microsecond) when compared bytewise, i.e. COLLATE "C" as in pggit.commits.
-- Errors: none of its own (errors of nextval itself propagate).
-- VOLATILE, PARALLEL UNSAFE (nextval). SECURITY DEFINER with a pinned search_path:
-- callers need no privilege on pggit.trinity_seq; EXECUTE is granted to PUBLIC.
--
-- Speed (target >= 200,000 IDs/s server side): straight-line code, no loop. Base 36
-- is three lookups into pggit.base36_pairs(), the 1296 two-digit numerals 00..zz as
-- one bytea that the planner folds to a constant: substring() of a bytea is O(1),
-- whereas text substr() walks UTF-8 characters, and six one-digit lookups cost
-- twice as much. random() is used rather than gen_random_uuid(), which alone costs
-- about as much as everything else here. PL/pgSQL rather than LANGUAGE sql: a SQL
-- function that cannot be inlined (SECURITY DEFINER, SET, and nextval used once
-- for six digits) runs through the SQL-function executor, measured 2.5x slower.
CREATE OR REPLACE FUNCTION pggit.generate_trinity_id()
RETURNS text
LANGUAGE plpgsql
VOLATILE
PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pggit, pg_temp
AS $function$
DECLARE
    seq CONSTANT bigint := pg_catalog.nextval('pggit.trinity_seq'::pg_catalog.regclass);
BEGIN
    -- 1679616 = 36^4 and 1296 = 36^2: seq = hi * 36^4 + mid * 36^2 + lo, each < 1296
    -- (hi < 1296 because seq < 36^6), written as three two-digit numerals.
    RETURN pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')
        || '-'
        || pg_catalog.encode(
               pg_catalog.substring(pggit.base36_pairs(), (seq / 1679616 * 2 + 1)::integer, 2)
            || pg_catalog.substring(pggit.base36_pairs(), (seq / 1296 % 1296 * 2 + 1)::integer, 2)
            || pg_catalog.substring(pggit.base36_pairs(), (seq % 1296 * 2 + 1)::integer, 2),
           'escape')
        || '-'
        || pg_catalog.substr(pg_catalog.to_hex(4294967296 + (pg_catalog.random() * 4294967296)::bigint), 2);
END
$function$;

REVOKE ALL ON FUNCTION pggit.generate_trinity_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.generate_trinity_id() TO PUBLIC;

COMMENT ON FUNCTION pggit.generate_trinity_id() IS
    'A new Trinity ID: UTC time YYYYMMDDHHMMSSffffff, 6 base-36 digits of pggit.trinity_seq, 8 random hex digits.';

-- ---------------------------------------------------------------------------
-- sql/functions/commits/commit_changes.sql
-- ---------------------------------------------------------------------------
-- pggit.commit_changes(branch text, message text DEFAULT '', trinity_id text DEFAULT NULL) -> text
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
--   * Transactional: everything happens in the caller's transaction; a rollback
--     leaves no commit, no new branch and no head move.
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
-- Cost: one indexed lookup with row lock, one INSERT, one UPDATE; no subtransaction
-- unless a trinity_id is given (then one, to turn a primary-key violation into the
-- message above).
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

    IF commit_changes.trinity_id IS NULL THEN
        v_id := pggit.generate_trinity_id();
        INSERT INTO pggit.commits (hash, branch_id, parent_hash, message)
        VALUES (v_id, v_branch_id, v_head, commit_changes.message);
    ELSE
        v_id := commit_changes.trinity_id;
        BEGIN
            INSERT INTO pggit.commits (hash, branch_id, parent_hash, message)
            VALUES (v_id, v_branch_id, v_head, commit_changes.message);
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

    UPDATE pggit.branches AS b
       SET head_commit_hash = v_id
     WHERE b.id = v_branch_id;

    RETURN v_id;
END
$function$;

REVOKE ALL ON FUNCTION pggit.commit_changes(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pggit.commit_changes(text, text, text) TO PUBLIC;

COMMENT ON FUNCTION pggit.commit_changes(text, text, text) IS
    'Records a commit on branch (created from main''s head if missing) and returns its Trinity ID.';

-- ---------------------------------------------------------------------------
-- sql/functions/versions/increment_version.sql
-- ---------------------------------------------------------------------------
-- pggit.increment_version(major int, minor int, patch int, kind text)
--     -> (major int, minor int, patch int, version text)
--
-- Promises: the semantic version after one increment of `kind`, one row:
--   kind 'major' -> (major + 1, 0, 0)
--   kind 'minor' -> (major, minor + 1, 0)
--   kind 'patch' -> (major, minor, patch + 1)
-- and version = 'major.minor.patch' of the result. `kind` is matched
-- case-insensitively (lower(kind); no trimming, so ' major' is not a kind).
-- Pure: IMMUTABLE, PARALLEL SAFE, callable by everyone.
--   SELECT * FROM pggit.increment_version(1, 2, 3, 'minor')  ->  1 | 3 | 0 | 1.3.0
--
-- Errors, checked in this order:
--   22004 null_value_not_allowed   major, minor or patch is NULL (names which)
--   22023 invalid_parameter_value  major, minor or patch is negative (names it and
--                                  its value)
--   P0001 raise_exception          'Invalid increment type: <kind>' for any other
--                                  kind, NULL included (shown as NULL, else quoted)
--   22003 numeric_value_out_of_range  the incremented part is already 2147483647
--
-- DESIGN.md writes the signature as RETURNS TABLE(major, minor, patch, version).
-- It is declared with INOUT major/minor/patch and OUT version instead: the result
-- columns are the same, and the input arguments keep the names major, minor, patch
-- so callers can use named notation (major => 1, ...), which RETURNS TABLE would
-- forbid (its column names would clash with the argument names).
CREATE OR REPLACE FUNCTION pggit.increment_version(
    INOUT major integer,
    INOUT minor integer,
    INOUT patch integer,
    kind text,
    OUT version text)
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    k text := pg_catalog.lower(kind);
BEGIN
    IF major IS NULL THEN
        RAISE EXCEPTION 'version number major must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    ELSIF minor IS NULL THEN
        RAISE EXCEPTION 'version number minor must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    ELSIF patch IS NULL THEN
        RAISE EXCEPTION 'version number patch must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF major < 0 THEN
        RAISE EXCEPTION 'invalid version number major = %: must not be negative', major
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF minor < 0 THEN
        RAISE EXCEPTION 'invalid version number minor = %: must not be negative', minor
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF patch < 0 THEN
        RAISE EXCEPTION 'invalid version number patch = %: must not be negative', patch
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF k = 'major' THEN
        IF major = 2147483647 THEN
            RAISE EXCEPTION 'cannot increment major = %: integer out of range', major
                USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        major := major + 1;
        minor := 0;
        patch := 0;
    ELSIF k = 'minor' THEN
        IF minor = 2147483647 THEN
            RAISE EXCEPTION 'cannot increment minor = %: integer out of range', minor
                USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        minor := minor + 1;
        patch := 0;
    ELSIF k = 'patch' THEN
        IF patch = 2147483647 THEN
            RAISE EXCEPTION 'cannot increment patch = %: integer out of range', patch
                USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        patch := patch + 1;
    ELSE
        RAISE EXCEPTION 'Invalid increment type: %', pg_catalog.quote_nullable(kind)
            USING ERRCODE = 'raise_exception',
                  HINT = 'The increment type is major, minor or patch (in any letter case).';
    END IF;
    version := major || '.' || minor || '.' || patch;
END
$function$;

COMMENT ON FUNCTION pggit.increment_version(integer, integer, integer, text) IS
    'Semantic version after one major/minor/patch increment (case-insensitive kind): major, minor, patch, version.';

COMMENT ON SCHEMA pggit IS 'pggit-sql level 1';
