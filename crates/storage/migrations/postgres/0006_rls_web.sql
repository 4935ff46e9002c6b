-- Break-glass declarations and shares with partners name cases and carry free-text reasons typed
-- by officers: they are case data, so they get the same forced row-level security as `cases`
-- (rows visible only to a transaction that has set its acting user). The store reads them as its
-- system actor where no user is acting (e.g. checking a session's break-glass grant).
ALTER TABLE break_glass ENABLE ROW LEVEL SECURITY;
ALTER TABLE break_glass FORCE ROW LEVEL SECURITY;
CREATE POLICY break_glass_with_actor ON break_glass USING (rasso_actor_set()) WITH CHECK (rasso_actor_set());

ALTER TABLE case_shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_shares FORCE ROW LEVEL SECURITY;
CREATE POLICY case_shares_with_actor ON case_shares USING (rasso_actor_set()) WITH CHECK (rasso_actor_set());
