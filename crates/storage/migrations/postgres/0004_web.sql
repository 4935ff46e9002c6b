-- State of the web server that must survive restarts and be shared by several server processes.

-- Failed sign-ins per (lower-cased) username, for the lockout (5 within 15 minutes). Rows older
-- than the window are deleted when the next failure is noted; a successful sign-in deletes them.
CREATE TABLE sign_in_failures (
    username  TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX sign_in_failures_by_user ON sign_in_failures (username, at);

-- A user's first sign-in and its session (that session is offered the introductory toolkits).
CREATE TABLE first_sign_ins (
    username  TEXT PRIMARY KEY,
    session   TEXT NOT NULL,
    at        TEXT NOT NULL
);

-- Break-glass declarations: who opened a case outside their team, in which session, why. The
-- declaration is audited too; this table is what the case's supervisors are shown and what grants
-- the session its access.
CREATE TABLE break_glass (
    id         BIGSERIAL PRIMARY KEY,
    force      TEXT NOT NULL,
    reference  TEXT NOT NULL,
    session    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX break_glass_by_case ON break_glass (force, reference);
CREATE INDEX break_glass_by_session ON break_glass (session, force, reference);

-- Cases shared with partners (e.g. an ISVA): what is shared (a comma-separated list of items),
-- with whom, by whom and why. Revoking sets revoked_at; rows are never deleted (the record of a
-- disclosure is kept).
CREATE TABLE case_shares (
    id          BIGSERIAL PRIMARY KEY,
    force       TEXT NOT NULL,
    reference   TEXT NOT NULL,
    partner     TEXT NOT NULL REFERENCES users (username),
    shared_by   TEXT NOT NULL,
    items       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL,
    revoked_at  TEXT,
    revoked_by  TEXT
);
CREATE INDEX case_shares_by_case ON case_shares (force, reference);
CREATE INDEX case_shares_by_partner ON case_shares (partner);
CREATE FUNCTION case_shares_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case shares are kept: revoke instead';
END
$$;
CREATE TRIGGER case_shares_no_delete BEFORE DELETE ON case_shares
    FOR EACH ROW EXECUTE FUNCTION case_shares_kept();
