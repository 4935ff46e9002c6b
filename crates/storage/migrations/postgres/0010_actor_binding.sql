-- Binding the acting user, and guarded writes of the audit head and checkpoints
-- (docs/postgres.md, "Row-level security" and "Grants").
--
-- Before this migration the row-level-security policies opened for any transaction that set
-- `rasso.actor`, which the application role can do itself. Now:
--
-- 1. `actor_secret` holds a random secret readable only by the schema's owner (no grants; the
--    store reads it when it opens, connected as the owner, before it switches to the application
--    role). `rasso_act_as(secret, actor)`, owned by the owner and run with its rights, refuses a
--    wrong secret; with the right one it sets `rasso.actor` and `rasso.actor_token`, a SHA-256 of
--    the secret, this backend's process id, this transaction's start time and the actor.
-- 2. `rasso_actor_set()`, which every policy checks, is true only when `rasso.actor_token` is that
--    token for the current backend, transaction and actor. The application role cannot compute
--    it (it cannot read the secret), so setting `rasso.actor` (or a token) itself opens nothing;
--    a token is good for one transaction of one backend only.
-- 3. The application role may not write `audit_head` or `audit_checkpoints` (grants revoked by
--    `rasso_harden_grants()`, run after every migration and by `ensure_app_role`); the store moves
--    the head with `rasso_write_head`, which accepts only the chain's real last record and never
--    moves the head back, and adds checkpoints with `rasso_add_checkpoint`, which accepts only a
--    stored record after the last checkpoint, numbered next. It may not update or delete events,
--    sealed identity or audit records either.

CREATE TABLE actor_secret (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    secret  BYTEA   NOT NULL
);
-- gen_random_uuid() draws from PostgreSQL's strong random source (122 random bits each).
INSERT INTO actor_secret (id, secret)
VALUES (1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                             || gen_random_uuid()::text, 'UTF8')));
REVOKE ALL ON actor_secret FROM PUBLIC;

