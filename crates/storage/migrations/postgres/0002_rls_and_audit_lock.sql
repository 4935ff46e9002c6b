-- What PostgreSQL adds to the shared schema.
--
-- 1. The audit lock: one row that every transaction adding audit records locks first
--    (SELECT ... FOR UPDATE), so several rasso processes on one database extend one chain, one
--    transaction at a time. A row (not an advisory lock) keeps the lock inside this schema.
CREATE TABLE audit_lock (
    id  INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO audit_lock (id) VALUES (1);

-- 2. Row-level security on the case-scoped tables (defence in depth behind the store's own
--    access point). The store issues set_config('rasso.actor', ACTOR, true) at the start of every
--    transaction that touches case data; a query without that per-transaction setting sees no
--    rows and cannot write any. FORCE applies the policies to the tables' owner as well; only
--    roles with BYPASSRLS (and superusers) are exempt, so the application role must not have it.
CREATE FUNCTION rasso_actor_set() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('rasso.actor', true), '') <> ''
$$;

ALTER TABLE cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE cases FORCE ROW LEVEL SECURITY;
CREATE POLICY cases_with_actor ON cases USING (rasso_actor_set()) WITH CHECK (rasso_actor_set());

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_with_actor ON events USING (rasso_actor_set()) WITH CHECK (rasso_actor_set());

ALTER TABLE sealed ENABLE ROW LEVEL SECURITY;
ALTER TABLE sealed FORCE ROW LEVEL SECURITY;
CREATE POLICY sealed_with_actor ON sealed USING (rasso_actor_set()) WITH CHECK (rasso_actor_set());