-- The functions run with the owner's rights, so their search_path is pinned to this schema
-- (created with the schema's name spelled in, as migrations run in whichever schema the
-- connection's search_path selects).
DO $migration$
BEGIN
EXECUTE format($sql$
CREATE FUNCTION rasso_act_as(caller_secret BYTEA, actor TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
DECLARE
    stored BYTEA;
BEGIN
    SELECT s.secret INTO stored FROM actor_secret s WHERE s.id = 1;
    IF stored IS NULL OR caller_secret IS DISTINCT FROM stored THEN
        RAISE EXCEPTION 'rasso: this session may not act for a user (wrong store secret)'
            USING ERRCODE = '42501';
    END IF;
    IF coalesce(actor, '') = '' THEN
        RAISE EXCEPTION 'rasso: an acting user is required' USING ERRCODE = '22023';
    END IF;
    PERFORM set_config('rasso.actor', actor, true);
    PERFORM set_config('rasso.actor_token', encode(sha256(stored || convert_to(
        pg_backend_pid()::text || ':' || extract(epoch FROM transaction_timestamp())::text
        || ':' || actor, 'UTF8')), 'hex'), true);
END
$body$
$sql$, current_schema());

-- PL/pgSQL rather than SQL: a SQL function that cannot be inlined (this one runs with the
-- owner's rights) is planned again for every statement that calls it; PL/pgSQL keeps its plan for
-- the session (measured: 7 against 42 microseconds a call).
EXECUTE format($sql$
CREATE OR REPLACE FUNCTION rasso_actor_set() RETURNS BOOLEAN
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
DECLARE
    actor TEXT := current_setting('rasso.actor', true);
    stored BYTEA;
BEGIN
    IF coalesce(actor, '') = '' THEN
        RETURN false;
    END IF;
    SELECT s.secret INTO stored FROM actor_secret s WHERE s.id = 1;
    RETURN coalesce(current_setting('rasso.actor_token', true) = encode(sha256(stored || convert_to(
        pg_backend_pid()::text || ':' || extract(epoch FROM transaction_timestamp())::text
        || ':' || actor, 'UTF8')), 'hex'), false);
END
$body$
$sql$, current_schema());

EXECUTE format($sql$
CREATE FUNCTION rasso_write_head(p_seq BIGINT, p_hash TEXT, p_at TEXT, p_records BIGINT,
    p_checkpoints BIGINT, p_last_checkpoint BIGINT, p_cases BIGINT, p_state TEXT,
    p_public_key TEXT, p_signature TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
DECLARE
    last_seq BIGINT;
    last_hash TEXT;
    current_seq BIGINT;
    checkpoint_seq BIGINT;
    checkpoint_ordinal BIGINT;
BEGIN
    SELECT l.seq, l.hash INTO last_seq, last_hash FROM audit_log l ORDER BY l.seq DESC LIMIT 1;
    IF last_seq IS NULL OR p_seq IS DISTINCT FROM last_seq OR p_hash IS DISTINCT FROM last_hash THEN
        RAISE EXCEPTION 'rasso: the audit head must name the chain''s last record'
            USING ERRCODE = '42501';
    END IF;
    SELECT h.seq INTO current_seq FROM audit_head h WHERE h.id = 1;
    IF current_seq IS NOT NULL AND p_seq < current_seq THEN
        RAISE EXCEPTION 'rasso: the audit head never moves back' USING ERRCODE = '42501';
    END IF;
    SELECT c.seq, c.ordinal INTO checkpoint_seq, checkpoint_ordinal
        FROM audit_checkpoints c ORDER BY c.seq DESC LIMIT 1;
    IF p_last_checkpoint IS NOT NULL AND p_last_checkpoint <> coalesce(checkpoint_seq, 0) THEN
        RAISE EXCEPTION 'rasso: the audit head must name the last checkpoint'
            USING ERRCODE = '42501';
    END IF;
    IF p_checkpoints IS NOT NULL AND checkpoint_ordinal IS NOT NULL
        AND p_checkpoints <> checkpoint_ordinal THEN
        RAISE EXCEPTION 'rasso: the audit head must count the checkpoints'
            USING ERRCODE = '42501';
    END IF;
    INSERT INTO audit_head (id, seq, hash, at, records, checkpoints, last_checkpoint, cases, state,
                            public_key, signature)
    VALUES (1, p_seq, p_hash, p_at, p_records, p_checkpoints, p_last_checkpoint, p_cases, p_state,
            p_public_key, p_signature)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at,
        records = excluded.records, checkpoints = excluded.checkpoints,
        last_checkpoint = excluded.last_checkpoint, cases = excluded.cases,
        state = excluded.state, public_key = excluded.public_key, signature = excluded.signature;
END
$body$
$sql$, current_schema());

EXECUTE format($sql$
CREATE FUNCTION rasso_add_checkpoint(p_seq BIGINT, p_hash TEXT, p_at TEXT, p_ordinal BIGINT,
    p_prev_seq BIGINT, p_public_key TEXT, p_signature TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS $body$
DECLARE
    checkpoint_seq BIGINT;
    checkpoint_ordinal BIGINT;
    expected BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.seq = p_seq AND l.hash = p_hash) THEN
        RAISE EXCEPTION 'rasso: a checkpoint must name a stored record' USING ERRCODE = '42501';
    END IF;
    SELECT c.seq, c.ordinal INTO checkpoint_seq, checkpoint_ordinal
        FROM audit_checkpoints c ORDER BY c.seq DESC LIMIT 1;
    IF checkpoint_seq IS NOT NULL AND p_seq <= checkpoint_seq THEN
        RAISE EXCEPTION 'rasso: checkpoints only move forward' USING ERRCODE = '42501';
    END IF;
    IF p_ordinal IS NOT NULL THEN
        expected := CASE WHEN checkpoint_ordinal IS NOT NULL THEN checkpoint_ordinal + 1
                         ELSE (SELECT count(*) FROM audit_checkpoints) + 1 END;
        IF p_ordinal <> expected OR p_prev_seq IS DISTINCT FROM coalesce(checkpoint_seq, 0) THEN
            RAISE EXCEPTION 'rasso: a checkpoint must follow the last one' USING ERRCODE = '42501';
        END IF;
    ELSIF checkpoint_ordinal IS NOT NULL THEN
        RAISE EXCEPTION 'rasso: an unchained checkpoint cannot follow chained ones'
            USING ERRCODE = '42501';
    END IF;
    INSERT INTO audit_checkpoints (seq, hash, at, ordinal, prev_seq, public_key, signature)
    VALUES (p_seq, p_hash, p_at, p_ordinal, p_prev_seq, p_public_key, p_signature);
END
$body$
$sql$, current_schema());

-- Run by the owner (after every migration, and by ensure_app_role after its grants): takes from
-- every other role what the store must never do with its own rights.
EXECUTE format($sql$
CREATE FUNCTION rasso_harden_grants() RETURNS VOID
LANGUAGE plpgsql SET search_path = %I, pg_temp AS $body$
DECLARE
    grant_row RECORD;
BEGIN
    FOR grant_row IN
        SELECT DISTINCT c.relname AS tbl,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS who
        FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE c.relnamespace = %L::regnamespace
          AND c.relname IN ('events', 'sealed', 'audit_log', 'audit_checkpoints', 'audit_head',
                            'actor_secret')
          AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE %%s ON %%I FROM %%s',
            CASE grant_row.tbl
                WHEN 'actor_secret' THEN 'ALL'
                WHEN 'audit_checkpoints' THEN 'INSERT, UPDATE, DELETE, TRUNCATE'
                WHEN 'audit_head' THEN 'INSERT, UPDATE, DELETE, TRUNCATE'
                ELSE 'UPDATE, DELETE, TRUNCATE'
            END,
            grant_row.tbl, grant_row.who);
    END LOOP;
END
$body$
$sql$, current_schema(), quote_ident(current_schema()));
END
$migration$;

REVOKE EXECUTE ON FUNCTION rasso_harden_grants() FROM PUBLIC;

-- Every policy checks the binding once per statement (a scalar subquery is evaluated once, where
-- a function call in the policy would run for every row).
DO $policies$
DECLARE
    policy RECORD;
BEGIN
    FOR policy IN SELECT policyname, tablename FROM pg_policies WHERE schemaname = current_schema()
    LOOP
        EXECUTE format(
            'ALTER POLICY %I ON %I USING ((SELECT rasso_actor_set())) WITH CHECK ((SELECT rasso_actor_set()))',
            policy.policyname, policy.tablename);
    END LOOP;
END
$policies$;

SELECT rasso_harden_grants();
